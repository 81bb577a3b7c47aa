/* The split virtqueue (virtio 1.x §2.7), the one implementation every virtio
 * device uses: the device side of the descriptor table, the available ring and
 * the used ring, with VIRTIO_F_EVENT_IDX and VIRTIO_F_INDIRECT_DESC.
 *
 * The guest is hostile, and every value it controls is checked before use
 * (docs/architecture.md, "virtio"): the rings lie in RAM and are aligned; each
 * descriptor's buffer lies wholly in one RAM region (never MMIO, never past the
 * end, no wraparound: guest_memory_ptr); a walk visits at most as many
 * descriptors as its table holds, which also ends every loop; the indirect
 * rules of §2.7.5.3 (feature negotiated, a whole number of descriptors, no
 * larger than the queue, no nested table, never INDIRECT with NEXT);
 * device-writable descriptors come after readable ones; the available index
 * moves by at most the queue size; a head is never popped twice while in
 * flight. A violation returns a negative VIRTQ_E_* code and leaves the queue
 * broken: every later pop or push fails until virtq_disable. The transport turns
 * that into DEVICE_NEEDS_RESET; nothing here ends the VMM or logs.
 *
 * Each descriptor is copied out of guest RAM once and only the copy is checked
 * and used, so a guest rewriting its table meanwhile gains nothing.
 *
 * Memory ordering: the driver runs on another thread (a vCPU), so ring indexes
 * are read and written with atomic accesses and the orderings the spec's
 * §2.7.13 and §2.7.7 call for (fences in virtqueue.c). Guest RAM is plain
 * memory, not _Atomic objects, hence the __atomic builtins on it.
 *
 * Threads: a struct virtq is not locked; its owner serializes every call (the
 * virtio-mmio transport holds its device lock). Ring layout is little-endian,
 * which is the host's byte order. */
#ifndef RV_VIRTQUEUE_H
#define RV_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "state/state_stream.h"
#include "vm/memory.h"

/* The largest queue any device offers. A power of two (§2.7: split queue sizes
 * are), bounding the per-head state kept below. */
#define VIRTQ_MAX_SIZE 1024u
/* Segments a chain can have at most: up to size-1 direct descriptors ending in
 * an indirect table of up to size entries. An array this long never refuses a
 * valid chain; a back end may pass a shorter one and refuse longer chains. */
#define VIRTQ_CHAIN_MAX_SEGS (2 * VIRTQ_MAX_SIZE)

/* Descriptor flags (§2.7.5). */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
/* The driver's avail->flags and the device's used->flags (§2.7.6, §2.7.8). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY 1u
/* Bytes of one descriptor, and the alignments of §2.7 (table, avail, used). */
#define VIRTQ_DESC_SIZE 16u
#define VIRTQ_DESC_ALIGN 16u
#define VIRTQ_AVAIL_ALIGN 2u
#define VIRTQ_USED_ALIGN 4u

enum virtq_error {
	VIRTQ_E_LAYOUT = -1,	       /* enable: bad size, alignment, or ring not in RAM */
	VIRTQ_E_BROKEN = -2,	       /* an earlier violation; disable and enable again */
	VIRTQ_E_AVAIL_JUMP = -3,       /* avail->idx moved by more than the queue size */
	VIRTQ_E_HEAD_RANGE = -4,       /* an avail ring entry >= queue size */
	VIRTQ_E_HEAD_IN_FLIGHT = -5,   /* a head offered again before it was used */
	VIRTQ_E_NEXT_RANGE = -6,       /* desc.next >= its table's size */
	VIRTQ_E_CHAIN_LOOP = -7,       /* a walk longer than its table: a loop */
	VIRTQ_E_BUFFER_RANGE = -8,     /* a buffer not wholly in RAM */
	VIRTQ_E_ORDER = -9,	       /* a readable descriptor after a writable one */
	VIRTQ_E_INDIRECT_OFF = -10,    /* INDIRECT without VIRTIO_F_INDIRECT_DESC */
	VIRTQ_E_INDIRECT_NEXT = -11,   /* INDIRECT together with NEXT */
	VIRTQ_E_INDIRECT_NESTED = -12, /* INDIRECT inside an indirect table */
	VIRTQ_E_INDIRECT_LEN = -13,    /* table empty, not a multiple of 16, or > queue size */
	VIRTQ_E_TOO_MANY_SEGS = -14,   /* more segments than the caller's array */
	VIRTQ_E_CHAIN_BYTES = -15,     /* readable or writable bytes beyond 32 bits */
	VIRTQ_E_NOT_IN_FLIGHT = -16,   /* push of a head that was not popped */
	VIRTQ_E_WRITTEN = -17,	       /* push claims more bytes than the chain's writable ones */
};

/* One buffer of a chain: host address of guest RAM, its guest-physical address
 * (for guest_memory_written after writing it), and whether the device may
 * write it. */
