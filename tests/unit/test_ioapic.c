/* The I/O APIC (src/devices/ioapic.c) against the Intel 82093AA data sheet
 * (290566): section 3.1 (IOREGSEL at 0x00, IOWIN at 0x10, 32-bit accesses),
 * 3.2.1 IOAPICID, 3.2.2 IOAPICVER, 3.2.3 IOAPICARB, 3.2.4 IOREDTBL (entry fields,
 * the mask and delivery mode rules); and the ICH data sheets' I/O APIC (version
 * register 0x00170020, EOI register at 0x40).
 *
 * Redirection entry low dword: vector 7:0, delivery mode 10:8, destination mode
 * 11, delivery status 12, polarity 13, Remote IRR 14, trigger mode 15, mask 16.
 * High dword: destination in bits 31:24 (entry bits 63:56). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/ioapic.h"
#include "unit_helpers.h"

#define LOGICAL (1u << 11)
#define DELIVS (1u << 12)
#define LOW_ACTIVE (1u << 13)
#define REMOTE_IRR (1u << 14)
#define LEVEL (1u << 15)
#define MASKED (1u << 16)
#define DM(m) ((uint32_t)(m) << 8)

#define MAX_MESSAGES 16

struct harness {
	struct ioapic io;
	struct ioapic_message msg[MAX_MESSAGES];
	unsigned nmsg;
};

static void record(void *opaque, const struct ioapic_message *m)
{
	struct harness *h = opaque;

	if (h->nmsg < MAX_MESSAGES)
		h->msg[h->nmsg] = *m;
	h->nmsg++;
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct ioapic_env env = { .deliver = record, .opaque = h };

	if (!h)
		return -1;
	ioapic_init(&h->io, 2, &env);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;

	ioapic_destroy(&h->io);
	free(h);
	return 0;
}

static uint64_t mmio_read(struct harness *h, uint64_t off, unsigned size)
{
	return ioapic_ops.read(&h->io, off, size);
}

static void mmio_write(struct harness *h, uint64_t off, unsigned size, uint64_t v)
{
	ioapic_ops.write(&h->io, off, size, v);
}

/* Section 3.1: a dword write to IOREGSEL, then a dword access to IOWIN. */
static uint32_t reg_read(struct harness *h, uint8_t reg)
{
	mmio_write(h, 0x00, 4, reg);
	return (uint32_t)mmio_read(h, 0x10, 4);
}

static void reg_write(struct harness *h, uint8_t reg, uint32_t v)
{
	mmio_write(h, 0x00, 4, reg);
	mmio_write(h, 0x10, 4, v);
}

/* High dword first, as an OS does, so the destination is in place before the
 * low dword's mask bit opens the entry. */
static void set_entry(struct harness *h, unsigned pin, uint32_t low, uint8_t dest)
{
	reg_write(h, (uint8_t)(0x11 + 2 * pin), (uint32_t)dest << 24);
	reg_write(h, (uint8_t)(0x10 + 2 * pin), low);
}

static uint32_t entry_low(struct harness *h, unsigned pin)
{
	return reg_read(h, (uint8_t)(0x10 + 2 * pin));
}

static void test_ioapic_reset_values(void **state)
{
	struct harness *h = *state;

	/* 3.2.1: ID in bits 27:24 (here the ID given at init, 2). */
	assert_int_equal(reg_read(h, 0x00), 0x02000000);
	/* ICH VER: MRE 17h (24 entries) in 23:16, version 20h in 7:0, PRQ 0. */
	assert_int_equal(reg_read(h, 0x01), 0x00170020);
	/* 3.2.3: the arbitration ID carries the same value as the ID. */
	assert_int_equal(reg_read(h, 0x02), 0x02000000);
	/* 3.2.4: every entry masked after reset, everything else 0. */
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		assert_int_equal(reg_read(h, (uint8_t)(0x10 + 2 * pin)), 0x00010000);
		assert_int_equal(reg_read(h, (uint8_t)(0x11 + 2 * pin)), 0x00000000);
	}
	/* Nothing is delivered from masked pins. */
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		ioapic_set_irq(&h->io, pin, 1);
	assert_int_equal(h->nmsg, 0);
}

