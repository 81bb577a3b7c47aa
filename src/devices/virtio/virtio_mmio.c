#include "devices/virtio/virtio_mmio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devices/virtio/virtio.h"

/* Register offsets (virtio 1.x §4.2.2, Table 4.1). Each queue address
 * register *_LOW has its high dword 4 bytes above it. */
#define REG_MAGIC 0x000
#define REG_VERSION 0x004
#define REG_DEVICE_ID 0x008
#define REG_VENDOR_ID 0x00c
#define REG_DEVICE_FEATURES 0x010
#define REG_DEVICE_FEATURES_SEL 0x014
#define REG_DRIVER_FEATURES 0x020
#define REG_DRIVER_FEATURES_SEL 0x024
#define REG_QUEUE_SEL 0x030
#define REG_QUEUE_NUM_MAX 0x034
#define REG_QUEUE_NUM 0x038
#define REG_QUEUE_READY 0x044
#define REG_QUEUE_NOTIFY 0x050
#define REG_INTERRUPT_STATUS 0x060
#define REG_INTERRUPT_ACK 0x064
#define REG_STATUS 0x070
#define REG_QUEUE_DESC_LOW 0x080
#define REG_QUEUE_DRIVER_LOW 0x090
#define REG_QUEUE_DEVICE_LOW 0x0a0
#define REG_SHM_LEN_LOW 0x0b0
#define REG_SHM_LEN_HIGH 0x0b4
#define REG_CONFIG_GENERATION 0x0fc
#define REG_CONFIG 0x100

#define MMIO_MAGIC 0x74726976u
#define MMIO_VERSION 2u
#define ODD_ACCESS_LOG_LINES 16

/* What the transport and the shared queue implement for every device. */
#define TRANSPORT_FEATURES (VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX | VIRTIO_F_INDIRECT_DESC)
#define DRIVER_STATUS_BITS                                                                                             \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK |      \
	 VIRTIO_STATUS_FAILED)

static bool ops_valid(const struct virtio_device_ops *ops)
{
	uint16_t max = ops->queue_num_max;

	return ops->num_queues >= 1 && ops->num_queues <= VIRTIO_MMIO_MAX_QUEUES && max && !(max & (max - 1)) &&
	       max <= VIRTQ_MAX_SIZE && ops->config_size <= VIRTIO_MMIO_CONFIG_MAX &&
	       (!ops->config_size || ops->config_read) && ops->work;
}

int virtio_mmio_init(struct virtio_mmio *dev, const char *name, const struct guest_memory *mem,
		     const struct virtio_device_ops *ops, void *opaque, uint64_t device_features, struct irq_line irq,
		     char *why, size_t why_len)
{
	memset(dev, 0, sizeof(*dev));
	if (!ops_valid(ops)) {
		snprintf(why, why_len,
			 "internal error: virtio-mmio %s: the back end's ops break the transport's limits", name);
		return -1;
	}
	if (virtio_worker_init(&dev->worker, ops->work, opaque)) {
		snprintf(why, why_len, "virtio-mmio %s: eventfd: %s", name, strerror(errno));
		return -1;
	}
	pthread_mutex_init(&dev->lock, NULL);
	dev->name = name;
	dev->ops = ops;
	dev->opaque = opaque;
	dev->device_features = device_features | TRANSPORT_FEATURES;
	dev->irq = irq;
	dev->log = (struct log_ratelimit)LOG_RATELIMIT_INIT(ODD_ACCESS_LOG_LINES);
	for (unsigned q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++)
		virtq_init(&dev->queues[q].vq, mem);
	return 0;
}

void virtio_mmio_destroy(struct virtio_mmio *dev)
{
	virtio_worker_destroy(&dev->worker);
	pthread_mutex_destroy(&dev->lock);
}

void virtio_mmio_kick(struct virtio_mmio *dev)
{
	virtio_worker_kick(&dev->worker);
}

