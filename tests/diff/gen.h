/* The random test generator: a curated table of the integer instructions the
 * interpreter implements, encoded with Zydis's encoder, with every memory operand
 * kept inside the data page (or the stack page) by construction: the registers an
 * address is made of are loaded by `mov` items placed just before the
 * instruction, and indexes and displacements are small. */
#ifndef DIFF_GEN_H
#define DIFF_GEN_H

#include <stdint.h>

#include "harness.h"
#include "seq.h"

struct test_case {
	struct seq seq;
	uint64_t gpr[GPR_COUNT];
	uint64_t rflags;
	uint8_t data[PAGE];
	uint8_t stack[PAGE];
};

/* The initial user RSP: the middle of the stack page. */
#define GEN_RSP (GI_STACK + 0x800)

/* Fills *tc from a seed; the same seed gives the same case everywhere. */
void gen_case(uint64_t seed, struct test_case *tc);

/* The seed of case `index` of a run with `seed`. */
uint64_t gen_case_seed(uint64_t seed, uint64_t index);

#endif
