/* The 8254's saved state (docs/snapshot-format.md, section "pit").
 *
 * Version 1: per counter (0, 1, 2) the control word bits, mode, count, the
 * count written for later, the flags loaded, pending, armed, triggered, null
 * count and gate, the pending count's tick and start, the value read before a
 * count, the time base, the read/write byte state and latches, the strobes
 * delivered and the one owed; then port 0x61's stored bits and IRQ 0's level.
 *
 * Time: a counter's clock periods are base_ticks plus those elapsed since
 * base_ns. base_ns is saved as its distance from now_ns (negative: in the
 * past), with whole half-seconds folded into base_ticks first: half a second
 * is exactly 596,591 periods of the 1.193182 MHz clock, so the fold changes
 * no count, and the distance saved stays under half a second, which a loading
 * clock can take away from its now_ns without going below zero. */
#include "devices/pit8254.h"

#define NS_PER_FOLD 500000000ll
#define CLOCKS_PER_FOLD ((int64_t)(PIT8254_HZ / 2))
#define NS_PER_S 1000000000ull

/* base_ns - now, with the base of a counting counter no more than half a
 * second back (*base_ticks grows by what is folded). A base ahead of now (no
 * monotonic clock gives one) is taken as now. */
static int64_t fold_base(const struct pit_counter *c, uint64_t now, int64_t *base_ticks)
{
	uint64_t back;

	*base_ticks = c->base_ticks;
	if (!pit8254_counting(c) || c->base_ns >= now)
		return 0;
	back = now - c->base_ns;
	*base_ticks += (int64_t)(back / NS_PER_FOLD) * CLOCKS_PER_FOLD;
	return -(int64_t)(back % NS_PER_FOLD);
}

/* The reverse onto another clock. With now_ns under half a second the base
 * cannot be placed far enough back: it goes to 0 and the periods it lacks are
 * added (rounded down, a part of one period). */
static void unfold_base(struct pit_counter *c, uint64_t now, int64_t delta)
{
	uint64_t back = (uint64_t)-delta;

	if (back <= now) {
		c->base_ns = now - back;
		return;
	}
	c->base_ns = 0;
	c->base_ticks += (int64_t)((back - now) * PIT8254_HZ / NS_PER_S);
}

static void save_counter(struct state_writer *w, const struct pit_counter *c, uint64_t now)
{
	int64_t base_ticks, delta = fold_base(c, now, &base_ticks);

	state_put_u8(w, c->ctrl);
	state_put_u8(w, c->mode);
	state_put_u32(w, c->count);
	state_put_u32(w, c->next_count);
	state_put_bool(w, c->loaded);
	state_put_bool(w, c->pending);
	state_put_u64(w, (uint64_t)c->pending_tick);
	state_put_u64(w, (uint64_t)c->pending_start);
	state_put_bool(w, c->armed);
	state_put_bool(w, c->triggered);
	state_put_bool(w, c->null_count);
	state_put_bool(w, c->gate);
	state_put_u16(w, c->idle_value);
	state_put_u64(w, (uint64_t)delta);
	state_put_u64(w, (uint64_t)base_ticks);
	state_put_bool(w, c->write_msb);
	state_put_u8(w, c->write_lsb);
	state_put_bool(w, c->read_msb);
	state_put_bool(w, c->count_latched);
	state_put_bool(w, c->status_latched);
	state_put_u16(w, c->latched_count);
	state_put_u8(w, c->latched_status);
	state_put_u64(w, c->pulses_seen);
	state_put_bool(w, c->pulse_owed);
}

static void load_counter(struct state_reader *r, struct pit_counter *c, uint64_t now)
{
	int64_t delta;

	c->ctrl = state_get_u8(r);
	c->mode = state_get_u8(r);
	c->count = state_get_u32(r);
	c->next_count = state_get_u32(r);
	c->loaded = state_get_bool(r);
	c->pending = state_get_bool(r);
	c->pending_tick = (int64_t)state_get_u64(r);
	c->pending_start = (int64_t)state_get_u64(r);
	c->armed = state_get_bool(r);
	c->triggered = state_get_bool(r);
	c->null_count = state_get_bool(r);
	c->gate = state_get_bool(r);
	c->idle_value = state_get_u16(r);
	delta = (int64_t)state_get_u64(r);
	c->base_ticks = (int64_t)state_get_u64(r);
	c->write_msb = state_get_bool(r);
	c->write_lsb = state_get_u8(r);
	c->read_msb = state_get_bool(r);
	c->count_latched = state_get_bool(r);
	c->status_latched = state_get_bool(r);
	c->latched_count = state_get_u16(r);
	c->latched_status = state_get_u8(r);
	c->pulses_seen = state_get_u64(r);
	c->pulse_owed = state_get_bool(r);
	if (delta > 0 || delta <= -NS_PER_FOLD || !pit8254_counter_valid(c)) {
		state_reader_fail(r);
		return;
	}
	unfold_base(c, now, delta);
}

static void pit_reset(void *dev)
{
	pit8254_reset(dev);
}

static void pit_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct pit8254 *p = dev;

	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < 3; i++)
		save_counter(w, &p->counter[i], now_ns);
	state_put_u8(w, p->port61);
	state_put_bool(w, p->irq_level);
	pthread_mutex_unlock(&p->lock);
}

/* Port 0x61 keeps gate 2 in bit 0 and three more stored bits; the gates of
 * counters 0 and 1 are tied high on the PC. */
#define PORT61_STORED 0x0f
#define PORT61_GATE2 0x01

static int pit_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct pit8254 *p = dev;
	struct pit_counter c[3];
	uint8_t port61;
	bool irq_level;

	(void)version;
	for (unsigned i = 0; i < 3; i++)
		load_counter(r, &c[i], now_ns);
	port61 = state_get_u8(r);
	irq_level = state_get_bool(r);
	if ((port61 & ~PORT61_STORED) || !c[0].gate || !c[1].gate || c[2].gate != (port61 & PORT61_GATE2))
		state_reader_fail(r);
	if (!state_reader_ok(r, false))
		return -1;
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < 3; i++)
		p->counter[i] = c[i];
	p->port61 = port61;
	p->irq_level = irq_level;
	pthread_mutex_unlock(&p->lock);
	/* The next event may have moved: the VM's timer looks again. */
	if (p->programmed)
		p->programmed(p->programmed_opaque);
	return 0;
}

const struct device_state_ops pit8254_state_ops = {
	.version = 1,
	.reset = pit_reset,
	.save = pit_save,
	.load = pit_load,
};
