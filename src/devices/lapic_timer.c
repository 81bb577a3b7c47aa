#include "devices/lapic_timer.h"

#define NS_PER_S 1000000000ull

void lapic_timer_init(struct lapic_timer *t)
{
	*t = (struct lapic_timer){ .divider = 2 };
}

/* Whole ticks between start_ns and now. */
static uint64_t ticks_at(const struct lapic_timer *t, uint64_t now)
{
	unsigned __int128 elapsed = now > t->start_ns ? now - t->start_ns : 0;

	return (uint64_t)(elapsed * LAPIC_TIMER_HZ / ((unsigned __int128)t->divider * NS_PER_S));
}

/* The first nanosecond by which `ticks` whole ticks have passed since start_ns. */
static uint64_t ns_of_tick(const struct lapic_timer *t, unsigned __int128 ticks)
{
	unsigned __int128 per = (unsigned __int128)t->divider * NS_PER_S;
	unsigned __int128 ns;

	if (ticks >> 64)
		return UINT64_MAX;
	ns = t->start_ns + (ticks * per + LAPIC_TIMER_HZ - 1) / LAPIC_TIMER_HZ;
	return ns >= UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

/* Expiries from start_ns to now. */
static uint64_t expiries_at(const struct lapic_timer *t, uint64_t now)
{
	uint64_t k = ticks_at(t, now);

	if (!t->running || k < t->start_count)
		return 0;
	if (!t->periodic)
		return 1;
	return 1 + (k - t->start_count) / t->initial;
}

void lapic_timer_start(struct lapic_timer *t, uint64_t now, uint32_t count)
{
	t->initial = count;
	t->running = count != 0;
	t->start_ns = now;
	t->start_count = count;
	t->expiries = 0;
}

void lapic_timer_stop(struct lapic_timer *t)
{
	t->running = false;
}

uint32_t lapic_timer_current(const struct lapic_timer *t, uint64_t now)
{
	uint64_t k = ticks_at(t, now);

	if (!t->running)
		return 0;
	if (k < t->start_count)
		return (uint32_t)(t->start_count - k);
	if (!t->periodic)
		return 0;
	/* The reload happens at the tick the count reaches zero: a periodic count
	 * reads initial, initial - 1, ..., 1, initial, ... */
	return (uint32_t)(t->initial - (k - t->start_count) % t->initial);
}

bool lapic_timer_take(struct lapic_timer *t, uint64_t now)
{
	uint64_t n = expiries_at(t, now);

	if (n <= t->expiries)
		return false;
	t->expiries = n;
	if (!t->periodic)
		t->running = false;
	return true;
}

uint64_t lapic_timer_next_ns(const struct lapic_timer *t)
{
	if (!t->running)
		return UINT64_MAX;
	return ns_of_tick(t, t->start_count + (unsigned __int128)t->expiries * t->initial);
}

void lapic_timer_set_divider(struct lapic_timer *t, uint64_t now, unsigned divider)
{
	if (t->running) {
		uint32_t left = lapic_timer_current(t, now);

		t->start_ns = now;
		t->start_count = left;
		t->expiries = 0;
		t->running = left != 0;
	}
	t->divider = divider;
}

void lapic_timer_set_periodic(struct lapic_timer *t, bool periodic)
{
	if (periodic != t->periodic)
		t->running = false;
	t->periodic = periodic;
}

unsigned lapic_timer_divider(uint32_t divide_config)
{
	/* SDM "Divide Configuration Register": bits 3, 1, 0 read as a 3-bit number n
	 * divide by 2^(n+1), except 111b, which divides by 1. */
	unsigned n = ((divide_config >> 1) & 4) | (divide_config & 3);

	return n == 7 ? 1 : 2u << n;
}

void lapic_timer_save_point(const struct lapic_timer *t, uint64_t now, uint32_t *left, uint64_t *phase_ns)
{
	uint64_t k = ticks_at(t, now);
	unsigned __int128 next = t->start_count + (unsigned __int128)t->expiries * t->initial;
	uint64_t tick_start = ns_of_tick(t, k);

	*left = 0;
	*phase_ns = 0;
	if (!t->running || next <= k)
		return;
	*left = (uint32_t)(next - k);
	*phase_ns = now > tick_start ? now - tick_start : 0;
}

/* The nanoseconds of one tick at this divider (whole: LAPIC_TIMER_HZ divides
 * a second). */
static uint64_t tick_ns(const struct lapic_timer *t)
{
	return t->divider * NS_PER_S / LAPIC_TIMER_HZ;
}

bool lapic_timer_restore_point(struct lapic_timer *t, uint64_t now, uint32_t left, uint64_t phase_ns)
{
	if (left > t->initial || phase_ns >= tick_ns(t) || (left == 0 && phase_ns))
		return false;
	t->running = left != 0;
	t->start_ns = now >= phase_ns ? now - phase_ns : 0;
	t->start_count = left;
	t->expiries = 0;
	return true;
}
