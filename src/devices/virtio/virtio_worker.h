/* Where a virtio back end's work runs: on the I/O thread (host/event_loop.h),
 * never on the vCPU thread that notified. Each virtio-mmio transport owns one
 * (virtio_mmio.h) and kicks it on a queue notification (one eventfd write);
 * the I/O thread then calls work() under the worker's lock. A reset (vCPU
 * thread) calls virtio_worker_quiesce, which returns once no work() is
 * running and the back end's reset, if any, has run under the lock: a chain
 * popped before the reset is then pushed, or its push has failed, and
 * nothing more is written into it (virtio_mmio.h: once the driver's Status
 * write completes, nothing from before the reset is pushed).
 *
 * Lock order: worker lock -> the transport's device lock -> the interrupt
 * controllers (vm/platform.h). work() runs with the worker lock held and
 * takes the device lock only inside the transport's calls; quiesce is called
 * with no lock held (the transport drops its lock first). */
#ifndef RV_VIRTIO_WORKER_H
#define RV_VIRTIO_WORKER_H

#include <pthread.h>

#include "host/event_loop.h"
#include "host/notifier.h"

struct virtio_worker {
	struct notifier kick;
	struct event_source source; /* register on the I/O thread's loop */
	pthread_mutex_t lock;	    /* held while work() runs */
	void (*work)(void *opaque);
	void *opaque;
};

/* 0, or -1 with errno set. */
int virtio_worker_init(struct virtio_worker *w, void (*work)(void *opaque), void *opaque);
/* Any thread: work() will run on the I/O thread (once for any number of
 * kicks before it starts). */
void virtio_worker_kick(struct virtio_worker *w);
/* Waits until no work() is running, then calls then(opaque), if then is not
 * NULL, before any work() may start again: the two never overlap, so then()
 * may touch what work() owns (any thread but the I/O thread; no lock held). */
void virtio_worker_quiesce(struct virtio_worker *w, void (*then)(void *opaque), void *opaque);
/* Runs the work now on the calling thread if it was kicked: what the I/O
 * thread does when the kick's fd is readable (unit tests call it directly). */
void virtio_worker_run(struct virtio_worker *w);
void virtio_worker_destroy(struct virtio_worker *w);

#endif
