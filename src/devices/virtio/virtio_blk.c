#include "devices/virtio/virtio_blk.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devices/virtio/blk_request.h"
#include "devices/virtio/virtio.h"
#include "devices/virtio/virtio_serve.h"
#include "log.h"

#define REQUESTQ 0
#define GUEST_ERROR_LOG_LINES 8

/* Offsets in struct virtio_blk_config (§5.2.4). */
#define CFG_CAPACITY 0
#define CFG_SEG_MAX 12
#define CFG_BLK_SIZE 20
#define CFG_MAX_DISCARD_SECTORS 36
#define CFG_MAX_DISCARD_SEG 40
#define CFG_DISCARD_SECTOR_ALIGNMENT 44

static void put_le(uint8_t *p, uint64_t v, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Fields of features not offered stay 0, as do the padding bytes (§5.2.5:
 * "The device MUST initialize padding bytes unused0 and unused1 to 0"). */
static void build_config(struct virtio_blk *blk)
{
	uint8_t *c = blk->config;

	memset(c, 0, sizeof(blk->config));
	put_le(c + CFG_CAPACITY, blk->disk.sectors, 8);
	put_le(c + CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX, 4);
	put_le(c + CFG_BLK_SIZE, BLK_SECTOR_SIZE, 4);
	if (blk->disk.ro)
		return;
	put_le(c + CFG_MAX_DISCARD_SECTORS, BLK_MAX_DISCARD_SECTORS, 4);
	put_le(c + CFG_MAX_DISCARD_SEG, BLK_MAX_DISCARD_SEG, 4);
	put_le(c + CFG_DISCARD_SECTOR_ALIGNMENT, BLK_DISCARD_ALIGNMENT_SECTORS, 4);
}

static uint64_t features_of(const struct blk_disk *disk)
{
	uint64_t f = VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH;

	return f | (disk->ro ? VIRTIO_BLK_F_RO : VIRTIO_BLK_F_DISCARD);
}

/* The transport checked offset + size <= VIRTIO_BLK_CONFIG_SIZE. */
static uint64_t blk_config_read(void *opaque, uint32_t offset, unsigned size)
{
	const struct virtio_blk *blk = opaque;
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)blk->config[offset + i] << (8 * i);
	return v;
}

static void log_outcome(struct virtio_blk *blk, const struct blk_outcome *out)
{
	if (!out->malformed && !out->host_errno)
		return;
	if (!log_ratelimit_allow(&blk->log))
		return;
	if (out->malformed)
		log_warn("virtio-blk %s: a request refused (IOERR): %s", blk->mmio.name, out->malformed);
	else
		log_warn("virtio-blk %s: request type %u failed on the host: %s", blk->mmio.name, out->type,
			 strerror(out->host_errno));
}

static void count(struct virtio_blk *blk, const struct blk_outcome *out)
{
	blk->requests++;
	if (out->status != VIRTIO_BLK_S_OK)
		return;
	if (out->type == VIRTIO_BLK_T_IN)
		blk->bytes_read += out->bytes;
	else if (out->type == VIRTIO_BLK_T_OUT)
		blk->bytes_written += out->bytes;
}

/* One chain, on the I/O thread: false if the device now needs reset. */
static bool serve_chain(void *opaque, const struct virtq_chain *chain)
{
	struct virtio_blk *blk = opaque;
	const struct blk_io io = {
		.disk = &blk->disk, .mem = blk->mem, .iov = blk->iov, .iov_cap = VIRTIO_BLK_CHAIN_SEGS
	};
	struct blk_outcome out;

	if (!blk_request_serve(&io, chain, &out)) {
		virtio_mmio_device_error(&blk->mmio, REQUESTQ, "a block request with no device-writable status byte");
		return false;
	}
	log_outcome(blk, &out);
	count(blk, &out);
	return virtio_mmio_push(&blk->mmio, REQUESTQ, chain->head, out.used) == 0;
}

static const struct virtio_serve requestq = { .queue = REQUESTQ,
					      .max_per_run = VIRTIO_BLK_REQUESTS_PER_RUN,
					      .serve = serve_chain };

/* On the I/O thread, under the worker's lock. */
static void blk_work(void *opaque)
{
	struct virtio_blk *blk = opaque;

	virtio_serve_run(&blk->mmio, &requestq, blk->segs, VIRTIO_BLK_CHAIN_SEGS);
}

static const struct virtio_device_ops blk_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.queue_num_max = VIRTIO_BLK_QUEUE_SIZE,
	.config_size = VIRTIO_BLK_CONFIG_SIZE,
	.config_read = blk_config_read,
	.work = blk_work,
};

int virtio_blk_init(struct virtio_blk *blk, const struct guest_memory *mem, struct irq_line irq, const char *name,
		    const char *path, bool ro, bool lock, char *why, size_t why_len)
{
	memset(blk, 0, sizeof(*blk));
	blk->mem = mem;
	snprintf(blk->name, sizeof(blk->name), "%s", name);
	blk->log = (struct log_ratelimit)LOG_RATELIMIT_INIT(GUEST_ERROR_LOG_LINES);
	if (blk_disk_open(&blk->disk, path, ro, lock, why, why_len))
		return -1;
	build_config(blk);
	if (virtio_mmio_init(&blk->mmio, blk->name, mem, &blk_ops, blk, features_of(&blk->disk), irq, why, why_len)) {
		blk_disk_close(&blk->disk);
		return -1;
	}
	return 0;
}

void virtio_blk_destroy(struct virtio_blk *blk)
{
	virtio_mmio_destroy(&blk->mmio);
	blk_disk_close(&blk->disk);
}
