/* The PC platform around the CPU: interrupt controllers, timers, CMOS clock, the
 * small ports a PC has and QEMU's fw_cfg, registered on the VM's buses and wired
 * together as on a PC with an I/O APIC:
 *   ISA IRQ n -> 8259A input n and I/O APIC pin n, except IRQ 0 -> pin 2 (the
 *   override the MADT announces);  IRQ 0 8254 PIT, IRQ 4 COM1, IRQ 8 CMOS RTC
 *   8259A INTR -> local APIC LINT0 (ExtINT in virtual wire mode)
 *   I/O APIC messages -> the local APIC; its EOIs of level vectors -> I/O APIC
 * A timer thread brings the PIT, RTC and LAPIC timer up to date with time.
 *
 * Locks, in the only order they are taken:
 *   device -> 8259A -> stop lock      (a device raising its line; INTR wakes the vCPU)
 *   device -> I/O APIC -> LAPIC -> stop lock   (a message; the LAPIC wakes the vCPU)
 *   LAPIC -> 8259A                     (the ExtINT acknowledge)
 * So nothing calls the LAPIC while holding the 8259A's lock: LINT0 follows INTR
 * on the vCPU thread (platform_sync_lint0), not from the 8259A's callback. */
#ifndef RV_PLATFORM_H
#define RV_PLATFORM_H

#include "vm/pc_platform.h"

struct vm;

/* Creates the devices and registers them on vm's buses; -1 with a reason. The
 * devices read clock, or the host's clocks if clock is NULL. */
int platform_init(struct vm *vm, const struct platform_clock *clock, char *why, size_t why_len);
/* Writes the ACPI tables into guest RAM, describing the platform and the
 * VM's virtio devices (so after vm_virtio_create); -1 with a reason. */
int platform_install_acpi(struct vm *vm, char *why, size_t why_len);
/* Brings every timer up to now and raises what is due (what the timer thread
 * does each time it wakes); returns the clock time at which to call it again. */
uint64_t platform_timers_update(struct vm *vm);
/* The IRQ line of a platform interrupt (0-15). */
struct irq_line platform_irq(struct vm *vm, unsigned irq);
/* Makes the LAPIC's LINT0 follow the 8259A's INTR; vCPU thread, no lock held. */
void platform_sync_lint0(struct vm *vm);
/* Wakes every vCPU: a halted one re-checks for interrupts. Any thread. */
void platform_wake(struct vm *vm);
/* Starts and (after the VM has stopped) joins the timer thread. */
int platform_start(struct vm *vm);
void platform_stop(struct vm *vm);
void platform_destroy(struct vm *vm);

#endif
