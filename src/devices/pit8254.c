#include "devices/pit8254.h"

#include <string.h>

/* Control word (8254 data sheet, "Control Word Format"): SC1 SC0 RW1 RW0 M2 M1 M0 BCD. */
#define CW_SC(cw) (((cw) >> 6) & 3)
#define CW_RW(cw) (((cw) >> 4) & 3)
#define SC_READ_BACK 3
#define RW_LATCH 0
#define RW_LSB 1
#define RW_MSB 2
#define RW_LSB_MSB 3
/* Read-back command: bits 5 and 4 are active low. */
#define RB_NO_COUNT 0x20
#define RB_NO_STATUS 0x10
#define STATUS_OUT 0x80
#define STATUS_NULL 0x40
#define PORT_CONTROL 3

#define P61_GATE2 0x01
#define P61_WRITABLE 0x0f
#define P61_REFRESH 0x10
#define P61_OUT2 0x20
/* On the AT, counter 1 requests a DRAM refresh every 18 clocks (15.09 us), and bit
 * 4 of port 0x61 toggles with each; delay loops count those toggles. */
#define REFRESH_CLOCKS 18

#define NS_PER_S 1000000000ull

static int64_t clocks_in(uint64_t ns)
{
	return (int64_t)((unsigned __int128)ns * PIT8254_HZ / NS_PER_S);
}

