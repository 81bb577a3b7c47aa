#include "firmware/acpi.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "firmware/aml.h"

/* Identification in every header (ACPI 5.2.6): OEMID is 6 characters, OEM Table
 * ID 8, Creator ID 4; none is NUL-terminated in the table. */
#define OEM_ID "RINGVI"
#define OEM_TABLE_ID "RVTABLES"
#define OEM_REVISION 1
#define CREATOR_ID "RNGV"
#define CREATOR_REVISION 1

/* System description table header (ACPI 5.2.6). */
#define HDR_LENGTH 4
#define HDR_REVISION 8
#define HDR_CHECKSUM 9
#define HDR_OEM_ID 10
#define HDR_OEM_TABLE_ID 16
#define HDR_OEM_REVISION 24
#define HDR_CREATOR_ID 28
#define HDR_CREATOR_REVISION 32
#define HDR_LEN 36

/* RSDP (ACPI 5.2.5.3). The ACPI 1.0 checksum covers bytes 0-19, the extended
 * one all 36. */
#define RSDP_CHECKSUM 8
#define RSDP_OEM_ID 9
#define RSDP_REVISION 15
#define RSDP_RSDT 16
#define RSDP_LENGTH 20
#define RSDP_XSDT 24
#define RSDP_EXT_CHECKSUM 32
#define RSDP_V1_LEN 20
#define RSDP_LEN 36

/* FADT (ACPI 5.2.9, revision 6 of ACPI 6.0; 276 bytes). */
#define FADT_REVISION 6
#define FADT_MINOR_REVISION 0
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_SCI_INT 46
#define FADT_SMI_CMD 48
#define FADT_PM1A_EVT_BLK 56
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM_TMR_BLK 76
#define FADT_PM1_EVT_LEN 88
#define FADT_PM1_CNT_LEN 89
#define FADT_PM_TMR_LEN 91
#define FADT_P_LVL2_LAT 96
#define FADT_P_LVL3_LAT 98
#define FADT_CENTURY 108
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_MINOR_VERSION 131
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_X_DSDT 140
#define FADT_X_PM1A_EVT_BLK 148
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_X_PM_TMR_BLK 208
#define FADT_LEN 276

/* The register block lengths the FADT declares; acpi_pm.c decodes the same. */
#define PM1_EVT_LEN 4
#define PM1_CNT_LEN 2
#define PM_TMR_LEN 4

/* P_LVL2_LAT > 100 and P_LVL3_LAT > 1000 mean "C2/C3 not supported". */
#define NO_C2_LATENCY 101
#define NO_C3_LATENCY 1001
/* The CMOS index of the century byte on the PC (see devices/rtc_cmos.h). */
#define CMOS_CENTURY 0x32

#define BOOT_ARCH_LEGACY_DEVICES 0x0001

#define FADT_F_WBINVD (1u << 0)
#define FADT_F_PROC_C1 (1u << 2)
#define FADT_F_PWR_BUTTON (1u << 4) /* 1: no fixed-feature power button */
#define FADT_F_SLP_BUTTON (1u << 5) /* 1: no fixed-feature sleep button */
#define FADT_F_FIX_RTC (1u << 6)    /* 1: no RTC_STS in PM1 (acpi_pm has none) */
#define FADT_F_RESET_REG_SUP (1u << 10)

/* Generic Address Structure (ACPI 5.2.3.2), 12 bytes. */
#define GAS_LEN 12
#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1
#define GAS_ACCESS_WORD 2
#define GAS_ACCESS_DWORD 3

/* The PC chipset's reset control register (devices/pc_misc.h): SYS_RST | RST_CPU. */
#define RESET_PORT 0xcf9
#define RESET_VALUE 0x06

/* FACS (ACPI 5.2.10): no checksum; version 2 since ACPI 4.0. */
#define FACS_LENGTH 4
#define FACS_VERSION 32
#define FACS_LEN 64
#define FACS_ALIGN 64

