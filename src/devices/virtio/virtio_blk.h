/* virtio-blk, the block device (virtio 1.x §5.2): device ID 2, one requestq,
 * a raw image behind it (blk_disk.h), requests served as blk_request.h says.
 *
 * Feature bits offered (§5.2.3): SEG_MAX (seg_max VIRTIO_BLK_SEG_MAX),
 * BLK_SIZE (512), FLUSH, and DISCARD (max_discard_sectors, max_discard_seg,
 * discard_sector_alignment of blk_request.h) on a read-write disk, RO on a
 * read-only one; the transport adds VERSION_1, EVENT_IDX and INDIRECT_DESC.
 * No SIZE_MAX (a segment may be as long as a descriptor), no GEOMETRY,
 * TOPOLOGY, CONFIG_WCE (the cache is always write-back, FLUSH makes writes
 * stable), MQ or WRITE_ZEROES. The configuration space is fixed at creation
 * and read-only (§5.2.4 layout, 60 bytes through write_zeroes_may_unmap).
 *
 * Threads: the transport's registers on vCPU threads; the work (pop, the
 * image's pread/pwrite/fdatasync/fallocate, push) on the I/O thread only, in
 * the transport's worker, so a vCPU never waits for the host's disk.
 * The worker's lock guards segs, iov, the counters and the disk's
 * zero_fallback; the disk's other fields and config are written at creation
 * only. */
#ifndef RV_VIRTIO_BLK_H
#define RV_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/irq.h"
#include "devices/virtio/blk_disk.h"
#include "devices/virtio/virtio_mmio.h"
#include "state/device_state.h"
#include "vm/memory.h"

/* Feature bits of the block device (§5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX (1ull << 2)
#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ull << 6)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)
#define VIRTIO_BLK_F_DISCARD (1ull << 13)

#define VIRTIO_BLK_QUEUE_SIZE 256
/* Data segments a request may have (seg_max): the queue size less the header
 * and status descriptors, what Linux can put in one chain without indirect
 * descriptors. */
#define VIRTIO_BLK_SEG_MAX (VIRTIO_BLK_QUEUE_SIZE - 2)
/* The segment array: a chain longer than this breaks the queue (virtq_pop's
 * VIRTQ_E_TOO_MANY_SEGS), which a driver keeping to seg_max never meets. */
#define VIRTIO_BLK_CHAIN_SEGS (VIRTIO_BLK_SEG_MAX + 2)
#define VIRTIO_BLK_CONFIG_SIZE 60
/* Requests served per run of the work before it yields the I/O thread (and
 * kicks itself to go on), so that other back ends and a reset get their turn. */
#define VIRTIO_BLK_REQUESTS_PER_RUN 32

struct virtio_blk {
	struct virtio_mmio mmio; /* register its window on the MMIO bus */
	const struct guest_memory *mem;
	struct blk_disk disk;
	uint8_t config[VIRTIO_BLK_CONFIG_SIZE];
	struct log_ratelimit log;
	/* The I/O thread's own (the worker's lock). */
	struct virtq_seg segs[VIRTIO_BLK_CHAIN_SEGS];
	struct iovec iov[VIRTIO_BLK_CHAIN_SEGS];
	uint64_t bytes_read, bytes_written, requests; /* for tests and statistics */
	char name[8];				      /* "vda", ... for log lines */
};

/* Opens the image (blk_disk_open; lock as there) and builds the device;
 * name (e.g. "vda") is for log lines. 0, or -1 with a one-line reason in
 * why (a bad image is a configuration error). */
int virtio_blk_init(struct virtio_blk *blk, const struct guest_memory *mem, struct irq_line irq, const char *name,
		    const char *path, bool ro, bool lock, char *why, size_t why_len);
void virtio_blk_destroy(struct virtio_blk *blk);

/* Its saved state (virtio_blk_state.c, docs/snapshot-format.md): one
 * section per disk, the transport's part then the disk's capacity and mode,
 * which a restore must match. */
extern const struct device_state_ops virtio_blk_state_ops;

#endif
