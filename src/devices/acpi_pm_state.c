/* The ACPI PM registers' saved state (docs/snapshot-format.md, section
 * "acpi-pm").
 *
 * Version 1: PM1_STS, PM1_EN and PM1_CNT's stored bits, then the PM timer as
 * the periods it had counted at a point in time, the nanoseconds from that
 * point to the save, and the carries of its bit 23 already in TMR_STS.
 *
 * Time: the timer counts on from where it was, so the guest sees neither a
 * jump nor a stall. The point is chosen at most 0.2 s before the save: 0.2 s
 * is exactly 715,909 periods of the 3.579545 MHz clock, so whole fifths of a
 * second move from the time into the count without changing it, and a
 * loading clock can place the point that far back from its now_ns. */
#include "devices/acpi_pm.h"

#define NS_PER_FOLD 200000000ull
#define TICKS_PER_FOLD (ACPI_PM_TIMER_HZ / 5)
#define NS_PER_S 1000000000ull
#define TMR_CARRY_SHIFT 23

static void acpi_pm_state_reset(void *dev)
{
	acpi_pm_reset(dev);
}

static void acpi_pm_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct acpi_pm *pm = dev;
	uint64_t back, ticks;

	pthread_mutex_lock(&pm->lock);
	back = now_ns > pm->start_ns ? now_ns - pm->start_ns : 0;
	ticks = pm->tick_base + back / NS_PER_FOLD * TICKS_PER_FOLD;
	state_put_u16(w, pm->sts);
	state_put_u16(w, pm->en);
	state_put_u16(w, pm->cnt);
	state_put_u64(w, ticks);
	state_put_u64(w, back % NS_PER_FOLD);
	state_put_u64(w, pm->tmr_carry);
	pthread_mutex_unlock(&pm->lock);
}

static int acpi_pm_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct acpi_pm *pm = dev;
	uint16_t sts, en, cnt;
	uint64_t ticks, back, carry, counted;

	(void)version;
	sts = state_get_u16(r);
	en = state_get_u16(r);
	cnt = state_get_u16(r);
	ticks = state_get_u64(r);
	back = state_get_u64(r);
	carry = state_get_u64(r);
	/* The count at the save; no more carries can have been seen than it has. */
	counted = ticks + (uint64_t)((unsigned __int128)back * ACPI_PM_TIMER_HZ / NS_PER_S);
	if (!acpi_pm_registers_valid(sts, en, cnt) || back >= NS_PER_FOLD || ticks >> 62 ||
	    carry > counted >> TMR_CARRY_SHIFT)
		state_reader_fail(r);
	if (!state_reader_ok(r, false))
		return -1;
	/* A clock under 0.2 s cannot hold the point: it moves to 0 and the
	 * periods it lacks join the count (rounded down, a part of one). */
	if (back > now_ns) {
		ticks += (uint64_t)((unsigned __int128)(back - now_ns) * ACPI_PM_TIMER_HZ / NS_PER_S);
		back = now_ns;
	}
	pthread_mutex_lock(&pm->lock);
	pm->sts = sts;
	pm->en = en;
	pm->cnt = cnt;
	pm->tick_base = ticks;
	pm->start_ns = now_ns - back;
	pm->tmr_carry = carry;
	pthread_mutex_unlock(&pm->lock);
	return 0;
}

const struct device_state_ops acpi_pm_state_ops = {
	.version = 1,
	.reset = acpi_pm_state_reset,
	.save = acpi_pm_save,
	.load = acpi_pm_load,
};
