#include "devices/rtc_cmos.h"

#include <string.h>

/* CMOS indexes of the clock (MC146818 data sheet, "Address Map"). */
enum {
	REG_SEC = 0x00,
	REG_ALARM_SEC = 0x01,
	REG_MIN = 0x02,
	REG_ALARM_MIN = 0x03,
	REG_HOUR = 0x04,
	REG_ALARM_HOUR = 0x05,
	REG_WDAY = 0x06,
	REG_MDAY = 0x07,
	REG_MON = 0x08,
	REG_YEAR = 0x09,
	REG_A = 0x0a,
	REG_B = 0x0b,
	REG_C = 0x0c,
	REG_D = 0x0d,
};

#define A_UIP 0x80
#define A_RS 0x0f
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_DM_BINARY 0x04
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10
#define D_VRT 0x80
#define HOUR_PM 0x80
/* An alarm byte with both top bits set matches every value ("don't care"). */
#define ALARM_ANY 0xc0

#define SECS_PER_DAY 86400

struct rtc_time {
	int64_t year;
	unsigned mon, mday, wday, hour, min, sec; /* mon 1-12, mday 1-31, wday 1 (Sunday)-7 */
};

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Days from 1970-01-01 to the first of a month of the proleptic Gregorian
 * calendar, counting years from March so that the leap day ends a year. */
static int64_t days_to_month(int64_t year, unsigned mon)
{
	int64_t y = mon <= 2 ? year - 1 : year;
	int64_t era = floor_div(y, 400);
	int64_t year_of_era = y - era * 400;
	int64_t month_from_march = mon > 2 ? mon - 3 : mon + 9;
	int64_t day_of_year = (153 * month_from_march + 2) / 5;
	int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;

	return era * 146097 + day_of_era - 719468; /* 719468: 0000-03-01 to 1970-01-01 */
}