/* The least number of nanoseconds holding `clocks` whole clock periods. */
static uint64_t ns_for(int64_t clocks)
{
	unsigned __int128 ns = ((unsigned __int128)clocks * NS_PER_S + PIT8254_HZ - 1) / PIT8254_HZ;

	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static bool hardware_triggered(const struct pit_counter *c)
{
	return c->mode == 1 || c->mode == 5;
}

/* Modes 1 and 5 count whatever the gate does after it rose; the others count
 * only while it is high. */
static bool counting(const struct pit_counter *c)
{
	return hardware_triggered(c) ? c->triggered : c->gate;
}

/* Clock periods since the count was written (t = 1: it is loaded into the
 * counting element; each later clock decrements it). */
static int64_t clocks_now(const struct pit_counter *c, uint64_t now)
{
	if (!counting(c) || now <= c->base_ns)
		return c->base_ticks;
	return c->base_ticks + clocks_in(now - c->base_ns);
}

static bool running(const struct pit_counter *c, int64_t t)
{
	return c->loaded && t >= 1 && (!hardware_triggered(c) || c->triggered);
}

static uint16_t count_value(const struct pit_counter *c, int64_t t)
{
	uint64_t n = c->count, e;

	if (!running(c, t))
		return c->idle_value;
	e = (uint64_t)(t - 1);
	switch (c->mode) {
	case 2:
		return (uint16_t)(n - e % n);
	case 3: {
		/* Each half loads the even part of the count and decrements by two; an odd
		 * count spends one extra clock in the high half. */
		uint64_t half = (n + 1) / 2, p = e % n;

		return (uint16_t)((n & ~1ull) - 2 * (p < half ? p : p - half));
	}
	default: /* 0, 1, 4, 5: down past zero, wrapping */
		return (uint16_t)(n - e);
	}
}

static bool out_level(const struct pit_counter *c, int64_t t)
{
	uint64_t n = c->count;

	switch (c->mode) {
	case 0:
		return c->loaded && t >= (int64_t)n + 1;
	case 1:
		return !running(c, t) || t >= (int64_t)n + 1;
	case 2:
		return !running(c, t) || !c->gate || (uint64_t)(t - 1) % n != n - 1;
	case 3:
		return !running(c, t) || !c->gate || (uint64_t)(t - 1) % n < (n + 1) / 2;
	default: /* 4, 5: low for the one clock after the count reaches zero */
		return !running(c, t) || t != (int64_t)n + 1;
	}
}

/* Completed low strobes in modes 2, 4, 5 (OUT back high). */
static uint64_t strobes(const struct pit_counter *c, int64_t t)
{
	if (!running(c, t))
		return 0;
	if (c->mode == 2)
		return (uint64_t)(t - 1) / c->count;
	return (c->mode == 4 || c->mode == 5) && t >= (int64_t)c->count + 2;
}

/* The first clock after t at which the IRQ model sees a change, or -1. */
static int64_t next_change(const struct pit_counter *c, int64_t t)
{
	int64_t n = c->count, half = (n + 1) / 2, k, p;

	if (!c->loaded || (hardware_triggered(c) && !c->triggered))
		return -1;
	switch (c->mode) {
	case 0:
		return t < n + 1 ? n + 1 : -1;
	case 1:
		return t < 1 ? 1 : t < n + 1 ? n + 1 : -1;
	case 2:
		return t < n + 1 ? n + 1 : 1 + ((t - 1) / n + 1) * n;
	case 3:
		if (t < 1)
			return 1 + half;
		k = (t - 1) / n;
		p = (t - 1) % n;
		return p < half ? 1 + k * n + half : 1 + (k + 1) * n;
	default:
		return t < n + 2 ? n + 2 : -1;
	}
}

static void restart(struct pit_counter *c, uint64_t now)
{
	c->base_ns = now;
	c->base_ticks = 0;
	c->pulses_seen = 0;
}

/* Applies what time has done: a count waiting for the end of a cycle, and the
 * null count bit, which clears once the count is in the counting element. */
static void sync(struct pit_counter *c, uint64_t now)
{
	int64_t t = clocks_now(c, now);

	if (c->pending && t >= c->pending_tick) {
		if (strobes(c, c->pending_tick) > c->pulses_seen)
			c->pulse_owed = true;
		c->base_ticks -= c->pending_tick - c->pending_start;
		c->count = c->next_count;
		c->pending = false;
		c->pulses_seen = strobes(c, c->pending_start);
		t = clocks_now(c, now);
	}
	if (c->null_count && !c->pending && !c->armed && running(c, t))
		c->null_count = false;
}

static void latch_count(struct pit_counter *c, uint64_t now)
{
	/* A second latch before the first is read is ignored. */
	if (c->count_latched)
		return;
	c->latched_count = count_value(c, clocks_now(c, now));
	c->count_latched = true;
}

static void latch_status(struct pit_counter *c, uint64_t now)
{
	if (c->status_latched)
		return;
	c->latched_status = (uint8_t)((out_level(c, clocks_now(c, now)) ? STATUS_OUT : 0) |
				      (c->null_count ? STATUS_NULL : 0) | c->ctrl);
	c->status_latched = true;
}

static void program(struct pit_counter *c, uint64_t now, uint8_t cw)
{
	static const uint8_t modes[8] = { 0, 1, 2, 3, 4, 5, 2, 3 }; /* M2 is "don't care" for 2, 3 */

	/* The counting element keeps its value until a new count is loaded. */
	c->idle_value = count_value(c, clocks_now(c, now));
	c->ctrl = cw & 0x3f;
	c->mode = modes[(cw >> 1) & 7];
	c->loaded = c->pending = c->armed = c->triggered = false;
	c->null_count = true;
	c->write_msb = c->read_msb = false;
	c->count_latched = c->status_latched = false;
	c->pulses_seen = 0;
	c->pulse_owed = false;
	c->base_ns = now;
	c->base_ticks = 0;
}

static void load_count(struct pit_counter *c, uint64_t now, uint32_t n)
{
	int64_t t = clocks_now(c, now);

	c->null_count = true;
	if (hardware_triggered(c)) {
		/* Taken by the next trigger; a one-shot under way runs on. */
		c->next_count = n;
		c->armed = c->loaded = true;
		return;
	}
	if ((c->mode == 2 || c->mode == 3) && running(c, t)) {
		/* The cycle under way ends first (mode 3: the half-cycle); with the gate
		 * low, the count waits for its rising edge. */
		c->next_count = n;
		c->pending = true;
		c->pending_tick = c->gate ? next_change(c, t) : INT64_MAX;
		c->pending_start = 1;
		if (c->mode == 3 && (uint64_t)(t - 1) % c->count < (c->count + 1) / 2)
			c->pending_start = 1 + (n + 1) / 2; /* continue with the low half */
		return;
	}
	c->idle_value = count_value(c, t);
	c->count = n;
	c->loaded = true;
	restart(c, now);
}

static void write_count(struct pit_counter *c, uint64_t now, uint8_t v)
{
	uint16_t n;

	switch (CW_RW(c->ctrl)) {
	case RW_LSB:
		n = v;
		break;
	case RW_MSB:
		n = (uint16_t)(v << 8);
		break;
	default:
		if (!c->write_msb) {
			c->write_lsb = v;
			c->write_msb = true;
			/* Mode 0: writing the first byte stops the count and lowers OUT. */
			if (c->mode == 0 && c->loaded) {
				c->idle_value = count_value(c, clocks_now(c, now));
				c->loaded = false;
			}
			return;
		}
		c->write_msb = false;
		n = (uint16_t)(c->write_lsb | v << 8);
		break;
	}
	load_count(c, now, n ? n : 65536);
}

static uint8_t read_count(struct pit_counter *c, uint64_t now)
{
	uint16_t v;
	bool msb;

	if (c->status_latched) {
		c->status_latched = false;
		return c->latched_status;
	}
	v = c->count_latched ? c->latched_count : count_value(c, clocks_now(c, now));
	switch (CW_RW(c->ctrl)) {
	case RW_LSB:
		msb = false;
		break;
	case RW_MSB:
		msb = true;
		break;
	default:
		msb = c->read_msb;
		c->read_msb = !c->read_msb;
		break;
	}
	if (c->count_latched && (msb || CW_RW(c->ctrl) == RW_LSB))
		c->count_latched = false; /* the last byte of the latched count */
	return msb ? (uint8_t)(v >> 8) : (uint8_t)v;
}

static void set_gate(struct pit_counter *c, uint64_t now, bool level)
{
	bool rising = level && !c->gate;

	sync(c, now);
	if (level == c->gate)
		return;
	/* Counters that stop with the gate keep the clocks counted so far. */
	if (!hardware_triggered(c)) {
		c->base_ticks = clocks_now(c, now);
		c->base_ns = now;
	}
	c->gate = level;
	if (!rising || !c->loaded)
		return;
	if (hardware_triggered(c)) {
		if (c->armed) {
			c->count = c->next_count;
			c->armed = false;
		}
		c->triggered = true;
		restart(c, now);
	} else if (c->mode == 2 || c->mode == 3) {
		/* The rising edge reloads the count on the next clock. */
		if (c->pending) {
			c->count = c->next_count;
			c->pending = false;
		}
		restart(c, now);
	}
}

static void control_word(struct pit8254 *p, uint64_t now, uint8_t cw)
{
	if (CW_SC(cw) == SC_READ_BACK) {
		for (unsigned i = 0; i < 3; i++) {
			struct pit_counter *c = &p->counter[i];

			if (!(cw & (2u << i)))
				continue;
			sync(c, now);
			if (!(cw & RB_NO_STATUS))
				latch_status(c, now);
			if (!(cw & RB_NO_COUNT))
				latch_count(c, now);
		}
		return;
	}
	sync(&p->counter[CW_SC(cw)], now);
	if (CW_RW(cw) == RW_LATCH)
		latch_count(&p->counter[CW_SC(cw)], now);
	else
		program(&p->counter[CW_SC(cw)], now, cw);
}

static void update_irq(struct pit8254 *p, uint64_t now)
{
	struct pit_counter *c = &p->counter[0];
	int64_t t;

	sync(c, now);
	t = clocks_now(c, now);
	if (c->mode == 2 || c->mode == 4 || c->mode == 5) {
		uint64_t n = strobes(c, t);

		if (c->pulse_owed || n > c->pulses_seen) {
			c->pulse_owed = false;
			c->pulses_seen = n;
			irq_line_set(&p->irq, 1);
			p->irq_level = true;
		}
		if (p->irq_level) {
			irq_line_set(&p->irq, 0);
			p->irq_level = false;
		}
		return;
	}
	if (out_level(c, t) != p->irq_level) {
		p->irq_level = !p->irq_level;
		irq_line_set(&p->irq, p->irq_level);
	}
}

static uint8_t pit_read_port(struct pit8254 *p, uint64_t now, unsigned port)
{
	if (port == PORT_CONTROL)
		return 0xff; /* the control word register is write-only */
	sync(&p->counter[port], now);
	return read_count(&p->counter[port], now);
}

static void pit_write_port(struct pit8254 *p, uint64_t now, unsigned port, uint8_t v)
{
	if (port == PORT_CONTROL) {
		control_word(p, now, v);
		return;
	}
	sync(&p->counter[port], now);
	write_count(&p->counter[port], now, v);
}

/* Wider accesses reach consecutive ports one byte at a time, as on the ISA bus;
 * bytes past the last port read as an unclaimed port does. */
static uint64_t pit_read(void *opaque, uint64_t offset, unsigned size)
{
	struct pit8254 *p = opaque;
	uint64_t value = 0, now;

	pthread_mutex_lock(&p->lock);
	now = p->now_ns(p->clock_opaque);
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = offset + i < PIT8254_LEN ? pit_read_port(p, now, (unsigned)(offset + i)) : 0xff;

		value |= (uint64_t)b << (8 * i);
	}
	update_irq(p, now);
	pthread_mutex_unlock(&p->lock);
	return value;
}

