/* For the tests of a device's saved state (state/device_state.h): a payload
 * saved on its own (no stream around it), loaded back the way the registry
 * loads it (the whole payload must be read), compared, cut short and
 * corrupted. */
#ifndef RV_DEVICE_STATE_HARNESS_H
#define RV_DEVICE_STATE_HARNESS_H

#include <stdlib.h>
#include <string.h>

#include "state/device_state.h"

/* dev's payload at now into w (initialized here; free it). */
static inline void payload_save(const struct device_state_ops *ops, void *dev, uint64_t now, struct state_writer *w)
{
	state_writer_init(w);
	ops->save(dev, w, now);
	assert_false(w->failed);
}

/* 0 if dev's load took the len bytes at p, all of them, as ops->version; -1
 * if it refused them (then its reader's error must be set) or left some. */
static inline int payload_load(const struct device_state_ops *ops, void *dev, const void *p, size_t len, uint64_t now)
{
	struct state_reader r;

	state_reader_init(&r, p, len);
	if (ops->load(dev, &r, ops->version, now)) {
		assert_true(r.error);
		return -1;
	}
	return state_reader_ok(&r, true) ? 0 : -1;
}

static inline void assert_same_payload(const struct state_writer *a, const struct state_writer *b)
{
	assert_int_equal(a->len, b->len);
	assert_memory_equal(a->buf, b->buf, a->len);
}

/* After ops->reset, driven (at now) saves the same payload as fresh, a device
 * just initialised (at fresh_now): reset is the power-on state. */
static inline void assert_reset_is_power_on(const struct device_state_ops *ops, void *driven, uint64_t now, void *fresh,
					    uint64_t fresh_now)
{
	struct state_writer wa, wf;

	ops->reset(driven);
	payload_save(ops, driven, now, &wa);
	payload_save(ops, fresh, fresh_now, &wf);
	assert_same_payload(&wa, &wf);
	state_writer_free(&wa);
	state_writer_free(&wf);
}

/* Every proper prefix of the payload in w is refused by dev, which keeps the
 * state it had (its payload at now is the same before and after). */
static inline void assert_prefixes_refused(const struct device_state_ops *ops, void *dev, const struct state_writer *w,
					   uint64_t now)
{
	struct state_writer before, after;

	payload_save(ops, dev, now, &before);
	for (size_t n = 0; n < w->len; n++)
		assert_int_equal(payload_load(ops, dev, w->buf, n, now), -1);
	payload_save(ops, dev, now, &after);
	assert_same_payload(&before, &after);
	state_writer_free(&before);
	state_writer_free(&after);
}

/* The payload in w with len bytes at offset replaced by the little-endian
 * value v is refused by dev, which keeps the state it had. */
static inline void assert_field_refused(const struct device_state_ops *ops, void *dev, const struct state_writer *w,
					size_t offset, unsigned len, uint64_t v, uint64_t now)
{
	struct state_writer before, after;
	uint8_t *copy = malloc(w->len);

	assert_non_null(copy);
	assert_true(offset + len <= w->len);
	memcpy(copy, w->buf, w->len);
	for (unsigned i = 0; i < len; i++)
		copy[offset + i] = (uint8_t)(v >> (8 * i));
	payload_save(ops, dev, now, &before);
	assert_int_equal(payload_load(ops, dev, copy, w->len, now), -1);
	payload_save(ops, dev, now, &after);
	assert_same_payload(&before, &after);
	state_writer_free(&before);
	state_writer_free(&after);
	free(copy);
}

/* The same payload with that field changed is accepted (to show that a
 * refusal is about the value, not the place). */
static inline void assert_field_accepted(const struct device_state_ops *ops, void *dev, const struct state_writer *w,
					 size_t offset, unsigned len, uint64_t v, uint64_t now)
{
	uint8_t *copy = malloc(w->len);

	assert_non_null(copy);
	memcpy(copy, w->buf, w->len);
	for (unsigned i = 0; i < len; i++)
		copy[offset + i] = (uint8_t)(v >> (8 * i));
	assert_int_equal(payload_load(ops, dev, copy, w->len, now), 0);
	free(copy);
}

#endif
