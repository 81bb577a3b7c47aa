#include "devices/debug_exit.h"

int debug_exit_status(uint64_t value)
{
	/* The operating system keeps the low 8 bits of an exit status. */
	return (int)(((value << 1) | 1) & 0xff);
}

static void debug_exit_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	const struct debug_exit *d = opaque;

	(void)offset;
	(void)size;
	d->stop(d->opaque, debug_exit_status(value));
}

const struct io_device_ops debug_exit_ops = { .read = NULL, .write = debug_exit_write, .sizes = IO_SIZES_UP_TO_4 };

static void debug_exit_reset(void *dev)
{
	(void)dev;
}

static void debug_exit_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	(void)dev;
	(void)w;
	(void)now_ns;
}

static int debug_exit_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	(void)dev;
	(void)r;
	(void)version;
	(void)now_ns;
	return 0;
}

const struct device_state_ops debug_exit_state_ops = {
	.version = 1,
	.reset = debug_exit_reset,
	.save = debug_exit_save,
	.load = debug_exit_load,
};
