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

/* What serving a queue needs, kept in the back end (its worker's work is
 * virtio_serve_run with this as opaque). serve() handles one popped chain and
 * pushes it; false ends the run (the device needs reset, or the push
 * failed). segs: the back end's segment array for one chain, cap entries. */
struct virtio_serve {
	struct virtio_mmio *mmio;
	unsigned queue;
	struct virtio_worker *worker;
	unsigned max_per_run;
	bool (*serve)(void *opaque, const struct virtq_chain *chain);
	void *opaque;
	struct virtq_seg *segs;
	unsigned cap;
};

/* A worker's work (virtio_worker_init): serves what is available. On the I/O
 * thread, under the worker's lock. */
void virtio_serve_run(void *serve);

#endif
