/* The PC's real-time clock and CMOS RAM: a Motorola MC146818 at ports 0x70
 * (index) and 0x71 (data), interrupt line 8.
 *
 * Port 0x70 takes the index of one of 128 CMOS bytes in bits 6-0; bit 7 is the
 * PC's NMI-disable gate, stored apart from the index (nmi_disabled) and read back
 * with it. Bytes 0x00-0x0d are the clock (seconds, alarm seconds, minutes, alarm
 * minutes, hours, alarm hours, day of week, day of month, month, year, registers
 * A-D); the rest is plain storage that the BIOS owns on a PC (0x32: the century,
 * in BCD), filled by the VM with rtc_cmos_set_byte().
 *
 * Time: the guest's clock is the host's wall clock (now_s, UTC seconds) plus an
 * offset. A guest write to a time register changes the offset only, so a guest
 * setting its clock moves its own time and nothing else. Time registers are
 * encoded when read, in the format register B selects at that moment (BCD or
 * binary, 24- or 12-hour with bit 7 of the hour = PM). While B's SET bit is one
 * the clock is frozen: the time registers hold what they held when SET rose plus
 * what the guest writes, and when SET falls they become the guest's time. A full
 * year is the century byte (read in register B's encoding, as Linux reads it)
 * times 100 plus the year register; if the century byte does not decode to
 * 19-99 the century of the guest's current time is used. Out-of-range fields a
 * guest writes are folded arithmetically (day 0 is the last day of the month
 * before); the day of week is derived from the date and writes to it are ignored.
 *
 * Register A: UIP (bit 7) always reads 0: with a whole-second clock there is no
 * update cycle to be inside, and a guest waiting for UIP to clear (Linux's
 * mc146818_get_time) goes straight on. DV2-0 and RS3-0 are stored; the divider
 * always runs. Register C: IRQF, PF, AF, UF; a read returns them and clears them.
 * Register D: VRT (bit 7) always reads 1. C and D ignore writes.
 *
 * Flags and the interrupt: UF is set when the guest's second changes (not while
 * SET is one), AF when it does and the alarm matches (an alarm byte of 0xc0-0xff
 * matches any value), PF every period that RS selects (2^(RS-1)/32768 s; RS 1
 * and 2 as 8 and 9) measured on the optional monotonic clock now_ns (without it
 * PF is never set). Flags are brought up to date lazily, on every port access and
 * on rtc_cmos_update(). IRQ 8 is driven high while IRQF is set (a flag set whose
 * enable bit in B is one) and low when a read of C clears it.
 *
 * Threads: vCPUs access the ports; the VM's timer calls rtc_cmos_update(). Both
 * take the device's lock; the IRQ line and rearm are driven with it held (lock
 * order: RTC, then interrupt controller). */
#ifndef RV_RTC_CMOS_H
#define RV_RTC_CMOS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"
#include "state/device_state.h"
#include "vm/bus.h"

#define RTC_CMOS_PORT 0x70
#define RTC_CMOS_LEN 2
#define RTC_CMOS_IRQ 8
#define RTC_CMOS_SIZE 128
#define RTC_CMOS_CENTURY 0x32
#define RTC_CMOS_REG_A 0x0a /* divider and periodic rate */
/* rtc_cmos_update(): no event is due, no call is needed. */
#define RTC_CMOS_IDLE UINT64_MAX
/* How often rtc_cmos_update() asks to be called while the update-ended or alarm
 * interrupt is enabled: the clock has whole seconds only, so a new second is
 * noticed at most this late. */
#define RTC_CMOS_POLL_NS 10000000ull

struct rtc_clock {
	int64_t (*now_s)(void *opaque);	  /* host wall clock, UTC seconds; mandatory */
	uint64_t (*now_ns)(void *opaque); /* monotonic nanoseconds; NULL: no periodic flag */
	void *opaque;
};

struct rtc_cmos {
	pthread_mutex_t lock;
	uint8_t cmos[RTC_CMOS_SIZE]; /* time registers hold meaning only while SET is one */
	uint8_t index;		     /* bits 6-0 of the last write to port 0x70 */
	bool nmi_disabled;	     /* bit 7 of the last write to port 0x70 */
	int64_t offset_s;	     /* guest time minus host time */
	int64_t last_s;		     /* the guest second UF was last brought up to date for */
	uint64_t next_pf_ns;	     /* when PF is next set, on now_ns */
	bool irq_level;
	struct irq_line irq;
	struct rtc_clock clock;
	/* Called (with the lock held) when a guest write changes when the next event
	 * is due, so the VM calls rtc_cmos_update() again soon. It must not call back
	 * into the device. May be NULL. */
	void (*rearm)(void *opaque);
	void *rearm_opaque;
};

extern const struct io_device_ops rtc_cmos_ops;

/* Power-on state as a PC BIOS leaves it: register A 0x26 (32.768 kHz divider,
 * 1024 Hz rate), B 0x02 (24-hour, BCD, no interrupts), D 0x80, the century byte
 * of the host's current year, other storage zero. */
void rtc_cmos_init(struct rtc_cmos *rtc, struct irq_line irq, struct rtc_clock clock);
void rtc_cmos_destroy(struct rtc_cmos *rtc);
/* Back to what rtc_cmos_init leaves (the guest's time back to the host's);
 * IRQ 8 is taken as low without being driven (a VM-wide reset: the interrupt
 * controllers reset too). */
void rtc_cmos_reset(struct rtc_cmos *rtc);

/* Saved state (rtc_cmos_state.c, docs/snapshot-format.md); dev: the struct
 * rtc_cmos. */
extern const struct device_state_ops rtc_cmos_state_ops;
/* For the state code. The period of the periodic flag that a register A
 * value selects (its rate bits), in now_ns nanoseconds; 0 for none. */
uint64_t rtc_cmos_rate_ns(uint8_t register_a);
/* Whether the clock's registers in cmos hold what the chip can come to hold:
 * UIP clear in A (never stored), no update-ended interrupt enabled while SET
 * is one, only the three flags stored in C, D at its fixed value. */
bool rtc_cmos_registers_valid(const uint8_t cmos[RTC_CMOS_SIZE]);
/* The VM's timer contract: call once after init, then whenever the time this
 * returned (nanoseconds from now, on now_ns) has passed, and after rearm. Brings
 * the flags up to date, drives IRQ 8, and returns when the next event is due, or
 * RTC_CMOS_IDLE if no interrupt is enabled. */
uint64_t rtc_cmos_update(struct rtc_cmos *rtc);
/* For the VM to fill BIOS-owned storage (memory sizes, the century) before the
 * guest starts. Indexes below 0x0e (the clock) and above 0x7f are ignored. */
void rtc_cmos_set_byte(struct rtc_cmos *rtc, unsigned index, uint8_t value);
bool rtc_cmos_nmi_disabled(struct rtc_cmos *rtc);

#endif