static void time_from_seconds(int64_t t, struct rtc_time *tm)
{
	int64_t days = floor_div(t, SECS_PER_DAY);
	int64_t secs = t - days * SECS_PER_DAY;
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t day_of_era = z - era * 146097;
	int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
	int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	int64_t month_from_march = (5 * day_of_year + 2) / 153;

	tm->mday = (unsigned)(day_of_year - (153 * month_from_march + 2) / 5 + 1);
	tm->mon = (unsigned)(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
	tm->year = year_of_era + era * 400 + (tm->mon <= 2);
	/* 1970-01-01 was a Thursday, day 5 counting Sunday as 1. */
	tm->wday = (unsigned)((days + 4) - floor_div(days + 4, 7) * 7) + 1;
	tm->hour = (unsigned)(secs / 3600);
	tm->min = (unsigned)(secs / 60 % 60);
	tm->sec = (unsigned)(secs % 60);
}

static bool binary_mode(const struct rtc_cmos *rtc)
{
	return rtc->cmos[REG_B] & B_DM_BINARY;
}

static uint8_t encode(const struct rtc_cmos *rtc, unsigned v)
{
	v %= 100;
	return binary_mode(rtc) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

/* A byte that is not valid BCD decodes arithmetically (0xff is 165): guests may
 * write anything, and the result only has to be deterministic. */
static unsigned decode(const struct rtc_cmos *rtc, uint8_t b)
{
	return binary_mode(rtc) ? b : (unsigned)(b >> 4) * 10 + (b & 0x0f);
}

static uint8_t encode_hour(const struct rtc_cmos *rtc, unsigned hour)
{
	if (rtc->cmos[REG_B] & B_24H)
		return encode(rtc, hour);
	/* 12-hour mode counts 12, 1, ..., 11; bit 7 is PM. */
	return (uint8_t)(encode(rtc, hour % 12 ? hour % 12 : 12) | (hour >= 12 ? HOUR_PM : 0));
}

static unsigned decode_hour(const struct rtc_cmos *rtc, uint8_t b)
{
	if (rtc->cmos[REG_B] & B_24H)
		return decode(rtc, b);
	return decode(rtc, b & ~HOUR_PM) % 12 + ((b & HOUR_PM) ? 12 : 0);
}

static int64_t host_now(const struct rtc_cmos *rtc)
{
	return rtc->clock.now_s(rtc->clock.opaque);
}

static int64_t guest_now(const struct rtc_cmos *rtc)
{
	return host_now(rtc) + rtc->offset_s;
}

static void latch(struct rtc_cmos *rtc, int64_t t)
{
	struct rtc_time tm;

	time_from_seconds(t, &tm);
	rtc->cmos[REG_SEC] = encode(rtc, tm.sec);
	rtc->cmos[REG_MIN] = encode(rtc, tm.min);
	rtc->cmos[REG_HOUR] = encode_hour(rtc, tm.hour);
	rtc->cmos[REG_WDAY] = encode(rtc, tm.wday);
	rtc->cmos[REG_MDAY] = encode(rtc, tm.mday);
	rtc->cmos[REG_MON] = encode(rtc, tm.mon);
	rtc->cmos[REG_YEAR] = encode(rtc, (unsigned)(tm.year % 100));
}

/* The time the time registers hold, in the guest's seconds. */
static int64_t registers_to_seconds(const struct rtc_cmos *rtc)
{
	int64_t century = decode(rtc, rtc->cmos[RTC_CMOS_CENTURY]);
	int64_t mon0 = (int64_t)decode(rtc, rtc->cmos[REG_MON]) - 1;
	int64_t year, days;

	if (century < 19 || century > 99) {
		struct rtc_time now;

		time_from_seconds(guest_now(rtc), &now);
		century = floor_div(now.year, 100);
	}
	year = century * 100 + decode(rtc, rtc->cmos[REG_YEAR]) + floor_div(mon0, 12);
	mon0 -= floor_div(mon0, 12) * 12;
	days = days_to_month(year, (unsigned)mon0 + 1) + (int64_t)decode(rtc, rtc->cmos[REG_MDAY]) - 1;
	return days * SECS_PER_DAY + decode_hour(rtc, rtc->cmos[REG_HOUR]) * 3600 +
	       decode(rtc, rtc->cmos[REG_MIN]) * 60 + decode(rtc, rtc->cmos[REG_SEC]);
}

/* The guest's clock now reads what the time registers hold. */
static void commit(struct rtc_cmos *rtc)
{
	int64_t t = registers_to_seconds(rtc);

	rtc->offset_s = t - host_now(rtc);
	rtc->last_s = t; /* setting the clock is not an update cycle */
}

uint64_t rtc_cmos_rate_ns(uint8_t register_a)
{
	unsigned rs = register_a & A_RS;

	if (!rs)
		return 0;
	/* With the 32.768 kHz time base, rates 1 and 2 repeat rates 8 and 9. */
	if (rs < 3)
		rs += 7;
	return (1000000000ull << (rs - 1)) >> 15;
}

static uint64_t periodic_ns(const struct rtc_cmos *rtc)
{
	return rtc->clock.now_ns ? rtc_cmos_rate_ns(rtc->cmos[REG_A]) : 0;
}

static uint64_t mono_now(const struct rtc_cmos *rtc)
{
	return rtc->clock.now_ns ? rtc->clock.now_ns(rtc->clock.opaque) : 0;
}

static uint8_t register_c(const struct rtc_cmos *rtc)
{
	uint8_t flags = rtc->cmos[REG_C] & (C_PF | C_AF | C_UF);
	uint8_t enables = rtc->cmos[REG_B] & (B_PIE | B_AIE | B_UIE);

	/* PIE, AIE and UIE sit in B at the same bits as PF, AF and UF in C. */
	return (uint8_t)(flags | ((flags & enables) ? C_IRQF : 0));
}

static bool alarm_matches(const struct rtc_cmos *rtc)
{
	static const uint8_t pairs[][2] = { { REG_ALARM_SEC, REG_SEC },
					    { REG_ALARM_MIN, REG_MIN },
					    { REG_ALARM_HOUR, REG_HOUR } };

	for (unsigned i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		uint8_t alarm = rtc->cmos[pairs[i][0]];

		if ((alarm & ALARM_ANY) != ALARM_ANY && alarm != rtc->cmos[pairs[i][1]])
			return false;
	}
	return true;
}

static void update_irq(struct rtc_cmos *rtc)
{
	bool level = register_c(rtc) & C_IRQF;

	if (level != rtc->irq_level) {
		rtc->irq_level = level;
		irq_line_set(&rtc->irq, level);
	}
}

/* Sets the flags of the events that have happened since the last call. */
static void refresh(struct rtc_cmos *rtc)
{
	uint64_t period = periodic_ns(rtc);

	if (!(rtc->cmos[REG_B] & B_SET)) {
		int64_t t = guest_now(rtc);

		if (t != rtc->last_s) {
			rtc->last_s = t;
			latch(rtc, t);
			rtc->cmos[REG_C] |= C_UF | (alarm_matches(rtc) ? C_AF : 0);
		}
	}
	if (period) {
		uint64_t now = mono_now(rtc);

		if (now >= rtc->next_pf_ns) {
			rtc->cmos[REG_C] |= C_PF;
			rtc->next_pf_ns += ((now - rtc->next_pf_ns) / period + 1) * period;
		}
	}
	update_irq(rtc);
}

static void rearm(struct rtc_cmos *rtc)
{
	if (rtc->rearm)
		rtc->rearm(rtc->rearm_opaque);
}

static bool is_time_register(unsigned index)
{
	return index <= REG_YEAR && index != REG_ALARM_SEC && index != REG_ALARM_MIN && index != REG_ALARM_HOUR;
}

static uint8_t read_data(struct rtc_cmos *rtc)
{
	unsigned index = rtc->index;
	uint8_t v;

	if (is_time_register(index) && !(rtc->cmos[REG_B] & B_SET))
		latch(rtc, guest_now(rtc));
	switch (index) {
	case REG_A:
		return rtc->cmos[REG_A] & ~A_UIP; /* see the header: no update cycle to be in */
	case REG_C:
		v = register_c(rtc);
		rtc->cmos[REG_C] = 0;
		return v;
	case REG_D:
		return D_VRT; /* the battery is always good */
	default:
		return rtc->cmos[index];
	}
}

static void write_register_b(struct rtc_cmos *rtc, uint8_t v)
{
	bool was_set = rtc->cmos[REG_B] & B_SET;
	/* The time under the old format, so a format change keeps the time. */
	int64_t t = was_set ? registers_to_seconds(rtc) : guest_now(rtc);

	/* Data sheet, register B: setting SET clears UIE. */
	if (v & B_SET)
		v &= (uint8_t)~B_UIE;
	rtc->cmos[REG_B] = v;
	if (v & B_SET) {
		latch(rtc, t);
	} else if (was_set) {
		rtc->offset_s = t - host_now(rtc);
		rtc->last_s = t;
	}
	rearm(rtc);
}

static void write_data(struct rtc_cmos *rtc, uint8_t v)
{
	unsigned index = rtc->index;

	switch (index) {
	case REG_A: {
		bool rate_changed = (v ^ rtc->cmos[REG_A]) & A_RS;

		rtc->cmos[REG_A] = v & ~A_UIP;
		if (rate_changed) {
			rtc->next_pf_ns = mono_now(rtc) + periodic_ns(rtc);
			rearm(rtc);
		}
		return;
	}
	case REG_B:
		write_register_b(rtc, v);
		return;
	case REG_C:
	case REG_D:
		return; /* read-only */
	default:
		break;
	}
	if (!is_time_register(index) || (rtc->cmos[REG_B] & B_SET)) {
		rtc->cmos[index] = v;
		return;
	}
	/* A running clock takes the new field at once. */
	latch(rtc, guest_now(rtc));
	rtc->cmos[index] = v;
	commit(rtc);
}

static uint8_t read_port(struct rtc_cmos *rtc, unsigned port)
{
	if (port == 0)
		return (uint8_t)(rtc->index | (rtc->nmi_disabled ? 0x80 : 0));
	return read_data(rtc);
}

static void write_port(struct rtc_cmos *rtc, unsigned port, uint8_t v)
{
	if (port == 0) {
		rtc->index = v & 0x7f;
		rtc->nmi_disabled = v & 0x80;
		return;
	}
	write_data(rtc, v);
}

/* A wider access reaches the two ports one byte at a time, as on the ISA bus. */
static uint64_t rtc_read(void *opaque, uint64_t offset, unsigned size)
{
	struct rtc_cmos *rtc = opaque;
	uint64_t value = 0;

	pthread_mutex_lock(&rtc->lock);
	refresh(rtc);
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = offset + i < RTC_CMOS_LEN ? read_port(rtc, (unsigned)(offset + i)) : 0xff;

		value |= (uint64_t)b << (8 * i);
	}
	update_irq(rtc);
	pthread_mutex_unlock(&rtc->lock);
	return value;
}

static void rtc_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct rtc_cmos *rtc = opaque;

	pthread_mutex_lock(&rtc->lock);
	refresh(rtc);
	for (unsigned i = 0; i < size && offset + i < RTC_CMOS_LEN; i++)
		write_port(rtc, (unsigned)(offset + i), (uint8_t)(value >> (8 * i)));
	update_irq(rtc);
	pthread_mutex_unlock(&rtc->lock);
}