static void pit_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct pit8254 *p = opaque;
	uint64_t now;

	pthread_mutex_lock(&p->lock);
	now = p->now_ns(p->clock_opaque);
	for (unsigned i = 0; i < size && offset + i < PIT8254_LEN; i++)
		pit_write_port(p, now, (unsigned)(offset + i), (uint8_t)(value >> (8 * i)));
	update_irq(p, now);
	pthread_mutex_unlock(&p->lock);
	if (p->programmed)
		p->programmed(p->programmed_opaque);
}

const struct io_device_ops pit8254_ops = { .read = pit_read, .write = pit_write, .sizes = IO_SIZES_ALL };

static uint8_t port61_value(struct pit8254 *p, uint64_t now)
{
	struct pit_counter *c2 = &p->counter[2];
	uint8_t v = p->port61;

	sync(c2, now);
	if ((clocks_in(now) / REFRESH_CLOCKS) & 1)
		v |= P61_REFRESH;
	if (out_level(c2, clocks_now(c2, now)))
		v |= P61_OUT2;
	return v; /* bits 7-6 (parity, IOCHK errors) never set */
}

static uint64_t port61_read(void *opaque, uint64_t offset, unsigned size)
{
	struct pit8254 *p = opaque;
	uint64_t value = 0, now;

	pthread_mutex_lock(&p->lock);
	now = p->now_ns(p->clock_opaque);
	for (unsigned i = 0; i < size; i++)
		value |= (uint64_t)(offset + i == 0 ? port61_value(p, now) : 0xff) << (8 * i);
	pthread_mutex_unlock(&p->lock);
	return value;
}