/* The line follows InterruptStatus; called with the lock held. */
static void update_line(struct virtio_mmio *dev)
{
	int level = dev->interrupt_status != 0;

	if (level != dev->line_level) {
		dev->line_level = level;
		irq_line_set(&dev->irq, level);
	}
}

static void raise_interrupt(struct virtio_mmio *dev, uint32_t bits)
{
	dev->interrupt_status |= bits;
	update_line(dev);
}

/* §2.1.2: the device needs a reset; a running driver hears of it through the
 * configuration-change interrupt. Called with the lock held. */
static void needs_reset_because(struct virtio_mmio *dev, unsigned q, const char *what)
{
	if (log_ratelimit_allow(&dev->log))
		log_warn("virtio-mmio %s: queue %u: %s; device needs reset", dev->name, q, what);
	if (dev->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	dev->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	if (dev->status & VIRTIO_STATUS_DRIVER_OK)
		raise_interrupt(dev, VIRTIO_MMIO_INT_CONFIG);
}

static void needs_reset(struct virtio_mmio *dev, unsigned q, int err)
{
	needs_reset_because(dev, q, virtq_error_text(err));
}

static struct virtio_mmio_queue *selected_queue(struct virtio_mmio *dev)
{
	return dev->queue_sel < dev->ops->num_queues ? &dev->queues[dev->queue_sel] : NULL;
}

/* The 32 bits of a 64-bit feature set that a select register names. */
static uint32_t feature_word(uint64_t features, uint32_t sel)
{
	return sel < 2 ? (uint32_t)(features >> (32 * sel)) : 0;
}

static uint32_t register_read(struct virtio_mmio *dev, uint64_t offset)
{
	struct virtio_mmio_queue *vq = selected_queue(dev);

	switch (offset) {
	case REG_MAGIC:
		return MMIO_MAGIC;
	case REG_VERSION:
		return MMIO_VERSION;
	case REG_DEVICE_ID:
		return dev->ops->device_id;
	case REG_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR_ID;
	case REG_DEVICE_FEATURES:
		return feature_word(dev->device_features, dev->device_features_sel);
	case REG_QUEUE_NUM_MAX:
		return vq ? dev->ops->queue_num_max : 0;
	case REG_QUEUE_READY:
		return vq ? vq->ready : 0;
	case REG_INTERRUPT_STATUS:
		return dev->interrupt_status;
	case REG_STATUS:
		return dev->status;
	case REG_SHM_LEN_LOW:
	case REG_SHM_LEN_HIGH:
		return 0xffffffffu; /* "a length of -1": no such region */
	case REG_CONFIG_GENERATION:
		return dev->config_generation;
	default:
		return 0;
	}
}

/* Resets everything the driver set up (§4.2.2.1: interrupt status and every
 * QueueReady clear). The generation survives: a driver compares it only
 * within one configuration read. Called with the lock held. */
static void reset_locked(struct virtio_mmio *dev)
{
	dev->status = 0;
	dev->driver_features = 0;
	dev->device_features_sel = 0;
	dev->driver_features_sel = 0;
	dev->queue_sel = 0;
	dev->interrupt_status = 0;
	update_line(dev);
	for (unsigned q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++) {
		struct virtio_mmio_queue *vq = &dev->queues[q];

		virtq_disable(&vq->vq);
		vq->num = 0;
		vq->ready = false;
		vq->desc_gpa = vq->driver_gpa = vq->device_gpa = 0;
	}
}

/* §3.1.1 step 5: the features must include VERSION_1 (this transport has no
 * legacy interface) and nothing the device did not offer. */
static bool features_acceptable(const struct virtio_mmio *dev)
{
	return (dev->driver_features & VIRTIO_F_VERSION_1) && !(dev->driver_features & ~dev->device_features);
}

/* What a Status write leaves for the caller to do once the lock is dropped. */
enum status_effect { STATUS_NOTHING, STATUS_RESET, STATUS_DRIVER_OK };

static enum status_effect status_write(struct virtio_mmio *dev, uint32_t value)
{
	uint32_t add = value & DRIVER_STATUS_BITS & ~dev->status;

	if (value == 0) {
		reset_locked(dev);
		return STATUS_RESET;
	}
	if ((add & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(dev))
		add &= ~VIRTIO_STATUS_FEATURES_OK;
	dev->status |= add;
	return add & VIRTIO_STATUS_DRIVER_OK ? STATUS_DRIVER_OK : STATUS_NOTHING;
}

/* The 64-bit queue address a register pair sets: low dword at the pair's
 * offset, high dword 4 bytes above. NULL for any other offset. */
static uint64_t *queue_address(struct virtio_mmio_queue *vq, uint64_t offset)
{
	switch (offset & ~4ull) {
	case REG_QUEUE_DESC_LOW:
		return &vq->desc_gpa;
	case REG_QUEUE_DRIVER_LOW:
		return &vq->driver_gpa;
	case REG_QUEUE_DEVICE_LOW:
		return &vq->device_gpa;
	default:
		return NULL;
	}
}

/* Sets dword `half` (0 low, 1 high) of a 64-bit register the driver writes
 * 32 bits at a time. */
static void set_half(uint64_t *v, unsigned half, uint32_t value)
{
	unsigned shift = 32 * half;

	*v = (*v & ~(0xffffffffull << shift)) | (uint64_t)value << shift;
}

/* QueueReady = 1: the layout the driver wrote must be one the queue takes. */
static void queue_enable(struct virtio_mmio *dev, struct virtio_mmio_queue *vq)
{
	uint64_t features = dev->status & VIRTIO_STATUS_FEATURES_OK ? dev->driver_features : 0;
	struct virtq_layout layout = { .size = vq->num,
				       .desc_gpa = vq->desc_gpa,
				       .avail_gpa = vq->driver_gpa,
				       .used_gpa = vq->device_gpa,
				       .event_idx = features & VIRTIO_F_EVENT_IDX,
				       .indirect = features & VIRTIO_F_INDIRECT_DESC,
				       .max_in_flight = dev->ops->max_in_flight };

	if (vq->num > dev->ops->queue_num_max || virtq_enable(&vq->vq, &layout)) {
		needs_reset(dev, (unsigned)(vq - dev->queues), VIRTQ_E_LAYOUT);
		return;
	}
	vq->ready = true;
}

static void queue_ready_write(struct virtio_mmio *dev, struct virtio_mmio_queue *vq, uint32_t value)
{
	if (value & 1) {
		if (!vq->ready)
			queue_enable(dev, vq);
		return;
	}
	virtq_disable(&vq->vq);
	vq->ready = false;
}

/* The registers that configure the selected queue; writes to them are
 * ignored while it is ready (§4.2.2.2: the driver must not touch them). */
static void queue_config_write(struct virtio_mmio *dev, uint64_t offset, uint32_t value)
{
	struct virtio_mmio_queue *vq = selected_queue(dev);
	uint64_t *address;

	if (!vq || vq->ready)
		return;
	if (offset == REG_QUEUE_NUM) {
		vq->num = value > UINT16_MAX ? 0 : (uint16_t)value; /* 0 fails at QueueReady */
		return;
	}
	address = queue_address(vq, offset);
	if (address)
		set_half(address, (offset & 4) != 0, value);
}

/* A queue the device works on now: it exists and is ready, and the device
 * runs (DRIVER_OK) and is not waiting for a reset (§3.1.1: no buffers are
 * consumed before DRIVER_OK). */
static bool queue_live(const struct virtio_mmio *dev, unsigned q)
{
	return q < dev->ops->num_queues && dev->queues[q].ready &&
	       (dev->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_DEVICE_NEEDS_RESET)) == VIRTIO_STATUS_DRIVER_OK;
}

/* What a register write leaves for the caller to do without the lock. */
struct write_effect {
	enum status_effect status;
	bool kick; /* the work has something to look at */
};

static struct write_effect register_write(struct virtio_mmio *dev, uint64_t offset, uint32_t value)
{
	struct write_effect e = { .status = STATUS_NOTHING, .kick = false };
	struct virtio_mmio_queue *vq = selected_queue(dev);

	switch (offset) {
	case REG_DEVICE_FEATURES_SEL:
		dev->device_features_sel = value;
		break;
	case REG_DRIVER_FEATURES:
		if (dev->driver_features_sel < 2 && !(dev->status & VIRTIO_STATUS_FEATURES_OK))
			set_half(&dev->driver_features, dev->driver_features_sel, value);
		break;
	case REG_DRIVER_FEATURES_SEL:
		dev->driver_features_sel = value;
		break;
	case REG_QUEUE_SEL:
		dev->queue_sel = value;
		break;
	case REG_QUEUE_READY:
		if (vq)
			queue_ready_write(dev, vq, value);
		break;
	case REG_QUEUE_NOTIFY:
		e.kick = queue_live(dev, value);
		break;
	case REG_INTERRUPT_ACK:
		dev->interrupt_status &= ~value;
		update_line(dev);
		break;
	case REG_STATUS:
		e.status = status_write(dev, value);
		break;
	default:
		queue_config_write(dev, offset, value);
		break;
	}
	return e;
}

static void log_odd_access(struct virtio_mmio *dev, const char *what, uint64_t offset, unsigned size)
{
	pthread_mutex_lock(&dev->lock);
	if (log_ratelimit_allow(&dev->log))
		log_warn("virtio-mmio %s: %u-byte %s at offset %#llx ignored", dev->name, size, what,
			 (unsigned long long)offset);
	pthread_mutex_unlock(&dev->lock);
}

/* A configuration-space access the back end may see: naturally aligned and
 * inside its configuration (§4.2.2.2). */
static bool config_access_ok(const struct virtio_mmio *dev, uint64_t offset, unsigned size)
{
	uint64_t at = offset - REG_CONFIG;

	return at % size == 0 && at < dev->ops->config_size && size <= dev->ops->config_size - at;
}

static uint64_t mmio_read(void *opaque, uint64_t offset, unsigned size)
{
	struct virtio_mmio *dev = opaque;
	uint32_t v;

	if (offset >= REG_CONFIG) {
		if (config_access_ok(dev, offset, size))
			return dev->ops->config_read(dev->opaque, (uint32_t)(offset - REG_CONFIG), size);
		return 0;
	}
	if (size != 4 || offset % 4) {
		log_odd_access(dev, "read", offset, size);
		return 0;
	}
	pthread_mutex_lock(&dev->lock);
	v = register_read(dev, offset);
	pthread_mutex_unlock(&dev->lock);
	return v;
}

/* DRIVER_OK: the work looks at the ready queues once, since the driver may
 * have made buffers available (and notified) before the device would take
 * them. Called with the lock held. */
static bool any_queue_live(const struct virtio_mmio *dev)
{
	for (unsigned q = 0; q < dev->ops->num_queues; q++)
		if (queue_live(dev, q))
			return true;
	return false;
}

/* Status 0 (vCPU thread, no lock held): a work that popped before the reset
 * pushes nothing more once it is over (the queues are gone), so waiting for
 * it is enough; then what the back end keeps beyond its queues, before a new
 * work may start. */
static void reset_back_end(struct virtio_mmio *dev)
{
	virtio_worker_quiesce(&dev->worker, dev->ops->reset, dev->opaque);
}

static void mmio_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct virtio_mmio *dev = opaque;
	struct write_effect e;

	if (offset >= REG_CONFIG) {
		if (config_access_ok(dev, offset, size) && dev->ops->config_write)
			dev->ops->config_write(dev->opaque, (uint32_t)(offset - REG_CONFIG), size, value);
		return;
	}
	if (size != 4 || offset % 4) {
		log_odd_access(dev, "write", offset, size);
		return;
	}
	pthread_mutex_lock(&dev->lock);
	e = register_write(dev, offset, (uint32_t)value);
	if (e.status == STATUS_DRIVER_OK && any_queue_live(dev))
		e.kick = true;
	pthread_mutex_unlock(&dev->lock);
	if (e.status == STATUS_RESET)
		reset_back_end(dev);
	if (e.kick)
		virtio_worker_kick(&dev->worker);
}

