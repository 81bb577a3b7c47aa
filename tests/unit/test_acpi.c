/* The ACPI table builder (src/firmware/acpi.c), parsed back by hand against the
 * ACPI 6.x specification, chapter 5: 5.2.5.3 RSDP structure, 5.2.6 system
 * description table header, 5.2.7 RSDT, 5.2.8 XSDT, 5.2.9 FADT (its field table:
 * byte offsets below), 5.2.10 FACS, 5.2.11.1 DSDT, 5.2.12 MADT and its
 * Processor Local APIC (type 0, 8 bytes), I/O APIC (1, 12), Interrupt Source
 * Override (2, 10) and Local APIC NMI (4, 6) structures with their MPS INTI
 * flags (polarity bits 1-0: 01 active high, 11 active low; trigger bits 3-2:
 * 01 edge, 11 level); and chapter 20 for the AML of the DSDT.
 *
 * Then independently: the ACPICA disassembler (iasl -d, Debian acpica-tools)
 * decodes every table but the RSDP (iasl cannot take a lone RSDP) without a
 * warning, and ACPICA's acpiexec evaluates \_S5 from the DSDT. Both skip, with
 * a printed reason, when the tools are not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "firmware/acpi.h"
#include "unit_helpers.h"

#define AREA 8192
#define BIOS_AREA 0xe0000

struct built {
	struct acpi_config cfg;
	uint64_t base;
	size_t used;
	uint8_t buf[AREA];
};

/* A PC as the brief's defaults describe it. */
static const struct acpi_config pc_config = {
	.ncpus = 2,
	.lapic_addr = 0xfee00000,
	.ioapic_addr = 0xfec00000,
	.ioapic_id = 2,
	.pm1a_evt_port = 0x600,
	.pm1a_cnt_port = 0x604,
	.pm_tmr_port = 0x608,
	.sci_irq = 9,
	.s5_sleep_type = 7,
};

/* Every value different from pc_config, so a constant in the builder that
 * should have been a configured value shows. */
static const struct acpi_config odd_config = {
	.ncpus = 5,
	.lapic_addr = 0xfee10000,
	.ioapic_addr = 0xfec01000,
	.ioapic_id = 9,
	.pm1a_evt_port = 0xb000,
	.pm1a_cnt_port = 0xb040,
	.pm_tmr_port = 0xb008,
	.sci_irq = 11,
	.s5_sleep_type = 5,
};

/* pc_config with two virtio-mmio devices; windows, lengths and GSIs all
 * different, so a value taken from the wrong device shows. */
static struct acpi_config virtio_config(void)
{
	struct acpi_config c = pc_config;

	c.nvirtio = 2;
	c.virtio[0] = (struct acpi_virtio_mmio){ .base = 0xd0003000, .len = 0x200, .gsi = 19 };
	c.virtio[1] = (struct acpi_virtio_mmio){ .base = 0xfe000000, .len = 0x1000, .gsi = 23 };
	return c;
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static struct built *build(const struct acpi_config *cfg, uint64_t base)
{
	struct built *b = calloc(1, sizeof(*b));
	char why[160] = "";

	assert_non_null(b);
	b->cfg = *cfg;
	b->base = base;
	memset(b->buf, 0xa5, sizeof(b->buf));
	b->used = acpi_build(cfg, b->buf, sizeof(b->buf), base, why, sizeof(why));
	if (!b->used)
		fail_msg("acpi_build failed: %s", why);
	return b;
}

/* The table at guest-physical gpa: inside the built area, with signature sig, a
 * length that stays inside, and bytes summing to zero (5.2.6: "the entire
 * table, including the checksum field, must add to zero"). */
static const uint8_t *table_at(const struct built *b, uint64_t gpa, const char *sig)
{
	const uint8_t *t;
	uint32_t len;

	assert_true(gpa >= b->base);
	assert_true(gpa + 36 <= b->base + b->used);
	t = b->buf + (gpa - b->base);
	assert_memory_equal(t, sig, 4);
	len = get_le32(t + 4);
	assert_true(len >= 36);
	assert_true(gpa + len <= b->base + b->used);
	assert_int_equal(sum8(t, len), 0);
	assert_memory_equal(t + 10, "RINGVI", 6);
	return t;
}

static uint64_t xsdt_gpa(const struct built *b)
{
	return get_le64(b->buf + 24);
}

/* The XSDT entry whose table has signature sig (asserting there is exactly one). */
static const uint8_t *xsdt_find(const struct built *b, const char *sig)
{
	const uint8_t *x = table_at(b, xsdt_gpa(b), "XSDT");
	const uint8_t *found = NULL;
	uint32_t n = (get_le32(x + 4) - 36) / 8;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t gpa = get_le64(x + 36 + 8 * i);
		const uint8_t *t;

		assert_true(gpa >= b->base && gpa < b->base + b->used);
		t = b->buf + (gpa - b->base);
		if (!memcmp(t, sig, 4)) {
			assert_null(found);
			found = table_at(b, gpa, sig);
		}
	}
	assert_non_null(found);
	return found;
}

