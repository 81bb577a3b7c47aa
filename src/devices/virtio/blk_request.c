#include "devices/virtio/blk_request.h"

#include <errno.h>
#include <string.h>

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The iovec of `len` bytes starting `offset` bytes into the chain's readable
 * (writable false) or writable bytes; the number of entries. The caller
 * checked that the chain holds them. */
static unsigned chain_iov(const struct blk_io *io, const struct virtq_chain *c, bool writable, uint32_t offset,
			  uint32_t len)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nsegs && len && n < io->iov_cap; i++) {
		const struct virtq_seg *s = &c->segs[i];
		uint32_t take;

		if (s->writable != writable)
			continue;
		if (offset >= s->len) {
			offset -= s->len;
			continue;
		}
		take = s->len - offset < len ? s->len - offset : len;
		io->iov[n++] = (struct iovec){ .iov_base = (uint8_t *)s->host + offset, .iov_len = take };
		len -= take;
		offset = 0;
	}
	return n;
}

/* Announces the first len writable bytes of the chain as written by the
 * device (guest_memory_written), so software engines drop code they held. */
static void announce_written(const struct blk_io *io, const struct virtq_chain *c, uint32_t len)
{
	for (unsigned i = 0; i < c->nsegs && len; i++) {
		const struct virtq_seg *s = &c->segs[i];
		uint32_t take = s->len < len ? s->len : len;

		if (!s->writable || !take)
			continue;
		guest_memory_written(io->mem, s->gpa, take);
		len -= take;
	}
}

/* The chain's last writable byte, where the status goes. */
static void write_status(const struct blk_io *io, const struct virtq_chain *c, uint8_t status)
{
	for (unsigned i = c->nsegs; i-- > 0;) {
		const struct virtq_seg *s = &c->segs[i];

		if (s->writable && s->len) {
			((uint8_t *)s->host)[s->len - 1] = status;
			guest_memory_written(io->mem, s->gpa + s->len - 1, 1);
			return;
		}
	}
}

static void refuse(struct blk_outcome *out, uint8_t status, const char *malformed)
{
	out->status = status;
	out->malformed = malformed;
}

/* IN and OUT: the range check, then one vectored transfer. */
static void serve_rw(const struct blk_io *io, const struct virtq_chain *c, uint64_t sector, bool write,
		     struct blk_outcome *out)
{
	uint32_t data_in = c->writable - 1, data_out = c->readable - BLK_REQ_HEADER;
	uint32_t len = write ? data_out : data_in;
	unsigned n;
	int r;

	if (write ? data_in : data_out) {
		refuse(out, VIRTIO_BLK_S_IOERR,
		       write ? "device-writable data in a write request" : "device-readable data in a read request");
		return;
	}
	if (len % BLK_SECTOR_SIZE) {
		refuse(out, VIRTIO_BLK_S_IOERR, "a transfer that is not whole 512-byte sectors");
		return;
	}
	if (!blk_disk_range_ok(io->disk, sector, len >> BLK_SECTOR_SHIFT)) {
		refuse(out, VIRTIO_BLK_S_IOERR, "a transfer beyond the end of the disk");
		return;
	}
	if (write && io->disk->ro) {
		refuse(out, VIRTIO_BLK_S_IOERR, NULL);
		return;
	}
	n = chain_iov(io, c, !write, write ? BLK_REQ_HEADER : 0, len);
	r = write ? blk_disk_writev(io->disk, sector << BLK_SECTOR_SHIFT, io->iov, n)
		  : blk_disk_readv(io->disk, sector << BLK_SECTOR_SHIFT, io->iov, n);
	if (!write) {
		/* Whatever preadv placed, even on failure, is the device's write. */
		announce_written(io, c, len);
		out->used += len;
	}
	out->host_errno = -r;
	out->status = r ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	out->bytes = r ? 0 : len;
}

