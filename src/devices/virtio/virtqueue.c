#include "devices/virtio/virtqueue.h"

#include <assert.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

/* A descriptor as it lies in guest RAM (§2.7.5), little-endian like the host. */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
static_assert(sizeof(struct virtq_desc) == VIRTQ_DESC_SIZE, "descriptor layout");

/* Offsets in the driver area (avail) and the device area (used), §2.7.6 and
 * §2.7.8. The used ring's elements are {le32 id; le32 len}. */
#define AVAIL_FLAGS 0u
#define AVAIL_IDX 2u
#define AVAIL_RING 4u
#define USED_FLAGS 0u
#define USED_IDX 2u
#define USED_RING 4u
#define USED_ELEM_SIZE 8u

static uint64_t desc_area_size(uint16_t size)
{
	return (uint64_t)size * VIRTQ_DESC_SIZE;
}

/* flags, idx, ring[size], used_event */
static uint64_t avail_area_size(uint16_t size)
{
	return AVAIL_RING + 2ull * size + 2;
}

/* flags, idx, ring[size], avail_event */
static uint64_t used_area_size(uint16_t size)
{
	return USED_RING + (uint64_t)USED_ELEM_SIZE * size + 2;
}

static uint16_t *avail_u16(const struct virtq *vq, uint64_t offset)
{
	return (uint16_t *)((uint8_t *)vq->avail + offset);
}

static void *used_at(const struct virtq *vq, uint64_t offset)
{
	return vq->used + offset;
}

/* A field of guest RAM the driver may change at any moment: read once,
 * atomically, so the compiler neither tears nor repeats the load. */
static uint16_t guest_load16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void guest_store16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static void guest_store32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* Tells the engines a device-side write of the used ring happened (vm/memory.h:
 * a software engine drops code it decoded from those bytes). */
static void used_written(const struct virtq *vq, uint64_t offset, uint64_t len)
{
	guest_memory_written(vq->mem, vq->layout.used_gpa + offset, len);
}

static uint16_t avail_idx(const struct virtq *vq)
{
	return guest_load16(avail_u16(vq, AVAIL_IDX));
}

static uint16_t avail_used_event(const struct virtq *vq)
{
	return guest_load16(avail_u16(vq, AVAIL_RING + 2ull * vq->layout.size));
}

static void used_set_avail_event(const struct virtq *vq, uint16_t v)
{
	uint64_t offset = USED_RING + (uint64_t)USED_ELEM_SIZE * vq->layout.size;

	guest_store16(used_at(vq, offset), v);
	used_written(vq, offset, 2);
}

static void used_set_flags(const struct virtq *vq, uint16_t v)
{
	guest_store16(used_at(vq, USED_FLAGS), v);
	used_written(vq, USED_FLAGS, 2);
}

void virtq_init(struct virtq *vq, const struct guest_memory *mem)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
}

static bool is_power_of_two(uint16_t v)
{
	return v && !(v & (v - 1));
}

/* Host view of a whole ring area, or NULL unless it is aligned and in RAM. */
static void *area_ptr(const struct virtq *vq, uint64_t gpa, uint64_t len, uint64_t align)
{
	if (gpa % align)
		return NULL;
	return guest_memory_ptr(vq->mem, gpa, len);
}

int virtq_enable(struct virtq *vq, const struct virtq_layout *layout)
{
	uint16_t size = layout->size;
	void *desc, *avail, *used;

	virtq_disable(vq);
	if (!is_power_of_two(size) || size > VIRTQ_MAX_SIZE)
		return VIRTQ_E_LAYOUT;
	desc = area_ptr(vq, layout->desc_gpa, desc_area_size(size), VIRTQ_DESC_ALIGN);
	avail = area_ptr(vq, layout->avail_gpa, avail_area_size(size), VIRTQ_AVAIL_ALIGN);
	used = area_ptr(vq, layout->used_gpa, used_area_size(size), VIRTQ_USED_ALIGN);
	if (!desc || !avail || !used)
		return VIRTQ_E_LAYOUT;
	vq->layout = *layout;
	if (!vq->layout.max_in_flight || vq->layout.max_in_flight > size)
		vq->layout.max_in_flight = size;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vq->notify_enabled = true;
	vq->enabled = true;
	return 0;
}

