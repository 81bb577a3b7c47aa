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

/* Side exits a trace goes on past: the busybox byte loop of the guest-work
 * benchmark (getc and putc followed, back to its start) has five. */
#define TRACE_SIDE_EXITS 6

/* Whether blocks decoded now are traces (block_vcpu.decode_traces). */
static bool decode_traces_now(const struct block_vcpu *v)
{
	return v->decode_traces == DECODE_TRACES_ALL || (v->decode_traces == DECODE_TRACES_USER && v->cpu.cpl == 3);
}
/* A plain block's: see decode.c. */
#define BLOCK_SIDE_EXITS 2

struct block *decode_block(struct block_vcpu *v, uint64_t lin, uint64_t gpa)
{
	/* Decoded into the vCPU's scratch block, which has room for the longest, and
	 * copied out at its own size: most blocks are a few instructions, and a
	 * fault while decoding leaves nothing to free. */
	struct block *b = v->decode_scratch, *out;
	const struct decode_limits limits = { .max_insns = BLOCK_MAX_INSNS,
					      .side_exits = decode_traces_now(v) ? TRACE_SIDE_EXITS : BLOCK_SIDE_EXITS,
					      .follow = decode_traces_now(v) };
	struct decoded_run run;
	size_t insns_size;

	memset(b, 0, sizeof(*b));
	b->gpa = gpa;
	b->mode = v->cpu.mode;
	b->valid = true;
	decode_run(&v->cpu, lin, gpa, b->insns, &limits, &run);
	b->count = (uint16_t)run.count;
	for (unsigned i = 0; i < b->count; i++)
		b->insns[i].index = (uint8_t)i;
	b->crosses = run.crosses;
	b->npages = (uint8_t)run.npages;
	insns_size = b->count * sizeof(struct insn);
	out = malloc(sizeof(*b) + insns_size + run.npages * sizeof(struct block_page));
	if (!out)
		abort(); /* out of host memory */
	memcpy(out, b, sizeof(*b) + insns_size);
	out->pages = (struct block_page *)(void *)((char *)out->insns + insns_size);
	for (unsigned k = 0; k < run.npages; k++)
		out->pages[k] = (struct block_page){ .gpa = run.pages[k].gpa,
						     .lin_off = run.pages[k].lin_off,
						     .code_mask = run.pages[k].code_mask };
	return out;
}
