/* ACPI firmware tables for the guest: just enough for an OS to find the local
 * APICs, the I/O APIC, the legacy interrupt routing, the fixed power-management
 * registers (src/devices/acpi_pm.h) and the S5 (soft off) sleep type.
 *
 * What acpi_build() writes (ACPI 6.x chapter 5), in this order, each table at a
 * 16-byte aligned guest-physical address (the FACS at a 64-byte aligned one, as
 * ACPI 5.2.10 requires):
 *   RSDP  revision 2 (36 bytes, both checksums), pointing at the XSDT and at an
 *         RSDT as well, so that an OS told to prefer the RSDT (Linux "acpi=rsdt")
 *         finds the same two tables;
 *   XSDT  -> FADT, MADT (64-bit pointers);
 *   RSDT  -> FADT, MADT (32-bit pointers);
 *   FADT  revision 6 (ACPI 6.0), full hardware model (not HW_REDUCED_ACPI):
 *         PM1a event, PM1a control and PM timer blocks at the configured ports,
 *         in both the 32-bit fields and the X_ generic addresses; SMI_CMD = 0
 *         (the machine is always in ACPI mode); reset register = port 0xcf9,
 *         value 0x06; IA-PC boot flags "legacy devices" and "8042";
 *   FACS  64 bytes; a full-hardware FADT must point at one (FIRMWARE_CTRL);
 *   DSDT  AML defining \_S5 (see acpi.c) and, in \_SB, one virtio-mmio device
 *         per cfg->virtio entry: Device (VIOn) with _HID "LNRO0005" (the ID
 *         Linux's virtio_mmio driver binds through ACPI), _UID n, and a _CRS of
 *         a Memory32Fixed read/write window and an Extended Interrupt (consumer,
 *         level-triggered, active high, exclusive) naming the GSI;
 *   MADT  one enabled Processor Local APIC per CPU, one I/O APIC (GSI base 0),
 *         ISA IRQ 0 -> GSI 2 and SCI -> GSI sci_irq (level, active high), and a
 *         Local APIC NMI on LINT1 for every processor.
 *
 * All addresses in the tables are guest-physical: buf is where the tables are
 * built, base_gpa where the guest will see buf[0]. The caller copies buf into
 * guest memory at base_gpa and reserves that range; the RSDP is at base_gpa.
 *
 * Pure function of its arguments: no global state, safe from any thread. */
#ifndef RV_ACPI_H
#define RV_ACPI_H

#include <stddef.h>
#include <stdint.h>

/* Limits acpi_build() checks. The xAPIC ID is 8 bits and 0xff is the broadcast
 * ID, so at most 255 processors (IDs 0-254) fit Processor Local APIC entries. */
#define ACPI_MAX_CPUS 255
/* Every 32-bit pointer field (RSDT entries, FADT DSDT/FIRMWARE_CTRL, the MADT's
 * local APIC address, the I/O APIC address) must reach the tables. */
#define ACPI_MAX_GPA 0x100000000ull

/* virtio-mmio devices the DSDT can list (names VIO0-VIOF). */
#define ACPI_MAX_VIRTIO_MMIO 16

struct acpi_virtio_mmio {
	uint64_t base; /* the window; base + len must end at or below 4 GiB */
	uint32_t len;
	uint32_t gsi; /* an I/O APIC input (the MADT's I/O APIC has GSI base 0) */
};

struct acpi_config {
	unsigned ncpus;	     /* APIC IDs 0..ncpus-1, processor UIDs the same; 1..ACPI_MAX_CPUS */
	uint64_t lapic_addr; /* 0xfee00000; below 4 GiB */
	uint64_t ioapic_addr;
	uint8_t ioapic_id;
	/* PM1a_EVT_BLK (4 bytes), PM1a_CNT_BLK (2 bytes), PM_TMR_BLK (4 bytes);
	 * non-zero, and the block must end at or below port 0x10000. */
	uint16_t pm1a_evt_port, pm1a_cnt_port, pm_tmr_port;
	uint8_t sci_irq;       /* ISA IRQ 1-15 except 2 (the cascade; IRQ 0 is the timer) */
	uint8_t s5_sleep_type; /* SLP_TYP value that means S5 (soft off); 0-7 */
	unsigned nvirtio;      /* 0..ACPI_MAX_VIRTIO_MMIO */
	struct acpi_virtio_mmio virtio[ACPI_MAX_VIRTIO_MMIO];
};

/* Writes the tables into buf (len bytes, guest-physical base_gpa, which must be
 * 16-byte aligned); the RSDP first, at buf. Returns the number of bytes used, or
 * 0 with a one-line reason in why (why may be NULL) if they do not fit or the
 * configuration cannot be described. Bytes of buf between tables are zeroed. */
size_t acpi_build(const struct acpi_config *cfg, uint8_t *buf, size_t len, uint64_t base_gpa, char *why,
		  size_t why_len);

#endif