static void test_acpi_rsdp_is_revision_2_with_both_checksums(void **state)
{
	struct built *b = build(&pc_config, BIOS_AREA);

	(void)state;
	/* 5.2.5.3: "RSD PTR " at offset 0, checksum of bytes 0-19 at 8, OEMID at 9,
	 * revision at 15 (2 for ACPI 2.0+), RsdtAddress at 16, length at 20 (36),
	 * XsdtAddress at 24, extended checksum of all 36 bytes at 32. */
	assert_memory_equal(b->buf, "RSD PTR ", 8);
	assert_memory_equal(b->buf + 9, "RINGVI", 6);
	assert_int_equal(b->buf[15], 2);
	assert_int_equal(get_le32(b->buf + 20), 36);
	assert_int_equal(sum8(b->buf, 20), 0);
	assert_int_equal(sum8(b->buf, 36), 0);
	table_at(b, xsdt_gpa(b), "XSDT");
	table_at(b, get_le32(b->buf + 16), "RSDT");
	/* Every table is within the area, so used covers them and base is the RSDP. */
	assert_true(b->used <= AREA);
	free(b);
}

static void test_acpi_xsdt_and_rsdt_list_fadt_and_madt(void **state)
{
	struct built *b = build(&pc_config, BIOS_AREA);
	const uint8_t *x = table_at(b, xsdt_gpa(b), "XSDT");
	const uint8_t *r = table_at(b, get_le32(b->buf + 16), "RSDT");

	(void)state;
	/* Two 8-byte entries in the XSDT, the same two as 4-byte entries in the RSDT. */
	assert_int_equal(get_le32(x + 4), 36 + 2 * 8);
	assert_int_equal(get_le32(r + 4), 36 + 2 * 4);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(get_le64(x + 36 + 8 * i), get_le32(r + 36 + 4 * i));
	xsdt_find(b, "FACP");
	xsdt_find(b, "APIC");
	free(b);
}

static void test_acpi_fadt_fields_at_acpi6_offsets(void **state)
{
	struct built *b = build(&odd_config, 0x80010);
	const uint8_t *f = xsdt_find(b, "FACP");
	uint32_t flags;

	(void)state;
	assert_int_equal(get_le32(f + 4), 276); /* the ACPI 6.0 FADT */
	assert_int_equal(f[8], 6);
	/* FIRMWARE_CTRL (36) holds the FACS below 4 GiB, so X_FIRMWARE_CTRL (132)
	 * must be zero (ACPI 6.0, 5.2.9); DSDT (40) and X_DSDT (140): the DSDT. */
	assert_true(get_le32(f + 36) != 0);
	assert_int_equal(get_le64(f + 132), 0);
	assert_int_equal(get_le32(f + 40), get_le64(f + 140));
	table_at(b, get_le64(f + 140), "DSDT");
	assert_int_equal(get_le16(f + 46), 11);	    /* SCI_INT */
	assert_int_equal(get_le32(f + 48), 0);	    /* SMI_CMD: no SMI, always ACPI mode */
	assert_int_equal(f[52], 0);		    /* ACPI_ENABLE */
	assert_int_equal(f[53], 0);		    /* ACPI_DISABLE */
	assert_int_equal(get_le32(f + 56), 0xb000); /* PM1a_EVT_BLK */
	assert_int_equal(get_le32(f + 60), 0);	    /* PM1b_EVT_BLK */
	assert_int_equal(get_le32(f + 64), 0xb040); /* PM1a_CNT_BLK */
	assert_int_equal(get_le32(f + 68), 0);	    /* PM1b_CNT_BLK */
	assert_int_equal(get_le32(f + 72), 0);	    /* PM2_CNT_BLK */
	assert_int_equal(get_le32(f + 76), 0xb008); /* PM_TMR_BLK */
	assert_int_equal(get_le32(f + 80), 0);	    /* GPE0_BLK */
	assert_int_equal(f[88], 4);		    /* PM1_EVT_LEN */
	assert_int_equal(f[89], 2);		    /* PM1_CNT_LEN */
	assert_int_equal(f[91], 4);		    /* PM_TMR_LEN */
	/* IAPC_BOOT_ARCH (109): bit 0 legacy devices; bit 1 (8042) clear, as there
	 * is no keyboard controller. */
	assert_int_equal(get_le16(f + 109) & 0x3, 0x1);
	flags = get_le32(f + 112);
	assert_true(flags & (1u << 10));  /* RESET_REG_SUP */
	assert_false(flags & (1u << 8));  /* TMR_VAL_EXT: a 24-bit timer */
	assert_false(flags & (1u << 20)); /* HW_REDUCED_ACPI */
	/* RESET_REG (116): GAS system I/O (1), 8 bits, offset 0, port 0xcf9;
	 * RESET_VALUE (128) 0x06. */
	assert_int_equal(f[116], 1);
	assert_int_equal(f[117], 8);
	assert_int_equal(f[118], 0);
	assert_int_equal(get_le64(f + 120), 0xcf9);
	assert_int_equal(f[128], 0x06);
	/* X_PM1a_EVT_BLK (148), X_PM1a_CNT_BLK (172), X_PM_TMR_BLK (208): system
	 * I/O, bit widths 8 x the 32-bit lengths, the same ports; X_PM1b (160) and
	 * X_GPE0 (220) absent. */
	assert_int_equal(f[148], 1);
	assert_int_equal(f[149], 32);
	assert_int_equal(get_le64(f + 152), 0xb000);
	assert_int_equal(f[172], 1);
	assert_int_equal(f[173], 16);
	assert_int_equal(get_le64(f + 176), 0xb040);
	assert_int_equal(f[208], 1);
	assert_int_equal(f[209], 32);
	assert_int_equal(get_le64(f + 212), 0xb008);
	assert_int_equal(get_le64(f + 164), 0);
	assert_int_equal(f[160], 0);
	assert_int_equal(get_le64(f + 224), 0);
	free(b);
}