void virtq_disable(struct virtq *vq)
{
	const struct guest_memory *mem = vq->mem;

	virtq_init(vq, mem);
}

static int broken(struct virtq *vq, int err)
{
	vq->broken = true;
	return err;
}

/* One table a walk reads descriptors from: the queue's own, or an indirect one. */
struct desc_table {
	const uint8_t *host;
	uint32_t entries;
	bool indirect;
};

/* Copies descriptor i (< t->entries) out of guest RAM: every check and every
 * use afterwards sees this one copy, whatever the driver writes meanwhile. */
static struct virtq_desc desc_read(const struct desc_table *t, uint32_t i)
{
	struct virtq_desc d;

	memcpy(&d, t->host + (uint64_t)i * VIRTQ_DESC_SIZE, sizeof(d));
	return d;
}

/* Switches the walk to the indirect table d names, after the rules of
 * §2.7.5.3.1: negotiated, not inside another table, without NEXT, and holding
 * a whole number of descriptors, at least one and at most the queue size (a
 * chain is never longer than the queue). */
static int enter_indirect(const struct virtq *vq, const struct virtq_desc *d, struct desc_table *t)
{
	if (!vq->layout.indirect)
		return VIRTQ_E_INDIRECT_OFF;
	if (t->indirect)
		return VIRTQ_E_INDIRECT_NESTED;
	if (d->flags & VIRTQ_DESC_F_NEXT)
		return VIRTQ_E_INDIRECT_NEXT;
	if (d->len == 0 || d->len % VIRTQ_DESC_SIZE || d->len / VIRTQ_DESC_SIZE > vq->layout.size)
		return VIRTQ_E_INDIRECT_LEN;
	t->host = guest_memory_ptr(vq->mem, d->addr, d->len);
	if (!t->host)
		return VIRTQ_E_BUFFER_RANGE;
	t->entries = d->len / VIRTQ_DESC_SIZE;
	t->indirect = true;
	return 0;
}

/* Appends d's buffer to the chain after checking it lies in RAM, keeps the
 * readable-before-writable order (§2.7.4.2) and the byte totals in 32 bits
 * (a used length is 32 bits). */
static int add_segment(const struct virtq *vq, struct virtq_chain *c, const struct virtq_desc *d)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	uint64_t total = (uint64_t)(writable ? c->writable : c->readable) + d->len;
	void *host;

	/* Asked of the previous segment, not of the writable byte count: a
	 * zero-length writable descriptor still orders the chain. */
	if (!writable && c->nsegs && c->segs[c->nsegs - 1].writable)
		return VIRTQ_E_ORDER;
	if (total > UINT32_MAX)
		return VIRTQ_E_CHAIN_BYTES;
	if (c->nsegs == c->cap)
		return VIRTQ_E_TOO_MANY_SEGS;
	host = guest_memory_ptr(vq->mem, d->addr, d->len);
	if (!host)
		return VIRTQ_E_BUFFER_RANGE;
	c->segs[c->nsegs++] = (struct virtq_seg){ .host = host, .gpa = d->addr, .len = d->len, .writable = writable };
	if (writable)
		c->writable = (uint32_t)total;
	else
		c->readable = (uint32_t)total;
	return 0;
}

/* Walks the chain from head. A walk that visits more descriptors than its
 * table holds has visited one twice (pigeonhole), so one bound both ends
 * every loop and keeps a chain no longer than its table. */
static int walk_chain(const struct virtq *vq, uint16_t head, struct virtq_chain *c)
{
	struct desc_table t = { .host = vq->desc, .entries = vq->layout.size, .indirect = false };
	uint32_t i = head, visited = 0;

	c->nsegs = 0;
	c->head = head;
	c->readable = 0;
	c->writable = 0;
	for (;;) {
		struct virtq_desc d;
		int err;

		if (++visited > t.entries)
			return VIRTQ_E_CHAIN_LOOP;
		d = desc_read(&t, i);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			err = enter_indirect(vq, &d, &t);
			if (err)
				return err;
			i = 0;
			visited = 0;
			continue;
		}
		err = add_segment(vq, c, &d);
		if (err)
			return err;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= t.entries)
			return VIRTQ_E_NEXT_RANGE;
		i = d.next;
	}
}

