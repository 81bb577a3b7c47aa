#include "devices/virtio/blk_disk.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Zeros written per call when hole punching is not supported. */
#define ZERO_CHUNK 65536u

/* Only ever read (pwritev takes a non-const iovec). */
static uint8_t zeros[ZERO_CHUNK];

/* The serial the guest reads (GET_ID): the image's file name, as the guest's
 * /dev/disk/by-id then names the disk after it. Only characters a serial
 * number holds are kept; others become '_'. */
static void serial_from_path(char serial[BLK_SERIAL_LEN], const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	memset(serial, 0, BLK_SERIAL_LEN);
	for (unsigned i = 0; i < BLK_SERIAL_LEN && base[i]; i++) {
		char c = base[i];
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			     c == '-' || c == '_';

		serial[i] = plain ? c : '_';
	}
}

static int check_image(const struct blk_disk *d, const char *path, char *why, size_t why_len)
{
	struct stat st;

	if (fstat(d->fd, &st)) {
		snprintf(why, why_len, "--disk %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, why_len, "--disk %s: not a regular file (a raw image is)", path);
		return -1;
	}
	if (st.st_size % BLK_SECTOR_SIZE) {
		snprintf(why, why_len, "--disk %s: size %lld is not a multiple of %u bytes", path,
			 (long long)st.st_size, BLK_SECTOR_SIZE);
		return -1;
	}
	return 0;
}

int blk_disk_lock(struct blk_disk *d, char *why, size_t why_len)
{
	/* Two VMs writing one image corrupt it; so does one writing it while
	 * another reads. */
	if (flock(d->fd, (d->ro ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		snprintf(why, why_len, "--disk %s: %s", d->path,
			 errno == EWOULDBLOCK ? "in use by another process" : strerror(errno));
		return -1;
	}
	return 0;
}

void blk_disk_unlock(struct blk_disk *d)
{
	if (d->fd >= 0)
		(void)flock(d->fd, LOCK_UN);
}

int blk_disk_open(struct blk_disk *d, const char *path, bool ro, bool lock, char *why, size_t why_len)
{
	memset(d, 0, sizeof(*d));
	d->ro = ro;
	/* O_NONBLOCK: a FIFO opened read-only would wait for a writer; a regular
	 * file, the only kind taken, ignores it. */
	d->fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK);
	if (d->fd < 0) {
		snprintf(why, why_len, "--disk %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(d->path, sizeof(d->path), "%s", path);
	if (check_image(d, path, why, why_len) || (lock && blk_disk_lock(d, why, why_len))) {
		close(d->fd);
		d->fd = -1;
		return -1;
	}
	d->sectors = (uint64_t)lseek(d->fd, 0, SEEK_END) >> BLK_SECTOR_SHIFT;
	serial_from_path(d->serial, path);
	return 0;
}

void blk_disk_close(struct blk_disk *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

bool blk_disk_range_ok(const struct blk_disk *d, uint64_t sector, uint64_t count)
{
	return sector <= d->sectors && count <= d->sectors - sector;
}

/* Drops the first n bytes of the vector (n no more than it holds). */
static void iov_advance(struct iovec **iov, unsigned *iovcnt, size_t n)
{
	while (n && *iovcnt) {
		size_t take = n < (*iov)->iov_len ? n : (*iov)->iov_len;

		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + take;
		(*iov)->iov_len -= take;
		n -= take;
		if (!(*iov)->iov_len) {
			(*iov)++;
			(*iovcnt)--;
		}
	}
}

/* Skips empty leading entries, so a transfer of nothing ends the loop. */
static void iov_trim(struct iovec **iov, unsigned *iovcnt)
{
	while (*iovcnt && !(*iov)->iov_len) {
		(*iov)++;
		(*iovcnt)--;
	}
}

static int transfer(const struct blk_disk *d, uint64_t offset, struct iovec *iov, unsigned iovcnt, bool write)
{
	iov_trim(&iov, &iovcnt);
	while (iovcnt) {
		unsigned batch = iovcnt < IOV_MAX ? iovcnt : IOV_MAX;
		ssize_t n = write ? pwritev(d->fd, iov, (int)batch, (off_t)offset)
				  : preadv(d->fd, iov, (int)batch, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		/* The image shrank under us (another program truncated it). */
		if (n == 0)
			return -EIO;
		offset += (uint64_t)n;
		iov_advance(&iov, &iovcnt, (size_t)n);
		iov_trim(&iov, &iovcnt);
	}
	return 0;
}

int blk_disk_readv(const struct blk_disk *d, uint64_t offset, struct iovec *iov, unsigned iovcnt)
{
	return transfer(d, offset, iov, iovcnt, false);
}

int blk_disk_writev(const struct blk_disk *d, uint64_t offset, struct iovec *iov, unsigned iovcnt)
{
	if (d->ro)
		return -EROFS;
	return transfer(d, offset, iov, iovcnt, true);
}

int blk_disk_flush(const struct blk_disk *d)
{
	if (d->ro)
		return 0;
	return fdatasync(d->fd) ? -errno : 0;
}

static int write_zeros(const struct blk_disk *d, uint64_t offset, uint64_t len)
{
	while (len) {
		size_t n = len < ZERO_CHUNK ? (size_t)len : ZERO_CHUNK;
		struct iovec iov = { .iov_base = zeros, .iov_len = n };
		int r = transfer(d, offset, &iov, 1, true);

		if (r)
			return r;
		offset += n;
		len -= n;
	}
	return 0;
}

int blk_disk_discard(struct blk_disk *d, uint64_t offset, uint64_t len)
{
	if (d->ro)
		return -EROFS;
	if (!len)
		return 0;
	if (!d->zero_fallback) {
		if (fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)len) == 0)
			return 0;
		if (errno != EOPNOTSUPP && errno != ENOSYS)
			return -errno;
		d->zero_fallback = true;
	}
	return write_zeros(d, offset, len);
}
