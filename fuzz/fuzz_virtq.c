/* The split virtqueue's parser (src/devices/virtio/virtqueue.c) against a
 * driver that writes anything: the input is guest RAM (rings, descriptors,
 * indirect tables), the queue's registers and starting index, and a short list
 * of what the driver and the device do next. Then everything available is
 * popped and everything popped is pushed.
 *
 *   header (16 bytes)
 *     0      queue size: 1 << (b % 11), 1..1024
 *     1      bit 0 EVENT_IDX, bit 1 INDIRECT_DESC, bit 2 ring addresses taken
 *            as given (else aligned down), bits 3-4 in-flight cap (none, 1, 2,
 *            half the queue), bit 5 a short segment array (byte 2 % 8 + 1)
 *     2      segment array length when bit 5 is set
 *     3      number of operations (3 bytes each) that follow the header
 *     4-5    starting index of both rings (as if that many chains had passed)
 *     6-11   offsets of the descriptor table, driver area and device area in
 *            the low region
 *   operations: op % 8, a, b
 *     0 pop      1 push the oldest chain out, written = a% of its writable bytes
 *     (a > 100: one byte more than it may)   2 should_notify
 *     3 disable_notify   4 enable_notify   5 the driver moves avail->idx by a
 *     6 push head a*256+b (mostly not in flight)   7 reset: disable, enable
 *   the rest: guest RAM from address 0 on
 *
 * RAM is two regions with guard pages around each (fuzz/support/guarded_ram.h):
 * 64 KiB at 0 and 4 KiB at 4 GiB, so that a buffer the checks let through in
 * error faults when touched. Checks (FINDING): every popped segment lies in one
 * region and its host pointer is that region's mapping of its address;
 * readable segments come before writable ones and add up to the chain's
 * totals; no more chains are out than the cap; a push of more than a chain's
 * writable bytes is refused, and so is a push of a head not out. FUZZ_VIRTQ_TRACE=1 prints each pop and push. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtqueue.h"
#include "support/virtio_ram.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER 16
#define FLAG_EVENT_IDX 0x01
#define FLAG_INDIRECT 0x02
#define FLAG_RAW_ADDRESSES 0x04
#define FLAG_SHORT_SEGS 0x20

static struct guarded_ram ram;
static struct virtq vq;
static struct virtq_seg segs[VIRTQ_CHAIN_MAX_SEGS];

/* Chains popped and not yet pushed, oldest first, with their writable bytes. */
static struct {
	uint16_t head;
	uint32_t writable;
} out[VIRTQ_MAX_SIZE];
static unsigned nout;
static bool trace; /* FUZZ_VIRTQ_TRACE=1: one line per pop and push */

static void finding(const char *what)
{
	fprintf(stderr, "FINDING: %s\n", what);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	virtio_fuzz_ram_init(&ram);
	trace = getenv("FUZZ_VIRTQ_TRACE") != NULL;
	return 0;
}

/* The region holding all of [gpa, gpa + len), by its own arithmetic. */
static const struct mem_region *region_of(uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < ram.mem.nregions; i++) {
		const struct mem_region *r = &ram.mem.region[i];

		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
			return r;
	}
	return NULL;
}

/* Touches the first and last byte of every segment (a guard page faults if
 * either is outside RAM) and checks what pop promised. */
static void check_chain(const struct virtq_chain *c, unsigned cap)
{
	uint64_t readable = 0, writable = 0;
	bool seen_writable = false;
	volatile uint8_t sink = 0;

	if (c->nsegs == 0 || c->nsegs > cap)
		finding("segment count outside 1..cap");
	for (unsigned i = 0; i < c->nsegs; i++) {
		const struct virtq_seg *s = &c->segs[i];
		const struct mem_region *r = region_of(s->gpa, s->len);

		if (!r || (uint8_t *)s->host != r->hva + (s->gpa - r->gpa))
			finding("segment outside guest RAM or host pointer wrong");
		if (!s->writable && seen_writable)
			finding("readable segment after a writable one");
		seen_writable |= s->writable;
		*(s->writable ? &writable : &readable) += s->len;
		if (s->len) {
			sink ^= ((uint8_t *)s->host)[0];
			sink ^= ((uint8_t *)s->host)[s->len - 1];
		}
		if (s->len && s->writable)
			((uint8_t *)s->host)[s->len - 1] = sink;
	}
	if (readable != c->readable || writable != c->writable)
		finding("chain totals differ from its segments");
}

static int do_pop(unsigned cap)
{
	struct virtq_chain c = { .segs = segs, .cap = cap };
	uint8_t buf[64];
	int r = virtq_pop(&vq, &c);

	if (trace)
		fprintf(stderr, "pop %d (%s) head %u segs %u readable %u writable %u\n", r,
			r < 0 ? virtq_error_text(r) : "", c.head, c.nsegs, c.readable, c.writable);
	if (r != 1)
		return r;
	check_chain(&c, cap);
	if (nout >= vq.layout.max_in_flight)
		finding("more chains out than the in-flight cap");
	out[nout].head = c.head;
	out[nout].writable = c.writable;
	nout++;
	virtq_chain_read(&c, c.readable / 2, buf, sizeof(buf));
	memset(buf, 0xa5, sizeof(buf));
	virtq_chain_write(&vq, &c, c.writable / 2, buf, sizeof(buf));
	return r;
}

