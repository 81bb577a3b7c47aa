/* The PC platform's devices as the VM holds them, and the clocks they read
 * (platform.c creates, wires and runs them). */
#ifndef RV_VM_PC_PLATFORM_H
#define RV_VM_PC_PLATFORM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "devices/acpi_pm.h"
#include "devices/fw_cfg.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/pc_misc.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/rtc_cmos.h"

/* The clocks the devices read: the host's (monotonic, and wall time for the
 * RTC) unless a test or fuzzer gives its own. */
struct platform_clock {
	uint64_t (*now_ns)(void *opaque);
	int64_t (*wall_s)(void *opaque);
	void *opaque;
};

struct pc_platform {
	struct pic8259 pic;
	struct pit8254 pit;
	struct rtc_cmos rtc;
	struct pc_misc misc;
	struct fw_cfg fw_cfg;
	struct acpi_pm acpi_pm;
	struct ioapic ioapic;
	struct lapic lapic; /* of vCPU 0, the only one (VM_MAX_VCPUS) */
	pthread_t timer;
	bool timer_started;
	int lint0_level;    /* what LINT0 was last given; vCPU thread only */
	unsigned timer_seq; /* bumped (atomic) when the guest reprograms a timer */
	struct platform_clock clock;
};

#define PLATFORM_IOAPIC_ID 1 /* after the LAPIC IDs, as firmware numbers them */
#define PLATFORM_SCI_IRQ 9   /* the ACPI SCI, as PC chipsets wire it; never raised */

#endif
