#include "devices/virtio/virtio_serve.h"

void virtio_serve_run(struct virtio_mmio *mmio, const struct virtio_serve *how, struct virtq_seg *segs, unsigned cap)
{
	struct virtq_chain chain = { .segs = segs, .cap = cap };
	unsigned served = 0;

	virtio_mmio_disable_notify(mmio, how->queue);
	while (virtio_mmio_pop_next(mmio, how->queue, &chain) > 0) {
		bool ok = how->serve(mmio->opaque, &chain);

		served += ok;
		if (!ok)
			break;
		if (served == how->max_per_run) {
			/* More may wait: run again after the I/O thread's other work. */
			virtio_mmio_kick(mmio);
			break;
		}
	}
	if (served)
		virtio_mmio_notify_used(mmio, how->queue);
}
