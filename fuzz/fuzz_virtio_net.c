/* The virtio-net device (src/devices/virtio/virtio_net.c) and its transport
 * against a driver that writes anything, with a stub in place of user
 * networking: frames the device transmits go to the stub, which checks them
 * and may hand each straight back as a received frame (as libslirp answers an
 * ARP request from inside slirp_input); the stub also injects frames of its
 * own. The input is guest RAM (both queues' descriptor tables and rings and
 * the buffers) and a list of what the driver, the back end and the I/O thread
 * do next.
 *
 *   header (8 bytes)
 *     0      bit 0 EVENT_IDX, bit 1 INDIRECT_DESC, bit 2 the stub echoes
 *            every transmitted frame back
 *     1      receiveq size 1 << (b % 9), 1..256;  2  transmitq size likewise
 *     3      number of operations (3 bytes each) that follow the header
 *   operations: op % 8, a, b
 *     0 notify the transmitq   1 notify the receiveq   2 run the work
 *     3 the stub injects a frame of a * 256 + b bytes (0 to 65535)
 *     4 the driver moves avail->idx of queue a & 1 by b
 *     5 reset (Status 0) and bring the device up again
 *     6 write b to register (a * 4) & 0x1fc   7 read configuration byte a % 16
 *   the rest: guest RAM from address 0 on (the ring indexes start at 0)
 *
 * RAM is 64 KiB at 0 with guard pages around it (fuzz/support/guarded_ram.h).
 * Checks (FINDING): every frame the stub is given is 14..VIRTIO_NET_MAX_FRAME
 * bytes; the backlog never exceeds its bound; frames counted add up.
 * FUZZ_VIRTIO_NET_TRACE=1 prints the device's counters after each input. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtio_net.h"
#include "log.h"
#include "support/guarded_ram.h"
#include "support/virtio_ram.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LOW_SIZE 0x10000ull /* the input's RAM image fills the first -max_len bytes */
#define HEADER 8
#define FLAG_EVENT_IDX 0x01
#define FLAG_INDIRECT 0x02
#define FLAG_ECHO 0x04
/* Ring areas: the receiveq's in the first 8 KiB, the transmitq's in the next. */
#define DESC(q) (0x2000ull * (q))
#define AVAIL(q) (DESC(q) + 0x1000)
#define USED(q) (DESC(q) + 0x1400)

static struct guarded_ram ram;
static struct virtio_net net;
static uint8_t frame_buf[65536];
static bool echo;
static uint64_t sent;
static bool trace;

static void finding(const char *what)
{
	fprintf(stderr, "FINDING: %s\n", what);
	abort();
}

static void stub_send(void *opaque, const uint8_t *frame, size_t len)
{
	(void)opaque;
	if (len < VIRTIO_NET_ETH_HLEN || len > VIRTIO_NET_MAX_FRAME)
		finding("a transmitted frame outside 14..VIRTIO_NET_MAX_FRAME bytes");
	/* Touch both ends: ASan sees a frame that is not all there. */
	frame_buf[0] ^= frame[0];
	frame_buf[1] ^= frame[len - 1];
	sent++;
	if (echo)
		virtio_net_receive(&net, frame, len);
}

static void no_irq(void *controller, unsigned pin, int level)
{
	(void)controller;
	(void)pin;
	(void)level;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const struct guarded_region regions[] = { { 0, LOW_SIZE } };

	(void)argc;
	(void)argv;
	guarded_ram_init(&ram, regions, 1);
	trace = getenv("FUZZ_VIRTIO_NET_TRACE") != NULL;
	/* Every guest error is logged once per device, and each input makes a
	 * new device: the lines would only slow the run. */
	log_set_level(LOG_ERROR);
	return 0;
}

static void reg_write(uint32_t offset, uint32_t value)
{
	virtio_mmio_ops.write(&net.mmio, offset, 4, value);
}

