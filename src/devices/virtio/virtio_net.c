#include "devices/virtio/virtio_net.h"

#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtio.h"
#include "devices/virtio/virtio_serve.h"
#include "log.h"

#define DROP_LOG_LINES 8

/* Where the configuration's fields sit (§5.1.4). */
#define CONFIG_MAC 0
#define CONFIG_STATUS 6
#define CONFIG_MAX_PAIRS 8
/* num_buffers: the header's last field. */
#define HDR_NUM_BUFFERS 10

static void log_drop(struct virtio_net *net, const char *what, size_t len)
{
	if (log_ratelimit_allow(&net->log))
		log_warn("virtio-net: dropped %s (%zu bytes)", what, len);
}

/* The transmitq's rules: only device-readable buffers, the header first. */
static bool tx_chain_valid(struct virtio_net *net, const struct virtq_chain *chain)
{
	if (chain->writable || (chain->nsegs && chain->segs[chain->nsegs - 1].writable)) {
		virtio_mmio_device_error(&net->mmio, VIRTIO_NET_TXQ, "a device-writable buffer in the transmitq");
		return false;
	}
	if (chain->readable < VIRTIO_NET_HDR_SIZE) {
		virtio_mmio_device_error(&net->mmio, VIRTIO_NET_TXQ, "a transmit chain shorter than its header");
		return false;
	}
	return true;
}

/* One transmit chain: its frame to the back end (or dropped); false if the
 * device now needs reset. */
static bool transmit_chain(void *opaque, const struct virtq_chain *chain)
{
	struct virtio_net *net = opaque;
	uint32_t len;

	if (!tx_chain_valid(net, chain))
		return false;
	len = chain->readable - VIRTIO_NET_HDR_SIZE;
	if (len < VIRTIO_NET_ETH_HLEN || len > VIRTIO_NET_MAX_FRAME) {
		net->stats.tx_dropped++;
		log_drop(net, len < VIRTIO_NET_ETH_HLEN ? "a runt transmit frame" : "a giant transmit frame", len);
	} else {
		virtq_chain_read(chain, VIRTIO_NET_HDR_SIZE, net->tx_buf, len);
		net->stats.tx_frames++;
		netdev_send(&net->backend, net->tx_buf, len);
	}
	return virtio_mmio_push(&net->mmio, VIRTIO_NET_TXQ, chain->head, 0) == 0;
}

static struct virtq_chain chain_for(struct virtio_net *net)
{
	return (struct virtq_chain){ .segs = net->segs, .cap = sizeof(net->segs) / sizeof(net->segs[0]) };
}

static const struct virtio_serve transmitq = { .queue = VIRTIO_NET_TXQ,
					       .max_per_run = VIRTIO_NET_BURST,
					       .serve = transmit_chain };

static void backlog_drop_head(struct virtio_net *net)
{
	struct virtio_net_frame *f = &net->backlog[net->backlog_head];

	free(f->data);
	f->data = NULL;
	net->backlog_head = (net->backlog_head + 1) % VIRTIO_NET_RX_BACKLOG;
	net->backlog_len--;
}

/* virtq_chain_write reads only the queue's guest memory, set once at init,
 * so the queue is named here without the device lock. */
static const struct virtq *rx_vq(const struct virtio_net *net)
{
	return &net->mmio.queues[VIRTIO_NET_RXQ].vq;
}

/* The oldest waiting frame into one receive chain: 1 delivered or dropped, 0
 * no buffer (the frame waits), negative the device needs reset. */
static int receive_one(struct virtio_net *net, const struct virtio_net_frame *f)
{
	struct virtq_chain chain = chain_for(net);
	uint8_t hdr[VIRTIO_NET_HDR_SIZE] = { 0 };
	uint32_t written = 0;
	int r = virtio_mmio_pop(&net->mmio, VIRTIO_NET_RXQ, &chain);

	if (r <= 0)
		return r;
	if (chain.readable || (chain.nsegs && !chain.segs[0].writable)) {
		virtio_mmio_device_error(&net->mmio, VIRTIO_NET_RXQ, "a device-readable buffer in the receiveq");
		return -1;
	}
	if (chain.writable < VIRTIO_NET_HDR_SIZE + f->len) {
		net->stats.rx_dropped++;
		log_drop(net, "a receive frame too long for the guest's buffer", f->len);
	} else {
		hdr[HDR_NUM_BUFFERS] = 1;
		written = virtq_chain_write(rx_vq(net), &chain, 0, hdr, sizeof(hdr));
		written += virtq_chain_write(rx_vq(net), &chain, VIRTIO_NET_HDR_SIZE, f->data, f->len);
		net->stats.rx_frames++;
	}
	return virtio_mmio_push(&net->mmio, VIRTIO_NET_RXQ, chain.head, written) == 0 ? 1 : -1;
}

