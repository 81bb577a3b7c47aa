#include "devices/virtio/virtio_rng.h"

/* virtio-rng keeps nothing beyond its transport and queue: each request is
 * filled and pushed within one run of the work (the drain, virtio_mmio.h),
 * so its section is the transport's part alone. */

static const struct virtio_state_part rng_own = { .save = NULL };

static void rng_reset(void *dev)
{
	struct virtio_rng *rng = dev;

	virtio_mmio_state_reset(&rng->mmio, &rng_own);
}

static void rng_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct virtio_rng *rng = dev;

	(void)now_ns;
	virtio_mmio_state_save(&rng->mmio, &rng_own, w);
}

static int rng_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct virtio_rng *rng = dev;

	(void)now_ns;
	return virtio_mmio_state_load(&rng->mmio, &rng_own, r, version);
}

const struct device_state_ops virtio_rng_state_ops = {
	.version = 1, .reset = rng_reset, .save = rng_save, .load = rng_load
};
