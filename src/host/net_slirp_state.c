#include "host/net_slirp.h"

#include <libslirp.h>
#include <stdlib.h>

/* User networking's section (docs/snapshot-format.md):
 *   u32 libslirp's state version (slirp_state_version) when saved,
 *   u32 length, then libslirp's own state (slirp_state_save) as bytes.
 * A state of another libslirp state version is refused: this build hands
 * libslirp only what its own version wrote. The blob is bounded (libslirp
 * reads only its bytes, a short read gets zeros and fails the load), but
 * its meaning is libslirp's: what libslirp accepts it restores. What it
 * holds is libslirp's choice; host sockets are not in it, so a guest
 * connection through one does not survive a restore into another process
 * (the guest sees it reset, as after a link went down). Everything here runs
 * where libslirp may be called: with the I/O thread outside it
 * (device_state.h: the VM is paused). */

static ssize_t blob_write(const void *buf, size_t len, void *opaque)
{
	struct state_writer *blob = opaque;

	state_put_bytes(blob, buf, len);
	return blob->failed ? -1 : (ssize_t)len;
}

static ssize_t blob_read(void *buf, size_t len, void *opaque)
{
	struct state_reader *blob = opaque;

	state_get_bytes(blob, buf, len);
	return blob->error ? -1 : (ssize_t)len;
}

static void slirp_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct net_slirp *ns = dev;
	struct state_writer blob;

	(void)now_ns;
	state_writer_init(&blob);
	slirp_state_save(ns->slirp, blob_write, &blob);
	state_put_u32(w, (uint32_t)slirp_state_version());
	if (blob.failed || blob.len > STATE_SECTION_MAX) {
		w->failed = true;
	} else {
		state_put_u32(w, (uint32_t)blob.len);
		state_put_bytes(w, blob.buf, blob.len);
	}
	state_writer_free(&blob);
}

static int slirp_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct net_slirp *ns = dev;
	uint32_t blob_version = state_get_u32(r);
	uint32_t len = state_get_u32(r);
	struct state_reader blob;
	uint8_t *bytes;
	int ret;

	(void)version;
	(void)now_ns;
	if (!state_reader_ok(r, false) || blob_version != (uint32_t)slirp_state_version() || len > r->left) {
		if (state_reader_ok(r, false) && blob_version != (uint32_t)slirp_state_version())
			log_warn("user network: the state is of libslirp state version %u; this libslirp's is %d",
				 blob_version, slirp_state_version());
		state_reader_fail(r);
		return -1;
	}
	bytes = malloc(len ? len : 1);
	if (!bytes) {
		state_reader_fail(r);
		return -1;
	}
	state_get_bytes(r, bytes, len);
	state_reader_init(&blob, bytes, len);
	ret = slirp_state_load(ns->slirp, (int)blob_version, blob_read, &blob);
	free(bytes);
	if (ret != 0 || !state_reader_ok(&blob, true)) {
		state_reader_fail(r);
		return -1;
	}
	return 0;
}

/* The user network is the host's side of the link, not the guest's: like
 * the network beyond a real NIC, it outlives a reset of the machine. */
static void slirp_reset(void *dev)
{
	(void)dev;
}

const struct device_state_ops net_slirp_state_ops = {
	.version = 1, .reset = slirp_reset, .save = slirp_save, .load = slirp_load
};
