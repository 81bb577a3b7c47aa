/* The Intel 8254 programmable interval timer of the PC (three counters at ports
 * 0x40-0x42, control word at 0x43, 1.193182 MHz input clock) and PC/AT system
 * control port B (0x61), which gates counter 2 and shows its OUT.
 *
 * Nothing ticks: every count and OUT level is computed from the time elapsed on
 * the now_ns clock since the counter was loaded (or triggered, or its gate rose),
 * counted in whole input-clock periods. Modes 0-5 are modelled; BCD counting is
 * not (the BCD bit is stored and read back in the status byte, but counters count
 * in binary).
 *
 * Interrupts: counter 0's OUT drives IRQ 0. Since no thread runs inside the PIT,
 * the VM's timer thread must call pit8254_update() at (or after) the time
 * pit8254_next_event_ns() returns, and ask again after every call; guest accesses
 * to the PIT also bring the line up to date. What the line does per mode:
 *   - modes 0, 1, 3: the line follows OUT0 (mode 0: high from terminal count on;
 *     mode 3: the square wave, one rising edge per period);
 *   - modes 2, 4, 5: OUT0 is a one-clock low strobe, too short to sample, so the
 *     line rests low and each completed strobe (OUT0 back high: in mode 2 once per
 *     period) is delivered as a pulse, raise then lower: one edge per period.
 *     Periods missed by a late caller collapse into one pulse, as an edge-triggered
 *     request latch would collapse them.
 *
 * Threads: any thread may call every function here; the PIT's mutex serializes
 * them. irq_line_set() is called with that mutex held (lock order: PIT, then
 * interrupt controller), so the controller must not call back into the PIT. */
#ifndef RV_PIT8254_H
#define RV_PIT8254_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"
#include "state/device_state.h"
#include "vm/bus.h"

#define PIT8254_BASE 0x40
#define PIT8254_LEN 4 /* counters 0-2, then the control word */
#define PIT8254_PORT61 0x61
#define PIT8254_PORT61_LEN 1
#define PIT8254_IRQ 0
#define PIT8254_HZ 1193182ull

struct pit_counter {
	uint8_t ctrl;	     /* control word bits 5-0 as written (RW, mode, BCD), for status */
	uint8_t mode;	     /* 0-5 */
	uint32_t count;	     /* the count in use, 1..65536 (a written 0 is 65536) */
	uint32_t next_count; /* modes 2, 3: written while counting; 1, 5: armed for the trigger */
	bool loaded;	     /* a complete count has been written since the control word */
	bool pending;	     /* modes 2, 3: next_count waits for the end of the cycle */
	int64_t pending_tick, pending_start;
	bool armed;	/* modes 1, 5: next_count not yet taken by a trigger */
	bool triggered; /* modes 1, 5 */
	bool null_count;
	bool gate;
	uint16_t idle_value; /* what the counter reads before a count is loaded */
	/* Clock periods elapsed in the current count: base_ticks plus those since
	 * base_ns, while counting (frozen while the gate holds the counter). */
	uint64_t base_ns;
	int64_t base_ticks;
	bool write_msb; /* LSB-then-MSB: the next byte written is the MSB */
	uint8_t write_lsb;
	bool read_msb; /* LSB-then-MSB: the next byte read is the MSB */
	bool count_latched, status_latched;
	uint16_t latched_count;
	uint8_t latched_status;
	uint64_t pulses_seen; /* strobes already delivered as IRQ pulses */
	bool pulse_owed;      /* one ended just before a new count took over */
};

struct pit8254 {
	pthread_mutex_t lock;
	struct pit_counter counter[3];
	uint8_t port61; /* bits 3-0 as written: gate 2, speaker, parity/IOCHK enables */
	bool irq_level;
	struct irq_line irq;
	uint64_t (*now_ns)(void *opaque);
	void *clock_opaque;
	/* Called after each guest write to the counters' ports, outside the
	 * lock, when set: the write may have programmed counter 0, so the time
	 * pit8254_next_event_ns gives may have moved. */
	void (*programmed)(void *opaque);
	void *programmed_opaque;
};

extern const struct io_device_ops pit8254_ops;	      /* at PIT8254_BASE, PIT8254_LEN ports */
extern const struct io_device_ops pit8254_port61_ops; /* at PIT8254_PORT61, one port */

/* now_ns: a monotonic clock in nanoseconds (tests pass a fake one). At reset all
 * counters are in mode 0 without a count, OUT low; counter 2's gate is low. */
void pit8254_init(struct pit8254 *p, struct irq_line irq0, uint64_t (*now_ns)(void *opaque), void *clock_opaque);
void pit8254_destroy(struct pit8254 *p);
/* Back to what pit8254_init leaves (now on its clock); IRQ 0 is taken as low
 * without being driven (a VM-wide reset: the interrupt controllers reset too). */
void pit8254_reset(struct pit8254 *p);

/* Saved state (pit8254_state.c, docs/snapshot-format.md); dev: the struct
 * pit8254. */
extern const struct device_state_ops pit8254_state_ops;
/* For the state loader and saver. Whether the clock periods of c advance with
 * time (else its count stands still and base_ns means nothing). */
bool pit8254_counting(const struct pit_counter *c);
/* Whether a counter's fields hold only what the 8254 can come to hold: a
 * mode and control word that agree, counts within 1..65536, a count waiting
 * only in the modes that wait, positions in range. Gates are the owner's. */
bool pit8254_counter_valid(const struct pit_counter *c);

/* The now_ns time at which IRQ 0 next has to change (OUT0 changes, or a strobe
 * ends), or UINT64_MAX if it never will without a guest access. */
uint64_t pit8254_next_event_ns(struct pit8254 *p);
/* Brings IRQ 0 up to date with the current time (see above). */
void pit8254_update(struct pit8254 *p);

#endif
