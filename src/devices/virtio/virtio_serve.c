#include "devices/virtio/virtio_serve.h"

/* The next chain: 1, or 0 when there is none (notifications are enabled
 * again then, and chains that came meanwhile are taken), or negative when
 * the device needs reset. */
static int next_chain(const struct virtio_serve *s, struct virtq_chain *chain)
{
	int r = virtio_mmio_pop(s->mmio, s->queue, chain);

	if (r != 0)
		return r;
	if (!virtio_mmio_enable_notify(s->mmio, s->queue))
		return 0;
	virtio_mmio_disable_notify(s->mmio, s->queue);
	return virtio_mmio_pop(s->mmio, s->queue, chain);
}

void virtio_serve_run(void *serve)
{
	const struct virtio_serve *s = serve;
	struct virtq_chain chain = { .segs = s->segs, .cap = s->cap };
	unsigned served = 0;

	virtio_mmio_disable_notify(s->mmio, s->queue);
	while (next_chain(s, &chain) > 0) {
		bool ok = s->serve(s->opaque, &chain);

		served += ok;
		if (!ok)
			break;
		if (served == s->max_per_run) {
			/* More may wait: run again after the I/O thread's other work. */
			virtio_worker_kick(s->worker);
			break;
		}
	}
	if (served)
		virtio_mmio_notify_used(s->mmio, s->queue);
}