/* Linux's sequence (§3.1.1) with the input's feature choices and sizes. */
static void bring_up(const uint8_t *header)
{
	uint32_t lo = (header[0] & FLAG_EVENT_IDX ? 1u << 29 : 0) | (header[0] & FLAG_INDIRECT ? 1u << 28 : 0) |
		      (uint32_t)(VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS);

	reg_write(R_STATUS, 0);
	reg_write(R_STATUS, 1);
	reg_write(R_STATUS, 3);
	reg_write(R_DRIVER_FEATURES_SEL, 0);
	reg_write(R_DRIVER_FEATURES, lo);
	reg_write(R_DRIVER_FEATURES_SEL, 1);
	reg_write(R_DRIVER_FEATURES, 1); /* VERSION_1 */
	reg_write(R_STATUS, 11);
	for (unsigned q = 0; q < 2; q++) {
		reg_write(R_QUEUE_SEL, q);
		reg_write(R_QUEUE_NUM, 1u << (header[1 + q] % 9));
		reg_write(R_QUEUE_DESC, (uint32_t)DESC(q));
		reg_write(R_QUEUE_DRIVER, (uint32_t)AVAIL(q));
		reg_write(R_QUEUE_DEVICE, (uint32_t)USED(q));
		reg_write(R_QUEUE_READY, 1);
	}
	reg_write(R_STATUS, 15);
}

static void run_work(void)
{
	virtio_worker_kick(&net.mmio.worker);
	virtio_worker_run(&net.mmio.worker);
}

static void move_avail(unsigned q, uint8_t by)
{
	uint8_t *idx = guarded_ram_ptr(&ram, AVAIL(q) + 2, 2);
	uint16_t v = (uint16_t)(idx[0] | idx[1] << 8) + by;

	idx[0] = (uint8_t)v;
	idx[1] = (uint8_t)(v >> 8);
}

static void run_op(const uint8_t *header, const uint8_t *op)
{
	uint8_t a = op[1], b = op[2];

	switch (op[0] % 8) {
	case 0:
		reg_write(R_QUEUE_NOTIFY, VIRTIO_NET_TXQ);
		break;
	case 1:
		reg_write(R_QUEUE_NOTIFY, VIRTIO_NET_RXQ);
		break;
	case 2:
		run_work();
		break;
	case 3:
		virtio_net_receive(&net, frame_buf, (size_t)a * 256 + b);
		break;
	case 4:
		move_avail(a & 1, b);
		break;
	case 5:
		bring_up(header);
		break;
	case 6:
		reg_write(((uint32_t)a * 4) & 0x1fc, b);
		break;
	default:
		(void)virtio_mmio_ops.read(&net.mmio, R_CONFIG + a % 16, 1);
		break;
	}
	if (net.backlog_len > VIRTIO_NET_RX_BACKLOG)
		finding("the receive backlog grew past its bound");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct irq_line irq = { .set = no_irq };
	unsigned nops;
	size_t image;
	char why[128];

	if (size < HEADER)
		return 0;
	memset(ram.mem.region[0].hva, 0, LOW_SIZE);
	nops = data[3];
	if ((size - HEADER) / 3 < nops)
		nops = (unsigned)((size - HEADER) / 3);
	image = size - HEADER - 3 * nops;
	memcpy(ram.mem.region[0].hva, data + HEADER + 3 * nops, image < LOW_SIZE ? image : LOW_SIZE);
	/* Both rings start empty at index 0, as after the driver's reset. */
	for (unsigned q = 0; q < 2; q++) {
		memset(guarded_ram_ptr(&ram, AVAIL(q), 4), 0, 4);
		memset(guarded_ram_ptr(&ram, USED(q), 4), 0, 4);
	}
	echo = data[0] & FLAG_ECHO;
	sent = 0;
	if (virtio_net_init(&net, &ram.mem, irq, mac, (struct netdev){ .send = stub_send }, why, sizeof(why)))
		finding(why);
	bring_up(data);
	for (unsigned i = 0; i < nops; i++)
		run_op(data, data + HEADER + 3 * i);
	run_work();
	if (net.stats.tx_frames != sent)
		finding("frames counted as sent differ from the frames the back end got");
	if (trace)
		fprintf(stderr, "tx %llu dropped %llu, rx %llu dropped %llu, backlog %u, status %#x\n",
			(unsigned long long)net.stats.tx_frames, (unsigned long long)net.stats.tx_dropped,
			(unsigned long long)net.stats.rx_frames, (unsigned long long)net.stats.rx_dropped,
			net.backlog_len, net.mmio.status);
	virtio_net_destroy(&net);
	return 0;
}