const struct io_device_ops rtc_cmos_ops = { .read = rtc_read, .write = rtc_write, .sizes = IO_SIZES_ALL };

/* The power-on state of everything but the lock and the wiring. */
static void power_on(struct rtc_cmos *rtc)
{
	struct rtc_time tm;

	memset(rtc->cmos, 0, sizeof(rtc->cmos));
	rtc->index = 0;
	rtc->nmi_disabled = false;
	rtc->offset_s = 0;
	rtc->irq_level = false;
	rtc->cmos[REG_A] = 0x26;
	rtc->cmos[REG_B] = B_24H;
	rtc->cmos[REG_D] = D_VRT;
	rtc->last_s = host_now(rtc);
	latch(rtc, rtc->last_s);
	time_from_seconds(rtc->last_s, &tm);
	rtc->cmos[RTC_CMOS_CENTURY] = encode(rtc, (unsigned)(floor_div(tm.year, 100) % 100));
	rtc->next_pf_ns = mono_now(rtc) + periodic_ns(rtc);
}

void rtc_cmos_init(struct rtc_cmos *rtc, struct irq_line irq, struct rtc_clock clock)
{
	memset(rtc, 0, sizeof(*rtc));
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->irq = irq;
	rtc->clock = clock;
	power_on(rtc);
}