/* MADT (ACPI 5.2.12), revision 4 of ACPI 6.0 Errata A. */
#define MADT_REVISION 4
#define MADT_LAPIC_ADDR 36
#define MADT_FLAGS 40
#define MADT_HDR_LEN 44
#define MADT_PCAT_COMPAT 1u
#define MADT_LAPIC 0
#define MADT_LAPIC_LEN 8
#define MADT_IOAPIC 1
#define MADT_IOAPIC_LEN 12
#define MADT_ISO 2
#define MADT_ISO_LEN 10
#define MADT_LAPIC_NMI 4
#define MADT_LAPIC_NMI_LEN 6
#define LAPIC_ENABLED 1u
#define ALL_PROCESSORS 0xff
#define ISA_BUS 0
/* MPS INTI flags: polarity in bits 1-0 (01 active high), trigger mode in bits
 * 3-2 (01 edge, 11 level). */
#define INTI_HIGH_EDGE 0x0005
#define INTI_HIGH_LEVEL 0x000d
#define PIT_IRQ 0
#define PIT_GSI 2 /* the I/O APIC's pin 0 is the 8259's INTR; the PIT is on pin 2 */
#define ISA_CASCADE_IRQ 2
#define NMI_LINT 1

#define XSDT_ENTRIES 2	/* FADT, MADT */
#define DSDT_REVISION 2 /* >= 2: AML integers are 64 bits */

/* The DSDT's AML (ACPI 6.x chapter 20, "ACPI Machine Language Specification").
 * It encodes, in the DSDT's root scope:
 *
 *     Name (\_S5, Package (0x04) { S5, S5, Zero, Zero })
 *
 * where S5 is cfg->s5_sleep_type: SLP_TYPa, SLP_TYPb (the value for PM1b_CNT,
 * which does not exist here, so the same), and two reserved elements.
 *
 *   08              NameOp (DefName := NameOp NameString DataRefObject)
 *   5c              RootChar '\'
 *   5f 53 35 5f     NameSeg "_S5_": a NameSeg is 4 characters, '_' pads
 *   12              PackageOp (DefPackage := PackageOp PkgLength NumElements
 *                   PackageElementList)
 *   08              PkgLength: one byte (bits 7-6 = 0 follow bytes, 5-0 = the
 *                   length); it counts itself, NumElements and the elements:
 *                   1 + 1 + 6 = 8
 *   04              NumElements (ByteData)
 *   0a tt           BytePrefix ByteData: SLP_TYPa
 *   0a tt           BytePrefix ByteData: SLP_TYPb
 *   00 00           ZeroOp ZeroOp
 *
 * BytePrefix keeps the encoding one length whatever the sleep type (an
 * optimising compiler would use ZeroOp/OneOp for 0/1; both decode the same). */
#define AML_S5_TYPA 10
#define AML_S5_TYPB 12
static const uint8_t aml_s5[] = { 0x08, 0x5c, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x08,
				  0x04, 0x0a, 0x00, 0x0a, 0x00, 0x00, 0x00 };

/* The AML of the virtio-mmio devices, at most (each about 70 bytes). */
#define AML_DEVICES_MAX 2048

struct layout {
	size_t rsdp, xsdt, rsdt, fadt, facs, dsdt, madt, end;
	size_t xsdt_len, rsdt_len, dsdt_len, madt_len;
	uint8_t devices[AML_DEVICES_MAX]; /* the DSDT's AML after \_S5 */
	size_t devices_len;
};

