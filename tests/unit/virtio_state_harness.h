/* What the tests of the virtio devices' saved state share: a device's
 * payload saved and loaded as the device registry does it for its section
 * (vm/device_registry.c: save into the section, load checked to have read
 * every byte), and a second guest RAM holding a copy of the first, which is
 * what a restore maps before the devices load. */
#ifndef RV_VIRTIO_STATE_HARNESS_H
#define RV_VIRTIO_STATE_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state/device_state.h"
#include "state/state_stream.h"
#include "virtio_device_harness.h"

static inline uint16_t vs_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* The payload ops->save writes, in w (the caller frees it). */
static inline void vs_save(const struct device_state_ops *ops, void *dev, struct state_writer *w)
{
	state_writer_init(w);
	ops->save(dev, w, 1000);
	assert_false(w->failed);
}

/* 0 if ops->load takes the len bytes at p and reads them whole; -1 if it
 * refuses them (and then it must have said so in the reader's error). */
static inline int vs_load(const struct device_state_ops *ops, void *dev, const void *p, size_t len)
{
	struct state_reader r;

	state_reader_init(&r, p, len);
	if (ops->load(dev, &r, ops->version, 2000)) {
		assert_true(r.error);
		return -1;
	}
	return state_reader_ok(&r, true) ? 0 : -1;
}

/* Saves a, loads that into b, saves b: the two payloads are the same bytes.
 * *out gets a's payload (the caller frees it). */
static inline void vs_assert_round_trip(const struct device_state_ops *ops, void *a, void *b, struct state_writer *out)
{
	struct state_writer again;

	vs_save(ops, a, out);
	assert_int_equal(vs_load(ops, b, out->buf, out->len), 0);
	vs_save(ops, b, &again);
	assert_int_equal(again.len, out->len);
	assert_memory_equal(again.buf, out->buf, out->len);
	state_writer_free(&again);
}

/* A harness whose RAM holds what h's holds now. */
static inline struct vh *vh_clone(struct vh *h)
{
	struct vh *c = vh_new();

	if (!c)
		abort(); /* no memory for a test's RAM */
	memcpy(guest_memory_ptr(&c->mem, 0, VH_RAM_SIZE), guest_memory_ptr(&h->mem, 0, VH_RAM_SIZE), VH_RAM_SIZE);
	memcpy(c->avail_idx, h->avail_idx, sizeof(c->avail_idx));
	return c;
}

static inline bool vh_same_ram(struct vh *a, struct vh *b)
{
	return !memcmp(guest_memory_ptr(&a->mem, 0, VH_RAM_SIZE), guest_memory_ptr(&b->mem, 0, VH_RAM_SIZE),
		       VH_RAM_SIZE);
}

#endif