static void test_ioapic_unimplemented_indirect_registers_read_zero(void **state)
{
	struct harness *h = *state;
	static const uint8_t regs[] = { 0x03, 0x0f, 0x40, 0x41, 0x80, 0xff };

	/* 24 entries end at 0x3f; 0x40 and above, and 0x03-0x0f, are not registers. */
	for (unsigned i = 0; i < sizeof(regs); i++) {
		reg_write(h, regs[i], 0xffffffff);
		assert_int_equal(reg_read(h, regs[i]), 0);
	}
	/* Those writes reached no entry. */
	assert_int_equal(entry_low(h, 0), 0x00010000);
	assert_int_equal(entry_low(h, 23), 0x00010000);
}

static void test_ioapic_id_keeps_bits_27_24_and_arbitration_follows(void **state)
{
	struct harness *h = *state;

	reg_write(h, 0x00, 0xffffffff);
	/* 3.2.1: 31:28 and 23:0 reserved; 27:24 R/W. 3.2.3: loaded with the ID. */
	assert_int_equal(reg_read(h, 0x00), 0x0f000000);
	assert_int_equal(reg_read(h, 0x02), 0x0f000000);
	reg_write(h, 0x00, 0x05000000);
	assert_int_equal(reg_read(h, 0x00), 0x05000000);
	assert_int_equal(reg_read(h, 0x02), 0x05000000);
}

static void test_ioapic_version_and_arbitration_are_read_only(void **state)
{
	struct harness *h = *state;

	reg_write(h, 0x01, 0);
	reg_write(h, 0x02, 0x0a000000);
	assert_int_equal(reg_read(h, 0x01), 0x00170020);
	assert_int_equal(reg_read(h, 0x02), 0x02000000);
}

static void test_ioapic_ioregsel_keeps_low_8_bits(void **state)
{
	struct harness *h = *state;

	/* 3.1.1: bits 31:8 reserved, 7:0 the register address. */
	mmio_write(h, 0x00, 4, 0xabcdef01);
	assert_int_equal(mmio_read(h, 0x00, 4), 0x01);
	assert_int_equal(mmio_read(h, 0x10, 4), 0x00170020);
}

static void test_ioapic_entry_read_only_and_reserved_bits_ignore_writes(void **state)
{
	struct harness *h = *state;

	reg_write(h, 0x10, 0xffffffff);
	/* Writable: 7:0, 10:8, 11, 13, 15, 16 = 0x0001afff. Delivery status (12) and
	 * Remote IRR (14) are RO and 0; 31:17 reserved. */
	assert_int_equal(reg_read(h, 0x10), 0x0001afff);
	reg_write(h, 0x11, 0xffffffff);
	/* High dword: only the destination, bits 63:56. */
	assert_int_equal(reg_read(h, 0x11), 0xff000000);
	assert_int_equal(h->nmsg, 0);
}

static void test_ioapic_edge_delivers_once_per_rising_edge(void **state)
{
	struct harness *h = *state;

	set_entry(h, 4, 0x31, 0x01); /* fixed, physical, edge, high active, unmasked */
	ioapic_set_irq(&h->io, 4, 1);
	assert_int_equal(h->nmsg, 1);
	assert_int_equal(h->msg[0].vector, 0x31);
	assert_false(h->msg[0].level);
	/* Staying high is no new edge; falling is not one either. */
	ioapic_set_irq(&h->io, 4, 1);
	ioapic_set_irq(&h->io, 4, 0);
	assert_int_equal(h->nmsg, 1);
	ioapic_set_irq(&h->io, 4, 1);
	assert_int_equal(h->nmsg, 2);
	/* Delivery status reads idle; Remote IRR is not used for edge. */
	assert_int_equal(entry_low(h, 4) & (DELIVS | REMOTE_IRR), 0);
}

static void test_ioapic_edge_while_masked_is_lost(void **state)
{
	struct harness *h = *state;

	set_entry(h, 1, 0x31 | MASKED, 0);
	ioapic_set_irq(&h->io, 1, 1);
	/* 3.2.4 bit 16: "Edge-sensitive interrupts signaled on a masked interrupt
	 * pin are ignored (i.e., not delivered or held pending)." */
	set_entry(h, 1, 0x31, 0);
	assert_int_equal(h->nmsg, 0);
	ioapic_set_irq(&h->io, 1, 0);
	ioapic_set_irq(&h->io, 1, 1);
	assert_int_equal(h->nmsg, 1);
}

