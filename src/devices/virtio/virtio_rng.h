/* virtio-rng, the entropy device (virtio 1.x §5.4): device ID 4, one queue
 * (requestq), no feature bits, no configuration space. The driver offers
 * device-writable buffers; the device fills them from the host's getrandom(2)
 * and returns each with the number of bytes written.
 *
 * What the spec asks, and how the guest's breaking it is answered:
 * - "The device MUST place one or more random bytes into the buffer, but it
 *   MAY use less than the entire buffer length": at most
 *   VIRTIO_RNG_CHAIN_MAX_BYTES are written per chain, so that no chain, however
 *   long the guest makes it, holds the I/O thread (or a reset waiting for it)
 *   for long.
 * - "The driver MUST NOT place device-readable buffers into the queue": a
 *   chain with a device-readable buffer, or with no device-writable byte (the
 *   device cannot place one), is a driver error; the device does not use it
 *   and sets DEVICE_NEEDS_RESET (§2.1.2), as for a malformed chain.
 *
 * Threads: the transport's registers on vCPU threads; the work (pop, fill,
 * push) on the I/O thread only, in the transport's worker, whose source the
 * creator registers on the I/O thread's event loop (virtio_mmio.h for the
 * locks). */
#ifndef RV_VIRTIO_RNG_H
#define RV_VIRTIO_RNG_H

#include <stdint.h>

#include "devices/irq.h"
#include "devices/virtio/virtio_mmio.h"
#include "state/device_state.h"
#include "vm/memory.h"

#define VIRTIO_RNG_QUEUE_SIZE 64
#define VIRTIO_RNG_CHAIN_MAX_BYTES 65536u
/* Chains served per run of the work before it yields the I/O thread (and
 * kicks itself to go on), so that other back ends and a reset get their turn. */
#define VIRTIO_RNG_CHAINS_PER_RUN 64

struct virtio_rng {
	struct virtio_mmio mmio; /* register its window on the MMIO bus */
	const struct guest_memory *mem;
	struct log_ratelimit log;
	/* The I/O thread's own (the worker's lock): the chain being served. */
	struct virtq_seg segs[2 * VIRTIO_RNG_QUEUE_SIZE];
	uint64_t bytes; /* served in all, for tests and statistics */
};

/* 0, or -1 with a reason in why. */
int virtio_rng_init(struct virtio_rng *rng, const struct guest_memory *mem, struct irq_line irq, char *why,
		    size_t why_len);
void virtio_rng_destroy(struct virtio_rng *rng);

/* Its saved state (virtio_rng_state.c, docs/snapshot-format.md): the
 * transport's part alone. */
extern const struct device_state_ops virtio_rng_state_ops;

#endif
