/* A raw disk image as virtio-blk serves it: an open file of whole 512-byte
 * sectors, read-only or read-write, and the primitives a request needs
 * (vectored read and write at a byte offset, flush, discard). Nothing here
 * knows virtio: blk_request.h parses requests, virtio_blk.h is the device.
 *
 * Opening checks what a configuration error is (docs/architecture.md,
 * "virtio"): the file exists and is a regular file, its size is a multiple
 * of 512, and no other process holds it (an advisory flock: exclusive for a
 * read-write image, shared for a read-only one). A read-only image is opened
 * O_RDONLY, so no request can write it whatever the device code does.
 *
 * The I/O primitives take byte ranges the caller has checked against the
 * capacity (blk_disk_range_ok); they retry short transfers and EINTR and
 * return 0 or -errno. Threads: the fields are set at open and only read
 * after, so any thread may call; the device calls them on the I/O thread. */
#ifndef RV_BLK_DISK_H
#define RV_BLK_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define BLK_SECTOR_SIZE 512u
#define BLK_SECTOR_SHIFT 9
/* The device ID string of VIRTIO_BLK_T_GET_ID (virtio 1.x §5.2.6): up to 20
 * ASCII bytes, NUL-padded, no terminator when all 20 are used. */
#define BLK_SERIAL_LEN 20

struct blk_disk {
	int fd;
	bool ro;
	uint64_t sectors; /* the capacity in 512-byte sectors */
	char serial[BLK_SERIAL_LEN];
	bool zero_fallback; /* hole punching unsupported: discard writes zeros */
	char path[256];	    /* as given, for the lock's refusal (cut short if longer) */
};

/* Opens path (ro: O_RDONLY) and fills *d. 0, or -1 with a one-line reason in
 * why that names the file. lock: take the image's lock now (blk_disk_lock), else the caller takes
 * it before the guest may use the disk (a migration's destination, whose
 * source holds it until the hand-over). */
int blk_disk_open(struct blk_disk *d, const char *path, bool ro, bool lock, char *why, size_t why_len);
/* The image's advisory lock, exclusive (shared when read-only), without
 * waiting: 0, or -1 with "--disk PATH: in use by another process". */
int blk_disk_lock(struct blk_disk *d, char *why, size_t why_len);
/* Lets another process take the image (a migration's source, handing over). */
void blk_disk_unlock(struct blk_disk *d);
void blk_disk_close(struct blk_disk *d);

/* Whether sectors [sector, sector + count) lie in the image, without
 * overflow for any 64-bit sector. */
bool blk_disk_range_ok(const struct blk_disk *d, uint64_t sector, uint64_t count);

/* Reads or writes exactly the iovec's bytes at byte offset `offset`. */
int blk_disk_readv(const struct blk_disk *d, uint64_t offset, struct iovec *iov, unsigned iovcnt);
int blk_disk_writev(const struct blk_disk *d, uint64_t offset, struct iovec *iov, unsigned iovcnt);
/* fdatasync: the writes completed before are on stable storage. */
int blk_disk_flush(const struct blk_disk *d);
/* The range reads as zeros afterwards and, where the file system can, its
 * blocks are freed (a hole punched, the size kept); else zeros are written. */
int blk_disk_discard(struct blk_disk *d, uint64_t offset, uint64_t len);

#endif
