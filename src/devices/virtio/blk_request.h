/* One virtio-blk request (virtio 1.x §5.2.6), from a popped chain to its
 * status byte: the request layout, the request types, and what each answers.
 *
 * Layout: a 16-byte device-readable header {le32 type, le32 reserved, le64
 * sector}, then the data (device-readable for OUT and DISCARD, device-writable
 * for IN and GET_ID), then one device-writable status byte, the chain's last
 * writable byte. Framing is free (§2.6.4): the header, the data and the status
 * may share or split descriptors in any way, so everything here is in byte
 * offsets into the chain's readable or writable bytes.
 *
 * Answers:
 * - IN, OUT: length a multiple of 512 and the sectors inside the image, else
 *   IOERR and nothing read or written. The transfer is one preadv/pwritev on
 *   the chain's segments (each already checked to lie wholly in guest RAM by
 *   virtq_pop) straight to and from the image.
 * - FLUSH: fdatasync, then OK (IOERR if it fails).
 * - GET_ID: the disk's serial, at most BLK_SERIAL_LEN bytes of the data.
 * - DISCARD: 1..BLK_MAX_DISCARD_SEG segments {le64 sector, le32 num_sectors,
 *   le32 flags}; any flag set (unmap, or unknown) is UNSUPP as the spec
 *   requires; a segment longer than BLK_MAX_DISCARD_SECTORS or outside the
 *   image is IOERR; every segment is checked before any is discarded.
 * - A read-only disk answers OUT and DISCARD with IOERR and writes nothing:
 *   "A device MUST set the status byte to VIRTIO_BLK_S_IOERR for a write
 *   request if the VIRTIO_BLK_F_RO feature if offered, and MUST NOT write any
 *   data" (§5.2.6.2). Linux never sends them: it marks the disk read-only.
 * - Any other type (WRITE_ZEROES, GET_LIFETIME, SECURE_ERASE, zoned ones,
 *   legacy SCSI): UNSUPP.
 * - A broken layout that still has a status byte (header shorter than 16
 *   bytes, data of the wrong direction for the type): IOERR, "device or
 *   driver error" in the spec's words, and a reason for the log. A chain with
 *   no device-writable byte has nowhere for a status: the caller makes the
 *   device need reset, as the transport does for a malformed chain. */
#ifndef RV_BLK_REQUEST_H
#define RV_BLK_REQUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/virtio/blk_disk.h"
#include "devices/virtio/virtqueue.h"
#include "vm/memory.h"

/* Request types (§5.2.6). */
#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_T_OUT 1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_T_GET_ID 8u
#define VIRTIO_BLK_T_DISCARD 11u
/* Status values (§5.2.6). */
#define VIRTIO_BLK_S_OK 0u
#define VIRTIO_BLK_S_IOERR 1u
#define VIRTIO_BLK_S_UNSUPP 2u

#define BLK_REQ_HEADER 16u
#define BLK_DISCARD_SEG_SIZE 16u
/* Discard limits the device advertises (max_discard_sectors, max_discard_seg,
 * discard_sector_alignment): 32 MiB a segment keeps one request short even
 * where zeros must be written instead of punching a hole; 4 KiB alignment is
 * the block size of the file systems images live on, so that Linux sends
 * discards a hole can be punched for. */
#define BLK_MAX_DISCARD_SECTORS 65536u
#define BLK_MAX_DISCARD_SEG 16u
#define BLK_DISCARD_ALIGNMENT_SECTORS 8u

/* What a request needs besides the chain: the disk, guest RAM (to announce
 * the bytes written into it), and an iovec array at least as long as the
 * chain's segment array. */
struct blk_io {
	struct blk_disk *disk;
	const struct guest_memory *mem;
	struct iovec *iov;
	unsigned iov_cap;
};

struct blk_outcome {
	uint8_t status;	       /* VIRTIO_BLK_S_* written into the chain */
	uint32_t used;	       /* bytes written into the chain, the status byte included */
	uint32_t type;	       /* the request's type, when the header was there */
	uint64_t bytes;	       /* data moved between the image and the guest */
	const char *malformed; /* the driver broke the request layout: for the log */
	int host_errno;	       /* an I/O call failed on the host (IOERR) */
};

/* Serves one chain. false: the chain has no device-writable byte, nothing was
 * done, and the device must need reset; true: the status is written and
 * *out says what happened. */
bool blk_request_serve(const struct blk_io *io, const struct virtq_chain *chain, struct blk_outcome *out);

#endif