static void test_acpi_facs_is_64_byte_aligned_and_64_bytes(void **state)
{
	/* 0x80010 is 16- but not 64-byte aligned: the FACS must still land on a
	 * 64-byte guest-physical boundary (5.2.10). */
	struct built *b = build(&pc_config, 0x80010);
	const uint8_t *f = xsdt_find(b, "FACP");
	uint64_t facs = get_le32(f + 36);
	const uint8_t *p;

	(void)state;
	assert_int_equal(facs % 64, 0);
	assert_true(facs >= b->base && facs + 64 <= b->base + b->used);
	p = b->buf + (facs - b->base);
	assert_memory_equal(p, "FACS", 4);
	assert_int_equal(get_le32(p + 4), 64);
	assert_int_equal(get_le32(p + 16), 0); /* global lock free */
	assert_int_equal(p[32], 2);	       /* version */
	free(b);
}

/* MADT subtable lengths by type (5.2.12.2-5): 0 -> 8, 1 -> 12, 2 -> 10, 4 -> 6. */
static unsigned madt_entry_len(uint8_t type)
{
	switch (type) {
	case 0:
		return 8;
	case 1:
		return 12;
	case 2:
		return 10;
	case 4:
		return 6;
	default:
		return 0;
	}
}

struct madt_seen {
	unsigned lapics, ioapics, nmis;
	uint32_t apic_ids; /* bit i: APIC ID i seen, enabled */
	int iso_gsi[16];   /* by ISA source IRQ, -1 none */
	uint16_t iso_flags[16];
};

static void madt_walk(const struct built *b, const uint8_t *m, struct madt_seen *s)
{
	uint32_t len = get_le32(m + 4), off = 44;

	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < 16; i++)
		s->iso_gsi[i] = -1;
	while (off < len) {
		const uint8_t *e = m + off;

		assert_true(off + 2 <= len);
		assert_int_equal(e[1], madt_entry_len(e[0]));
		assert_true(off + e[1] <= len);
		switch (e[0]) {
		case 0:
			assert_int_equal(e[2], e[3]); /* UID = APIC ID */
			assert_true(e[3] < 32);
			assert_int_equal(get_le32(e + 4) & 1, 1); /* enabled */
			s->apic_ids |= 1u << e[3];
			s->lapics++;
			break;
		case 1:
			assert_int_equal(e[2], b->cfg.ioapic_id);
			assert_int_equal(get_le32(e + 4), b->cfg.ioapic_addr);
			assert_int_equal(get_le32(e + 8), 0); /* GSI base */
			s->ioapics++;
			break;
		case 2:
			assert_int_equal(e[2], 0); /* bus: ISA */
			assert_true(e[3] < 16);
			assert_int_equal(s->iso_gsi[e[3]], -1);
			s->iso_gsi[e[3]] = (int)get_le32(e + 4);
			s->iso_flags[e[3]] = get_le16(e + 8);
			break;
		case 4:
			assert_int_equal(e[2], 0xff); /* all processors */
			assert_int_equal(e[5], 1);    /* LINT1 */
			s->nmis++;
			break;
		}
		off += e[1];
	}
	assert_int_equal(off, len);
}