static void serve_get_id(const struct blk_io *io, const struct virtq_chain *c, struct blk_outcome *out)
{
	uint32_t len = c->writable - 1 < BLK_SERIAL_LEN ? c->writable - 1 : BLK_SERIAL_LEN;
	unsigned n = chain_iov(io, c, true, 0, len);
	const char *src = io->disk->serial;

	for (unsigned i = 0; i < n; i++) {
		memcpy(io->iov[i].iov_base, src, io->iov[i].iov_len);
		src += io->iov[i].iov_len;
	}
	announce_written(io, c, len);
	out->used += len;
	out->status = VIRTIO_BLK_S_OK;
}

/* Checks every segment first, so that a refused request discards nothing. */
static void serve_discard(const struct blk_io *io, const struct virtq_chain *c, struct blk_outcome *out)
{
	uint32_t data = c->readable - BLK_REQ_HEADER;
	unsigned nseg = data / BLK_DISCARD_SEG_SIZE;
	uint8_t seg[BLK_MAX_DISCARD_SEG][BLK_DISCARD_SEG_SIZE];

	if (c->writable != 1) {
		refuse(out, VIRTIO_BLK_S_IOERR, "device-writable data in a discard request");
		return;
	}
	if (!data || data % BLK_DISCARD_SEG_SIZE || nseg > BLK_MAX_DISCARD_SEG) {
		refuse(out, VIRTIO_BLK_S_IOERR, "a discard of no, partial or more than max_discard_seg segments");
		return;
	}
	if (io->disk->ro) {
		refuse(out, VIRTIO_BLK_S_IOERR, NULL);
		return;
	}
	for (unsigned i = 0; i < nseg; i++) {
		virtq_chain_read(c, BLK_REQ_HEADER + i * BLK_DISCARD_SEG_SIZE, seg[i], BLK_DISCARD_SEG_SIZE);
		/* "MUST set the status byte to VIRTIO_BLK_S_UNSUPP for discard
		 * commands if the unmap flag is set" or an unknown one (§5.2.6.2). */
		if (le32(seg[i] + 12)) {
			refuse(out, VIRTIO_BLK_S_UNSUPP, NULL);
			return;
		}
		if (le32(seg[i] + 8) > BLK_MAX_DISCARD_SECTORS) {
			refuse(out, VIRTIO_BLK_S_IOERR, "a discard segment longer than max_discard_sectors");
			return;
		}
		if (!blk_disk_range_ok(io->disk, le64(seg[i]), le32(seg[i] + 8))) {
			refuse(out, VIRTIO_BLK_S_IOERR, "a discard beyond the end of the disk");
			return;
		}
	}
	out->status = VIRTIO_BLK_S_OK;
	for (unsigned i = 0; i < nseg; i++) {
		int r = blk_disk_discard(io->disk, le64(seg[i]) << BLK_SECTOR_SHIFT,
					 (uint64_t)le32(seg[i] + 8) << BLK_SECTOR_SHIFT);

		if (r) {
			out->host_errno = -r;
			out->status = VIRTIO_BLK_S_IOERR;
			return;
		}
	}
}

static void serve_flush(const struct blk_io *io, struct blk_outcome *out)
{
	int r = blk_disk_flush(io->disk);

	out->host_errno = -r;
	out->status = r ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

bool blk_request_serve(const struct blk_io *io, const struct virtq_chain *chain, struct blk_outcome *out)
{
	uint8_t hdr[BLK_REQ_HEADER];
	uint64_t sector;

	memset(out, 0, sizeof(*out));
	if (!chain->writable)
		return false;
	out->used = 1;
	if (virtq_chain_read(chain, 0, hdr, sizeof(hdr)) < sizeof(hdr)) {
		refuse(out, VIRTIO_BLK_S_IOERR, "a request header shorter than 16 bytes");
		write_status(io, chain, out->status);
		return true;
	}
	out->type = le32(hdr);
	sector = le64(hdr + 8);
	switch (out->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		serve_rw(io, chain, sector, out->type == VIRTIO_BLK_T_OUT, out);
		break;
	case VIRTIO_BLK_T_FLUSH:
		serve_flush(io, out);
		break;
	case VIRTIO_BLK_T_GET_ID:
		serve_get_id(io, chain, out);
		break;
	case VIRTIO_BLK_T_DISCARD:
		serve_discard(io, chain, out);
		break;
	default:
		out->status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	write_status(io, chain, out->status);
	return true;
}
