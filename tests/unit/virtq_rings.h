/* What the virtio tests share: a driver's view of split-virtqueue rings in
 * guest RAM, written byte by byte as virtio 1.x §2.7 lays them out
 * (little-endian; a descriptor is {le64 addr, le32 len, le16 flags, le16
 * next}), independently of the code under test's own structs. */
#ifndef RV_VIRTQ_RINGS_H
#define RV_VIRTQ_RINGS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"
#include "vm/memory.h"

static inline void ring_put16(struct guest_memory *mem, uint64_t gpa, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	assert_int_equal(guest_memory_write(mem, gpa, b, 2), 0);
}

static inline uint16_t ring_get16(struct guest_memory *mem, uint64_t gpa)
{
	uint8_t b[2];

	assert_int_equal(guest_memory_read(mem, gpa, b, 2), 0);
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t ring_get32(struct guest_memory *mem, uint64_t gpa)
{
	uint8_t b[4];

	assert_int_equal(guest_memory_read(mem, gpa, b, 4), 0);
	return get_le32(b);
}

/* Descriptor i of the table at table_gpa (§2.7.5). */
static inline void ring_put_desc(struct guest_memory *mem, uint64_t table_gpa, unsigned i, uint64_t addr, uint32_t len,
				 uint16_t flags, uint16_t next)
{
	uint8_t d[16];

	put_le32(d, (uint32_t)addr);
	put_le32(d + 4, (uint32_t)(addr >> 32));
	put_le32(d + 8, len);
	d[12] = (uint8_t)flags;
	d[13] = (uint8_t)(flags >> 8);
	d[14] = (uint8_t)next;
	d[15] = (uint8_t)(next >> 8);
	assert_int_equal(guest_memory_write(mem, table_gpa + 16ull * i, d, sizeof(d)), 0);
}

#endif