static void test_ioapic_level_sets_remote_irr_and_redelivers_on_eoi_while_asserted(void **state)
{
	struct harness *h = *state;

	set_entry(h, 9, 0x41 | LEVEL, 0);
	ioapic_set_irq(&h->io, 9, 1);
	assert_int_equal(h->nmsg, 1);
	assert_true(h->msg[0].level);
	/* 3.2.4 bit 14: set when the local APIC accepts the level interrupt. */
	assert_int_equal(entry_low(h, 9), 0x41 | LEVEL | REMOTE_IRR);
	/* No further message until the EOI, whatever the line does. */
	ioapic_set_irq(&h->io, 9, 0);
	ioapic_set_irq(&h->io, 9, 1);
	assert_int_equal(h->nmsg, 1);
	/* EOI with the vector: Remote IRR clears; the line is still asserted, so
	 * the interrupt is delivered again and Remote IRR set again. */
	ioapic_eoi(&h->io, 0x41);
	assert_int_equal(h->nmsg, 2);
	assert_int_equal(h->msg[1].vector, 0x41);
	assert_int_equal(entry_low(h, 9), 0x41 | LEVEL | REMOTE_IRR);
	/* Line withdrawn, then EOI: Remote IRR clears and nothing is sent. */
	ioapic_set_irq(&h->io, 9, 0);
	ioapic_eoi(&h->io, 0x41);
	assert_int_equal(h->nmsg, 2);
	assert_int_equal(entry_low(h, 9), 0x41 | LEVEL);
}

static void test_ioapic_eoi_needs_the_matching_vector_and_clears_every_match(void **state)
{
	struct harness *h = *state;

	set_entry(h, 3, 0x50 | LEVEL, 0);
	set_entry(h, 5, 0x50 | LEVEL, 0);
	set_entry(h, 6, 0x51 | LEVEL, 0);
	ioapic_set_irq(&h->io, 3, 1);
	ioapic_set_irq(&h->io, 5, 1);
	ioapic_set_irq(&h->io, 6, 1);
	assert_int_equal(h->nmsg, 3);
	ioapic_set_irq(&h->io, 3, 0);
	ioapic_set_irq(&h->io, 5, 0);
	ioapic_set_irq(&h->io, 6, 0);
	ioapic_eoi(&h->io, 0x52);
	assert_int_equal(entry_low(h, 3) & REMOTE_IRR, REMOTE_IRR);
	/* ICH EOI register: every entry with the vector has Remote IRR cleared. */
	ioapic_eoi(&h->io, 0x50);
	assert_int_equal(entry_low(h, 3) & REMOTE_IRR, 0);
	assert_int_equal(entry_low(h, 5) & REMOTE_IRR, 0);
	assert_int_equal(entry_low(h, 6) & REMOTE_IRR, REMOTE_IRR);
	assert_int_equal(h->nmsg, 3);
}

static void test_ioapic_eoi_register_at_0x40_uses_bits_7_0(void **state)
{
	struct harness *h = *state;

	set_entry(h, 11, 0x62 | LEVEL, 0);
	ioapic_set_irq(&h->io, 11, 1);
	assert_int_equal(h->nmsg, 1);
	/* ICH EOI register: only bits 7:0 are used, 31:8 ignored. */
	mmio_write(h, 0x40, 4, 0xffffff62);
	assert_int_equal(h->nmsg, 2);
	ioapic_set_irq(&h->io, 11, 0);
	mmio_write(h, 0x40, 4, 0x62);
	assert_int_equal(entry_low(h, 11), 0x62 | LEVEL);
	/* Write-only: reads 0. */
	assert_int_equal(mmio_read(h, 0x40, 4), 0);
}