static void say(char *why, size_t why_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !why_len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* The byte that makes len bytes at p sum to zero (mod 256), given that the
 * checksum byte itself is still zero. */
static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

static void header(uint8_t *t, const char *sig, size_t len, uint8_t revision)
{
	memcpy(t, sig, 4);
	put32(t + HDR_LENGTH, (uint32_t)len);
	t[HDR_REVISION] = revision;
	memcpy(t + HDR_OEM_ID, OEM_ID, 6);
	memcpy(t + HDR_OEM_TABLE_ID, OEM_TABLE_ID, 8);
	put32(t + HDR_OEM_REVISION, OEM_REVISION);
	memcpy(t + HDR_CREATOR_ID, CREATOR_ID, 4);
	put32(t + HDR_CREATOR_REVISION, CREATOR_REVISION);
}

/* Last, once the table's bytes are final. */
static void seal(uint8_t *t, size_t len)
{
	t[HDR_CHECKSUM] = 0;
	t[HDR_CHECKSUM] = checksum(t, len);
}

static void gas_io(uint8_t *p, unsigned bytes, uint8_t access, uint16_t port)
{
	p[0] = GAS_SYSTEM_IO;
	p[1] = (uint8_t)(bytes * 8); /* register bit width */
	p[2] = 0;		     /* bit offset */
	p[3] = access;
	put64(p + 4, port);
}

/* The offset after off at which a table of size bytes starts, aligned in
 * guest-physical terms. */
static size_t place(uint64_t base_gpa, size_t *off, size_t size, size_t align)
{
	size_t at = *off + (size_t)((align - (base_gpa + *off) % align) % align);

	*off = at + size;
	return at;
}

static void plan(const struct acpi_config *cfg, uint64_t base_gpa, struct layout *l)
{
	size_t off = 0;

	l->xsdt_len = HDR_LEN + 8 * XSDT_ENTRIES;
	l->rsdt_len = HDR_LEN + 4 * XSDT_ENTRIES;
	l->dsdt_len = HDR_LEN + sizeof(aml_s5) + l->devices_len;
	l->madt_len =
	    MADT_HDR_LEN + cfg->ncpus * MADT_LAPIC_LEN + MADT_IOAPIC_LEN + 2 * MADT_ISO_LEN + MADT_LAPIC_NMI_LEN;
	l->rsdp = place(base_gpa, &off, RSDP_LEN, 16);
	l->xsdt = place(base_gpa, &off, l->xsdt_len, 16);
	l->rsdt = place(base_gpa, &off, l->rsdt_len, 16);
	l->fadt = place(base_gpa, &off, FADT_LEN, 16);
	l->facs = place(base_gpa, &off, FACS_LEN, FACS_ALIGN);
	l->dsdt = place(base_gpa, &off, l->dsdt_len, 16);
	l->madt = place(base_gpa, &off, l->madt_len, 16);
	l->end = off;
}

static bool port_block_ok(uint16_t port, unsigned len)
{
	return port != 0 && (uint32_t)port + len <= 0x10000;
}

static bool config_ok(const struct acpi_config *cfg, uint64_t base_gpa, char *why, size_t why_len)
{
	if (cfg->ncpus < 1 || cfg->ncpus > ACPI_MAX_CPUS) {
		say(why, why_len, "%u CPUs: the MADT describes 1 to %u xAPIC processors", cfg->ncpus, ACPI_MAX_CPUS);
		return false;
	}
	if (cfg->lapic_addr >= ACPI_MAX_GPA || cfg->ioapic_addr >= ACPI_MAX_GPA) {
		say(why, why_len, "local APIC 0x%llx or I/O APIC 0x%llx is not below 4 GiB",
		    (unsigned long long)cfg->lapic_addr, (unsigned long long)cfg->ioapic_addr);
		return false;
	}
	if (!port_block_ok(cfg->pm1a_evt_port, PM1_EVT_LEN) || !port_block_ok(cfg->pm1a_cnt_port, PM1_CNT_LEN) ||
	    !port_block_ok(cfg->pm_tmr_port, PM_TMR_LEN)) {
		say(why, why_len, "PM ports 0x%x/0x%x/0x%x: each block must be non-zero and inside the port space",
		    cfg->pm1a_evt_port, cfg->pm1a_cnt_port, cfg->pm_tmr_port);
		return false;
	}
	if (cfg->sci_irq == PIT_IRQ || cfg->sci_irq == ISA_CASCADE_IRQ || cfg->sci_irq > 15) {
		say(why, why_len, "SCI on IRQ %u: it must be an ISA IRQ 1-15 other than 2", cfg->sci_irq);
		return false;
	}
	if (cfg->s5_sleep_type > 7) {
		say(why, why_len, "S5 sleep type %u does not fit SLP_TYP (3 bits)", cfg->s5_sleep_type);
		return false;
	}
	if (cfg->nvirtio > ACPI_MAX_VIRTIO_MMIO) {
		say(why, why_len, "%u virtio-mmio devices: the DSDT names at most %d", cfg->nvirtio,
		    ACPI_MAX_VIRTIO_MMIO);
		return false;
	}
	for (unsigned i = 0; i < cfg->nvirtio; i++) {
		const struct acpi_virtio_mmio *v = &cfg->virtio[i];

		if (!v->len || v->base >= ACPI_MAX_GPA || v->len > ACPI_MAX_GPA - v->base) {
			say(why, why_len, "virtio-mmio window 0x%llx+0x%x: Memory32Fixed needs it below 4 GiB",
			    (unsigned long long)v->base, v->len);
			return false;
		}
	}
	if (base_gpa % 16) {
		say(why, why_len, "base 0x%llx: the RSDP must be 16-byte aligned", (unsigned long long)base_gpa);
		return false;
	}
	return true;
}

static void write_rsdp(uint8_t *p, uint64_t base_gpa, const struct layout *l)
{
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + RSDP_OEM_ID, OEM_ID, 6);
	p[RSDP_REVISION] = 2;
	put32(p + RSDP_RSDT, (uint32_t)(base_gpa + l->rsdt));
	put32(p + RSDP_LENGTH, RSDP_LEN);
	put64(p + RSDP_XSDT, base_gpa + l->xsdt);
	p[RSDP_CHECKSUM] = checksum(p, RSDP_V1_LEN);
	p[RSDP_EXT_CHECKSUM] = checksum(p, RSDP_LEN);
}