struct virtq_seg {
	void *host;
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

/* A popped descriptor chain. The caller sets segs and cap; pop fills the rest.
 * Readable segments come first, then writable ones. */
struct virtq_chain {
	struct virtq_seg *segs;
	unsigned cap;
	unsigned nsegs;
	uint16_t head;	   /* the id to push back */
	uint32_t readable; /* total bytes of the readable segments */
	uint32_t writable; /* total bytes of the writable segments */
};

/* What the driver configured (§4.2.2: QueueNum, QueueDesc/Driver/Device) and
 * what was negotiated. */
struct virtq_layout {
	uint16_t size; /* a power of two, 1..VIRTQ_MAX_SIZE */
	uint64_t desc_gpa;
	uint64_t avail_gpa; /* the driver area */
	uint64_t used_gpa;  /* the device area */
	bool event_idx;	    /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;	    /* VIRTIO_F_INDIRECT_DESC negotiated */
	/* Chains popped and not yet pushed at most; pop answers "nothing" while
	 * this many are out, so a guest cannot make a back end hold unbounded
	 * work. 0 means the queue size. */
	uint16_t max_in_flight;
};

struct virtq {
	const struct guest_memory *mem;
	bool enabled;
	bool broken;
	struct virtq_layout layout;
	const uint8_t *desc; /* host views of the three areas */
	uint16_t *avail;     /* flags, idx, ring[size], used_event */
	uint8_t *used;	     /* flags, idx, {id, len}[size], avail_event */
	uint16_t last_avail; /* the next avail ring entry to pop */
	uint16_t used_idx;   /* the device's used->idx */
	uint16_t signalled;  /* used_idx when virtq_should_notify last decided */
	bool notify_enabled; /* driver notifications wanted (enable/disable_notify) */
	uint16_t in_flight;
	bool head_in_flight[VIRTQ_MAX_SIZE];
	uint32_t head_writable[VIRTQ_MAX_SIZE]; /* writable bytes of each chain out */
};

/* A disabled queue reading mem. */
void virtq_init(struct virtq *vq, const struct guest_memory *mem);

/* Checks the layout (size a power of two up to VIRTQ_MAX_SIZE, each area
 * aligned and wholly in RAM) and starts the queue at index 0 with driver
 * notifications enabled. 0, or VIRTQ_E_LAYOUT and the queue stays disabled. */
int virtq_enable(struct virtq *vq, const struct virtq_layout *layout);

/* Back to disabled: nothing in flight, not broken. */
void virtq_disable(struct virtq *vq);

/* Takes the next available chain into *chain. 1: a chain was popped; 0:
 * nothing to pop (none available, queue disabled, or max_in_flight chains
 * out); negative: a VIRTQ_E_* violation, the queue is now broken, and
 * *chain is undefined. */
int virtq_pop(struct virtq *vq, struct virtq_chain *chain);

/* Returns chain `head` as used with `written` bytes written to its writable
 * segments. 0, or negative: VIRTQ_E_NOT_IN_FLIGHT (nothing written, the queue
 * stays usable), VIRTQ_E_WRITTEN (the queue breaks: a used length the driver
 * would trust must never exceed what it offered), VIRTQ_E_BROKEN. The caller
 * announces the buffer bytes it wrote (guest_memory_written, or
 * virtq_chain_write does); the used ring writes are announced here. */
int virtq_push(struct virtq *vq, uint16_t head, uint32_t written);

/* After one or more pushes: whether to interrupt the driver (§2.7.7.2). With
 * EVENT_IDX, when the driver's used_event lies among the entries pushed since
 * the last call; without it, when anything was pushed and the driver has not
 * set VIRTQ_AVAIL_F_NO_INTERRUPT. */
bool virtq_should_notify(struct virtq *vq);

/* Driver notification suppression (§2.7.10). disable_notify asks the driver
 * not to notify (while the device is already popping); enable_notify asks
 * again and returns whether chains are available already, which the caller
 * must then pop, since the driver may have added them without notifying. */
void virtq_disable_notify(struct virtq *vq);
bool virtq_enable_notify(struct virtq *vq);

/* Saved state (virtqueue_state.c, docs/snapshot-format.md): what the device
 * side of an enabled queue keeps beyond its layout, which the owner saves
 * (the transport: the driver's registers). save writes the ring indices
 * (last_avail, used_idx, signalled), whether driver notifications are
 * wanted, whether the queue is broken, and the chains in flight (head and
 * writable bytes, heads ascending). load enables the queue with layout
 * (virtq_enable's checks: size, alignment, rings in RAM) and reads them
 * back, refusing what no run of the queue could reach: more chains in
 * flight than max_in_flight, a head beyond the queue or given twice,
 * indices whose distance is not the number in flight. Neither touches
 * guest RAM. 0, or -1 with r's error set and the queue disabled. */
void virtq_state_save(const struct virtq *vq, struct state_writer *w);
int virtq_state_load(struct virtq *vq, const struct virtq_layout *layout, struct state_reader *r);

/* A one-line description of a VIRTQ_E_* code, for logs. */
const char *virtq_error_text(int err);

/* Copies between a chain's segments and host memory, starting `offset` bytes
 * into its readable (read) or writable (write) bytes; return the bytes copied,
 * fewer when the chain ends first. write announces what it wrote. */
uint32_t virtq_chain_read(const struct virtq_chain *chain, uint32_t offset, void *dst, uint32_t len);
uint32_t virtq_chain_write(const struct virtq *vq, const struct virtq_chain *chain, uint32_t offset, const void *src,
			   uint32_t len);

#endif