void rtc_cmos_destroy(struct rtc_cmos *rtc)
{
	pthread_mutex_destroy(&rtc->lock);
}

void rtc_cmos_reset(struct rtc_cmos *rtc)
{
	pthread_mutex_lock(&rtc->lock);
	power_on(rtc);
	pthread_mutex_unlock(&rtc->lock);
}

bool rtc_cmos_registers_valid(const uint8_t cmos[RTC_CMOS_SIZE])
{
	if ((cmos[REG_A] & A_UIP) || ((cmos[REG_B] & B_SET) && (cmos[REG_B] & B_UIE)))
		return false;
	return !(cmos[REG_C] & ~(C_PF | C_AF | C_UF)) && cmos[REG_D] == D_VRT;
}

uint64_t rtc_cmos_update(struct rtc_cmos *rtc)
{
	uint64_t next = RTC_CMOS_IDLE;
	uint8_t b;

	pthread_mutex_lock(&rtc->lock);
	refresh(rtc);
	b = rtc->cmos[REG_B];
	if ((b & B_PIE) && periodic_ns(rtc)) {
		uint64_t now = mono_now(rtc);

		next = rtc->next_pf_ns > now ? rtc->next_pf_ns - now : 0;
	}
	if ((b & (B_UIE | B_AIE)) && !(b & B_SET) && next > RTC_CMOS_POLL_NS)
		next = RTC_CMOS_POLL_NS;
	pthread_mutex_unlock(&rtc->lock);
	return next;
}

void rtc_cmos_set_byte(struct rtc_cmos *rtc, unsigned index, uint8_t value)
{
	if (index <= REG_D || index >= RTC_CMOS_SIZE)
		return;
	pthread_mutex_lock(&rtc->lock);
	rtc->cmos[index] = value;
	pthread_mutex_unlock(&rtc->lock);
}

bool rtc_cmos_nmi_disabled(struct rtc_cmos *rtc)
{
	bool disabled;

	pthread_mutex_lock(&rtc->lock);
	disabled = rtc->nmi_disabled;
	pthread_mutex_unlock(&rtc->lock);
	return disabled;
}