int virtq_pop(struct virtq *vq, struct virtq_chain *chain)
{
	uint16_t size = vq->layout.size, pending, head;
	int err;

	if (!vq->enabled)
		return 0;
	if (vq->broken)
		return VIRTQ_E_BROKEN;
	pending = (uint16_t)(avail_idx(vq) - vq->last_avail);
	if (pending > size)
		return broken(vq, VIRTQ_E_AVAIL_JUMP);
	if (!pending || vq->in_flight >= vq->layout.max_in_flight)
		return 0;
	/* The ring entry and the descriptors were written before the index the
	 * driver published (§2.7.13): read them only after it. */
	atomic_thread_fence(memory_order_acquire);
	head = guest_load16(avail_u16(vq, AVAIL_RING + 2ull * (vq->last_avail & (size - 1))));
	if (head >= size)
		return broken(vq, VIRTQ_E_HEAD_RANGE);
	if (vq->head_in_flight[head])
		return broken(vq, VIRTQ_E_HEAD_IN_FLIGHT);
	err = walk_chain(vq, head, chain);
	if (err)
		return broken(vq, err);
	vq->last_avail++;
	vq->head_in_flight[head] = true;
	vq->head_writable[head] = chain->writable;
	vq->in_flight++;
	/* §2.7.10: the driver notifies when it passes avail_event; keep it at the
	 * next entry we have not seen, so no new chain goes unannounced. */
	if (vq->layout.event_idx && vq->notify_enabled)
		used_set_avail_event(vq, vq->last_avail);
	return 1;
}

int virtq_push(struct virtq *vq, uint16_t head, uint32_t written)
{
	uint64_t elem;
	uint32_t *slot;

	if (!vq->enabled || vq->broken)
		return VIRTQ_E_BROKEN;
	if (head >= vq->layout.size || !vq->head_in_flight[head])
		return VIRTQ_E_NOT_IN_FLIGHT;
	if (written > vq->head_writable[head])
		return broken(vq, VIRTQ_E_WRITTEN);
	elem = USED_RING + (uint64_t)USED_ELEM_SIZE * (vq->used_idx & (vq->layout.size - 1u));
	slot = used_at(vq, elem);
	guest_store32(&slot[0], head);
	guest_store32(&slot[1], written);
	/* The element, and the buffer bytes the back end wrote before calling,
	 * must be visible before the index that publishes them (§2.7.13). */
	atomic_thread_fence(memory_order_release);
	vq->used_idx++;
	guest_store16(used_at(vq, USED_IDX), vq->used_idx);
	used_written(vq, elem, USED_ELEM_SIZE);
	used_written(vq, USED_IDX, 2);
	vq->head_in_flight[head] = false;
	vq->in_flight--;
	return 0;
}

/* §2.7.7.2 with EVENT_IDX: notify when used_event is one of the indexes
 * [old, new) just filled, computed modulo 2^16 so that wrapping indexes work. */
static bool used_event_crossed(uint16_t used_event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - used_event - 1) < (uint16_t)(new_idx - old_idx);
}

bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old_idx = vq->signalled, new_idx = vq->used_idx;

	if (!vq->enabled || old_idx == new_idx)
		return false;
	vq->signalled = new_idx;
	/* Our used->idx store must be visible before we read the driver's
	 * suppression field, or a driver re-enabling interrupts meanwhile could
	 * miss both the index and the interrupt: a store-load order, so a full
	 * fence (the driver has the mirror one). */
	atomic_thread_fence(memory_order_seq_cst);
	if (vq->layout.event_idx)
		return used_event_crossed(avail_used_event(vq), new_idx, old_idx);
	return !(guest_load16(avail_u16(vq, AVAIL_FLAGS)) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

void virtq_disable_notify(struct virtq *vq)
{
	if (!vq->enabled)
		return;
	vq->notify_enabled = false;
	/* With EVENT_IDX, avail_event simply stays behind: the driver notifies
	 * at most once more. */
	if (!vq->layout.event_idx)
		used_set_flags(vq, VIRTQ_USED_F_NO_NOTIFY);
}

bool virtq_enable_notify(struct virtq *vq)
{
	if (!vq->enabled)
		return false;
	vq->notify_enabled = true;
	if (vq->layout.event_idx)
		used_set_avail_event(vq, vq->last_avail);
	else
		used_set_flags(vq, 0);
	/* The request must be visible before we look at avail->idx again: a
	 * chain added before the driver saw it would otherwise be missed by both
	 * sides (store-load, hence a full fence). */
	atomic_thread_fence(memory_order_seq_cst);
	return avail_idx(vq) != vq->last_avail;
}

uint32_t virtq_chain_read(const struct virtq_chain *chain, uint32_t offset, void *dst, uint32_t len)
{
	uint8_t *out = dst;
	uint32_t done = 0;

	for (unsigned i = 0; i < chain->nsegs && done < len && !chain->segs[i].writable; i++) {
		const struct virtq_seg *s = &chain->segs[i];
		uint32_t n;

		if (offset >= s->len) {
			offset -= s->len;
			continue;
		}
		n = s->len - offset < len - done ? s->len - offset : len - done;
		memcpy(out + done, (const uint8_t *)s->host + offset, n);
		done += n;
		offset = 0;
	}
	return done;
}

uint32_t virtq_chain_write(const struct virtq *vq, const struct virtq_chain *chain, uint32_t offset, const void *src,
			   uint32_t len)
{
	const uint8_t *in = src;
	uint32_t done = 0;

	for (unsigned i = 0; i < chain->nsegs && done < len; i++) {
		const struct virtq_seg *s = &chain->segs[i];
		uint32_t n;

		if (!s->writable)
			continue;
		if (offset >= s->len) {
			offset -= s->len;
			continue;
		}
		n = s->len - offset < len - done ? s->len - offset : len - done;
		memcpy((uint8_t *)s->host + offset, in + done, n);
		guest_memory_written(vq->mem, s->gpa + offset, n);
		done += n;
		offset = 0;
	}
	return done;
}

const char *virtq_error_text(int err)
{
	switch (err) {
	case VIRTQ_E_LAYOUT:
		return "queue size, alignment or ring address invalid";
	case VIRTQ_E_BROKEN:
		return "queue already broken";
	case VIRTQ_E_AVAIL_JUMP:
		return "available index moved by more than the queue size";
	case VIRTQ_E_HEAD_RANGE:
		return "available ring entry beyond the descriptor table";
	case VIRTQ_E_HEAD_IN_FLIGHT:
		return "chain offered again while in flight";
	case VIRTQ_E_NEXT_RANGE:
		return "descriptor next beyond its table";
	case VIRTQ_E_CHAIN_LOOP:
		return "descriptor chain loops";
	case VIRTQ_E_BUFFER_RANGE:
		return "buffer not wholly in guest RAM";
	case VIRTQ_E_ORDER:
		return "readable descriptor after a writable one";
	case VIRTQ_E_INDIRECT_OFF:
		return "indirect descriptor without VIRTIO_F_INDIRECT_DESC";
	case VIRTQ_E_INDIRECT_NEXT:
		return "indirect descriptor with NEXT";
	case VIRTQ_E_INDIRECT_NESTED:
		return "indirect descriptor inside an indirect table";
	case VIRTQ_E_INDIRECT_LEN:
		return "indirect table length invalid";
	case VIRTQ_E_TOO_MANY_SEGS:
		return "chain has more buffers than the device takes";
	case VIRTQ_E_CHAIN_BYTES:
		return "chain longer than 4 GiB";
	case VIRTQ_E_NOT_IN_FLIGHT:
		return "used chain was not in flight";
	case VIRTQ_E_WRITTEN:
		return "used length beyond the chain's writable bytes";
	default:
		return "unknown error";
	}
}
