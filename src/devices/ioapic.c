#include "devices/ioapic.h"

#include <string.h>

/* MMIO offsets within the window. */
#define REG_IOREGSEL 0x00
#define REG_IOWIN 0x10
#define REG_EOI 0x40

/* Indirect registers. */
#define IND_ID 0x00
#define IND_VERSION 0x01
#define IND_ARB 0x02
#define IND_REDIR_FIRST 0x10
#define IND_REDIR_END (IND_REDIR_FIRST + 2 * IOAPIC_PINS)

/* ICH: version 0x20 (I/OxAPIC), maximum redirection entry 23, PRQ (bit 15) 0. */
#define VERSION_VALUE ((uint32_t)(IOAPIC_PINS - 1) << 16 | 0x20)
#define ID_SHIFT 24
#define ID_MASK 0x0f

/* Redirection entry fields (82093AA section 3.2.4). */
#define RE_VECTOR 0xffull
#define RE_DELMODE_SHIFT 8
#define RE_DELMODE 0x700ull
#define RE_DESTMODE (1ull << 11)
#define RE_DELIVS (1ull << 12)
#define RE_POLARITY (1ull << 13)
#define RE_REMOTE_IRR (1ull << 14)
#define RE_LEVEL (1ull << 15)
#define RE_MASK (1ull << 16)
#define RE_DEST_SHIFT 56
#define RE_DEST (0xffull << RE_DEST_SHIFT)
/* What a guest write can change; Delivery Status and Remote IRR are read-only,
 * bits 55:17 reserved. */
#define RE_WRITABLE (RE_VECTOR | RE_DELMODE | RE_DESTMODE | RE_POLARITY | RE_LEVEL | RE_MASK | RE_DEST)

#define ODD_ACCESS_LOG_LINES 8

static unsigned delivery_mode(uint64_t e)
{
	return (unsigned)((e & RE_DELMODE) >> RE_DELMODE_SHIFT);
}

static bool mode_is_reserved(unsigned mode)
{
	return mode == 3 || mode == 6;
}

/* Level semantics (Remote IRR, re-delivery) apply to fixed and lowest-priority
 * entries only; SMI, NMI, INIT and ExtINT require edge triggering, so they are
 * treated as edge whatever the trigger mode bit says. */
static bool entry_is_level(uint64_t e)
{
	unsigned mode = delivery_mode(e);

	return (e & RE_LEVEL) && (mode == IOAPIC_DM_FIXED || mode == IOAPIC_DM_LOWEST);
}

/* The input as the entry sees it: the pin XOR polarity (1 = low active). */
static bool input_asserted(const struct ioapic *io, unsigned pin)
{
	bool high = (io->pin_level >> pin) & 1;

	return high != !!(io->redir[pin] & RE_POLARITY);
}

static void send(struct ioapic *io, uint64_t e)
{
	struct ioapic_message m = {
		.vector = (uint8_t)(e & RE_VECTOR),
		.dest = (uint8_t)(e >> RE_DEST_SHIFT),
		.logical = e & RE_DESTMODE,
		.delivery_mode = delivery_mode(e),
		.level = entry_is_level(e),
	};

	if (io->env.deliver)
		io->env.deliver(io->env.opaque, &m);
}

static bool can_send(uint64_t e)
{
	return !(e & RE_MASK) && !mode_is_reserved(delivery_mode(e));
}

/* A level entry sends whenever its input is asserted, unmasked and not waiting
 * for an EOI. Called after anything that may have changed one of those. */
static void service_level(struct ioapic *io, unsigned pin)
{
	uint64_t *e = &io->redir[pin];

	if (!entry_is_level(*e) || !can_send(*e) || (*e & RE_REMOTE_IRR) || !input_asserted(io, pin))
		return;
	/* Set before sending: the local APIC accepts the message inside send(). */
	*e |= RE_REMOTE_IRR;
	send(io, *e);
}

void ioapic_init(struct ioapic *io, uint8_t id, const struct ioapic_env *env)
{
	memset(io, 0, sizeof(*io));
	pthread_mutex_init(&io->lock, NULL);
	if (env)
		io->env = *env;
	io->id = io->power_on_id = id & ID_MASK;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		io->redir[pin] = RE_MASK;
	io->odd_access_log = (struct log_ratelimit)LOG_RATELIMIT_INIT(ODD_ACCESS_LOG_LINES);
}

void ioapic_destroy(struct ioapic *io)
{
	pthread_mutex_destroy(&io->lock);
}

void ioapic_reset(struct ioapic *io)
{
	pthread_mutex_lock(&io->lock);
	io->id = io->power_on_id;
	io->regsel = 0;
	io->pin_level = 0;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		io->redir[pin] = RE_MASK;
	pthread_mutex_unlock(&io->lock);
}

