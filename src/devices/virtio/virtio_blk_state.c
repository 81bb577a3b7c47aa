#include "devices/virtio/virtio_blk.h"

#include "log.h"

/* virtio-blk's own part, after the transport's (docs/snapshot-format.md):
 *   u64 capacity in sectors, bool read-only.
 * Both are the disk's, which the configuration names (a restore may give
 * another path); they are saved so that a restore onto a disk the guest
 * would not recognise, of another size or mode, is refused rather than
 * shown to a driver that read the configuration space long ago. Requests
 * have no state of their own: each is served whole within one run of the
 * work (the drain, virtio_mmio.h). */

static void blk_save_own(void *opaque, struct state_writer *w)
{
	const struct virtio_blk *blk = opaque;

	state_put_u64(w, blk->disk.sectors);
	state_put_bool(w, blk->disk.ro);
}

static int blk_load_own(void *opaque, struct state_reader *r, uint32_t version)
{
	const struct virtio_blk *blk = opaque;
	uint64_t sectors = state_get_u64(r);
	bool ro = state_get_bool(r);

	(void)version;
	if (!state_reader_ok(r, false))
		return -1;
	if (sectors != blk->disk.sectors || ro != blk->disk.ro) {
		log_warn("virtio-blk %s: the state is of a %s disk of %llu sectors; this one is %s with %llu",
			 blk->name, ro ? "read-only" : "read-write", (unsigned long long)sectors,
			 blk->disk.ro ? "read-only" : "read-write", (unsigned long long)blk->disk.sectors);
		state_reader_fail(r);
		return -1;
	}
	return 0;
}

static const struct virtio_state_part blk_own = { .save = blk_save_own, .load = blk_load_own };

static void blk_reset(void *dev)
{
	struct virtio_blk *blk = dev;

	virtio_mmio_state_reset(&blk->mmio, &blk_own);
}

static void blk_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct virtio_blk *blk = dev;

	(void)now_ns;
	virtio_mmio_state_save(&blk->mmio, &blk_own, w);
}

static int blk_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct virtio_blk *blk = dev;

	(void)now_ns;
	return virtio_mmio_state_load(&blk->mmio, &blk_own, r, version);
}

const struct device_state_ops virtio_blk_state_ops = {
	.version = 1, .reset = blk_reset, .save = blk_save, .load = blk_load
};