static void test_acpi_madt_describes_cpus_ioapic_overrides_and_nmi(void **state)
{
	struct built *b = build(&odd_config, 0x80010);
	const uint8_t *m = xsdt_find(b, "APIC");
	struct madt_seen s;

	(void)state;
	assert_int_equal(get_le32(m + 36), 0xfee10000); /* local APIC address */
	assert_int_equal(get_le32(m + 40) & 1, 1);	/* PCAT_COMPAT */
	madt_walk(b, m, &s);
	assert_int_equal(s.lapics, 5);
	assert_int_equal(s.apic_ids, 0x1f); /* IDs 0-4 */
	assert_int_equal(s.ioapics, 1);
	assert_int_equal(s.nmis, 1);
	/* IRQ 0 -> GSI 2, edge (trigger bits 3-2 = 01); SCI IRQ 11 -> GSI 11,
	 * level (11) and active high (polarity 01): 0x000d. No other override. */
	assert_int_equal(s.iso_gsi[0], 2);
	assert_int_equal((s.iso_flags[0] >> 2) & 3, 1);
	assert_int_equal(s.iso_gsi[11], 11);
	assert_int_equal(s.iso_flags[11], 0x000d);
	for (unsigned irq = 1; irq < 16; irq++)
		if (irq != 11)
			assert_int_equal(s.iso_gsi[irq], -1);
	free(b);
}

static void test_acpi_madt_for_255_cpus(void **state)
{
	struct acpi_config cfg = pc_config;
	struct built *b;
	const uint8_t *m;

	(void)state;
	cfg.ncpus = 255;
	b = build(&cfg, BIOS_AREA);
	m = xsdt_find(b, "APIC");
	/* 44 header bytes, 255 x 8, one I/O APIC (12), two overrides (20), one NMI (6). */
	assert_int_equal(get_le32(m + 4), 44 + 255 * 8 + 12 + 20 + 6);
	assert_int_equal(m[44 + 254 * 8 + 3], 254); /* the last APIC ID */
	free(b);
}

/* An AML integer (20.2.3): ZeroOp, OneOp, OnesOp or a prefixed constant. */
static uint64_t aml_integer(const uint8_t *p, size_t *used)
{
	switch (p[0]) {
	case 0x00:
		*used = 1;
		return 0;
	case 0x01:
		*used = 1;
		return 1;
	case 0xff:
		*used = 1;
		return ~0ull;
	case 0x0a:
		*used = 2;
		return p[1];
	case 0x0b:
		*used = 3;
		return get_le16(p + 1);
	case 0x0c:
		*used = 5;
		return get_le32(p + 1);
	default:
		fail_msg("not an AML integer: opcode 0x%02x", p[0]);
		return 0;
	}
}

/* PkgLength (20.2.4): bits 7-6 of the lead byte count the bytes that follow;
 * with none, bits 5-0 are the length, else bits 3-0 are its low nibble. */
static size_t aml_pkglength(const uint8_t *p, size_t *used)
{
	unsigned follow = p[0] >> 6;
	size_t len = follow ? p[0] & 0x0f : p[0] & 0x3f;

	for (unsigned i = 0; i < follow; i++)
		len |= (size_t)p[1 + i] << (4 + 8 * i);
	*used = 1 + follow;
	return len;
}

static void check_s5_aml(const struct built *b, unsigned s5)
{
	const uint8_t *f = xsdt_find(b, "FACP");
	const uint8_t *d = table_at(b, get_le64(f + 140), "DSDT");
	const uint8_t *p = d + 36, *end = d + get_le32(d + 4), *pkg;
	size_t n, pkglen;

	/* DefName: NameOp NameString DataRefObject; the name \_S5_ is RootChar then
	 * one NameSeg. */
	assert_int_equal(p[0], 0x08);
	assert_memory_equal(p + 1, "\\_S5_", 5);
	p += 6;
	/* DefPackage: PackageOp PkgLength NumElements PackageElementList, the
	 * PkgLength counting from its own first byte to the end of the package. */
	assert_int_equal(p[0], 0x12);
	pkg = p + 1;
	pkglen = aml_pkglength(pkg, &n);
	assert_true(pkg + pkglen == end); /* nothing else in the DSDT */
	p = pkg + n;
	assert_int_equal(*p++, 4); /* NumElements */
	assert_int_equal(aml_integer(p, &n), s5);
	p += n;
	assert_int_equal(aml_integer(p, &n), s5);
	p += n;
	assert_int_equal(aml_integer(p, &n), 0);
	p += n;
	assert_int_equal(aml_integer(p, &n), 0);
	p += n;
	assert_true(p == end);
}

static const uint8_t *dsdt_of(const struct built *b, const uint8_t **end)
{
	const uint8_t *f = xsdt_find(b, "FACP");
	const uint8_t *d = table_at(b, get_le64(f + 140), "DSDT");

	*end = d + get_le32(d + 4);
	return d;
}

