/* The ACPI fixed-hardware power-management registers (ACPI 6.x section 4.8,
 * "ACPI Hardware Specification", fixed hardware registers): the PM1a event
 * block, the PM1a control block and the PM timer, as the FADT built by
 * firmware/acpi.c describes them. There is no PM1b, PM2, GPE block or SMI.
 *
 * Registration (done by the VM owner), one opaque, three ranges:
 *   port ACPI_PM1A_EVT_PORT, ACPI_PM1_EVT_LEN, acpi_pm_evt_ops, opaque the struct acpi_pm
 *   port ACPI_PM1A_CNT_PORT, ACPI_PM1_CNT_LEN, acpi_pm_cnt_ops, opaque the same
 *   port ACPI_PM_TMR_PORT,   ACPI_PM_TMR_LEN,  acpi_pm_tmr_ops, opaque the same
 * The ports are the defaults the VM passes to acpi_build() too.
 *
 * Registers (offsets within each block):
 *   EVT+0  PM1_STS (16 bits): status bits, write 1 to clear. Only TMR_STS (bit 0)
 *          is ever set: whenever bit 23 of the PM timer changes (ACPI Table 4.11).
 *          No other event source exists (no fixed buttons, no RTC_STS, no wake).
 *   EVT+2  PM1_EN (16 bits): the enable bits of Table 4.12 (TMR_EN, GBL_EN,
 *          PWRBTN_EN, SLPBTN_EN, RTC_EN, PCIEXP_WAKE_DIS) are stored and read
 *          back (ACPICA verifies an enable by reading it back); reserved bits
 *          read 0.
 *   CNT+0  PM1_CNT (16 bits, Table 4.13): SCI_EN (bit 0) always reads 1 -
 *          without an SMI_CMD port the machine is in ACPI mode for good; BM_RLD
 *          (bit 1) and SLP_TYP (bits 12-10) are stored; GBL_RLS (bit 2) and
 *          SLP_EN (bit 13) are write-only and read 0; reserved bits read 0.
 *          Writing SLP_EN = 1 enters the sleep state SLP_TYP names (the SLP_TYP
 *          of the same write): the S5 value calls poweroff(opaque), once per such
 *          write; other types are ignored (logged once per device).
 *   TMR+0  PM_TMR (32 bits, read-only): TMR_VAL in bits 23-0, a free-running
 *          count at 3.579545 MHz of the now_ns clock since acpi_pm_init (a
 *          restored timer goes on from its saved count); bits
 *          31-24 read 0 (the FADT leaves TMR_VAL_EXT clear). Writes are ignored.
 *
 * Access sizes: ACPI has the PM1 registers accessed as bytes or words and the
 * timer as a dword. The blocks take accesses of 1, 2 and 4 bytes, at any offset,
 * so a dword read of the timer is one atomic read; the bus splits wider ones and
 * hands bytes past a block's end to whatever owns them (vm/bus.h). An access
 * covers the bytes offset..offset+size-1 of its block. A write covering
 * only some bytes of a register changes only those bytes (so a byte write to
 * PM1_CNT+1 can carry SLP_TYP and SLP_EN; a byte write of ones to PM1_STS+0
 * clears only the low status byte). A read of the timer as bytes is not atomic
 * across accesses, as on hardware.
 *
 * Not modelled: the SCI. No status bit but TMR_STS can become set, and TMR_EN
 * raises nothing (OSes use the timer's value, not its carry interrupt). Sleep
 * states other than S5. Resets: the FADT's RESET_REG is port 0xcf9
 * (devices/pc_misc.h); acpi_pm_reset() returns this device's registers to their
 * power-on values for a VM reset and keeps the timer running.
 *
 * Threads: vCPU threads access the ports; one mutex serializes the state.
 * poweroff is called without the lock held, on the vCPU thread that wrote
 * SLP_EN; it may call back into this device. now_ns is called with the lock
 * held and must not call into this device. */
#ifndef RV_ACPI_PM_H
#define RV_ACPI_PM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "state/device_state.h"
#include "vm/bus.h"

#define ACPI_PM1A_EVT_PORT 0x600
#define ACPI_PM1A_CNT_PORT 0x604
#define ACPI_PM_TMR_PORT 0x608
#define ACPI_PM1_EVT_LEN 4
#define ACPI_PM1_CNT_LEN 2
#define ACPI_PM_TMR_LEN 4
#define ACPI_PM_TIMER_HZ 3579545ull
/* The SLP_TYP value the VM's DSDT names as \_S5. Any of 0-7 would do; 7 is
 * Soft Off in Intel ICH/PCH data sheets (PM1_CNT SLP_TYP 111b), and being
 * non-zero it differs from SLP_TYP's power-on value. */
#define ACPI_PM_S5_SLEEP_TYPE 7

struct acpi_pm {
	pthread_mutex_t lock;
	uint16_t sts;	    /* PM1_STS */
	uint16_t en;	    /* PM1_EN, defined bits only */
	uint16_t cnt;	    /* PM1_CNT stored bits: BM_RLD, SLP_TYP */
	uint64_t start_ns;  /* now_ns at which the timer had counted tick_base periods */
	uint64_t tick_base; /* 0, or where a restored timer goes on from */
	uint64_t tmr_carry; /* bit-23 changes of the timer already reflected in TMR_STS */
	uint8_t s5_sleep_type;
	bool unsupported_sleep_logged;
	uint64_t (*now_ns)(void *opaque);
	void *clock_opaque;
	void (*poweroff)(void *opaque);
	void *poweroff_opaque;
};

extern const struct io_device_ops acpi_pm_evt_ops; /* PM1a_EVT_BLK */
extern const struct io_device_ops acpi_pm_cnt_ops; /* PM1a_CNT_BLK */
extern const struct io_device_ops acpi_pm_tmr_ops; /* PM_TMR_BLK */

/* now_ns: a monotonic clock in nanoseconds (tests pass a fake one); poweroff:
 * called when the guest enters S5; s5_sleep_type: the SLP_TYP of S5 (0-7, the
 * value given to acpi_build()). None of the callbacks may be NULL. */
void acpi_pm_init(struct acpi_pm *pm, uint8_t s5_sleep_type, uint64_t (*now_ns)(void *opaque), void *clock_opaque,
		  void (*poweroff)(void *opaque), void *poweroff_opaque);
void acpi_pm_destroy(struct acpi_pm *pm);
/* Status, enable and control back to their power-on values (all zero but
 * SCI_EN); the timer keeps counting. */
void acpi_pm_reset(struct acpi_pm *pm);

/* Saved state (acpi_pm_state.c, docs/snapshot-format.md); dev: the struct
 * acpi_pm. */
extern const struct device_state_ops acpi_pm_state_ops;
/* For the state loader: whether PM1_STS, PM1_EN and PM1_CNT's stored bits
 * hold only bits this device ever sets there. */
bool acpi_pm_registers_valid(uint16_t sts, uint16_t en, uint16_t cnt);

#endif
