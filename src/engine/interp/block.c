/* Blocks of straight-line code for the decode cache, decoded one instruction at a
 * time by the core's front end (engine/softcpu/decode.h). */
#include <stdlib.h>
#include <string.h>

#include "engine/interp/block.h"
#include "engine/softcpu/decode.h"
#include "engine/softcpu/dispatch.h"
#include "vm/memory.h"

#define BLOCK_MAX_INSNS 64

struct block *decode_scratch_new(void)
{
	struct block *b = malloc(sizeof(*b) + BLOCK_MAX_INSNS * sizeof(struct insn));

	if (!b)
		abort(); /* out of host memory: nothing sensible is left to do */
	return b;
}

/* A block is decoded into the vCPU's scratch block, which has room for the
 * longest, and copied out at its own size: most blocks are a few instructions,
 * and a fault while decoding leaves nothing to free. */
static struct block *new_block(struct engine_vcpu *v, uint64_t gpa, uint8_t mode)
{
	struct block *b = v->decode_scratch;

	memset(b, 0, sizeof(*b));
	b->gpa = gpa;
	b->gpa_last = gpa & ~0xfffull;
	b->mode = mode;
	b->valid = true;
	return b;
}

/* The 64-byte chunks of the page that [off, off + len) covers. */
static uint64_t chunks(unsigned off, unsigned len)
{
	uint64_t mask = 0;

	for (unsigned c = off >> 6; c <= ((off + len - 1) >> 6) && c < 64; c++)
		mask |= 1ull << c;
	return mask;
}

struct block *decode_block(struct engine_vcpu *v, uint64_t lin, uint64_t gpa)
{
	struct soft_cpu *cpu = &v->cpu;
	struct block *b = new_block(v, gpa, cpu->mode), *out;
	const uint8_t *page = guest_memory_ptr(cpu->mem, gpa & ~0xfffull, 4096);
	unsigned off = (unsigned)(gpa & 0xfff);

	while (b->count < BLOCK_MAX_INSNS) {
		struct insn *in = &b->insns[b->count];
		uint8_t buf[DECODE_MAX_INSN_LEN];
		enum decode_status st;
		bool ends;

		if (!page) { /* executing outside RAM: the bus reads all ones, FF FF is #UD */
			memset(in, 0, sizeof(*in));
			in->fn = h_ud;
			in->len = 1;
			b->count++;
			break;
		}
		st = decode_insn(cpu->mode, page + off, 4096 - off, in, &ends);
		if (st == DECODE_TRUNCATED) {
			uint64_t next;

			if (b->count) /* decode it as the first instruction of its own block */
				break;
			if (!decode_fetch_across(cpu, lin, gpa, buf, &next)) {
				memset(in, 0, sizeof(*in));
				in->fn = h_ud; /* cannot happen: the first page is RAM */
				in->len = 1;
				b->count++;
				break;
			}
			st = decode_insn(cpu->mode, buf, sizeof(buf), in, &ends);
			b->gpa_last = next;
			if (st == DECODE_TRUNCATED) { /* cannot happen: 15 bytes end any instruction */
				memset(in, 0, sizeof(*in));
				in->fn = h_ud;
				in->len = 1;
				st = DECODE_INVALID;
			}
		}
		b->code_mask |= chunks(off, in->len);
		b->count++;
		off += in->len;
		if (st == DECODE_INVALID || ends || off >= 4096)
			break;
	}
	out = malloc(sizeof(*b) + b->count * sizeof(struct insn));
	if (!out)
		abort(); /* out of host memory */
	memcpy(out, b, sizeof(*b) + b->count * sizeof(struct insn));
	return out;
}
