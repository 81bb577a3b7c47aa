/* The decoder front end: guest bytes to struct insn, one instruction at a time
 * (Zydis decodes; decode.c maps its output onto operands and a handler). An
 * engine strings instructions into whatever unit it caches (interp: blocks). */
#ifndef RV_SOFTCPU_DECODE_H
#define RV_SOFTCPU_DECODE_H

#include <stdbool.h>
#include <stddef.h>

#include <Zydis/Zydis.h>

#include "engine/softcpu/insn.h"

/* The longest x86 instruction, in bytes. */
#define DECODE_MAX_INSN_LEN 15

enum decode_status {
	DECODE_INSN,	  /* *in holds the instruction, in->len bytes */
	DECODE_INVALID,	  /* *in raises #UD (invalid encoding) or #GP(0) (over 15 bytes), len 1 */
	DECODE_TRUNCATED, /* the bytes end before the instruction does: fetch more */
};

struct cpu_model;

/* Decodes the instruction at bytes[0..avail) in mode (enum cpu_mode) for a vCPU
 * of that CPU model. *ends_block: it may change control flow or the mode, so
 * straight-line code ends after it. An instruction the soft CPU does not
 * implement, or of an extension the model does not advertise (isa_gate.h),
 * decodes to a handler raising #UD. */
enum decode_status decode_insn(const struct cpu_model *model, uint8_t mode, const uint8_t *bytes, size_t avail,
			       struct insn *in, bool *ends_block);

/* The DECODE_MAX_INSN_LEN bytes of an instruction at lin (guest-physical gpa, RAM) that crosses
 * into the next page, translated for execution (may raise #PF). Bytes beyond RAM
 * read as the PC bus reads them, all ones. *gpa_next: the next page. Returns the
 * bytes filled (0 if gpa is not RAM). */
size_t decode_fetch_across(struct soft_cpu *cpu, uint64_t lin, uint64_t gpa, uint8_t *buf, uint64_t *gpa_next);

/* The most guest pages a run's code lies on. */
#define DECODE_MAX_PAGES 4
/* The most instructions a run that follows branches holds. */
#define DECODE_MAX_TRACE 64

/* One page a run's code lies on: the first holds its first byte. */
struct decoded_page {
	uint64_t gpa;	    /* the guest-physical page */
	uint64_t lin_off;   /* its linear page minus the first page's (wrapping) */
	uint64_t code_mask; /* 64-byte chunks of it the run covers */
};

/* A run of code, as decode_run found it. */
struct decoded_run {
	unsigned count; /* instructions, at least 1 */
	unsigned npages;
	struct decoded_page pages[DECODE_MAX_PAGES];
	/* A lone instruction that crosses into the next linear page (pages[1],
	 * whose gpa may be the first page's again: mapped twice). */
	bool crosses;
};

/* What decode_run may do beyond straight-line code. */
struct decode_limits {
	unsigned max_insns;
	unsigned side_exits; /* Jcc it goes on past (INSN_SIDE_EXIT) */
	/* 64-bit code: go on at the target of a direct JMP or CALL, and at a
	 * RET's predicted return address (INSN_FOLLOWED), where the soft TLB or
	 * a walk that would not fault finds the page in RAM and a run may use
	 * one more page. */
	bool follow;
};

/* Decodes code at linear lin (guest-physical gpa) in the CPU's mode into
 * insns[0..limits->max_insns): it ends after an instruction that may change
 * control flow or the mode (but goes on past Jcc and followed branches as
 * limits allows), after an invalid one (which raises #UD or #GP(0) when run),
 * at the end of a page, or before an instruction that crosses into the next
 * page, which is decoded alone as the first of its own run. Code outside RAM
 * is one instruction raising #UD. May raise #PF fetching the next page for
 * that crossing instruction. */
void decode_run(struct soft_cpu *cpu, uint64_t lin, uint64_t gpa, struct insn *insns,
		const struct decode_limits *limits, struct decoded_run *out);

/* One of the 16 conditional jumps (Jcc; not JCXZ or LOOP, which test RCX). */
bool decode_is_jcc(uint16_t mnemonic);

/* The instruction at CS:RIP in Intel syntax, for --trace; -1 if it cannot be read. */
/* The instruction at bytes[0..n) in mode (enum cpu_mode) at rip, decoded and
 * formatted in Intel syntax; false if it is not one. */
bool decode_disassemble(uint8_t mode, uint64_t rip, const uint8_t *bytes, size_t n, ZydisDisassembledInstruction *out);
int softcpu_disassemble(struct soft_cpu *cpu, char *buf, size_t len);

#endif
