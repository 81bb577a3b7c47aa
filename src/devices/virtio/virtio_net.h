/* virtio-net, the network device (virtio 1.x §5.1): device ID 1, one receiveq
 * (0) and one transmitq (1), no control queue. Feature bits: MAC (the
 * configuration holds the address) and STATUS (link state in the
 * configuration, always up), beside what the transport gives (VERSION_1,
 * EVENT_IDX, INDIRECT_DESC). No checksum or segmentation offload and no
 * merged receive buffers: every frame is whole, checksummed, in one chain.
 *
 * Each frame in either direction is preceded by the 12-byte struct
 * virtio_net_hdr (VERSION_1 makes num_buffers present). On transmit the
 * header is read past (nothing it may ask for was negotiated); on receive it
 * is written as zeros with num_buffers 1 ("MUST set num_buffers to 1" without
 * MRG_RXBUF).
 *
 * What the guest may get wrong, and the answer:
 * - a transmit chain with a device-writable buffer, or shorter than the
 *   header: it breaks the device type's layout; DEVICE_NEEDS_RESET (§2.1.2);
 * - a transmit frame shorter than an Ethernet header or longer than
 *   VIRTIO_NET_MAX_FRAME: dropped (returned used, counted, logged
 *   rate-limited), as a NIC drops a runt or a giant;
 * - a receive chain with a device-readable buffer: DEVICE_NEEDS_RESET;
 * - a receive chain too short for the header and the frame: the frame is
 *   dropped and the chain returned with nothing written.
 * Frames for the guest while it offers no receive buffer wait in a backlog of
 * VIRTIO_NET_RX_BACKLOG frames; more are dropped (user networking's TCP
 * retransmits, as on a congested link).
 *
 * Threads: registers on vCPU threads; everything else on the I/O thread. The
 * work (transmit, then the backlog into receive buffers) runs under the
 * worker's lock; virtio_net_receive (the back end, I/O thread) only queues a
 * frame and kicks the worker, so every push happens in the work and a reset
 * waits for it (virtio_mmio.h). The backlog and the transmit buffer
 * are the I/O thread's own. */
#ifndef RV_VIRTIO_NET_H
#define RV_VIRTIO_NET_H

#include <stdint.h>

#include "devices/irq.h"
#include "devices/netdev.h"
#include "devices/virtio/virtio_mmio.h"
#include "state/device_state.h"
#include "vm/memory.h"

#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1
/* Feature bits (§5.1.3). */
#define VIRTIO_NET_F_MAC (1ull << 5)
#define VIRTIO_NET_F_STATUS (1ull << 16)
#define VIRTIO_NET_S_LINK_UP 1u
#define VIRTIO_NET_HDR_SIZE 12u
#define VIRTIO_NET_CONFIG_SIZE 10u /* mac[6], status, max_virtqueue_pairs */
#define VIRTIO_NET_ETH_HLEN 14u
/* The largest frame either way: 64 KiB of IP plus Ethernet and VLAN headers. */
#define VIRTIO_NET_MAX_FRAME 65550u
#define VIRTIO_NET_RX_BACKLOG 64
/* Chains or frames per direction per run of the work before it yields the
 * I/O thread and kicks itself to go on. */
#define VIRTIO_NET_BURST 64

struct virtio_net_frame {
	uint8_t *data; /* malloc'd; NULL for a free slot */
	uint32_t len;
};

struct virtio_net_stats {
	uint64_t tx_frames, tx_dropped;
	uint64_t rx_frames, rx_dropped;
};

struct virtio_net {
	struct virtio_mmio mmio; /* register its window on the MMIO bus */
	const struct guest_memory *mem;
	struct netdev backend; /* where transmitted frames go */
	uint8_t mac[6];
	struct log_ratelimit log;
	/* The I/O thread's own. */
	struct virtio_net_frame backlog[VIRTIO_NET_RX_BACKLOG];
	unsigned backlog_head, backlog_len;
	struct virtio_net_stats stats;
	/* The worker's (its lock): the chain being served, the frame copied out. */
	struct virtq_seg segs[2 * VIRTIO_NET_QUEUE_SIZE];
	uint8_t tx_buf[VIRTIO_NET_HDR_SIZE + VIRTIO_NET_MAX_FRAME];
};

/* 0, or -1 with a reason in why. backend: where the guest's frames go. */
int virtio_net_init(struct virtio_net *net, const struct guest_memory *mem, struct irq_line irq, const uint8_t mac[6],
		    struct netdev backend, char *why, size_t why_len);
/* The back end has a frame for the guest (I/O thread): queued for the work. */
void virtio_net_receive(struct virtio_net *net, const uint8_t *frame, size_t len);
/* A struct net_receiver that hands frames to virtio_net_receive. */
struct net_receiver virtio_net_receiver(struct virtio_net *net);
void virtio_net_destroy(struct virtio_net *net);

/* Its saved state (virtio_net_state.c, docs/snapshot-format.md): the
 * transport's part, the MAC, and the frames waiting in the receive backlog.
 * The back end's state (user networking) is a section of its own. */
extern const struct device_state_ops virtio_net_state_ops;

#endif
