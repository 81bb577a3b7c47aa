/* The I/O APIC's saved state (docs/snapshot-format.md, section "ioapic").
 *
 * Version 1: the ID (bits 27:24 of the register, as 0-15), IOREGSEL, the raw
 * level of the 24 input pins (bit n: pin n), then the 24 redirection entries
 * as 64-bit values (Remote IRR included). */
#include "devices/ioapic.h"

#define ID_MAX 0x0f
#define PIN_LEVELS ((1u << IOAPIC_PINS) - 1)

static void ioapic_state_reset(void *dev)
{
	ioapic_reset(dev);
}

static void ioapic_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct ioapic *io = dev;

	(void)now_ns;
	pthread_mutex_lock(&io->lock);
	state_put_u8(w, io->id);
	state_put_u8(w, io->regsel);
	state_put_u32(w, io->pin_level);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		state_put_u64(w, io->redir[pin]);
	pthread_mutex_unlock(&io->lock);
}

static int ioapic_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct ioapic *io = dev;
	uint64_t redir[IOAPIC_PINS];
	uint8_t id, regsel;
	uint32_t pin_level;

	(void)version;
	(void)now_ns;
	id = state_get_u8(r);
	regsel = state_get_u8(r);
	pin_level = state_get_u32(r);
	if (id > ID_MAX || (pin_level & ~PIN_LEVELS))
		state_reader_fail(r);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		redir[pin] = state_get_u64(r);
		if (!ioapic_entry_valid(redir[pin]))
			state_reader_fail(r);
	}
	if (!state_reader_ok(r, false))
		return -1;
	pthread_mutex_lock(&io->lock);
	io->id = id;
	io->regsel = regsel;
	io->pin_level = pin_level;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		io->redir[pin] = redir[pin];
	pthread_mutex_unlock(&io->lock);
	return 0;
}

const struct device_state_ops ioapic_state_ops = {
	.version = 1,
	.reset = ioapic_state_reset,
	.save = ioapic_save,
	.load = ioapic_load,
};
