/* The PC platform around the CPU: interrupt controller, timers, CMOS clock and the
 * small ports a PC has, registered on the VM's buses and wired together:
 *   IRQ 0  8254 PIT counter 0      IRQ 4  COM1      IRQ 8  CMOS RTC
 * A timer thread brings the PIT and RTC interrupt lines up to date with time.
 *
 * Locks: a device's own lock, then the PIC's, then the VM's stop lock (taken by
 * the PIC's INTR callback to wake a halted vCPU). Nothing takes them the other
 * way round. */
#ifndef RV_PLATFORM_H
#define RV_PLATFORM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "devices/pc_misc.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/rtc_cmos.h"

struct vm;

struct pc_platform {
	struct pic8259 pic;
	struct pit8254 pit;
	struct rtc_cmos rtc;
	struct pc_misc misc;
	pthread_t timer;
	bool timer_started;
};

/* Creates the devices and registers them on vm's buses; -1 with a reason. */
int platform_init(struct vm *vm, char *why, size_t why_len);
/* The IRQ line of a platform interrupt (0-15). */
struct irq_line platform_irq(struct vm *vm, unsigned irq);
/* Starts and (after the VM has stopped) joins the timer thread. */
int platform_start(struct vm *vm);
void platform_stop(struct vm *vm);
void platform_destroy(struct vm *vm);

#endif
