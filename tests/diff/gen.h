/* The random test generator: a curated table of the integer instructions the
 * interpreter implements, encoded with Zydis's encoder, with every memory operand
 * kept inside the data page (or the stack page) by construction: the registers an
 * address is made of are loaded by `mov` items placed just before the
 * instruction, and indexes and displacements are small. */
#ifndef DIFF_GEN_H
#define DIFF_GEN_H

#include <stdbool.h>
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

/* Whether to generate forms whose result shows the CPU's system state (SGDT,
 * SIDT, SLDT, STR, SMSW, RDPMC; item.host_state): only where an engine reference
 * runs (kvm), since natively they show the host's own. Default: yes. The same
 * seed gives other cases with and without them. */
void gen_allow_host_state(bool allow);

/* Whether to aim memory operands at addresses that are non-canonical with
 * 48-bit linear addresses (the guest's): not where the native reference runs on
 * a host with 5-level paging, where they are canonical. Default: yes. */
void gen_allow_noncanonical(bool allow);

/* Whether to aim memory operands at the canonical boundary (item.native_only):
 * only where the native reference runs. Default: yes. */
void gen_allow_native_only(bool allow);
/* Whether to generate forms whose outcome the vendors define differently and
 * where the guest CPU model follows its own vendor (AMD): only where the
 * references run on such a processor. Left out elsewhere: LFS/LGS/LSS and far
 * JMP/CALL/RETF (an m16:64 operand under REX.W on Intel processors, and
 * which check faults first), the XSAVE family (which components an
 * implementation reports in use, and saves, beyond those the model has),
 * misaligned SHA operands (#GP on Intel processors), which address a masked
 * move's fault names, an FS or GS base that makes a non-canonical address
 * canonical, and AC set by POPF (which misaligned vector accesses raise #AC).
 * Default: yes. */
void gen_allow_vendor_specific(bool allow);

/* The family of random raw SSE/AVX encodings (gen_rawsimd.c): its weight (0, the
 * default: off), and whether it is the only family drawn. */
void gen_set_raw_simd(unsigned weight, bool only);

/* Whether SSE units may unmask MXCSR exceptions (and end in #XM): only where
 * the native reference alone runs. The kvm reference on the nested development
 * host keeps a guest MXCSR from one run to the next now and then, though
 * set_state writes it (README.md); a unit that ends in #XM leaves its MXCSR
 * there. Default: no. */
void gen_allow_unmasked_simd(bool allow);

/* For --stats: did a run that stopped at item i of the sequence, with these
 * registers, stop inside a loop (past its preamble)? *stepped: after the
 * loop's count was stepped (a later round, or the first's end). */
bool gen_loop_stop(const struct seq *s, unsigned i, const uint64_t gpr[GPR_COUNT], bool *stepped);

/* The seed of case `index` of a run with `seed`. */
uint64_t gen_case_seed(uint64_t seed, uint64_t index);

#endif
