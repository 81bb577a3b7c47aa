#include "devices/virtio/virtio_mmio.h"

#include "devices/virtio/virtio.h"

/* The transport's part of a virtio device's section (docs/snapshot-format.md):
 *   u32 part version (VIRTIO_MMIO_STATE_VERSION), u8 queue count,
 *   u64 driver features, u32 DeviceFeaturesSel, u32 DriverFeaturesSel,
 *   u32 QueueSel, u32 Status, u32 InterruptStatus, u32 ConfigGeneration,
 *   then per queue: u16 QueueNum, bool QueueReady, u64 desc, driver and
 *   device area addresses, and for a ready queue bool event_idx, bool
 *   indirect (what was negotiated when it was enabled) and the virtqueue's
 *   own state (virtq_state_save).
 * Then the back end's own part. DeviceFeatures is not saved: it is the
 * configuration's (the back end and, for a disk, read-only or not). */

#define STATUS_BITS                                                                                                    \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK |      \
	 VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED)
#define INTERRUPT_BITS (VIRTIO_MMIO_INT_USED | VIRTIO_MMIO_INT_CONFIG)

/* Called with the device lock held. */
static void save_queue(const struct virtio_mmio_queue *q, struct state_writer *w)
{
	state_put_u16(w, q->num);
	state_put_bool(w, q->ready);
	state_put_u64(w, q->desc_gpa);
	state_put_u64(w, q->driver_gpa);
	state_put_u64(w, q->device_gpa);
	if (!q->ready)
		return;
	state_put_bool(w, q->vq.layout.event_idx);
	state_put_bool(w, q->vq.layout.indirect);
	virtq_state_save(&q->vq, w);
}

static void save_transport(struct virtio_mmio *dev, struct state_writer *w)
{
	pthread_mutex_lock(&dev->lock);
	state_put_u32(w, VIRTIO_MMIO_STATE_VERSION);
	state_put_u8(w, (uint8_t)dev->ops->num_queues);
	state_put_u64(w, dev->driver_features);
	state_put_u32(w, dev->device_features_sel);
	state_put_u32(w, dev->driver_features_sel);
	state_put_u32(w, dev->queue_sel);
	state_put_u32(w, dev->status);
	state_put_u32(w, dev->interrupt_status);
	state_put_u32(w, dev->config_generation);
	for (unsigned q = 0; q < dev->ops->num_queues; q++)
		save_queue(&dev->queues[q], w);
	pthread_mutex_unlock(&dev->lock);
}

/* §3.1.1: FEATURES_OK stands only for VERSION_1 and nothing not offered. */
static bool features_ok_valid(const struct virtio_mmio *dev)
{
	if (!(dev->status & VIRTIO_STATUS_FEATURES_OK))
		return true;
	return (dev->driver_features & VIRTIO_F_VERSION_1) && !(dev->driver_features & ~dev->device_features);
}

/* A ring feature a queue was enabled with must have been negotiated: the
 * driver features freeze at FEATURES_OK until a reset disables the queue. */
static bool ring_feature_valid(const struct virtio_mmio *dev, bool used, uint64_t bit)
{
	return !used || ((dev->status & VIRTIO_STATUS_FEATURES_OK) && (dev->driver_features & bit));
}

/* A ready queue's ring state. What queue_enable would refuse (a size not a
 * power of two or above QueueNumMax, rings unaligned or not in RAM) is
 * refused here. Called with the device lock held. */
