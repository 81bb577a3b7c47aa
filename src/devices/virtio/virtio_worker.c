#include "devices/virtio/virtio_worker.h"

static void kicked(void *opaque)
{
	virtio_worker_run(opaque);
}

int virtio_worker_init(struct virtio_worker *w, void (*work)(void *opaque), void *opaque)
{
	if (notifier_init(&w->kick))
		return -1;
	pthread_mutex_init(&w->lock, NULL);
	w->work = work;
	w->opaque = opaque;
	w->source = (struct event_source){ .fd = w->kick.fd, .handler = kicked, .opaque = w };
	return 0;
}

void virtio_worker_kick(struct virtio_worker *w)
{
	notifier_signal(&w->kick);
}

void virtio_worker_quiesce(struct virtio_worker *w, void (*then)(void *opaque), void *opaque)
{
	pthread_mutex_lock(&w->lock);
	if (then)
		then(opaque);
	pthread_mutex_unlock(&w->lock);
}

void virtio_worker_run(struct virtio_worker *w)
{
	/* Consumed before the work, so a kick that comes while it runs makes it
	 * run again rather than being lost. */
	if (!notifier_consume(&w->kick))
		return;
	pthread_mutex_lock(&w->lock);
	w->work(w->opaque);
	pthread_mutex_unlock(&w->lock);
}

void virtio_worker_destroy(struct virtio_worker *w)
{
	if (w->kick.fd < 0)
		return;
	notifier_destroy(&w->kick);
	pthread_mutex_destroy(&w->lock);
}
