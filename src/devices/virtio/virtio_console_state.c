#include "devices/virtio/virtio_console.h"

/* virtio-console's own part, after the transport's
 * (docs/snapshot-format.md): u32 bytes of host input waiting for a receive
 * buffer (at most VIRTIO_CONSOLE_INPUT_SIZE), then the bytes, oldest first.
 * Output is never buffered: each transmit chain goes to the chardev whole
 * within one run of the work (the drain, virtio_mmio.h). */

static void console_save_own(void *opaque, struct state_writer *w)
{
	struct virtio_console *con = opaque;

	pthread_mutex_lock(&con->input_lock);
	state_put_u32(w, con->input_len);
	for (unsigned i = 0; i < con->input_len; i++)
		state_put_u8(w, con->input[(con->input_head + i) % VIRTIO_CONSOLE_INPUT_SIZE]);
	pthread_mutex_unlock(&con->input_lock);
}

static int console_load_own(void *opaque, struct state_reader *r, uint32_t version)
{
	struct virtio_console *con = opaque;
	uint32_t n = state_get_u32(r);

	(void)version;
	if (n > VIRTIO_CONSOLE_INPUT_SIZE) {
		state_reader_fail(r);
		return -1;
	}
	pthread_mutex_lock(&con->input_lock);
	state_get_bytes(r, con->input, n);
	con->input_head = 0;
	con->input_len = state_reader_ok(r, false) ? n : 0;
	pthread_mutex_unlock(&con->input_lock);
	return state_reader_ok(r, false) ? 0 : -1;
}

static void console_reset_own(void *opaque)
{
	struct virtio_console *con = opaque;

	pthread_mutex_lock(&con->input_lock);
	con->input_head = 0;
	con->input_len = 0;
	pthread_mutex_unlock(&con->input_lock);
}

static const struct virtio_state_part console_own = { .save = console_save_own,
						      .load = console_load_own,
						      .reset = console_reset_own };

static void console_reset(void *dev)
{
	struct virtio_console *con = dev;

	virtio_mmio_state_reset(&con->mmio, &console_own);
}

static void console_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct virtio_console *con = dev;

	(void)now_ns;
	virtio_mmio_state_save(&con->mmio, &console_own, w);
}

static int console_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct virtio_console *con = dev;

	(void)now_ns;
	return virtio_mmio_state_load(&con->mmio, &console_own, r, version);
}

const struct device_state_ops virtio_console_state_ops = {
	.version = 1, .reset = console_reset, .save = console_save, .load = console_load
};
