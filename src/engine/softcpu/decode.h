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

/* Decodes the instruction at bytes[0..avail) in mode (enum cpu_mode). *ends_block:
 * it may change control flow or the mode, so straight-line code ends after it. An
 * instruction the CPU model does not implement decodes to a handler raising #UD. */
enum decode_status decode_insn(uint8_t mode, const uint8_t *bytes, size_t avail, struct insn *in, bool *ends_block);

/* The DECODE_MAX_INSN_LEN bytes of an instruction at lin (guest-physical gpa, RAM) that crosses
 * into the next page, translated for execution (may raise #PF). Bytes beyond RAM
 * read as the PC bus reads them, all ones. *gpa_next: the next page. Returns the
 * bytes filled (0 if gpa is not RAM). */
size_t decode_fetch_across(struct soft_cpu *cpu, uint64_t lin, uint64_t gpa, uint8_t *buf, uint64_t *gpa_next);

/* A run of straight-line code, as decode_run found it. */
struct decoded_run {
	unsigned count;	    /* instructions, at least 1 */
	uint64_t code_mask; /* 64-byte chunks of the first page the run covers */
	uint64_t gpa_last;  /* page of the last byte: the next page only for a lone
			     * instruction that crosses into it */
	bool crosses;	    /* that lone instruction: its bytes lie on two linear pages
			     * (gpa_last may still be the first page, mapped twice) */
};

/* Decodes straight-line code at linear lin (guest-physical gpa) in the CPU's
 * mode into insns[0..max): it ends after an instruction that may change control
 * flow or the mode (but goes on past up to two Jcc, side exits: INSN_SIDE_EXIT),
 * after an invalid one (which raises #UD or #GP(0) when run), at
 * the end of the page, or before an instruction that crosses into the next page,
 * which is decoded alone as the first of its own run. Code outside RAM is one
 * instruction raising #UD. May raise #PF fetching the next page. */
void decode_run(struct soft_cpu *cpu, uint64_t lin, uint64_t gpa, struct insn *insns, unsigned max,
		struct decoded_run *out);

/* One of the 16 conditional jumps (Jcc; not JCXZ or LOOP, which test RCX). */
bool decode_is_jcc(uint16_t mnemonic);

/* The instruction at CS:RIP in Intel syntax, for --trace; -1 if it cannot be read. */
/* The instruction at bytes[0..n) in mode (enum cpu_mode) at rip, decoded and
 * formatted in Intel syntax; false if it is not one. */
bool decode_disassemble(uint8_t mode, uint64_t rip, const uint8_t *bytes, size_t n, ZydisDisassembledInstruction *out);
int softcpu_disassemble(struct soft_cpu *cpu, char *buf, size_t len);

#endif
