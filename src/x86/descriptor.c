#include "x86/descriptor.h"

#include <string.h>

uint64_t x86_descriptor_encode(const struct x86_segment *seg)
{
	uint32_t limit = seg->limit;
	uint64_t d;

	if (seg->g)
		limit >>= 12;
	d = (uint64_t)(limit & 0xffff);
	d |= (uint64_t)(seg->base & 0xffffff) << 16;
	d |= (uint64_t)(seg->type & 0xf) << 40;
	d |= (uint64_t)(seg->s & 1) << 44;
	d |= (uint64_t)(seg->dpl & 3) << 45;
	d |= (uint64_t)(seg->present & 1) << 47;
	d |= (uint64_t)((limit >> 16) & 0xf) << 48;
	d |= (uint64_t)(seg->avl & 1) << 52;
	d |= (uint64_t)(seg->l & 1) << 53;
	d |= (uint64_t)(seg->db & 1) << 54;
	d |= (uint64_t)(seg->g & 1) << 55;
	d |= (uint64_t)((seg->base >> 24) & 0xff) << 56;
	return d;
}

void x86_descriptor_decode(uint64_t desc, uint16_t selector, struct x86_segment *seg)
{
	uint32_t limit = (uint32_t)((desc & 0xffff) | ((desc >> 32) & 0xf0000));

	memset(seg, 0, sizeof(*seg));
	seg->selector = selector;
	seg->base = ((desc >> 16) & 0xffffff) | (((desc >> 56) & 0xff) << 24);
	seg->type = (desc >> 40) & 0xf;
	seg->s = (desc >> 44) & 1;
	seg->dpl = (desc >> 45) & 3;
	seg->present = (desc >> 47) & 1;
	seg->avl = (desc >> 52) & 1;
	seg->l = (desc >> 53) & 1;
	seg->db = (desc >> 54) & 1;
	seg->g = (desc >> 55) & 1;
	/* With G=1 the limit counts 4 KiB pages and the low 12 bits read as ones. */
	seg->limit = seg->g ? (limit << 12) | 0xfff : limit;
}

void x86_segment_flat(struct x86_segment *seg, uint16_t selector, uint8_t type, int db, int l)
{
	memset(seg, 0, sizeof(*seg));
	seg->selector = selector;
	seg->limit = 0xffffffff;
	seg->type = type;
	seg->s = 1;
	seg->present = 1;
	seg->db = db;
	seg->l = l;
	seg->g = 1;
}

void x86_segment_real(struct x86_segment *seg, uint16_t selector, uint8_t type)
{
	memset(seg, 0, sizeof(*seg));
	seg->selector = selector;
	seg->base = (uint64_t)selector << 4;
	seg->limit = 0xffff;
	seg->type = type;
	seg->s = 1;
	seg->present = 1;
}