static void test_ioapic_masked_level_is_ignored_until_unmasked(void **state)
{
	struct harness *h = *state;

	set_entry(h, 7, 0x70 | LEVEL | MASKED, 0);
	ioapic_set_irq(&h->io, 7, 1);
	/* 3.2.4 bit 16: level asserts on a masked pin are ignored. */
	assert_int_equal(h->nmsg, 0);
	assert_int_equal(entry_low(h, 7), 0x70 | LEVEL | MASKED);
	/* Unmasked while still asserted: "a level on an interrupt pin that is not
	 * masked results in the delivery of the interrupt". */
	set_entry(h, 7, 0x70 | LEVEL, 0);
	assert_int_equal(h->nmsg, 1);
	assert_int_equal(entry_low(h, 7), 0x70 | LEVEL | REMOTE_IRR);
	/* Masking after acceptance changes nothing about Remote IRR. */
	set_entry(h, 7, 0x70 | LEVEL | MASKED, 0);
	assert_int_equal(entry_low(h, 7), 0x70 | LEVEL | MASKED | REMOTE_IRR);
	/* EOI while masked clears it but sends nothing. */
	ioapic_eoi(&h->io, 0x70);
	assert_int_equal(h->nmsg, 1);
	assert_int_equal(entry_low(h, 7), 0x70 | LEVEL | MASKED);
}

static void test_ioapic_low_active_polarity_inverts_the_pin(void **state)
{
	struct harness *h = *state;

	/* Edge, low active: the input's rising edge is the pin's falling edge. The
	 * pin rests low, so the inverted input rests asserted; programming the entry
	 * is not an edge. */
	set_entry(h, 2, 0x22 | LOW_ACTIVE, 0);
	assert_int_equal(h->nmsg, 0);
	ioapic_set_irq(&h->io, 2, 1);
	assert_int_equal(h->nmsg, 0);
	ioapic_set_irq(&h->io, 2, 0);
	assert_int_equal(h->nmsg, 1);
	/* Level, low active (a PCI INTx# line): a low pin is asserted at once. */
	set_entry(h, 16, 0x90 | LEVEL | LOW_ACTIVE, 0);
	assert_int_equal(h->nmsg, 2);
	assert_int_equal(h->msg[1].vector, 0x90);
	ioapic_set_irq(&h->io, 16, 1); /* deasserted */
	ioapic_eoi(&h->io, 0x90);
	assert_int_equal(h->nmsg, 2);
	ioapic_set_irq(&h->io, 16, 0); /* asserted again */
	assert_int_equal(h->nmsg, 3);
}

static void test_ioapic_message_carries_destination_and_mode_fields(void **state)
{
	struct harness *h = *state;

	set_entry(h, 20, 0x55 | DM(IOAPIC_DM_LOWEST) | LOGICAL, 0xa5);
	ioapic_set_irq(&h->io, 20, 1);
	assert_int_equal(h->nmsg, 1);
	assert_int_equal(h->msg[0].vector, 0x55);
	assert_int_equal(h->msg[0].dest, 0xa5);
	assert_true(h->msg[0].logical);
	assert_int_equal(h->msg[0].delivery_mode, IOAPIC_DM_LOWEST);
	assert_false(h->msg[0].level);

	set_entry(h, 21, 0x66 | DM(IOAPIC_DM_FIXED) | LEVEL, 0x03);
	ioapic_set_irq(&h->io, 21, 1);
	assert_int_equal(h->nmsg, 2);
	assert_int_equal(h->msg[1].dest, 0x03);
	assert_false(h->msg[1].logical);
	assert_int_equal(h->msg[1].delivery_mode, IOAPIC_DM_FIXED);
	assert_true(h->msg[1].level);

	set_entry(h, 22, DM(IOAPIC_DM_EXTINT), 0xff);
	ioapic_set_irq(&h->io, 22, 1);
	assert_int_equal(h->nmsg, 3);
	assert_int_equal(h->msg[2].delivery_mode, IOAPIC_DM_EXTINT);
	assert_int_equal(h->msg[2].dest, 0xff);
}

static void test_ioapic_nmi_programmed_level_acts_as_edge(void **state)
{
	struct harness *h = *state;

	/* 3.2.4 delivery mode: NMI (like SMI, INIT, ExtINT) is edge triggered; a
	 * level setting does not make it repeat or wait for an EOI. */
	set_entry(h, 8, DM(IOAPIC_DM_NMI) | LEVEL, 0);
	ioapic_set_irq(&h->io, 8, 1);
	assert_int_equal(h->nmsg, 1);
	assert_int_equal(h->msg[0].delivery_mode, IOAPIC_DM_NMI);
	assert_false(h->msg[0].level);
	assert_int_equal(entry_low(h, 8) & REMOTE_IRR, 0);
	ioapic_eoi(&h->io, 0);
	assert_int_equal(h->nmsg, 1);
	ioapic_set_irq(&h->io, 8, 0);
	ioapic_set_irq(&h->io, 8, 1);
	assert_int_equal(h->nmsg, 2);
}