/* Waiting frames into receive buffers; true if the burst ran out with more
 * possibly waiting. */
static bool receive(struct virtio_net *net)
{
	unsigned served = 0;
	bool more = false;

	while (net->backlog_len) {
		int r = receive_one(net, &net->backlog[net->backlog_head]);

		if (r == 0 && virtio_mmio_enable_notify(&net->mmio, VIRTIO_NET_RXQ))
			continue; /* buffers came as notifications came back on */
		if (r <= 0)
			break;
		backlog_drop_head(net);
		if (++served == VIRTIO_NET_BURST) {
			more = net->backlog_len != 0;
			break;
		}
	}
	if (served)
		virtio_mmio_notify_used(&net->mmio, VIRTIO_NET_RXQ);
	return more;
}

/* On the I/O thread, under the worker's lock. */
static void net_work(void *opaque)
{
	struct virtio_net *net = opaque;

	virtio_serve_run(&net->mmio, &transmitq, net->segs, sizeof(net->segs) / sizeof(net->segs[0]));
	/* After transmit: what the back end answered at once goes in this run. */
	if (receive(net))
		virtio_mmio_kick(&net->mmio);
}

void virtio_net_receive(struct virtio_net *net, const uint8_t *frame, size_t len)
{
	struct virtio_net_frame *f;

	if (len < VIRTIO_NET_ETH_HLEN || len > VIRTIO_NET_MAX_FRAME || net->backlog_len == VIRTIO_NET_RX_BACKLOG) {
		net->stats.rx_dropped++;
		return;
	}
	f = &net->backlog[(net->backlog_head + net->backlog_len) % VIRTIO_NET_RX_BACKLOG];
	f->data = malloc(len);
	if (!f->data) {
		net->stats.rx_dropped++;
		return;
	}
	memcpy(f->data, frame, len);
	f->len = (uint32_t)len;
	net->backlog_len++;
	virtio_mmio_kick(&net->mmio);
}

static void receiver_cb(void *opaque, const uint8_t *frame, size_t len)
{
	virtio_net_receive(opaque, frame, len);
}

struct net_receiver virtio_net_receiver(struct virtio_net *net)
{
	return (struct net_receiver){ .receive = receiver_cb, .opaque = net };
}

/* The configuration (§5.1.4): fixed for the device's life, so no lock. */
static uint64_t net_config_read(void *opaque, uint32_t offset, unsigned size)
{
	struct virtio_net *net = opaque;
	uint8_t cfg[VIRTIO_NET_CONFIG_SIZE] = { 0 };
	uint64_t v = 0;

	memcpy(cfg + CONFIG_MAC, net->mac, sizeof(net->mac));
	cfg[CONFIG_STATUS] = VIRTIO_NET_S_LINK_UP;
	cfg[CONFIG_MAX_PAIRS] = 1;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)cfg[offset + i] << (8 * i);
	return v;
}

static const struct virtio_device_ops net_ops = {
	.device_id = VIRTIO_ID_NET,
	.num_queues = 2,
	.queue_num_max = VIRTIO_NET_QUEUE_SIZE,
	.config_size = VIRTIO_NET_CONFIG_SIZE,
	.config_read = net_config_read,
	.work = net_work,
};

int virtio_net_init(struct virtio_net *net, const struct guest_memory *mem, struct irq_line irq, const uint8_t mac[6],
		    struct netdev backend, char *why, size_t why_len)
{
	memset(net, 0, sizeof(*net));
	net->mem = mem;
	net->backend = backend;
	memcpy(net->mac, mac, sizeof(net->mac));
	net->log = (struct log_ratelimit)LOG_RATELIMIT_INIT(DROP_LOG_LINES);
	return virtio_mmio_init(&net->mmio, "net", mem, &net_ops, net, VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS, irq, why,
				why_len);
}

void virtio_net_destroy(struct virtio_net *net)
{
	while (net->backlog_len)
		backlog_drop_head(net);
	virtio_mmio_destroy(&net->mmio);
}
