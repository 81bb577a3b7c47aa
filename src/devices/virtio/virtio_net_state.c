#include "devices/virtio/virtio_net.h"

#include <stdlib.h>
#include <string.h>

/* virtio-net's own part, after the transport's (docs/snapshot-format.md):
 *   mac[6] (refused unless this device's: the driver read it once),
 *   u32 frames waiting in the receive backlog (at most
 *   VIRTIO_NET_RX_BACKLOG), each as u32 length (VIRTIO_NET_ETH_HLEN to
 *   VIRTIO_NET_MAX_FRAME) and its bytes, oldest first.
 * The frames came from the back end and were not yet in a receive buffer:
 * the restored device delivers them as the saved one would have. The
 * counters are statistics of this process, not the guest's. The backlog is
 * the I/O thread's: save and load run while it is not inside the device
 * (device_state.h). */

static void backlog_clear(struct virtio_net *net)
{
	for (unsigned i = 0; i < VIRTIO_NET_RX_BACKLOG; i++) {
		free(net->backlog[i].data);
		net->backlog[i] = (struct virtio_net_frame){ .data = NULL };
	}
	net->backlog_head = 0;
	net->backlog_len = 0;
}

static void net_save_own(void *opaque, struct state_writer *w)
{
	const struct virtio_net *net = opaque;

	state_put_bytes(w, net->mac, sizeof(net->mac));
	state_put_u32(w, net->backlog_len);
	for (unsigned i = 0; i < net->backlog_len; i++) {
		const struct virtio_net_frame *f = &net->backlog[(net->backlog_head + i) % VIRTIO_NET_RX_BACKLOG];

		state_put_u32(w, f->len);
		state_put_bytes(w, f->data, f->len);
	}
}

static int load_frame(struct virtio_net_frame *f, struct state_reader *r)
{
	uint32_t len = state_get_u32(r);

	if (!state_reader_ok(r, false) || len < VIRTIO_NET_ETH_HLEN || len > VIRTIO_NET_MAX_FRAME || len > r->left) {
		state_reader_fail(r);
		return -1;
	}
	f->data = malloc(len);
	if (!f->data) {
		state_reader_fail(r);
		return -1;
	}
	f->len = len;
	state_get_bytes(r, f->data, len);
	return 0;
}

static int net_load_own(void *opaque, struct state_reader *r, uint32_t version)
{
	struct virtio_net *net = opaque;
	uint8_t mac[6];
	uint32_t n;

	(void)version;
	backlog_clear(net);
	state_get_bytes(r, mac, sizeof(mac));
	n = state_get_u32(r);
	if (!state_reader_ok(r, false) || memcmp(mac, net->mac, sizeof(mac)) || n > VIRTIO_NET_RX_BACKLOG) {
		state_reader_fail(r);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		if (load_frame(&net->backlog[i], r))
			return -1;
		net->backlog_len++;
	}
	return state_reader_ok(r, false) ? 0 : -1;
}

static void net_reset_own(void *opaque)
{
	backlog_clear(opaque);
}

static const struct virtio_state_part net_own = { .save = net_save_own, .load = net_load_own, .reset = net_reset_own };

static void net_reset(void *dev)
{
	struct virtio_net *net = dev;

	virtio_mmio_state_reset(&net->mmio, &net_own);
}

static void net_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct virtio_net *net = dev;

	(void)now_ns;
	virtio_mmio_state_save(&net->mmio, &net_own, w);
}

static int net_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct virtio_net *net = dev;

	(void)now_ns;
	return virtio_mmio_state_load(&net->mmio, &net_own, r, version);
}

const struct device_state_ops virtio_net_state_ops = {
	.version = 1, .reset = net_reset, .save = net_save, .load = net_load
};
