#include "devices/virtio/virtio_console.h"

#include <string.h>

#include "devices/virtio/virtio.h"
#include "devices/virtio/virtio_serve.h"

/* One transmit chain out to the chardev; false if the device needs reset. */
static bool transmit_chain(void *opaque, const struct virtq_chain *chain)
{
	struct virtio_console *con = opaque;
	uint32_t left = VIRTIO_CONSOLE_CHAIN_MAX;

	if (chain->writable || (chain->nsegs && chain->segs[chain->nsegs - 1].writable)) {
		virtio_mmio_device_error(&con->mmio, VIRTIO_CONSOLE_TXQ, "a device-writable buffer in the transmitq");
		return false;
	}
	for (unsigned i = 0; i < chain->nsegs && left; i++) {
		uint32_t n = chain->segs[i].len < left ? chain->segs[i].len : left;

		chardev_write(&con->out, chain->segs[i].host, n);
		con->bytes_out += n;
		left -= n;
	}
	return virtio_mmio_push(&con->mmio, VIRTIO_CONSOLE_TXQ, chain->head, 0) == 0;
}

static const struct virtio_serve transmitq = { .queue = VIRTIO_CONSOLE_TXQ,
					       .max_per_run = VIRTIO_CONSOLE_BURST,
					       .serve = transmit_chain };

/* Moves waiting input into the chain's writable bytes; how many. */
static uint32_t take_input(struct virtio_console *con, const struct virtq_chain *chain)
{
	const struct virtq *vq = &con->mmio.queues[VIRTIO_CONSOLE_RXQ].vq; /* only its memory is read */
	uint32_t done = 0;

	pthread_mutex_lock(&con->input_lock);
	while (con->input_len && done < chain->writable) {
		unsigned run = VIRTIO_CONSOLE_INPUT_SIZE - con->input_head;
		uint32_t n = run < con->input_len ? run : con->input_len;

		if (n > chain->writable - done)
			n = chain->writable - done;
		virtq_chain_write(vq, chain, done, con->input + con->input_head, n);
		con->input_head = (con->input_head + n) % VIRTIO_CONSOLE_INPUT_SIZE;
		con->input_len -= n;
		done += n;
	}
	pthread_mutex_unlock(&con->input_lock);
	return done;
}

static bool input_waiting(struct virtio_console *con)
{
	bool waiting;

	pthread_mutex_lock(&con->input_lock);
	waiting = con->input_len != 0;
	pthread_mutex_unlock(&con->input_lock);
	return waiting;
}

/* Waiting input into receive buffers, a chain at a time. */
static void receive(struct virtio_console *con)
{
	struct virtq_chain chain = { .segs = con->segs, .cap = sizeof(con->segs) / sizeof(con->segs[0]) };
	unsigned served = 0;

	while (input_waiting(con) && virtio_mmio_pop_next(&con->mmio, VIRTIO_CONSOLE_RXQ, &chain) > 0) {
		uint32_t n;

		if (chain.readable || (chain.nsegs && !chain.segs[0].writable)) {
			virtio_mmio_device_error(&con->mmio, VIRTIO_CONSOLE_RXQ,
						 "a device-readable buffer in the receiveq");
			break;
		}
		n = take_input(con, &chain);
		con->bytes_in += n;
		if (virtio_mmio_push(&con->mmio, VIRTIO_CONSOLE_RXQ, chain.head, n))
			break;
		served++;
	}
	if (served)
		virtio_mmio_notify_used(&con->mmio, VIRTIO_CONSOLE_RXQ);
}

/* On the I/O thread, under the worker's lock. */
static void console_work(void *opaque)
{
	struct virtio_console *con = opaque;

	virtio_serve_run(&con->mmio, &transmitq, con->segs, sizeof(con->segs) / sizeof(con->segs[0]));
	receive(con);
}

size_t virtio_console_receive(struct virtio_console *con, const uint8_t *buf, size_t len)
{
	size_t taken = 0;

	pthread_mutex_lock(&con->input_lock);
	while (taken < len && con->input_len < VIRTIO_CONSOLE_INPUT_SIZE) {
		con->input[(con->input_head + con->input_len) % VIRTIO_CONSOLE_INPUT_SIZE] = buf[taken++];
		con->input_len++;
	}
	pthread_mutex_unlock(&con->input_lock);
	if (taken)
		virtio_mmio_kick(&con->mmio);
	return taken;
}

static const struct virtio_device_ops console_ops = {
	.device_id = VIRTIO_ID_CONSOLE,
	.num_queues = 2,
	.queue_num_max = VIRTIO_CONSOLE_QUEUE_SIZE,
	.config_size = 0,
	.work = console_work,
};

int virtio_console_init(struct virtio_console *con, const struct guest_memory *mem, struct irq_line irq,
			struct chardev out, char *why, size_t why_len)
{
	memset(con, 0, sizeof(*con));
	con->mem = mem;
	con->out = out;
	if (virtio_mmio_init(&con->mmio, "console", mem, &console_ops, con, 0, irq, why, why_len))
		return -1;
	pthread_mutex_init(&con->input_lock, NULL);
	return 0;
}

void virtio_console_destroy(struct virtio_console *con)
{
	virtio_mmio_destroy(&con->mmio);
	pthread_mutex_destroy(&con->input_lock);
}