static void do_push(unsigned percent)
{
	uint64_t written;
	int r;

	if (!nout)
		return;
	written = percent > 100 ? (uint64_t)out[0].writable + 1 : (uint64_t)out[0].writable * percent / 100;
	r = virtq_push(&vq, out[0].head, written > UINT32_MAX ? UINT32_MAX : (uint32_t)written);
	if (trace)
		fprintf(stderr, "push head %u written %llu: %d\n", out[0].head, (unsigned long long)written, r);
	if (written > out[0].writable && r == 0)
		finding("push beyond the writable bytes not refused");
	memmove(&out[0], &out[1], --nout * sizeof(out[0]));
}

/* The device pushes a head of its choosing: mostly not one in flight (refused),
 * but when it is, that chain is no longer out. */
static void push_any_head(uint16_t head, uint32_t written)
{
	if (virtq_push(&vq, head, written) != 0)
		return;
	for (unsigned i = 0; i < nout; i++) {
		if (out[i].head == head) {
			memmove(&out[i], &out[i + 1], (--nout - i) * sizeof(out[0]));
			return;
		}
	}
	finding("push of a head that was not out accepted");
}

static uint16_t max_in_flight(uint8_t flags, uint16_t size)
{
	static const uint16_t caps[] = { 0, 1, 2, 0 };
	unsigned which = (flags >> 3) & 3;

	return which == 3 ? (uint16_t)(size / 2) : caps[which];
}

static struct virtq_layout layout_of(const uint8_t *h)
{
	uint16_t size = (uint16_t)(1u << (h[0] % 11));
	bool raw = h[1] & FLAG_RAW_ADDRESSES;
	uint64_t desc = h[6] | h[7] << 8, avail = h[8] | h[9] << 8, used = h[10] | h[11] << 8;

	return (struct virtq_layout){ .size = size,
				      .desc_gpa = raw ? desc : desc & ~15ull,
				      .avail_gpa = raw ? avail : avail & ~1ull,
				      .used_gpa = raw ? used : used & ~3ull,
				      .event_idx = h[1] & FLAG_EVENT_IDX,
				      .indirect = h[1] & FLAG_INDIRECT,
				      .max_in_flight = max_in_flight(h[1], size) };
}

/* Starts the queue as if `start` chains had gone through it already, so that
 * the 16-bit indexes wrap within a short run. */
static void start_queue(const struct virtq_layout *l, uint16_t start)
{
	nout = 0;
	if (virtq_enable(&vq, l))
		return;
	vq.last_avail = vq.used_idx = vq.signalled = start;
}

static void driver_moves_avail_idx(const struct virtq_layout *l, uint8_t by)
{
	uint16_t *idx;

	if (!vq.enabled)
		return;
	idx = (uint16_t *)guarded_ram_ptr(&ram, l->avail_gpa + 2, 2);
	*idx = (uint16_t)(*idx + by);
}

static void run_op(const struct virtq_layout *l, unsigned cap, uint16_t start, const uint8_t *op)
{
	switch (op[0] % 8) {
	case 0:
		do_pop(cap);
		break;
	case 1:
		do_push(op[1]);
		break;
	case 2:
		virtq_should_notify(&vq);
		break;
	case 3:
		virtq_disable_notify(&vq);
		break;
	case 4:
		virtq_enable_notify(&vq);
		break;
	case 5:
		driver_moves_avail_idx(l, op[1]);
		break;
	case 6:
		push_any_head((uint16_t)(op[1] << 8 | op[2]), op[2]);
		break;
	case 7:
		virtq_disable(&vq);
		start_queue(l, start);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtq_layout l;
	unsigned cap, nops;
	uint16_t start;
	size_t image;

	if (size < HEADER)
		return 0;
	l = layout_of(data);
	cap = data[1] & FLAG_SHORT_SEGS ? data[2] % 8 + 1 : VIRTQ_CHAIN_MAX_SEGS;
	nops = data[3];
	start = (uint16_t)(data[4] | data[5] << 8);
	if ((size - HEADER) / 3 < nops)
		nops = (unsigned)((size - HEADER) / 3);
	image = size - HEADER - 3 * nops;
	virtio_fuzz_ram_load(&ram, data + HEADER + 3 * nops, image);

	virtq_init(&vq, &ram.mem);
	start_queue(&l, start);
	for (unsigned i = 0; i < nops; i++)
		run_op(&l, cap, start, data + HEADER + 3 * i);
	/* Then everything: pop what is available (at most the in-flight cap at a
	 * time), push all that is out, a few rounds. */
	for (unsigned round = 0; round < 4; round++) {
		while (do_pop(cap) == 1)
			;
		if (!nout)
			break;
		while (nout)
			do_push(100);
		virtq_should_notify(&vq);
	}
	return 0;
}