void virtio_mmio_power_on_reset(struct virtio_mmio *dev)
{
	pthread_mutex_lock(&dev->lock);
	reset_locked(dev);
	dev->config_generation = 0;
	pthread_mutex_unlock(&dev->lock);
	if (dev->ops->reset)
		dev->ops->reset(dev->opaque);
}

const struct io_device_ops virtio_mmio_ops = { .read = mmio_read, .write = mmio_write, .sizes = IO_SIZES_UP_TO_4 };

int virtio_mmio_pop(struct virtio_mmio *dev, unsigned q, struct virtq_chain *chain)
{
	int r = 0;

	pthread_mutex_lock(&dev->lock);
	if (queue_live(dev, q)) {
		r = virtq_pop(&dev->queues[q].vq, chain);
		if (r < 0)
			needs_reset(dev, q, r);
	}
	pthread_mutex_unlock(&dev->lock);
	return r;
}

int virtio_mmio_push(struct virtio_mmio *dev, unsigned q, uint16_t head, uint32_t written)
{
	int r = VIRTQ_E_BROKEN;

	pthread_mutex_lock(&dev->lock);
	if (queue_live(dev, q)) {
		r = virtq_push(&dev->queues[q].vq, head, written);
		if (r == VIRTQ_E_WRITTEN)
			needs_reset(dev, q, r);
	}
	pthread_mutex_unlock(&dev->lock);
	return r;
}

