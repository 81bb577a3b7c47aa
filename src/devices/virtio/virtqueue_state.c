#include "devices/virtio/virtqueue.h"

/* Payload (little-endian, as state_stream.h writes it):
 *   u16 last_avail, u16 used_idx, u16 signalled, bool notify_enabled,
 *   bool broken, u16 in_flight, then in_flight times {u16 head, u32
 *   writable} with heads ascending. */

void virtq_state_save(const struct virtq *vq, struct state_writer *w)
{
	state_put_u16(w, vq->last_avail);
	state_put_u16(w, vq->used_idx);
	state_put_u16(w, vq->signalled);
	state_put_bool(w, vq->notify_enabled);
	state_put_bool(w, vq->broken);
	state_put_u16(w, vq->in_flight);
	for (unsigned head = 0; head < vq->layout.size; head++) {
		if (!vq->head_in_flight[head])
			continue;
		state_put_u16(w, (uint16_t)head);
		state_put_u32(w, vq->head_writable[head]);
	}
}

/* The chains in flight: each head inside the queue, ascending (so none
 * twice), at most max_in_flight of them. */
static void load_in_flight(struct virtq *vq, struct state_reader *r)
{
	uint16_t n = state_get_u16(r);
	int prev = -1;

	if (n > vq->layout.max_in_flight) {
		state_reader_fail(r);
		return;
	}
	for (unsigned i = 0; i < n && state_reader_ok(r, false); i++) {
		uint16_t head = state_get_u16(r);
		uint32_t writable = state_get_u32(r);

		if (head >= vq->layout.size || (int)head <= prev) {
			state_reader_fail(r);
			return;
		}
		prev = head;
		vq->head_in_flight[head] = true;
		vq->head_writable[head] = writable;
	}
	vq->in_flight = n;
}

int virtq_state_load(struct virtq *vq, const struct virtq_layout *layout, struct state_reader *r)
{
	if (virtq_enable(vq, layout)) {
		state_reader_fail(r);
		return -1;
	}
	vq->last_avail = state_get_u16(r);
	vq->used_idx = state_get_u16(r);
	vq->signalled = state_get_u16(r);
	vq->notify_enabled = state_get_bool(r);
	vq->broken = state_get_bool(r);
	load_in_flight(vq, r);
	/* Every pop moves last_avail and every push used_idx, one each, so
	 * they are apart by exactly the chains in flight. */
	if ((uint16_t)(vq->last_avail - vq->used_idx) != vq->in_flight)
		state_reader_fail(r);
	if (!state_reader_ok(r, false)) {
		virtq_disable(vq);
		return -1;
	}
	return 0;
}