/* The bytes after the DSDT's \_S5 package (NameOp, 5-byte name, PackageOp,
 * then PkgLength counts the rest of the package). */
static const uint8_t *after_s5(const uint8_t *dsdt)
{
	const uint8_t *pkg = dsdt + 36 + 7;
	size_t n;

	return pkg + aml_pkglength(pkg, &n);
}

/* NameOp, the NameSeg, and the object's first byte. */
static const uint8_t *expect_name(const uint8_t *p, const char *seg)
{
	assert_int_equal(p[0], 0x08);
	assert_memory_equal(p + 1, seg, 4);
	return p + 5;
}

/* One Device (VIOi) as acpi.h describes it, from its DeviceOp; returns the
 * byte after it. */
static const uint8_t *check_virtio_device(const uint8_t *p, unsigned i, const struct acpi_virtio_mmio *v)
{
	const uint8_t *end, *buf;
	size_t n, len;
	char name[5];

	/* DefDevice := ExtOpPrefix DeviceOp PkgLength NameString TermList. */
	assert_int_equal(p[0], 0x5b);
	assert_int_equal(p[1], 0x82);
	end = p + 2 + aml_pkglength(p + 2, &n);
	p += 2 + n;
	snprintf(name, sizeof(name), "VIO%X", i);
	assert_memory_equal(p, name, 4);
	p = expect_name(p + 4, "_HID");
	/* String := StringPrefix AsciiCharList NullChar. */
	assert_int_equal(p[0], 0x0d);
	assert_memory_equal(p + 1, "LNRO0005", 9);
	p = expect_name(p + 10, "_UID");
	assert_int_equal(aml_integer(p, &n), i);
	p = expect_name(p + n, "_CRS");
	/* DefBuffer := BufferOp PkgLength BufferSize ByteList. */
	assert_int_equal(p[0], 0x11);
	buf = p + 1;
	len = aml_pkglength(buf, &n);
	p = buf + n;
	assert_int_equal(aml_integer(p, &n), 12 + 9 + 2);
	p += n;
	/* Memory32Fixed (6.4.3.4): 0x86, length 9, bit 0 of byte 3 read/write,
	 * base, length. */
	assert_int_equal(p[0], 0x86);
	assert_int_equal(get_le16(p + 1), 9);
	assert_int_equal(p[3], 1);
	assert_int_equal(get_le32(p + 4), v->base);
	assert_int_equal(get_le32(p + 8), v->len);
	p += 12;
	/* Extended Interrupt (6.4.3.6): 0x89, length 6, flags (bit 0 consumer;
	 * bits 1, 2, 3 clear: level, active high, exclusive), one interrupt. */
	assert_int_equal(p[0], 0x89);
	assert_int_equal(get_le16(p + 1), 6);
	assert_int_equal(p[3], 0x01);
	assert_int_equal(p[4], 1);
	assert_int_equal(get_le32(p + 5), v->gsi);
	p += 9;
	/* End Tag (6.4.2.9). */
	assert_int_equal(p[0], 0x79);
	p += 2;
	assert_true(p == buf + len);
	assert_true(p == end);
	return end;
}

static void test_acpi_dsdt_lists_virtio_mmio_devices_in_sb(void **state)
{
	struct acpi_config c = virtio_config();
	struct built *b = build(&c, BIOS_AREA);
	const uint8_t *end, *d = dsdt_of(b, &end), *p = after_s5(d), *scope_end;
	size_t n;

	(void)state;
	/* DefScope := ScopeOp PkgLength NameString TermList; \_SB_ is RootChar
	 * and one NameSeg. */
	assert_int_equal(p[0], 0x10);
	scope_end = p + 1 + aml_pkglength(p + 1, &n);
	assert_true(scope_end == end);
	p += 1 + n;
	assert_memory_equal(p, "\\_SB_", 5);
	p += 5;
	for (unsigned i = 0; i < c.nvirtio; i++)
		p = check_virtio_device(p, i, &c.virtio[i]);
	assert_true(p == end);
	free(b);
}

/* Sixteen devices: names VIO0-VIOF, and a scope longer than a two-byte
 * PkgLength's one-byte form. */
static void test_acpi_dsdt_holds_sixteen_virtio_devices(void **state)
{
	struct acpi_config c = pc_config;
	struct built *b;
	const uint8_t *end, *p;
	size_t n;

	(void)state;
	c.nvirtio = ACPI_MAX_VIRTIO_MMIO;
	for (unsigned i = 0; i < c.nvirtio; i++)
		c.virtio[i] = (struct acpi_virtio_mmio){ .base = 0xd0000000 + 0x1000 * i, .len = 0x200, .gsi = 16 + i };
	b = build(&c, BIOS_AREA);
	p = after_s5(dsdt_of(b, &end));
	assert_int_equal(p[1] >> 6, 1); /* one byte follows the lead byte */
	assert_true(p + 1 + aml_pkglength(p + 1, &n) == end);
	p += 1 + n + 5;
	for (unsigned i = 0; i < c.nvirtio; i++)
		p = check_virtio_device(p, i, &c.virtio[i]);
	assert_true(p == end);
	free(b);
}