static void port61_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct pit8254 *p = opaque;
	uint64_t now;

	if (offset != 0 || size == 0)
		return;
	pthread_mutex_lock(&p->lock);
	now = p->now_ns(p->clock_opaque);
	p->port61 = (uint8_t)(value & P61_WRITABLE);
	set_gate(&p->counter[2], now, value & P61_GATE2);
	pthread_mutex_unlock(&p->lock);
}

const struct io_device_ops pit8254_port61_ops = { .read = port61_read, .write = port61_write, .sizes = IO_SIZES_BYTE };

static void counters_reset(struct pit8254 *p, uint64_t now)
{
	for (unsigned i = 0; i < 3; i++) {
		p->counter[i] = (struct pit_counter){ .count = 65536, .null_count = true, .base_ns = now };
		/* On the PC the gates of counters 0 and 1 are tied high. */
		p->counter[i].gate = i != 2;
	}
}

void pit8254_init(struct pit8254 *p, struct irq_line irq0, uint64_t (*now_ns)(void *opaque), void *clock_opaque)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->irq = irq0;
	p->now_ns = now_ns;
	p->clock_opaque = clock_opaque;
	counters_reset(p, now_ns(clock_opaque));
}

void pit8254_destroy(struct pit8254 *p)
{
	pthread_mutex_destroy(&p->lock);
}

void pit8254_reset(struct pit8254 *p)
{
	pthread_mutex_lock(&p->lock);
	counters_reset(p, p->now_ns(p->clock_opaque));
	p->port61 = 0;
	p->irq_level = false;
	pthread_mutex_unlock(&p->lock);
}

bool pit8254_counting(const struct pit_counter *c)
{
	return counting(c);
}

/* Bounds that keep the clock arithmetic far from overflow: a count runs at
 * most 2^16 periods a cycle, and 2^60 periods are 30,000 years. */
#define BASE_TICKS_LIMIT (1ll << 60)
#define PENDING_START_MAX (1 + (65536 + 1) / 2)

bool pit8254_counter_valid(const struct pit_counter *c)
{
	static const uint8_t modes[8] = { 0, 1, 2, 3, 4, 5, 2, 3 };

	if (c->ctrl > 0x3f || c->mode != modes[(c->ctrl >> 1) & 7])
		return false;
	if (c->count < 1 || c->count > 65536 || c->next_count > 65536)
		return false;
	if (c->base_ticks <= -BASE_TICKS_LIMIT || c->base_ticks >= BASE_TICKS_LIMIT)
		return false;
	if (c->pending && (!c->loaded || (c->mode != 2 && c->mode != 3) || c->next_count < 1 || c->pending_start < 1 ||
			   c->pending_start > PENDING_START_MAX || c->pending_tick < 0))
		return false;
	if (c->armed && (!c->loaded || !hardware_triggered(c) || c->next_count < 1))
		return false;
	return !c->triggered || hardware_triggered(c);
}

uint64_t pit8254_next_event_ns(struct pit8254 *p)
{
	struct pit_counter *c = &p->counter[0];
	uint64_t now, at = UINT64_MAX;
	int64_t next;

	pthread_mutex_lock(&p->lock);
	now = p->now_ns(p->clock_opaque);
	sync(c, now);
	if (c->pulse_owed)
		at = now;
	else if (counting(c) && (next = next_change(c, clocks_now(c, now))) >= 0) {
		uint64_t delta = ns_for(next - c->base_ticks);

		at = delta > UINT64_MAX - c->base_ns ? UINT64_MAX : c->base_ns + delta;
	}
	pthread_mutex_unlock(&p->lock);
	return at;
}

void pit8254_update(struct pit8254 *p)
{
	pthread_mutex_lock(&p->lock);
	update_irq(p, p->now_ns(p->clock_opaque));
	pthread_mutex_unlock(&p->lock);
}
