/* The loop every request-serving back end runs on the I/O thread for one
 * queue (virtio_worker.h's work): notifications off while it pops, each chain
 * served, at most a bounded number per run before it yields the I/O thread
 * (kicking its worker to go on), notifications back on when the ring is
 * empty with one more look (§2.7.10: the driver may have added chains just
 * before, without notifying), and the driver interrupted once for all that
 * was pushed, if it wants that. */
#ifndef RV_VIRTIO_SERVE_H
#define RV_VIRTIO_SERVE_H

#include <stdbool.h>

#include "devices/virtio/virtio_mmio.h"
#include "devices/virtio/virtio_worker.h"

/* What serving a queue needs. serve() handles one popped chain and pushes it;
 * false ends the run (the device needs reset, or the push failed). */
struct virtio_serve {
	struct virtio_mmio *mmio;
	unsigned queue;
	struct virtio_worker *worker;
	unsigned max_per_run;
	bool (*serve)(void *opaque, const struct virtq_chain *chain);
	void *opaque;
};

/* Serves what is available, with chain's segs and cap set by the caller. */
void virtio_serve_queue(const struct virtio_serve *s, struct virtq_chain *chain);

#endif