static void test_acpi_dsdt_aml_is_s5_package_of_the_sleep_type(void **state)
{
	struct built *b = build(&pc_config, BIOS_AREA);
	struct built *o = build(&odd_config, BIOS_AREA);

	(void)state;
	assert_int_equal(xsdt_find(b, "FACP")[8], 6);
	check_s5_aml(b, 7);
	check_s5_aml(o, 5);
	free(b);
	free(o);
}

static void test_acpi_too_small_buffer_gives_zero_and_a_reason(void **state)
{
	struct built *b = build(&pc_config, BIOS_AREA);
	uint8_t *small = malloc(AREA);
	char why[160] = "";

	(void)state;
	assert_non_null(small);
	assert_int_equal(acpi_build(&pc_config, small, b->used - 1, BIOS_AREA, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "bytes"));
	why[0] = '\0';
	assert_int_equal(acpi_build(&pc_config, small, 0, BIOS_AREA, why, sizeof(why)), 0);
	assert_true(why[0] != '\0');
	/* A NULL reason buffer is allowed; exactly enough space works. */
	assert_int_equal(acpi_build(&pc_config, small, b->used - 1, BIOS_AREA, NULL, 0), 0);
	assert_int_equal(acpi_build(&pc_config, small, b->used, BIOS_AREA, NULL, 0), b->used);
	assert_memory_equal(small, b->buf, b->used);
	free(small);
	free(b);
}

static void expect_refused(const struct acpi_config *cfg, uint64_t base, const char *what)
{
	static uint8_t buf[AREA];
	char why[160] = "";

	if (acpi_build(cfg, buf, sizeof(buf), base, why, sizeof(why)) != 0)
		fail_msg("accepted %s", what);
	if (!why[0])
		fail_msg("no reason for refusing %s", what);
}

static void test_acpi_refuses_what_the_tables_cannot_describe(void **state)
{
	struct acpi_config c;

	(void)state;
	c = pc_config, c.ncpus = 0;
	expect_refused(&c, BIOS_AREA, "no CPU");
	c = pc_config, c.ncpus = 256; /* APIC ID 255 is the xAPIC broadcast */
	expect_refused(&c, BIOS_AREA, "256 CPUs");
	c = pc_config, c.s5_sleep_type = 8; /* SLP_TYP is 3 bits */
	expect_refused(&c, BIOS_AREA, "sleep type 8");
	c = pc_config, c.sci_irq = 0;
	expect_refused(&c, BIOS_AREA, "SCI on IRQ 0");
	c = pc_config, c.sci_irq = 2;
	expect_refused(&c, BIOS_AREA, "SCI on the cascade");
	c = pc_config, c.sci_irq = 16;
	expect_refused(&c, BIOS_AREA, "SCI beyond ISA");
	c = pc_config, c.pm1a_cnt_port = 0;
	expect_refused(&c, BIOS_AREA, "no PM1a control port");
	c = pc_config, c.pm1a_evt_port = 0xfffe; /* 4 bytes would pass 0xffff */
	expect_refused(&c, BIOS_AREA, "PM1 event block past the port space");
	c = pc_config, c.ioapic_addr = 0x100000000ull;
	expect_refused(&c, BIOS_AREA, "I/O APIC above 4 GiB");
	c = virtio_config(), c.nvirtio = ACPI_MAX_VIRTIO_MMIO + 1;
	expect_refused(&c, BIOS_AREA, "more virtio devices than names");
	c = virtio_config(), c.virtio[1].base = 0x100000000ull;
	expect_refused(&c, BIOS_AREA, "a virtio window above 4 GiB");
	c = virtio_config(), c.virtio[1].base = 0xfffff000, c.virtio[1].len = 0x2000;
	expect_refused(&c, BIOS_AREA, "a virtio window crossing 4 GiB");
	c = virtio_config(), c.virtio[0].len = 0;
	expect_refused(&c, BIOS_AREA, "an empty virtio window");
	expect_refused(&pc_config, BIOS_AREA + 8, "an RSDP not 16-byte aligned");
	expect_refused(&pc_config, 0xffffff00, "tables crossing 4 GiB"); /* 256 bytes left */
	expect_refused(&pc_config, 0xfffffffffffff000ull, "tables at the top of the address space");
}

/* ---- ACPICA's view ---- */

static bool have_tool(const char *name)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