static void load_ready_queue(struct virtio_mmio *dev, struct virtio_mmio_queue *q, struct state_reader *r)
{
	struct virtq_layout layout = { .size = q->num,
				       .desc_gpa = q->desc_gpa,
				       .avail_gpa = q->driver_gpa,
				       .used_gpa = q->device_gpa,
				       .event_idx = state_get_bool(r),
				       .indirect = state_get_bool(r),
				       .max_in_flight = dev->ops->max_in_flight };

	if (!state_reader_ok(r, false) || q->num > dev->ops->queue_num_max ||
	    !ring_feature_valid(dev, layout.event_idx, VIRTIO_F_EVENT_IDX) ||
	    !ring_feature_valid(dev, layout.indirect, VIRTIO_F_INDIRECT_DESC)) {
		state_reader_fail(r);
		return;
	}
	if (virtq_state_load(&q->vq, &layout, r))
		return;
	/* The drain leaves nothing in flight, and a queue breaks only with
	 * the device needing reset. */
	if ((q->vq.in_flight || q->vq.broken) && !(dev->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		state_reader_fail(r);
}

static void load_queue(struct virtio_mmio *dev, struct virtio_mmio_queue *q, struct state_reader *r)
{
	q->num = state_get_u16(r);
	q->ready = state_get_bool(r);
	q->desc_gpa = state_get_u64(r);
	q->driver_gpa = state_get_u64(r);
	q->device_gpa = state_get_u64(r);
	/* Registers of a queue not ready hold whatever the driver wrote; they
	 * are checked when it sets QueueReady. */
	if (q->ready && state_reader_ok(r, false))
		load_ready_queue(dev, q, r);
}

/* Every register overwritten; the interrupt line follows InterruptStatus. */
static int load_transport(struct virtio_mmio *dev, struct state_reader *r)
{
	uint32_t version = state_get_u32(r);
	uint8_t nqueues = state_get_u8(r);
	bool ok;

	if (version == 0 || version > VIRTIO_MMIO_STATE_VERSION || nqueues != dev->ops->num_queues) {
		state_reader_fail(r);
		return -1;
	}
	pthread_mutex_lock(&dev->lock);
	for (unsigned q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++) {
		virtq_disable(&dev->queues[q].vq);
		dev->queues[q].ready = false;
	}
	dev->driver_features = state_get_u64(r);
	dev->device_features_sel = state_get_u32(r);
	dev->driver_features_sel = state_get_u32(r);
	dev->queue_sel = state_get_u32(r);
	dev->status = state_get_u32(r);
	dev->interrupt_status = state_get_u32(r);
	dev->config_generation = state_get_u32(r);
	if ((dev->status & ~STATUS_BITS) || (dev->interrupt_status & ~INTERRUPT_BITS) || !features_ok_valid(dev))
		state_reader_fail(r);
	for (unsigned q = 0; q < nqueues && state_reader_ok(r, false); q++)
		load_queue(dev, &dev->queues[q], r);
	ok = state_reader_ok(r, false);
	if (ok) {
		dev->line_level = dev->interrupt_status != 0;
		irq_line_set(&dev->irq, dev->line_level);
	}
	pthread_mutex_unlock(&dev->lock);
	return ok ? 0 : -1;
}

/* What a section's save, load or reset does under the worker's lock. */
struct state_job {
	struct virtio_mmio *dev;
	const struct virtio_state_part *own;
	struct state_writer *w;
	struct state_reader *r;
	uint32_t version;
	int result;
};

static void save_job(void *opaque)
{
	struct state_job *j = opaque;

	save_transport(j->dev, j->w);
	if (j->own->save)
		j->own->save(j->dev->opaque, j->w);
}

static void reset_job(void *opaque)
{
	struct state_job *j = opaque;

	virtio_mmio_power_on_reset(j->dev);
	if (j->own->reset)
		j->own->reset(j->dev->opaque);
}

static void load_job(void *opaque)
{
	struct state_job *j = opaque;

	j->result = load_transport(j->dev, j->r);
	if (!j->result && j->own->load)
		j->result = j->own->load(j->dev->opaque, j->r, j->version);
	if (j->result || !state_reader_ok(j->r, false)) {
		state_reader_fail(j->r);
		j->result = -1;
		reset_job(j);
	}
}

void virtio_mmio_state_save(struct virtio_mmio *dev, const struct virtio_state_part *own, struct state_writer *w)
{
	struct state_job j = { .dev = dev, .own = own, .w = w };

	virtio_worker_quiesce(&dev->worker, save_job, &j);
}

int virtio_mmio_state_load(struct virtio_mmio *dev, const struct virtio_state_part *own, struct state_reader *r,
			   uint32_t version)
{
	struct state_job j = { .dev = dev, .own = own, .r = r, .version = version };

	virtio_worker_quiesce(&dev->worker, load_job, &j);
	/* Chains the driver made available before the save, notified or not
	 * (a kick not yet served, a work that yielded after its burst), are
	 * still in the avail ring: the restored device looks at every queue. */
	if (!j.result)
		virtio_mmio_kick(dev);
	return j.result;
}

void virtio_mmio_state_reset(struct virtio_mmio *dev, const struct virtio_state_part *own)
{
	struct state_job j = { .dev = dev, .own = own };

	virtio_worker_quiesce(&dev->worker, reset_job, &j);
}