static void test_ioapic_reserved_delivery_modes_send_nothing(void **state)
{
	struct harness *h = *state;

	/* 3.2.4: delivery modes 011 and 110 are reserved. */
	set_entry(h, 0, 0x30 | DM(3), 0);
	set_entry(h, 1, 0x31 | DM(6) | LEVEL, 0);
	ioapic_set_irq(&h->io, 0, 1);
	ioapic_set_irq(&h->io, 1, 1);
	assert_int_equal(h->nmsg, 0);
	assert_int_equal(entry_low(h, 1) & REMOTE_IRR, 0);
}

static void test_ioapic_switching_to_edge_clears_remote_irr(void **state)
{
	struct harness *h = *state;

	set_entry(h, 10, 0x44 | LEVEL, 0);
	ioapic_set_irq(&h->io, 10, 1);
	ioapic_set_irq(&h->io, 10, 0);
	assert_int_equal(entry_low(h, 10), 0x44 | LEVEL | REMOTE_IRR);
	/* Mask + edge, then level + unmask: the EOI-less way to clear Remote IRR. */
	set_entry(h, 10, 0x44 | MASKED, 0);
	assert_int_equal(entry_low(h, 10), 0x44 | MASKED);
	set_entry(h, 10, 0x44 | LEVEL, 0);
	assert_int_equal(entry_low(h, 10), 0x44 | LEVEL);
	ioapic_set_irq(&h->io, 10, 1);
	assert_int_equal(h->nmsg, 2);
}

static void test_ioapic_only_aligned_dwords_reach_registers(void **state)
{
	struct harness *h = *state;

	mmio_write(h, 0x00, 4, 0x01); /* select the version register */
	assert_int_equal(mmio_read(h, 0x10, 1), 0);
	assert_int_equal(mmio_read(h, 0x10, 2), 0);
	assert_int_equal(mmio_read(h, 0x10, 8), 0);
	assert_int_equal(mmio_read(h, 0x11, 4), 0);
	assert_int_equal(mmio_read(h, 0x00, 1), 0);
	assert_int_equal(mmio_read(h, 0x00, 8), 0);
	/* Narrow and wide writes to IOREGSEL leave it selecting the version. */
	mmio_write(h, 0x00, 1, 0x10);
	mmio_write(h, 0x00, 2, 0x10);
	mmio_write(h, 0x00, 8, 0x10);
	mmio_write(h, 0x01, 4, 0x10);
	assert_int_equal(mmio_read(h, 0x00, 4), 0x01);
	assert_int_equal(mmio_read(h, 0x10, 4), 0x00170020);
	/* A byte write to IOWIN does not reach entry 0. */
	mmio_write(h, 0x00, 4, 0x10);
	mmio_write(h, 0x10, 1, 0x00);
	mmio_write(h, 0x10, 8, 0x00);
	assert_int_equal(mmio_read(h, 0x10, 4), 0x00010000);
}

static void test_ioapic_hostile_accesses_anywhere_in_the_window(void **state)
{
	struct harness *h = *state;
	static const unsigned sizes[] = { 1, 2, 4, 8 };

	struct stderr_capture cap;
	char *log;

	set_entry(h, 12, 0x77 | LEVEL, 0x01);
	assert_int_equal(stderr_capture_begin(&cap), 0);
	for (unsigned s = 0; s < 4; s++) {
		for (uint64_t off = 0; off + sizes[s] <= IOAPIC_MMIO_LEN; off++) {
			(void)mmio_read(h, off, sizes[s]);
			if (sizes[s] == 4 && (off == 0x00 || off == 0x10))
				continue; /* the register writes are tested below */
			mmio_write(h, off, sizes[s], ~0ull);
		}
	}
	log = stderr_capture_end(&cap);
	/* Tens of thousands of ignored accesses: a bounded number of log lines. */
	assert_non_null(log);
	assert_in_range(count_lines(log), 1, 16);
	free(log);
	/* Every IOREGSEL value but the ID and the entries, written with all ones. */
	for (unsigned reg = 0; reg < 256; reg++) {
		if (reg == 0x00 || (reg >= 0x10 && reg < 0x40))
			continue;
		reg_write(h, (uint8_t)reg, 0xffffffff);
		assert_int_equal(reg_read(h, (uint8_t)reg), reg == 0x01 ? 0x00170020 : reg == 0x02 ? 0x02000000 : 0);
	}
	/* The EOI at 0x40 (vector 0xff) matched nothing; the rest changed nothing. */
	assert_int_equal(entry_low(h, 12), 0x77 | LEVEL);
	assert_int_equal(reg_read(h, 0x11 + 2 * 12), 0x01000000);
	assert_int_equal(entry_low(h, 0), 0x00010000);
	assert_int_equal(reg_read(h, 0x00), 0x02000000);
	assert_int_equal(h->nmsg, 0);
}

