/* The RTC and CMOS RAM's saved state (docs/snapshot-format.md, section
 * "rtc").
 *
 * Version 1: the 128 CMOS bytes (the clock's registers, A-D and the BIOS's
 * storage), the index and NMI-disable bit last written to port 0x70, the
 * guest's time as an offset in seconds from the host's wall clock, the guest
 * second the update flag was last brought up to date for (relative to the
 * guest's time at the save), when the periodic flag is next due (relative to
 * now_ns), and IRQ 8's level.
 *
 * Time: the guest's clock stays an offset from the host's wall clock, so a VM
 * restored later reads a later time, as a PC that was switched off does. The
 * periodic deadline is saved as its distance from now_ns; one already past is
 * folded to within a period of now (refresh collapses missed periods into one
 * flag, so only the phase matters), which a loading clock can subtract from
 * its now_ns. */
#include "devices/rtc_cmos.h"

/* A guest can set its clock to years 1900 to about 10100; 2^40 seconds is
 * 35,000 years, and keeps the arithmetic on the times far from overflow. */
#define SECONDS_LIMIT (1ll << 40)

static int64_t guest_now(const struct rtc_cmos *rtc)
{
	return rtc->clock.now_s(rtc->clock.opaque) + rtc->offset_s;
}

static uint64_t period_ns(const struct rtc_cmos *rtc, const uint8_t *cmos)
{
	return rtc->clock.now_ns ? rtc_cmos_rate_ns(cmos[RTC_CMOS_REG_A]) : 0;
}

/* next_pf_ns - now, in (-period, period]; 0 without a periodic flag. */
static int64_t periodic_delta(const struct rtc_cmos *rtc, uint64_t now)
{
	uint64_t period = period_ns(rtc, rtc->cmos);

	if (!period)
		return 0;
	if (rtc->next_pf_ns >= now)
		return (int64_t)(rtc->next_pf_ns - now > period ? period : rtc->next_pf_ns - now);
	return -(int64_t)((now - rtc->next_pf_ns) % period);
}

static void rtc_state_reset(void *dev)
{
	rtc_cmos_reset(dev);
}

static void rtc_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct rtc_cmos *rtc = dev;

	pthread_mutex_lock(&rtc->lock);
	state_put_bytes(w, rtc->cmos, RTC_CMOS_SIZE);
	state_put_u8(w, rtc->index);
	state_put_bool(w, rtc->nmi_disabled);
	state_put_u64(w, (uint64_t)rtc->offset_s);
	state_put_u64(w, (uint64_t)(rtc->last_s - guest_now(rtc)));
	state_put_u64(w, (uint64_t)periodic_delta(rtc, now_ns));
	state_put_bool(w, rtc->irq_level);
	pthread_mutex_unlock(&rtc->lock);
}

static bool within(int64_t v, int64_t limit)
{
	return v > -limit && v < limit;
}

static int rtc_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct rtc_cmos *rtc = dev;
	uint8_t cmos[RTC_CMOS_SIZE], index;
	int64_t offset_s, last_delta, pf_delta, period;
	bool nmi_disabled, irq_level;

	(void)version;
	state_get_bytes(r, cmos, sizeof(cmos));
	index = state_get_u8(r);
	nmi_disabled = state_get_bool(r);
	offset_s = (int64_t)state_get_u64(r);
	last_delta = (int64_t)state_get_u64(r);
	pf_delta = (int64_t)state_get_u64(r);
	irq_level = state_get_bool(r);
	period = (int64_t)period_ns(rtc, cmos);
	if (!rtc_cmos_registers_valid(cmos) || index >= RTC_CMOS_SIZE || !within(offset_s, SECONDS_LIMIT) ||
	    !within(last_delta, SECONDS_LIMIT) || pf_delta > period || (period ? pf_delta <= -period : pf_delta != 0))
		state_reader_fail(r);
	if (!state_reader_ok(r, false))
		return -1;
	pthread_mutex_lock(&rtc->lock);
	for (unsigned i = 0; i < RTC_CMOS_SIZE; i++)
		rtc->cmos[i] = cmos[i];
	rtc->index = index;
	rtc->nmi_disabled = nmi_disabled;
	rtc->offset_s = offset_s;
	rtc->last_s = guest_now(rtc) + last_delta;
	/* A deadline before the clock's zero (now_ns under a period) is due at once. */
	rtc->next_pf_ns = pf_delta >= 0 || (uint64_t)-pf_delta <= now_ns ? now_ns + (uint64_t)pf_delta : 0;
	rtc->irq_level = irq_level;
	pthread_mutex_unlock(&rtc->lock);
	return 0;
}

const struct device_state_ops rtc_cmos_state_ops = {
	.version = 1,
	.reset = rtc_state_reset,
	.save = rtc_save,
	.load = rtc_load,
};