static void write_xsdt(uint8_t *t, uint64_t base_gpa, const struct layout *l)
{
	header(t, "XSDT", l->xsdt_len, 1);
	put64(t + HDR_LEN, base_gpa + l->fadt);
	put64(t + HDR_LEN + 8, base_gpa + l->madt);
	seal(t, l->xsdt_len);
}

static void write_rsdt(uint8_t *t, uint64_t base_gpa, const struct layout *l)
{
	header(t, "RSDT", l->rsdt_len, 1);
	put32(t + HDR_LEN, (uint32_t)(base_gpa + l->fadt));
	put32(t + HDR_LEN + 4, (uint32_t)(base_gpa + l->madt));
	seal(t, l->rsdt_len);
}

static void write_fadt(uint8_t *t, const struct acpi_config *cfg, uint64_t base_gpa, const struct layout *l)
{
	uint32_t facs = (uint32_t)(base_gpa + l->facs), dsdt = (uint32_t)(base_gpa + l->dsdt);

	header(t, "FACP", FADT_LEN, FADT_REVISION);
	/* The FACS through FIRMWARE_CTRL only: ACPI 6.x (5.2.9) wants X_FIRMWARE_CTRL
	 * zero when FIRMWARE_CTRL is set (Linux lists the FACS twice otherwise).
	 * The DSDT through both pointers, equal: the X_ field wins when non-zero,
	 * and ACPICA warns only when the two differ. */
	put32(t + FADT_FIRMWARE_CTRL, facs);
	put32(t + FADT_DSDT, dsdt);
	put16(t + FADT_SCI_INT, cfg->sci_irq);
	put32(t + FADT_SMI_CMD, 0); /* no SMI: OSPM finds the machine in ACPI mode */
	put32(t + FADT_PM1A_EVT_BLK, cfg->pm1a_evt_port);
	put32(t + FADT_PM1A_CNT_BLK, cfg->pm1a_cnt_port);
	put32(t + FADT_PM_TMR_BLK, cfg->pm_tmr_port);
	t[FADT_PM1_EVT_LEN] = PM1_EVT_LEN;
	t[FADT_PM1_CNT_LEN] = PM1_CNT_LEN;
	t[FADT_PM_TMR_LEN] = PM_TMR_LEN;
	put16(t + FADT_P_LVL2_LAT, NO_C2_LATENCY);
	put16(t + FADT_P_LVL3_LAT, NO_C3_LATENCY);
	t[FADT_CENTURY] = CMOS_CENTURY;
	/* No 8042 flag: the machine has only the i8042's reset line (pc_misc), not a
	 * keyboard controller, and without the flag Linux does not spend half a
	 * second probing for one. */
	put16(t + FADT_IAPC_BOOT_ARCH, BOOT_ARCH_LEGACY_DEVICES);
	/* TMR_VAL_EXT stays 0: the PM timer is 24 bits. */
	put32(t + FADT_FLAGS, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON | FADT_F_FIX_RTC |
				  FADT_F_RESET_REG_SUP);
	gas_io(t + FADT_RESET_REG, 1, GAS_ACCESS_BYTE, RESET_PORT);
	t[FADT_RESET_VALUE] = RESET_VALUE;
	t[FADT_MINOR_VERSION] = FADT_MINOR_REVISION;
	put64(t + FADT_X_DSDT, dsdt);
	/* The bit widths equal the 32-bit block lengths times 8 (ACPICA compares
	 * them). PM1 registers are 16 bits wide, the timer 32. */
	gas_io(t + FADT_X_PM1A_EVT_BLK, PM1_EVT_LEN, GAS_ACCESS_WORD, cfg->pm1a_evt_port);
	gas_io(t + FADT_X_PM1A_CNT_BLK, PM1_CNT_LEN, GAS_ACCESS_WORD, cfg->pm1a_cnt_port);
	gas_io(t + FADT_X_PM_TMR_BLK, PM_TMR_LEN, GAS_ACCESS_DWORD, cfg->pm_tmr_port);
	seal(t, FADT_LEN);
}

