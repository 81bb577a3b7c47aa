/* A test sequence: instructions kept as Zydis encoder requests, so that the
 * sequence can be laid out again after the shrinker drops some of them
 * (RIP-relative operands and branch targets depend on where things end up).
 *
 * Each item carries what it does to the arithmetic flags, following the SDM's
 * "Flags Affected" sections: which flags it reads, which it sets to defined
 * values and which it leaves undefined. The layout runs a data-flow over the
 * sequence (to a fixed point: loops branch back) to know, before every
 * instruction and at the end, which flags are undefined: those are masked in
 * the comparison, and a sequence in which an instruction reads an undefined
 * flag is rejected.
 *
 * Branches go forward, but for a loop's ways back (gen_loop.c). A loop is a
 * run of items sharing a `loop` number: the MOV of its count (and other
 * preamble), its top, a body, the step of the count and the ways back and
 * out. Its targets follow the items, not their indexes, so that they stay
 * right when the shrinker drops items: a way back goes to the top, a way out
 * past the loop's last item; and no branch from outside a loop lands past its
 * first item, nor one from before the count's step past the step, but out of
 * the loop: every loop stays bounded by its count. */
#ifndef DIFF_SEQ_H
#define DIFF_SEQ_H

#include <stddef.h>
#include <stdint.h>

#include <Zydis/Zydis.h>

#include "guest_image.h"

#define SEQ_MAX 96

/* Arithmetic flags, as RFLAGS bits. */
#define F_CF 0x001u
#define F_PF 0x004u
#define F_AF 0x010u
#define F_ZF 0x040u
#define F_SF 0x080u
#define F_OF 0x800u
#define F_ALL (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)
#define F_SZP (F_SF | F_ZF | F_PF)

enum item_kind {
	ITEM_INSN,
	ITEM_BRANCH, /* operand 0 is the target: filled at layout time from `skip` */
	ITEM_RAW,    /* raw bytes: what the encoder will not produce (invalid, privileged) */
	ITEM_ADDR,   /* its RIP-relative memory operand is filled at layout with the address a
		      * branch with its `skip` would go to: the LEA of a far transfer's target
		      * (gen_far.c); control flows on to the next item */
};

/* An item's part in its loop (item.loop_role). */
enum loop_role {
	LR_BODY,  /* in the body, or no loop */
	LR_PRE,	  /* before the top, run once: the MOVs of a moving pointer and its stride, a flag writer */
	LR_COUNT, /* the MOV of the count, before the top */
	LR_STEP,  /* the DEC or SUB of the count: a branch before it lands on it or past the loop */
	LR_EXIT,  /* ITEM_BRANCH out: past the loop's last item, then `skip` more */
	LR_BACK,  /* ITEM_BRANCH back to the top: the first item neither LR_PRE nor LR_COUNT */
};

struct item {
	ZydisEncoderRequest req;
	uint8_t prefix[4]; /* raw legacy prefixes put before the encoder's bytes */
	uint8_t nprefix;
	uint8_t raw[ZYDIS_MAX_INSTRUCTION_LENGTH]; /* ITEM_RAW */
	uint8_t rawlen;
	uint8_t kind;
	uint8_t skip;	     /* ITEM_BRANCH: instructions jumped over (fewer if the sequence ends) */
	uint8_t loop;	     /* the number of the loop it is in (from 1), or 0 */
	uint8_t loop_role;   /* enum loop_role */
	uint8_t loop_ctl;    /* bounds its loop (the count, its step and test): dropped only with
			      * the loop's ways back (seq_drop) */
	uint8_t fallthru;    /* ITEM_BRANCH: can continue with the next instruction */
	uint8_t setup;	     /* loads registers for the instruction after it: no branch lands after it */
	uint8_t joined;	     /* its unit goes on after it (gen_mmx.c): no branch lands after it either */
	uint8_t host_state;  /* its result shows the CPU's system state (SGDT, RDPMC...): only an engine
			      * reference, whose guest system state is the test's, can run it */
	uint8_t native_only; /* aimed at the canonical boundary: only the native reference shows
			      * silicon there (README.md) */
	uint16_t fl_read;    /* flags the instruction reads */
	uint16_t fl_def;     /* flags it writes with defined values */
	uint16_t fl_undef;   /* flags the SDM leaves undefined after it */
};

struct seq {
	unsigned n;
	struct item it[SEQ_MAX];
};

struct layout {
	uint8_t code[GI_CODE_SIZE];
	size_t len;			/* including the final INT3 */
	uint32_t off[SEQ_MAX + 1];	/* off[n]: the INT3 */
	uint16_t undef_in[SEQ_MAX + 1]; /* undefined flags before item i; [n] at the end */
	uint8_t reachable[SEQ_MAX + 1];
};

/* Encodes the sequence at GI_CODE and runs the flag analysis. Returns 0, or -1
 * when an instruction cannot be encoded or reads a flag that may be undefined. */
int seq_layout(const struct seq *s, struct layout *l);

/* Does no instruction read a flag that may be undefined? (The flag analysis of
 * seq_layout alone, without encoding.) */
int seq_flags_ok(const struct seq *s);

/* Index of the item starting at guest address rip, or -1. */
int layout_item_at(const struct seq *s, const struct layout *l, uint64_t rip);

/* Undefined flags at guest address rip (all of them if rip is no item's start). */
uint16_t layout_undef_at(const struct seq *s, const struct layout *l, uint64_t rip);

/* Drops item i; one that bounds a loop (loop_ctl) takes with it the loop's
 * other control items and its ways back, so that no unbounded loop is left:
 * the rest stays as straight code. */
void seq_drop(struct seq *s, unsigned i);

/* How many loops the sequence has. */
unsigned seq_loops(const struct seq *s);

/* Makes near every short branch whose target is too far for a rel8 (the
 * layout of a sequence with such a branch fails); LOOP, LOOPcc and JrCXZ,
 * which have no near form, skip fewer items instead, as far as that helps. */
void seq_fit_branches(struct seq *s);

#endif