static void test_ioapic_bad_pins_ignored_and_irq_line_adaptor(void **state)
{
	struct harness *h = *state;
	struct irq_line line = ioapic_irq_line(&h->io, 23);

	set_entry(h, 23, 0x88, 0);
	irq_line_set(&line, 1);
	assert_int_equal(h->nmsg, 1);
	assert_int_equal(h->msg[0].vector, 0x88);
	ioapic_set_irq(&h->io, IOAPIC_PINS, 1);
	ioapic_set_irq(&h->io, 32, 1);
	ioapic_set_irq(&h->io, ~0u, 1);
	assert_int_equal(h->nmsg, 1);
}

static void test_ioapic_without_deliver_callback(void **state)
{
	struct ioapic io;

	(void)state;
	ioapic_init(&io, 0x1f, NULL);
	/* Only 4 ID bits exist (3.2.1). */
	ioapic_ops.write(&io, 0x00, 4, 0x00);
	assert_int_equal(ioapic_ops.read(&io, 0x10, 4), 0x0f000000);
	ioapic_ops.write(&io, 0x00, 4, 0x10);
	ioapic_ops.write(&io, 0x10, 4, 0x40 | LEVEL);
	ioapic_set_irq(&io, 0, 1);
	ioapic_eoi(&io, 0x40);
	ioapic_destroy(&io);
}

#define IOAPIC_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		IOAPIC_TEST(test_ioapic_reset_values),
		IOAPIC_TEST(test_ioapic_unimplemented_indirect_registers_read_zero),
		IOAPIC_TEST(test_ioapic_id_keeps_bits_27_24_and_arbitration_follows),
		IOAPIC_TEST(test_ioapic_version_and_arbitration_are_read_only),
		IOAPIC_TEST(test_ioapic_ioregsel_keeps_low_8_bits),
		IOAPIC_TEST(test_ioapic_entry_read_only_and_reserved_bits_ignore_writes),
		IOAPIC_TEST(test_ioapic_edge_delivers_once_per_rising_edge),
		IOAPIC_TEST(test_ioapic_edge_while_masked_is_lost),
		IOAPIC_TEST(test_ioapic_level_sets_remote_irr_and_redelivers_on_eoi_while_asserted),
		IOAPIC_TEST(test_ioapic_eoi_needs_the_matching_vector_and_clears_every_match),
		IOAPIC_TEST(test_ioapic_eoi_register_at_0x40_uses_bits_7_0),
		IOAPIC_TEST(test_ioapic_masked_level_is_ignored_until_unmasked),
		IOAPIC_TEST(test_ioapic_low_active_polarity_inverts_the_pin),
		IOAPIC_TEST(test_ioapic_message_carries_destination_and_mode_fields),
		IOAPIC_TEST(test_ioapic_nmi_programmed_level_acts_as_edge),
		IOAPIC_TEST(test_ioapic_reserved_delivery_modes_send_nothing),
		IOAPIC_TEST(test_ioapic_switching_to_edge_clears_remote_irr),
		IOAPIC_TEST(test_ioapic_only_aligned_dwords_reach_registers),
		IOAPIC_TEST(test_ioapic_hostile_accesses_anywhere_in_the_window),
		IOAPIC_TEST(test_ioapic_bad_pins_ignored_and_irq_line_adaptor),
		cmocka_unit_test(test_ioapic_without_deliver_callback),
	};

	return cmocka_run_group_tests_name("ioapic", tests, NULL, NULL);
}