void virtio_mmio_device_error(struct virtio_mmio *dev, unsigned q, const char *what)
{
	pthread_mutex_lock(&dev->lock);
	if (queue_live(dev, q))
		needs_reset_because(dev, q, what);
	pthread_mutex_unlock(&dev->lock);
}

void virtio_mmio_notify_used(struct virtio_mmio *dev, unsigned q)
{
	pthread_mutex_lock(&dev->lock);
	if (queue_live(dev, q) && virtq_should_notify(&dev->queues[q].vq))
		raise_interrupt(dev, VIRTIO_MMIO_INT_USED);
	pthread_mutex_unlock(&dev->lock);
}

void virtio_mmio_disable_notify(struct virtio_mmio *dev, unsigned q)
{
	pthread_mutex_lock(&dev->lock);
	if (queue_live(dev, q))
		virtq_disable_notify(&dev->queues[q].vq);
	pthread_mutex_unlock(&dev->lock);
}

bool virtio_mmio_enable_notify(struct virtio_mmio *dev, unsigned q)
{
	bool pending = false;

	pthread_mutex_lock(&dev->lock);
	if (queue_live(dev, q))
		pending = virtq_enable_notify(&dev->queues[q].vq);
	pthread_mutex_unlock(&dev->lock);
	return pending;
}

int virtio_mmio_pop_next(struct virtio_mmio *dev, unsigned q, struct virtq_chain *chain)
{
	int r = virtio_mmio_pop(dev, q, chain);

	if (r != 0 || !virtio_mmio_enable_notify(dev, q))
		return r;
	virtio_mmio_disable_notify(dev, q);
	return virtio_mmio_pop(dev, q, chain);
}

void virtio_mmio_config_changed(struct virtio_mmio *dev)
{
	pthread_mutex_lock(&dev->lock);
	dev->config_generation++;
	if (dev->status & VIRTIO_STATUS_DRIVER_OK)
		raise_interrupt(dev, VIRTIO_MMIO_INT_CONFIG);
	pthread_mutex_unlock(&dev->lock);
}

uint64_t virtio_mmio_features(struct virtio_mmio *dev)
{
	uint64_t f;

	pthread_mutex_lock(&dev->lock);
	f = dev->status & VIRTIO_STATUS_FEATURES_OK ? dev->driver_features : 0;
	pthread_mutex_unlock(&dev->lock);
	return f;
}
