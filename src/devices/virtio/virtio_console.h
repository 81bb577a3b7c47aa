/* virtio-console (virtio 1.x §5.3): device ID 3, one port (no MULTIPORT), so
 * two queues: receiveq 0 (host to guest) and transmitq 1 (guest to host). No
 * feature bits (no SIZE, no EMERG_WRITE), no configuration. Linux names the
 * port hvc0.
 *
 * Output: each transmit chain's bytes go to a struct chardev, the same one
 * the UART writes to (the host's stdout), so both consoles' output lands in
 * one stream. Input: the host's bytes (virtio_console_receive, any thread)
 * wait in a VIRTIO_CONSOLE_INPUT_SIZE-byte buffer until the guest offers
 * receive buffers; a full buffer refuses more, and the caller keeps them, as
 * it does for the UART's FIFO.
 *
 * The guest's faults: a device-writable buffer in the transmitq or a
 * device-readable one in the receiveq breaks the device type's layout
 * (DEVICE_NEEDS_RESET, §2.1.2).
 *
 * Threads: registers on vCPU threads; pops and pushes on the I/O thread in
 * the work, under the transport's worker lock (virtio_mmio.h). The input
 * buffer has its own leaf lock (input_lock), taken by the thread that reads
 * the host's console and by the work. */
#ifndef RV_VIRTIO_CONSOLE_H
#define RV_VIRTIO_CONSOLE_H

#include <pthread.h>
#include <stdint.h>

#include "devices/chardev.h"
#include "devices/irq.h"
#include "devices/virtio/virtio_mmio.h"
#include "state/device_state.h"
#include "vm/memory.h"

#define VIRTIO_CONSOLE_QUEUE_SIZE 64
#define VIRTIO_CONSOLE_RXQ 0
#define VIRTIO_CONSOLE_TXQ 1
#define VIRTIO_CONSOLE_INPUT_SIZE 256
/* Transmit chains per run of the work before it yields the I/O thread. */
#define VIRTIO_CONSOLE_BURST 64
/* Bytes written out per chain at most: the rest of a longer chain is
 * dropped, so that no chain holds the I/O thread for long. */
#define VIRTIO_CONSOLE_CHAIN_MAX 65536u

struct virtio_console {
	struct virtio_mmio mmio; /* register its window on the MMIO bus */
	const struct guest_memory *mem;
	struct chardev out;
	pthread_mutex_t input_lock;
	uint8_t input[VIRTIO_CONSOLE_INPUT_SIZE]; /* a ring */
	unsigned input_head, input_len;
	/* The worker's (its lock): the chain being served. */
	struct virtq_seg segs[2 * VIRTIO_CONSOLE_QUEUE_SIZE];
	uint64_t bytes_out, bytes_in; /* for tests and statistics */
};

/* 0, or -1 with a reason in why. out: where the guest's output goes. */
int virtio_console_init(struct virtio_console *con, const struct guest_memory *mem, struct irq_line irq,
			struct chardev out, char *why, size_t why_len);
/* Host input for the guest, any thread: the bytes taken (fewer when the
 * buffer is full; the caller offers the rest again later). */
size_t virtio_console_receive(struct virtio_console *con, const uint8_t *buf, size_t len);
void virtio_console_destroy(struct virtio_console *con);

/* Its saved state (virtio_console_state.c, docs/snapshot-format.md): the
 * transport's part and the host input waiting for the guest. */
extern const struct device_state_ops virtio_console_state_ops;

#endif
