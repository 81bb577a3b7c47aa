/* The loop a back end's work runs for a queue it serves chain by chain
 * (virtio_mmio.h's ops->work, on the I/O thread): notifications off while it
 * pops, each chain served, at most a bounded number per run before it
 * yields the I/O thread (kicking the work to go on), notifications back on
 * when the ring is empty with one more look (virtio_mmio_pop_next), and the
 * driver interrupted once for all that was pushed, if it wants that. */
#ifndef RV_VIRTIO_SERVE_H
#define RV_VIRTIO_SERVE_H

#include <stdbool.h>

#include "devices/virtio/virtio_mmio.h"

/* How a device type serves one of its queues: a constant of the back end.
 * serve() handles one popped chain and pushes it; opaque is the back end's
 * (the one given to virtio_mmio_init); false ends the run (the device needs
 * reset, or the push failed). */
struct virtio_serve {
	unsigned queue;
	unsigned max_per_run;
	bool (*serve)(void *opaque, const struct virtq_chain *chain);
};

/* Serves what the queue holds, each chain popped into segs (cap entries, the
 * back end's: one chain at a time). In the work, under the worker's lock. */
void virtio_serve_run(struct virtio_mmio *mmio, const struct virtio_serve *how, struct virtq_seg *segs, unsigned cap);

#endif
