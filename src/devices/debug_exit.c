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