/* Everything else zero: no hardware signature, no waking vector (nothing wakes
 * from S5), the global lock free, version 2. */
static void write_facs(uint8_t *p)
{
	memcpy(p, "FACS", 4);
	put32(p + FACS_LENGTH, FACS_LEN);
	p[FACS_VERSION] = 2;
}

/* Scope (\_SB) { Device (VIOn) { _HID, _UID, _CRS } ... }, or nothing
 * without virtio devices. Returns the bytes, 0 if they do not fit. */
static size_t virtio_devices_aml(const struct acpi_config *cfg, uint8_t *buf, size_t cap)
{
	struct aml a;
	size_t scope;

	if (!cfg->nvirtio)
		return 0;
	aml_init(&a, buf, cap);
	scope = aml_scope_begin(&a, "\\_SB_");
	for (unsigned i = 0; i < cfg->nvirtio; i++) {
		const struct acpi_virtio_mmio *v = &cfg->virtio[i];
		char name[4] = { 'V', 'I', 'O', "0123456789ABCDEF"[i] };
		uint8_t crs[AML_MEMORY32_FIXED_LEN + AML_EXT_IRQ_LEN + AML_END_TAG_LEN];
		size_t n, dev = aml_device_begin(&a, name);

		aml_name_string(&a, "_HID", "LNRO0005");
		aml_name_integer(&a, "_UID", i);
		n = aml_res_memory32_fixed(crs, (uint32_t)v->base, v->len);
		n += aml_res_ext_irq_level_high(crs + n, v->gsi);
		n += aml_res_end_tag(crs + n);
		aml_name_buffer(&a, "_CRS", crs, (uint8_t)n);
		aml_end(&a, dev);
	}
	aml_end(&a, scope);
	return a.overflow ? 0 : a.len;
}

static void write_dsdt(uint8_t *t, const struct acpi_config *cfg, const struct layout *l)
{
	uint8_t *aml = t + HDR_LEN;

	header(t, "DSDT", l->dsdt_len, DSDT_REVISION);
	memcpy(aml, aml_s5, sizeof(aml_s5));
	aml[AML_S5_TYPA] = cfg->s5_sleep_type;
	aml[AML_S5_TYPB] = cfg->s5_sleep_type;
	memcpy(aml + sizeof(aml_s5), l->devices, l->devices_len);
	seal(t, l->dsdt_len);
}

