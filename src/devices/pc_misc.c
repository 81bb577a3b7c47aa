#include "devices/pc_misc.h"

#include <stdbool.h>
#include <string.h>

#define PORT92_FAST_RESET 0x01
#define PORT92_A20 0x02
#define CF9_SYS_RST 0x02
#define CF9_RST_CPU 0x04
#define CF9_FULL_RST 0x08
/* i8042 "pulse output port" commands: 0xf0 | mask, a 0 in the mask pulses the bit. */
#define I8042_PULSE_MASK 0xf0
#define I8042_OUT_RESET 0x01

void pc_misc_init(struct pc_misc *m, void (*reset)(void *opaque), void *opaque)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->reset = reset;
	m->opaque = opaque;
	m->port92 = PORT92_A20;
}

void pc_misc_destroy(struct pc_misc *m)
{
	pthread_mutex_destroy(&m->lock);
}

static uint8_t locked_read(struct pc_misc *m, const uint8_t *reg)
{
	uint8_t v;

	pthread_mutex_lock(&m->lock);
	v = *reg;
	pthread_mutex_unlock(&m->lock);
	return v;
}

static uint64_t post_read(void *opaque, uint64_t offset, unsigned size)
{
	(void)opaque;
	(void)offset;
	return io_all_ones(size);
}

static void post_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct pc_misc *m = opaque;

	(void)offset;
	(void)size;
	pthread_mutex_lock(&m->lock);
	m->post_writes++;
	m->post_code = (uint8_t)value;
	pthread_mutex_unlock(&m->lock);
}

static uint64_t port92_read(void *opaque, uint64_t offset, unsigned size)
{
	(void)offset;
	(void)size;
	return locked_read(opaque, &((struct pc_misc *)opaque)->port92);
}

static void port92_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct pc_misc *m = opaque;

	(void)offset;
	(void)size;
	pthread_mutex_lock(&m->lock);
	m->port92 = (uint8_t)(value & PORT92_A20);
	pthread_mutex_unlock(&m->lock);
	if (value & PORT92_FAST_RESET)
		m->reset(m->opaque);
}

static uint64_t i8042_read(void *opaque, uint64_t offset, unsigned size)
{
	(void)opaque;
	(void)offset;
	(void)size;
	return 0; /* data: nothing to give; status: nothing pending, ready for input */
}

static void i8042_data_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	(void)opaque;
	(void)offset;
	(void)size;
	(void)value;
}

static void i8042_cmd_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct pc_misc *m = opaque;
	uint8_t cmd = (uint8_t)value;

	(void)offset;
	(void)size;
	if ((cmd & I8042_PULSE_MASK) == I8042_PULSE_MASK && !(cmd & I8042_OUT_RESET))
		m->reset(m->opaque);
}

static uint64_t cf9_read(void *opaque, uint64_t offset, unsigned size)
{
	(void)offset;
	(void)size;
	return locked_read(opaque, &((struct pc_misc *)opaque)->cf9);
}

static void cf9_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct pc_misc *m = opaque;
	bool hard_reset = (value & (CF9_RST_CPU | CF9_SYS_RST)) == (CF9_RST_CPU | CF9_SYS_RST);

	(void)offset;
	(void)size;
	pthread_mutex_lock(&m->lock);
	m->cf9 = (uint8_t)(value & (CF9_SYS_RST | CF9_FULL_RST));
	pthread_mutex_unlock(&m->lock);
	if (hard_reset)
		m->reset(m->opaque);
}

const struct io_device_ops pc_misc_post_ops = { .read = post_read, .write = post_write, .sizes = IO_SIZES_BYTE };
const struct io_device_ops pc_misc_port92_ops = { .read = port92_read, .write = port92_write, .sizes = IO_SIZES_BYTE };
const struct io_device_ops pc_misc_i8042_data_ops = { .read = i8042_read,
						      .write = i8042_data_write,
						      .sizes = IO_SIZES_BYTE };
const struct io_device_ops pc_misc_i8042_cmd_ops = { .read = i8042_read,
						     .write = i8042_cmd_write,
						     .sizes = IO_SIZES_BYTE };
const struct io_device_ops pc_misc_cf9_ops = { .read = cf9_read, .write = cf9_write, .sizes = IO_SIZES_BYTE };

/* Version 1: the count of POST writes, the last POST code, port 0x92's and
 * 0xcf9's stored bits. The i8042 holds nothing. */
static void pc_misc_state_reset(void *dev)
{
	struct pc_misc *m = dev;

	pthread_mutex_lock(&m->lock);
	m->post_writes = 0;
	m->post_code = 0;
	m->port92 = PORT92_A20;
	m->cf9 = 0;
	pthread_mutex_unlock(&m->lock);
}

static void pc_misc_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct pc_misc *m = dev;

	(void)now_ns;
	pthread_mutex_lock(&m->lock);
	state_put_u64(w, m->post_writes);
	state_put_u8(w, m->post_code);
	state_put_u8(w, m->port92);
	state_put_u8(w, m->cf9);
	pthread_mutex_unlock(&m->lock);
}

static int pc_misc_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct pc_misc *m = dev;
	uint64_t post_writes;
	uint8_t post_code, port92, cf9;

	(void)version;
	(void)now_ns;
	post_writes = state_get_u64(r);
	post_code = state_get_u8(r);
	port92 = state_get_u8(r);
	cf9 = state_get_u8(r);
	if ((port92 & ~PORT92_A20) || (cf9 & ~(CF9_SYS_RST | CF9_FULL_RST)))
		state_reader_fail(r);
	if (!state_reader_ok(r, false))
		return -1;
	pthread_mutex_lock(&m->lock);
	m->post_writes = (unsigned long)post_writes;
	m->post_code = post_code;
	m->port92 = port92;
	m->cf9 = cf9;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

const struct device_state_ops pc_misc_state_ops = {
	.version = 1,
	.reset = pc_misc_state_reset,
	.save = pc_misc_save,
	.load = pc_misc_load,
};