bool ioapic_entry_valid(uint64_t entry)
{
	if (entry & ~(RE_WRITABLE | RE_REMOTE_IRR))
		return false;
	return !(entry & RE_REMOTE_IRR) || (entry & RE_LEVEL);
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, int level)
{
	bool was;

	if (pin >= IOAPIC_PINS)
		return;
	pthread_mutex_lock(&io->lock);
	was = input_asserted(io, pin);
	if (level)
		io->pin_level |= 1u << pin;
	else
		io->pin_level &= ~(1u << pin);
	if (entry_is_level(io->redir[pin]))
		service_level(io, pin);
	else if (!was && input_asserted(io, pin) && can_send(io->redir[pin]))
		send(io, io->redir[pin]);
	pthread_mutex_unlock(&io->lock);
}

void ioapic_irq_set(void *controller, unsigned pin, int level)
{
	ioapic_set_irq(controller, pin, level);
}

static void eoi_locked(struct ioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t *e = &io->redir[pin];

		if (!entry_is_level(*e) || (*e & RE_VECTOR) != vector || !(*e & RE_REMOTE_IRR))
			continue;
		*e &= ~RE_REMOTE_IRR;
		service_level(io, pin);
	}
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	pthread_mutex_lock(&io->lock);
	eoi_locked(io, vector);
	pthread_mutex_unlock(&io->lock);
}

static uint32_t read_indirect(const struct ioapic *io, uint8_t reg)
{
	if (reg == IND_ID || reg == IND_ARB)
		return (uint32_t)io->id << ID_SHIFT;
	if (reg == IND_VERSION)
		return VERSION_VALUE;
	if (reg >= IND_REDIR_FIRST && reg < IND_REDIR_END) {
		uint64_t e = io->redir[(reg - IND_REDIR_FIRST) / 2];

		return (uint32_t)(reg & 1 ? e >> 32 : e);
	}
	return 0;
}

static void write_redir(struct ioapic *io, unsigned pin, bool high, uint32_t value)
{
	uint64_t *e = &io->redir[pin];
	uint64_t half = high ? 0xffffffff00000000ull : 0xffffffffull;
	uint64_t v = high ? (uint64_t)value << 32 : value;

	*e = (*e & ~(half & RE_WRITABLE)) | (v & half & RE_WRITABLE);
	/* Remote IRR means nothing for an edge entry; see the header. */
	if (!(*e & RE_LEVEL))
		*e &= ~RE_REMOTE_IRR;
	service_level(io, pin);
}

static void write_indirect(struct ioapic *io, uint8_t reg, uint32_t value)
{
	if (reg == IND_ID)
		io->id = (uint8_t)(value >> ID_SHIFT) & ID_MASK;
	else if (reg >= IND_REDIR_FIRST && reg < IND_REDIR_END)
		write_redir(io, (unsigned)(reg - IND_REDIR_FIRST) / 2, reg & 1, value);
}

/* Only aligned dword accesses to the three registers do anything (header). */
static bool is_register_access(struct ioapic *io, uint64_t offset, unsigned size)
{
	bool reg = offset == REG_IOREGSEL || offset == REG_IOWIN || offset == REG_EOI;

	if (size == 4 && reg)
		return true;
	if (log_ratelimit_allow(&io->odd_access_log))
		log_warn("ioapic: ignored %u-byte access at offset 0x%llx", size, (unsigned long long)offset);
	return false;
}

static uint64_t ioapic_read(void *opaque, uint64_t offset, unsigned size)
{
	struct ioapic *io = opaque;
	uint32_t value = 0;

	pthread_mutex_lock(&io->lock);
	if (is_register_access(io, offset, size)) {
		if (offset == REG_IOREGSEL)
			value = io->regsel;
		else if (offset == REG_IOWIN)
			value = read_indirect(io, io->regsel);
		/* EOI is write-only: reads 0. */
	}
	pthread_mutex_unlock(&io->lock);
	return value;
}

static void ioapic_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct ioapic *io = opaque;

	pthread_mutex_lock(&io->lock);
	if (is_register_access(io, offset, size)) {
		if (offset == REG_IOREGSEL)
			io->regsel = (uint8_t)value;
		else if (offset == REG_IOWIN)
			write_indirect(io, io->regsel, (uint32_t)value);
		else
			eoi_locked(io, (uint8_t)value); /* only bits 7:0 are used */
	}
	pthread_mutex_unlock(&io->lock);
}

const struct io_device_ops ioapic_ops = { .read = ioapic_read, .write = ioapic_write, .sizes = IO_SIZES_UP_TO_4 };