static uint8_t *madt_iso(uint8_t *p, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	p[0] = MADT_ISO;
	p[1] = MADT_ISO_LEN;
	p[2] = ISA_BUS;
	p[3] = irq;
	put32(p + 4, gsi);
	put16(p + 8, flags);
	return p + MADT_ISO_LEN;
}

static void write_madt(uint8_t *t, const struct acpi_config *cfg, const struct layout *l)
{
	uint8_t *p = t + MADT_HDR_LEN;

	header(t, "APIC", l->madt_len, MADT_REVISION);
	put32(t + MADT_LAPIC_ADDR, (uint32_t)cfg->lapic_addr);
	/* PCAT_COMPAT: the 8259 pair is present too, so the OS masks it when it
	 * switches to the APICs. */
	put32(t + MADT_FLAGS, MADT_PCAT_COMPAT);
	for (unsigned i = 0; i < cfg->ncpus; i++, p += MADT_LAPIC_LEN) {
		p[0] = MADT_LAPIC;
		p[1] = MADT_LAPIC_LEN;
		p[2] = (uint8_t)i; /* ACPI processor UID */
		p[3] = (uint8_t)i; /* APIC ID */
		put32(p + 4, LAPIC_ENABLED);
	}
	p[0] = MADT_IOAPIC;
	p[1] = MADT_IOAPIC_LEN;
	p[2] = cfg->ioapic_id;
	p[3] = 0;
	put32(p + 4, (uint32_t)cfg->ioapic_addr);
	put32(p + 8, 0); /* GSI base */
	p += MADT_IOAPIC_LEN;
	/* ISA interrupts are edge, active high. The SCI is level, and on PC
	 * chipsets it reaches the I/O APIC active high (ACPI's default for an SCI
	 * without an override would be active low). */
	p = madt_iso(p, PIT_IRQ, PIT_GSI, INTI_HIGH_EDGE);
	p = madt_iso(p, cfg->sci_irq, cfg->sci_irq, INTI_HIGH_LEVEL);
	p[0] = MADT_LAPIC_NMI;
	p[1] = MADT_LAPIC_NMI_LEN;
	p[2] = ALL_PROCESSORS;
	put16(p + 3, INTI_HIGH_EDGE);
	p[5] = NMI_LINT;
	seal(t, l->madt_len);
}

size_t acpi_build(const struct acpi_config *cfg, uint8_t *buf, size_t len, uint64_t base_gpa, char *why, size_t why_len)
{
	struct layout l;

	if (!config_ok(cfg, base_gpa, why, why_len))
		return 0;
	l.devices_len = virtio_devices_aml(cfg, l.devices, sizeof(l.devices));
	if (cfg->nvirtio && !l.devices_len) {
		say(why, why_len, "the AML of %u virtio-mmio devices does not fit %d bytes", cfg->nvirtio,
		    AML_DEVICES_MAX);
		return 0;
	}
	plan(cfg, base_gpa, &l);
	if (l.end > len) {
		say(why, why_len, "the ACPI tables need %zu bytes, the buffer has %zu", l.end, len);
		return 0;
	}
	if (base_gpa >= ACPI_MAX_GPA || l.end > ACPI_MAX_GPA - base_gpa) {
		say(why, why_len, "tables at 0x%llx-0x%llx do not end below 4 GiB", (unsigned long long)base_gpa,
		    (unsigned long long)(base_gpa + l.end));
		return 0;
	}
	memset(buf, 0, l.end);
	write_rsdp(buf + l.rsdp, base_gpa, &l);
	write_xsdt(buf + l.xsdt, base_gpa, &l);
	write_rsdt(buf + l.rsdt, base_gpa, &l);
	write_fadt(buf + l.fadt, cfg, base_gpa, &l);
	write_facs(buf + l.facs);
	write_dsdt(buf + l.dsdt, cfg, &l);
	write_madt(buf + l.madt, cfg, &l);
	return l.end;
}
