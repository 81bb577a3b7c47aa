/* The randomized decoder test. The interpreter decodes with Zydis, so comparing
 * its lengths with Zydis's would only compare Zydis with itself; what can go wrong
 * is the conversion into struct insn. Random byte strings, and mutations of the
 * valid sequences the differential generator makes, go through the interpreter's
 * decode_block(); every instruction of the block is checked against an
 * independent reading of the same bytes: lengths and block boundaries, register
 * numbers from Zydis's register class and id, memory operands decoded here from
 * the raw ModRM/SIB/REX/displacement bytes, immediates from the raw immediate
 * bytes extended by their encoding (signed, unsigned, relative) and masked to the
 * destination's size, LOCK/REP/REPNE and segment overrides from the prefix bytes,
 * condition codes from the mnemonic, address size from the 0x67 prefix. */
#ifndef DIFF_DECODER_CHECK_H
#define DIFF_DECODER_CHECK_H

#include <stdint.h>

struct decoder_result {
	unsigned blocks;
	unsigned insns;	 /* instructions checked */
	unsigned passed; /* blocks without a disagreement */
	unsigned failed; /* blocks with one */
};

/* Runs `blocks` random blocks; prints at most max_reports disagreements. */
void decoder_check_run(uint64_t seed, unsigned blocks, unsigned max_reports, struct decoder_result *r);

#endif
