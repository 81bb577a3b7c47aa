/* Segment descriptors in memory (Intel SDM Vol. 3, 3.4.5) and their loaded form. */
#ifndef RV_X86_DESCRIPTOR_H
#define RV_X86_DESCRIPTOR_H

#include <stdint.h>

#include "x86/segment.h"

/* Encode the 8-byte descriptor of a loaded segment (base must fit in 32 bits). */
uint64_t x86_descriptor_encode(const struct x86_segment *seg);
/* The hidden part a segment load of `selector` would produce from `desc`. */
void x86_descriptor_decode(uint64_t desc, uint16_t selector, struct x86_segment *seg);
/* A flat segment: base 0, limit 4 GiB, present, DPL 0. */
void x86_segment_flat(struct x86_segment *seg, uint16_t selector, uint8_t type, int db, int l);
/* A real-mode segment: base = selector * 16, limit 64 KiB. */
void x86_segment_real(struct x86_segment *seg, uint16_t selector, uint8_t type);

#endif
