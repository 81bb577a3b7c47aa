/* The count-down arithmetic of the local APIC timer (Intel SDM Vol. 3A, "APIC
 * Timer"), apart from the registers and the lock: the owner (lapic.c) serializes
 * every call.
 *
 * Nothing ticks. The timer remembers when it last started counting (start_ns),
 * the count it started from (start_count: the initial count, or what was left when
 * the divider changed) and how many expiries since then were already handed out.
 * The count decrements once per tick; a tick is `divider` periods of the input
 * clock (LAPIC_TIMER_HZ). At tick start_count the count reaches zero: the timer
 * expires. One-shot, it then stays at zero; periodic, the count is reloaded from
 * the initial count at that same tick, so period p ends at tick
 * start_count + (p - 1) * initial and the phase never drifts with the times the
 * owner happens to look. */
#ifndef RV_LAPIC_TIMER_H
#define RV_LAPIC_TIMER_H

#include <stdbool.h>
#include <stdint.h>

/* The timer's input clock before the divider. The SDM leaves it model specific
 * (the bus clock, or the core crystal clock that CPUID leaf 15H reports); guests
 * that are not told measure it (Linux calibrates it against the PIT). 1 GHz makes
 * one tick at divide-by-1 one nanosecond, so counts convert to now_ns times
 * exactly; the longest count, 2^32 ticks at divide-by-128, is about 550 s. */
#define LAPIC_TIMER_HZ 1000000000ull

struct lapic_timer {
	uint32_t initial;     /* the initial-count register */
	unsigned divider;     /* 1, 2, 4, ..., 128 */
	bool periodic;	      /* LVT timer mode 01b */
	bool running;	      /* counting; false after a one-shot expiry or a stop */
	uint64_t start_ns;    /* when counting (re)started */
	uint32_t start_count; /* the count at start_ns, 1..initial */
	uint64_t expiries;    /* expiries since start_ns already taken */
};

/* Stopped, divide by 2 (divide configuration 0), one-shot. */
void lapic_timer_init(struct lapic_timer *t);

/* An initial-count write: counting restarts from count at now; 0 stops. */
void lapic_timer_start(struct lapic_timer *t, uint64_t now, uint32_t count);
void lapic_timer_stop(struct lapic_timer *t);

/* The current-count register at now. */
uint32_t lapic_timer_current(const struct lapic_timer *t, uint64_t now);

/* Whether the timer expired since the last call (any number of periods missed by
 * a late caller count as one); a one-shot timer stops at its expiry. */
bool lapic_timer_take(struct lapic_timer *t, uint64_t now);

/* The first now at which lapic_timer_take() will return true; UINT64_MAX if
 * never without another start. */
uint64_t lapic_timer_next_ns(const struct lapic_timer *t);

/* A new divider (1..128) from now on. The count reached so far is kept and
 * counting goes on from it at the new rate; the tick under way when the divider
 * changes starts over. Call lapic_timer_take(now) first, so no expiry is lost. */
void lapic_timer_set_divider(struct lapic_timer *t, uint64_t now, unsigned divider);

/* The LVT timer's mode bit. "A write to the LVT Timer Register that changes the
 * timer mode disarms the local APIC timer" (SDM "TSC-Deadline Mode"): a change
 * stops the count (current count 0) until the next initial-count write. */
void lapic_timer_set_periodic(struct lapic_timer *t, bool periodic);

/* For saving and restoring: the timer at now as the ticks left to its next
 * expiry (*left, 0 if it is not running) and the nanoseconds already spent in
 * the current tick (*phase_ns). Call lapic_timer_take(now) first, so that no
 * expiry is due: a running timer then has 1..initial ticks left. */
void lapic_timer_save_point(const struct lapic_timer *t, uint64_t now, uint32_t *left, uint64_t *phase_ns);
/* The reverse at another now, with initial, divider and periodic already
 * set: counting resumes with left ticks to go, phase_ns into the first (if
 * now is smaller than phase_ns, from 0). left 0 stops the timer. Returns false,
 * changing nothing, if the values are impossible: more ticks left than the
 * initial count, a phase not shorter than a tick, a phase without a count. */
bool lapic_timer_restore_point(struct lapic_timer *t, uint64_t now, uint32_t left, uint64_t phase_ns);

/* The divider a divide configuration register value selects (bits 3, 1, 0). */
unsigned lapic_timer_divider(uint32_t divide_config);

#endif
