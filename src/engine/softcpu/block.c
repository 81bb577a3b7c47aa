/* Blocks of straight-line code for the block cache, decoded by the core's front
 * end (decode_run, engine/softcpu/decode.h). */
#include <stdlib.h>
#include <string.h>

#include "engine/softcpu/block.h"
#include "engine/softcpu/decode.h"

struct block *decode_scratch_new(void)
{
	struct block *b = malloc(sizeof(*b) + BLOCK_MAX_INSNS * sizeof(struct insn));

	if (!b)
		abort(); /* out of host memory: nothing sensible is left to do */
	return b;
}

struct block *decode_block(struct block_vcpu *v, uint64_t lin, uint64_t gpa)
{
	/* Decoded into the vCPU's scratch block, which has room for the longest, and
	 * copied out at its own size: most blocks are a few instructions, and a
	 * fault while decoding leaves nothing to free. */
	struct block *b = v->decode_scratch, *out;
	struct decoded_run run;

	memset(b, 0, sizeof(*b));
	b->gpa = gpa;
	b->mode = v->cpu.mode;
	b->valid = true;
	decode_run(&v->cpu, lin, gpa, b->insns, BLOCK_MAX_INSNS, &run);
	b->count = (uint16_t)run.count;
	for (unsigned i = 0; i < b->count; i++)
		b->insns[i].index = (uint8_t)i;
	b->code_mask = run.code_mask;
	b->gpa_last = run.gpa_last;
	b->crosses = run.crosses;
	out = malloc(sizeof(*b) + b->count * sizeof(struct insn));
	if (!out)
		abort(); /* out of host memory */
	memcpy(out, b, sizeof(*b) + b->count * sizeof(struct insn));
	return out;
}