/* Runs cmd in dir, collecting stdout and stderr; returns the exit status. */
static int run_in(const char *dir, const char *cmd, char *out, size_t out_len)
{
	char line[1024];
	size_t used = 0;
	FILE *p;
	int st;

	snprintf(line, sizeof(line), "cd '%s' && %s 2>&1", dir, cmd);
	p = popen(line, "r");
	assert_non_null(p);
	out[0] = '\0';
	while (fgets(line, sizeof(line), p)) {
		size_t n = strlen(line);

		if (used + n < out_len) {
			memcpy(out + used, line, n + 1);
			used += n;
		}
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	long size;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)size + 1);
	if (text && fread(text, 1, (size_t)size, f) != (size_t)size)
		text[0] = '\0';
	fclose(f);
	return text;
}

static void write_file(const char *dir, const char *name, const uint8_t *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static const char *const complaints[] = { "Warning", "Error", "Incorrect", "mismatch", "Invalid", "should be" };

/* iasl -d name.dat in dir: exit status 0, and neither its messages nor the
 * disassembly it writes to name.dsl complain. Returns the disassembly. */
static char *disassemble_cleanly(const char *dir, const char *name)
{
	char cmd[128], out[16384], path[512];
	char *dsl;

	snprintf(cmd, sizeof(cmd), "iasl -d %s.dat", name);
	if (run_in(dir, cmd, out, sizeof(out)) != 0)
		fail_msg("iasl -d %s.dat failed:\n%s", name, out);
	snprintf(path, sizeof(path), "%s/%s.dsl", dir, name);
	dsl = read_text(path);
	if (!dsl)
		fail_msg("iasl wrote no %s.dsl:\n%s", name, out);
	for (size_t i = 0; i < sizeof(complaints) / sizeof(complaints[0]); i++) {
		if (strstr(out, complaints[i]))
			fail_msg("iasl -d %s.dat: \"%s\" in:\n%s", name, complaints[i], out);
		if (strstr(dsl, complaints[i]))
			fail_msg("%s.dsl: \"%s\" in:\n%s", name, complaints[i], dsl);
	}
	return dsl;
}

static void dump_table(const struct built *b, const char *dir, uint64_t gpa, const char *name)
{
	const uint8_t *t = b->buf + (gpa - b->base);
	char file[32];

	snprintf(file, sizeof(file), "%s.dat", name);
	write_file(dir, file, t, get_le32(t + 4));
}

/* A fresh directory for the tables and iasl's output; the teardown removes it
 * even when a check fails. */
static int tool_dir_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = malloc(256);

	if (!dir)
		return -1;
	snprintf(dir, 256, "%s/ringvisor-acpi-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int tool_dir_teardown(void **state)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	if (system(cmd) != 0)
		print_message("could not remove %s\n", (char *)*state);
	free(*state);
	return 0;
}

static void test_acpi_iasl_disassembles_every_table_without_complaint(void **state)
{
	const char *dir = *state;
	struct built *b;
	const uint8_t *f;
	char out[16384], *dsl;
	static const char *const names[] = { "xsdt", "rsdt", "facp", "facs", "dsdt", "apic" };

	if (!have_tool("iasl")) {
		print_message("SKIP: iasl not found (Debian package acpica-tools); tables not checked by ACPICA\n");
		skip();
	}
	b = build(&odd_config, BIOS_AREA);
	f = xsdt_find(b, "FACP");
	dump_table(b, dir, xsdt_gpa(b), "xsdt");
	dump_table(b, dir, get_le32(b->buf + 16), "rsdt");
	dump_table(b, dir, get_le64(f + 140), "dsdt");
	dump_table(b, dir, (uint64_t)(f - b->buf) + b->base, "facp");
	dump_table(b, dir, (uint64_t)(xsdt_find(b, "APIC") - b->buf) + b->base, "apic");
	write_file(dir, "facs.dat", b->buf + (get_le32(f + 36) - b->base), 64);

	/* A table with a wrong checksum must be reported, or the checks below
	 * would pass whatever iasl thought. */
	{
		uint8_t bad[512];
		uint32_t len = get_le32(f + 4);

		memcpy(bad, f, len);
		bad[9] ^= 1;
		write_file(dir, "bad.dat", bad, len);
		assert_int_equal(run_in(dir, "iasl -d bad.dat", out, sizeof(out)), 0);
		assert_non_null(strstr(out, "Incorrect checksum"));
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		dsl = disassemble_cleanly(dir, names[i]);
		if (!strcmp(names[i], "dsdt")) {
			assert_non_null(strstr(dsl, "Name (\\_S5, Package (0x04)"));
		} else if (!strcmp(names[i], "apic")) {
			assert_non_null(strstr(dsl, "[Interrupt Source Override]"));
			assert_non_null(strstr(dsl, "[Local APIC NMI]"));
		} else if (!strcmp(names[i], "facp")) {
			assert_non_null(strstr(dsl, "Hardware Reduced (V5) : 0"));
			assert_non_null(strstr(dsl, "Reset Register Supported (V2) : 1"));
		}
		free(dsl);
	}
	/* acpiexec loads the DSDT into ACPICA's namespace and evaluates \_S5. */
	if (have_tool("acpiexec")) {
		assert_int_equal(run_in(dir, "acpiexec -b 'evaluate \\_S5' dsdt.dat", out, sizeof(out)), 0);
		if (!strstr(out, "[Package] Contains 4 Elements:\n"
				 "    [Integer] = 0000000000000005\n"
				 "    [Integer] = 0000000000000005\n"
				 "    [Integer] = 0000000000000000\n"
				 "    [Integer] = 0000000000000000\n"))
			fail_msg("acpiexec's \\_S5 is not {5, 5, 0, 0}:\n%s", out);
	} else {
		print_message("SKIP: acpiexec not found; \\_S5 not evaluated by ACPICA\n");
	}
	free(b);
}

/* ACPICA decodes the virtio devices as ASL with the spec's keywords for each
 * field, and evaluates one's _CRS to the same bytes. */
static void test_acpi_iasl_decodes_the_virtio_devices(void **state)
{
	const char *dir = *state;
	struct acpi_config c = virtio_config();
	struct built *b;
	char out[16384], *dsl;

	if (!have_tool("iasl")) {
		print_message("SKIP: iasl not found (Debian package acpica-tools); DSDT not checked by ACPICA\n");
		skip();
	}
	b = build(&c, BIOS_AREA);
	dump_table(b, dir, get_le64(xsdt_find(b, "FACP") + 140), "vdsdt");
	dsl = disassemble_cleanly(dir, "vdsdt");
	assert_non_null(strstr(dsl, "Scope (\\_SB)"));
	assert_non_null(strstr(dsl, "Device (VIO0)"));
	assert_non_null(strstr(dsl, "Device (VIO1)"));
	assert_non_null(strstr(dsl, "Name (_HID, \"LNRO0005\")"));
	assert_non_null(strstr(dsl, "Name (_UID, One)"));
	assert_non_null(strstr(dsl, "Memory32Fixed (ReadWrite,\n"
				    "                    0xD0003000,         // Address Base\n"
				    "                    0x00000200,         // Address Length"));
	assert_non_null(strstr(dsl, "Memory32Fixed (ReadWrite,\n"
				    "                    0xFE000000,         // Address Base\n"
				    "                    0x00001000,         // Address Length"));
	assert_non_null(strstr(dsl, "Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive, ,, )\n"
				    "                {\n"
				    "                    0x00000013,"));
	assert_non_null(strstr(dsl, "0x00000017,"));
	free(dsl);
	if (have_tool("acpiexec")) {
		assert_int_equal(run_in(dir, "acpiexec -b 'evaluate \\_SB.VIO1._CRS' vdsdt.dat", out, sizeof(out)), 0);
		if (!strstr(out, "0000: 86 09 00 01 00 00 00 FE 00 10 00 00 89 06 00 01") ||
		    !strstr(out, "0010: 01 17 00 00 00 79 00"))
			fail_msg("acpiexec's \\_SB.VIO1._CRS is not the descriptors:\n%s", out);
	}
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acpi_rsdp_is_revision_2_with_both_checksums),
		cmocka_unit_test(test_acpi_xsdt_and_rsdt_list_fadt_and_madt),
		cmocka_unit_test(test_acpi_fadt_fields_at_acpi6_offsets),
		cmocka_unit_test(test_acpi_facs_is_64_byte_aligned_and_64_bytes),
		cmocka_unit_test(test_acpi_madt_describes_cpus_ioapic_overrides_and_nmi),
		cmocka_unit_test(test_acpi_madt_for_255_cpus),
		cmocka_unit_test(test_acpi_dsdt_aml_is_s5_package_of_the_sleep_type),
		cmocka_unit_test(test_acpi_dsdt_lists_virtio_mmio_devices_in_sb),
		cmocka_unit_test(test_acpi_dsdt_holds_sixteen_virtio_devices),
		cmocka_unit_test(test_acpi_too_small_buffer_gives_zero_and_a_reason),
		cmocka_unit_test(test_acpi_refuses_what_the_tables_cannot_describe),
		cmocka_unit_test_setup_teardown(test_acpi_iasl_disassembles_every_table_without_complaint,
						tool_dir_setup, tool_dir_teardown),
		cmocka_unit_test_setup_teardown(test_acpi_iasl_decodes_the_virtio_devices, tool_dir_setup,
						tool_dir_teardown),
	};

	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
