/* The 8259A pair (src/devices/pic8259.c) against the Intel 8259A data sheet
 * ("8259A Programmable Interrupt Controller"): the sections "Interrupt Sequence",
 * "Initialization Command Words", "Operation Command Words", "Fully Nested Mode",
 * "End of Interrupt", "Automatic Rotation", "Specific Rotation", "Special Mask
 * Mode", "Poll Command", "Reading the 8259A Status", "Edge and Level Triggered
 * Modes" and "Cascade Mode"; and the ELCR of the Intel 82371 (PIIX) data sheet.
 * Ports: A0 = 0 is offset 0 (ICW1, OCW2, OCW3; IRR/ISR/poll reads), A0 = 1 is
 * offset 1 (ICW2-ICW4, OCW1; IMR reads). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/pic8259.h"
#include "unit_helpers.h"

/* OCW2 (R SL EOI in bits 7-5, level in 2-0) and OCW3 (bit 3 set) commands. */
#define NONSPECIFIC_EOI 0x20
#define SPECIFIC_EOI(l) (0x60 | (l))
#define ROTATE_NONSPECIFIC_EOI 0xa0
#define ROTATE_SPECIFIC_EOI(l) (0xe0 | (l))
#define SET_PRIORITY(l) (0xc0 | (l))
#define SET_ROTATE_AEOI 0x80
#define READ_IRR 0x0a
#define READ_ISR 0x0b
#define POLL 0x0c
#define SET_SMM 0x68
#define RESET_SMM 0x48

enum { MASTER, SLAVE };

struct harness {
	struct pic8259 pic;
	bool changes[32]; /* every value intr_changed reported, in order */
	unsigned nchanges;
};

static void record_intr(void *opaque, bool asserted)
{
	struct harness *h = opaque;

	if (h->nchanges < sizeof(h->changes) / sizeof(h->changes[0]))
		h->changes[h->nchanges++] = asserted;
}

static void *chip(struct harness *h, int which)
{
	return which == SLAVE ? (void *)pic8259_slave(&h->pic) : (void *)pic8259_master(&h->pic);
}

static uint8_t rd(struct harness *h, int which, unsigned port)
{
	return (uint8_t)pic8259_ops.read(chip(h, which), port, 1);
}

static void wr(struct harness *h, int which, unsigned port, uint8_t v)
{
	pic8259_ops.write(chip(h, which), port, 1, v);
}

static uint8_t irr(struct harness *h, int which)
{
	wr(h, which, 0, READ_IRR);
	return rd(h, which, 0);
}

static uint8_t isr(struct harness *h, int which)
{
	uint8_t v;

	wr(h, which, 0, READ_ISR);
	v = rd(h, which, 0);
	wr(h, which, 0, READ_IRR);
	return v;
}

/* Linux's init_8259A(): ICW1 0x11 (edge, cascade, ICW4 needed), ICW2 vector base,
 * ICW3 0x04 on the master (slave on IR2) and 0x02 on the slave (its ID), ICW4 0x01
 * (8086 mode, normal EOI). Left unmasked here; tests mask what they need. */
static void linux_init(struct harness *h, uint8_t icw4)
{
	wr(h, MASTER, 0, 0x11);
	wr(h, MASTER, 1, 0x20);
	wr(h, MASTER, 1, 0x04);
	wr(h, MASTER, 1, icw4);
	wr(h, SLAVE, 0, 0x11);
	wr(h, SLAVE, 1, 0x28);
	wr(h, SLAVE, 1, 0x02);
	wr(h, SLAVE, 1, icw4);
}

static int pic_setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	pic8259_init(&h->pic);
	h->pic.intr_changed = record_intr;
	h->pic.intr_opaque = h;
	linux_init(h, 0x01);
	*state = h;
	return 0;
}

static int pic_teardown(void **state)
{
	struct harness *h = *state;

	pic8259_destroy(&h->pic);
	free(h);
	return 0;
}

static void pulse(struct harness *h, unsigned irq)
{
	pic8259_set_irq(&h->pic, irq, 1);
	pic8259_set_irq(&h->pic, irq, 0);
}

static void test_pic_before_init_everything_is_masked(void **state)
{
	struct pic8259 pic;

	(void)state;
	pic8259_init(&pic);
	pic8259_set_irq(&pic, 1, 1);
	/* A model choice (the chip's power-on state is undefined): as a BIOS leaves it,
	 * all masked, so nothing reaches a guest that has not programmed the PIC. */
	assert_false(pic8259_pending(&pic));
	assert_int_equal(pic8259_ops.read(pic8259_master(&pic), 1, 1), 0xff);
	assert_int_equal(pic8259_ops.read(pic8259_slave(&pic), 1, 1), 0xff);
	pic8259_destroy(&pic);
}

static void test_pic_linux_init_clears_imr_then_ocw1_masks(void **state)
{
	struct harness *h = *state;

	/* ICW1: "The Interrupt Mask Register is cleared." */
	assert_int_equal(rd(h, MASTER, 1), 0x00);
	assert_int_equal(rd(h, SLAVE, 1), 0x00);
	/* After the ICWs, a write to A0 = 1 is OCW1, read back at A0 = 1. */
	wr(h, MASTER, 1, 0xfb);
	wr(h, SLAVE, 1, 0xff);
	assert_int_equal(rd(h, MASTER, 1), 0xfb);
	assert_int_equal(rd(h, SLAVE, 1), 0xff);
	assert_false(pic8259_pending(&h->pic));
}

static void test_pic_single_mode_skips_icw3(void **state)
{
	struct harness *h = *state;

	/* ICW1 SNGL = 1: "no ICW3 will be issued"; IC4 = 1: ICW4 follows ICW2. */
	wr(h, MASTER, 0, 0x13);
	wr(h, MASTER, 1, 0x40);
	wr(h, MASTER, 1, 0x01); /* ICW4 */
	wr(h, MASTER, 1, 0xaa); /* OCW1 */
	assert_int_equal(rd(h, MASTER, 1), 0xaa);
	wr(h, MASTER, 1, 0x00);
	pulse(h, 3);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x43);
}

static void test_pic_masked_request_is_latched_but_not_raised(void **state)
{
	struct harness *h = *state;

	wr(h, MASTER, 1, 0x02);
	pulse(h, 1);
	/* OCW1: a set mask bit inhibits the channel; the request still reaches IRR. */
	assert_false(pic8259_pending(&h->pic));
	assert_int_equal(irr(h, MASTER), 0x02);
	wr(h, MASTER, 1, 0x00);
	assert_true(pic8259_pending(&h->pic));
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x21);
}

static void test_pic_edge_latches_once_per_rising_edge(void **state)
{
	struct harness *h = *state;

	/* Edge mode (ICW1 LTIM = 0): a low-to-high transition sets the IRR bit; the
	 * input may stay high without generating another interrupt. */
	pic8259_set_irq(&h->pic, 1, 1);
	assert_true(pic8259_pending(&h->pic));
	assert_int_equal(irr(h, MASTER), 0x02);
	/* INTA: "the highest priority ISR bit is set and the corresponding IRR bit is reset". */
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x21);
	assert_int_equal(irr(h, MASTER), 0x00);
	assert_int_equal(isr(h, MASTER), 0x02);
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	assert_false(pic8259_pending(&h->pic)); /* still high, no new edge */
	pic8259_set_irq(&h->pic, 1, 0);
	pic8259_set_irq(&h->pic, 1, 1);
	assert_true(pic8259_pending(&h->pic));
}

static void test_pic_edge_request_survives_a_short_pulse(void **state)
{
	struct harness *h = *state;

	/* A model choice (header): the latched request is kept after the line falls. */
	pulse(h, 4);
	assert_true(pic8259_pending(&h->pic));
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x24);
}

static void test_pic_level_irr_follows_line_and_repeats_after_eoi(void **state)
{
	struct harness *h = *state;

	pic8259_elcr_ops.write(&h->pic, 0, 1, 0x20); /* IRQ 5 level */
	pic8259_set_irq(&h->pic, 5, 1);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x25);
	assert_false(pic8259_pending(&h->pic)); /* held back by its own ISR bit */
	/* Level mode: "the IR input must be removed before the EOI command is issued
	 * ... to avoid a second interrupt from occurring." */
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	assert_true(pic8259_pending(&h->pic));
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x25);
	pic8259_set_irq(&h->pic, 5, 0);
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	assert_false(pic8259_pending(&h->pic));
	assert_int_equal(irr(h, MASTER), 0x00);
}

static void test_pic_icw1_ltim_makes_every_input_level(void **state)
{
	struct harness *h = *state;

	wr(h, MASTER, 0, 0x19); /* ICW1 with LTIM */
	wr(h, MASTER, 1, 0x20);
	wr(h, MASTER, 1, 0x04);
	wr(h, MASTER, 1, 0x01);
	pic8259_set_irq(&h->pic, 6, 1);
	assert_int_equal(irr(h, MASTER), 0x40);
	pic8259_set_irq(&h->pic, 6, 0);
	assert_int_equal(irr(h, MASTER), 0x00);
	assert_false(pic8259_pending(&h->pic));
}

static void test_pic_lower_ir_number_wins_and_waits_for_eoi(void **state)
{
	struct harness *h = *state;

	pulse(h, 4);
	pulse(h, 1);
	/* Fully nested mode: "IR0 has the highest priority and IR7 the lowest". */
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x21);
	/* "While the IS bit is set, all further interrupts of the same or lower
	 * priority are inhibited." */
	assert_false(pic8259_pending(&h->pic));
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	assert_true(pic8259_pending(&h->pic));
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x24);
}

static void test_pic_higher_priority_nests_and_eoi_clears_highest_isr(void **state)
{
	struct harness *h = *state;

	pulse(h, 4);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x24);
	/* "... while higher levels will generate an interrupt". */
	pulse(h, 1);
	assert_true(pic8259_pending(&h->pic));
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x21);
	assert_int_equal(isr(h, MASTER), 0x12);
	/* Non-specific EOI: "the highest IS bit of those that are set will be reset". */
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	assert_int_equal(isr(h, MASTER), 0x10);
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	assert_int_equal(isr(h, MASTER), 0x00);
}

static void test_pic_specific_eoi_clears_the_named_isr_bit(void **state)
{
	struct harness *h = *state;

	pulse(h, 4);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x24);
	pulse(h, 1);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x21);
	/* Specific EOI (SL = 1): L2-L0 name the IS bit to reset, whatever its priority. */
	wr(h, MASTER, 0, SPECIFIC_EOI(4));
	assert_int_equal(isr(h, MASTER), 0x02);
}

static void test_pic_ocw3_selects_irr_or_isr_read(void **state)
{
	struct harness *h = *state;

	pulse(h, 3);
	pulse(h, 6);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x23);
	/* ICW1 sets "status read to IRR". */
	assert_int_equal(rd(h, MASTER, 0), 0x40);
	/* OCW3 RR = 1, RIS = 1: read ISR on the next and later reads. */
	wr(h, MASTER, 0, READ_ISR);
	assert_int_equal(rd(h, MASTER, 0), 0x08);
	assert_int_equal(rd(h, MASTER, 0), 0x08);
	/* RR = 0: no change. */
	wr(h, MASTER, 0, 0x08);
	assert_int_equal(rd(h, MASTER, 0), 0x08);
	wr(h, MASTER, 0, READ_IRR);
	assert_int_equal(rd(h, MASTER, 0), 0x40);
	/* The IMR is read at A0 = 1 whatever OCW3 says. */
	assert_int_equal(rd(h, MASTER, 1), 0x00);
}

static void test_pic_slave_irq9_cascades_through_master_ir2(void **state)
{
	struct harness *h = *state;

	pic8259_set_irq(&h->pic, 9, 1);
	/* Cascade mode: the slave's INT drives the master's IR2. */
	assert_int_equal(irr(h, MASTER), 0x04);
	assert_true(pic8259_pending(&h->pic));
	/* The slave named by the master's IR2 supplies the vector: its base + IR1. */
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x29);
	assert_int_equal(isr(h, MASTER), 0x04);
	assert_int_equal(isr(h, SLAVE), 0x02);
	/* Both chips need their EOI ("... must be issued twice: once for the master and
	 * once for the corresponding slave"). */
	wr(h, SLAVE, 0, NONSPECIFIC_EOI);
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	assert_int_equal(isr(h, MASTER), 0x00);
	assert_int_equal(isr(h, SLAVE), 0x00);
	assert_false(pic8259_pending(&h->pic));
}

static void test_pic_slave_request_waits_for_master_ir2_eoi(void **state)
{
	struct harness *h = *state;

	pulse(h, 12);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x2c);
	pulse(h, 9); /* higher on the slave, but IR2 is in service on the master */
	wr(h, SLAVE, 0, NONSPECIFIC_EOI);
	assert_false(pic8259_pending(&h->pic));
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	assert_true(pic8259_pending(&h->pic));
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x29);
}

static void test_pic_master_ir1_beats_slave_and_ir3_loses_to_it(void **state)
{
	struct harness *h = *state;

	pulse(h, 3);
	pulse(h, 10);
	pulse(h, 1);
	/* The slave's requests sit at the priority of master IR2. */
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x21);
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x2a);
	wr(h, SLAVE, 0, NONSPECIFIC_EOI);
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x23);
}

static void test_pic_masked_slave_input_does_not_reach_master(void **state)
{
	struct harness *h = *state;

	wr(h, SLAVE, 1, 0x02);
	pulse(h, 9);
	assert_int_equal(irr(h, SLAVE), 0x02);
	assert_int_equal(irr(h, MASTER), 0x00);
	assert_false(pic8259_pending(&h->pic));
	wr(h, MASTER, 1, 0x04);
	wr(h, SLAVE, 1, 0x00);
	assert_false(pic8259_pending(&h->pic)); /* now masked at the master's IR2 */
	wr(h, MASTER, 1, 0x00);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x29);
}

static void test_pic_level_line_dropped_before_inta_gives_default_ir7(void **state)
{
	struct harness *h = *state;

	pic8259_elcr_ops.write(&h->pic, 0, 1, 0x08); /* IRQ 3 level */
	pic8259_set_irq(&h->pic, 3, 1);
	assert_true(pic8259_pending(&h->pic));
	pic8259_set_irq(&h->pic, 3, 0);
	/* "If the IR input goes low before this time a DEFAULT IR7 will occur when the
	 * CPU acknowledges the interrupt." ... "A normal IR7 interrupt will set the
	 * corresponding ISR bit, a default IR7 won't." */
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x27);
	assert_int_equal(isr(h, MASTER), 0x00);
	assert_false(pic8259_pending(&h->pic));
}

static void test_pic_real_ir7_sets_isr_bit(void **state)
{
	struct harness *h = *state;

	pulse(h, 7);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x27);
	assert_int_equal(isr(h, MASTER), 0x80);
}

static void test_pic_poll_reads_level_and_sets_isr(void **state)
{
	struct harness *h = *state;

	pulse(h, 5);
	pulse(h, 6);
	/* Poll command (OCW3 P = 1): the next read is treated as an interrupt
	 * acknowledge, sets the IS bit and returns I (bit 7) and W2-W0, the highest
	 * priority level requesting service. */
	wr(h, MASTER, 0, POLL);
	assert_int_equal(rd(h, MASTER, 0), 0x85);
	assert_int_equal(isr(h, MASTER), 0x20);
	/* The poll is good for one read only. */
	assert_int_equal(rd(h, MASTER, 0), 0x40);
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	wr(h, MASTER, 0, POLL);
	assert_int_equal(rd(h, MASTER, 0), 0x86);
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	/* Nothing requesting: I = 0. */
	wr(h, MASTER, 0, POLL);
	assert_int_equal(rd(h, MASTER, 0) & 0x80, 0);
}

static void test_pic_rotate_on_nonspecific_eoi_makes_served_ir_lowest(void **state)
{
	struct harness *h = *state;

	pulse(h, 1);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x21);
	/* Automatic rotation: "a device, after being serviced, receives the lowest
	 * priority": IR1 lowest, so IR2 highest, then IR3 ... IR0, IR1. */
	wr(h, MASTER, 0, ROTATE_NONSPECIFIC_EOI);
	assert_int_equal(isr(h, MASTER), 0x00);
	pulse(h, 1);
	pulse(h, 0);
	pulse(h, 4);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x24);
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x20);
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x21);
}

static void test_pic_rotate_specific_eoi_and_set_priority(void **state)
{
	struct harness *h = *state;

	pulse(h, 3);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x23);
	/* Rotate on specific EOI: reset IS bit L and make L the lowest priority. */
	wr(h, MASTER, 0, ROTATE_SPECIFIC_EOI(3));
	assert_int_equal(isr(h, MASTER), 0x00);
	pulse(h, 3);
	pulse(h, 5);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x25);
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	/* Specific rotation (set priority command): programming the bottom priority
	 * fixes all the others; L = 6 as the bottom makes IR7 the highest. */
	wr(h, MASTER, 0, SET_PRIORITY(6));
	pulse(h, 7);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x27);
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x23);
}

static void test_pic_auto_eoi_leaves_isr_clear(void **state)
{
	struct harness *h = *state;

	linux_init(h, 0x03); /* ICW4 AEOI = 1 */
	pulse(h, 4);
	pulse(h, 6);
	/* AEOI: the ISR bit is reset at the trailing edge of the last INTA. */
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x24);
	assert_int_equal(isr(h, MASTER), 0x00);
	assert_true(pic8259_pending(&h->pic));
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x26);
}

static void test_pic_rotate_in_auto_eoi_mode(void **state)
{
	struct harness *h = *state;

	linux_init(h, 0x03);
	/* OCW2 R = 1, SL = 0, EOI = 0: set rotate in automatic EOI mode. */
	wr(h, MASTER, 0, SET_ROTATE_AEOI);
	pulse(h, 1);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x21);
	pulse(h, 1);
	pulse(h, 5);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x25);
}

static void test_pic_special_mask_mode_lets_lower_levels_in(void **state)
{
	struct harness *h = *state;

	pulse(h, 1);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x21);
	pulse(h, 4);
	assert_false(pic8259_pending(&h->pic));
	/* Special mask mode: a mask bit "inhibits further interrupts at that level and
	 * enables interrupts from all other levels (lower as well as higher) that are
	 * not masked". */
	wr(h, MASTER, 0, SET_SMM);
	wr(h, MASTER, 1, 0x02);
	assert_true(pic8259_pending(&h->pic));
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x24);
	assert_int_equal(isr(h, MASTER), 0x12);
	wr(h, MASTER, 0, SPECIFIC_EOI(4));
	wr(h, MASTER, 1, 0x00);
	wr(h, MASTER, 0, RESET_SMM);
	assert_int_equal(isr(h, MASTER), 0x02);
}

static void test_pic_reinit_resets_edge_sense_and_isr(void **state)
{
	struct harness *h = *state;

	pic8259_set_irq(&h->pic, 1, 1);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x21);
	linux_init(h, 0x01);
	/* ICW1: "the edge sense circuit is reset, which means that following
	 * initialization an interrupt request (IR) input must make a low-to-high
	 * transition to generate an interrupt." (ISR cleared: a model choice.) */
	assert_false(pic8259_pending(&h->pic));
	assert_int_equal(isr(h, MASTER), 0x00);
	pic8259_set_irq(&h->pic, 1, 0);
	pic8259_set_irq(&h->pic, 1, 1);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x21);
}

static void test_pic_elcr_reserved_bits_read_zero(void **state)
{
	struct harness *h = *state;

	/* PIIX ELCR1 (0x4d0): IRQ 0, 1, 2 must be edge; ELCR2 (0x4d1): IRQ 8 and 13. */
	pic8259_elcr_ops.write(&h->pic, 0, 1, 0xff);
	pic8259_elcr_ops.write(&h->pic, 1, 1, 0xff);
	assert_int_equal(pic8259_elcr_ops.read(&h->pic, 0, 1), 0xf8);
	assert_int_equal(pic8259_elcr_ops.read(&h->pic, 1, 1), 0xde);
	pic8259_elcr_ops.write(&h->pic, 0, 2, 0x0c20);
	assert_int_equal(pic8259_elcr_ops.read(&h->pic, 0, 2), 0x0c20);
	/* Past the two registers: all ones, writes dropped. */
	assert_int_equal(pic8259_elcr_ops.read(&h->pic, 1, 2), 0xff0c);
	assert_int_equal(pic8259_elcr_ops.read(&h->pic, 0, 4), 0xffff0c20);
}

static void test_pic_elcr_makes_slave_input_level(void **state)
{
	struct harness *h = *state;

	pic8259_elcr_ops.write(&h->pic, 1, 1, 0x08); /* IRQ 11 level */
	pic8259_set_irq(&h->pic, 11, 1);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x2b);
	wr(h, SLAVE, 0, NONSPECIFIC_EOI);
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	assert_true(pic8259_pending(&h->pic)); /* still high */
	pic8259_set_irq(&h->pic, 11, 0);
	assert_false(pic8259_pending(&h->pic));
	assert_int_equal(irr(h, SLAVE), 0x00);
}

static void test_pic_intr_changed_on_raise_inta_and_eoi(void **state)
{
	struct harness *h = *state;

	assert_int_equal(h->nchanges, 0);
	pulse(h, 1);
	assert_int_equal(h->nchanges, 1);
	assert_true(h->changes[0]);
	/* INTA puts IR1 in service: nothing else may interrupt, so INTR falls. */
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x21);
	assert_int_equal(h->nchanges, 2);
	assert_false(h->changes[1]);
	pulse(h, 4); /* held back by IR1 in service: no change */
	assert_int_equal(h->nchanges, 2);
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	assert_int_equal(h->nchanges, 3);
	assert_true(h->changes[2]);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x24);
	assert_int_equal(h->nchanges, 4);
	/* EOI with nothing else pending: INTR stays low, no call. */
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	assert_int_equal(h->nchanges, 4);
	assert_false(h->pic.intr);
}

static void test_pic_intr_changed_when_request_withdrawn_or_masked(void **state)
{
	struct harness *h = *state;

	pic8259_elcr_ops.write(&h->pic, 0, 1, 0x08);
	pic8259_set_irq(&h->pic, 3, 1);
	pic8259_set_irq(&h->pic, 3, 0);
	assert_int_equal(h->nchanges, 2);
	assert_true(h->changes[0]);
	assert_false(h->changes[1]);
	pulse(h, 5);
	wr(h, MASTER, 1, 0x20);
	assert_int_equal(h->nchanges, 4);
	assert_false(h->changes[3]);
}

static void test_pic_wide_accesses_are_split_into_bytes(void **state)
{
	struct harness *h = *state;

	pulse(h, 6);
	wr(h, MASTER, 1, 0x81);
	/* Offset 0 reads IRR, offset 1 IMR; past the chip reads all ones. */
	assert_int_equal(pic8259_ops.read(pic8259_master(&h->pic), 0, 2), 0x8140);
	assert_int_equal(pic8259_ops.read(pic8259_master(&h->pic), 1, 2), 0xff81);
	assert_int_equal(pic8259_ops.read(pic8259_master(&h->pic), 0, 4), 0xffff8140);
	/* A wide write at offset 1 reaches OCW1 only. */
	pic8259_ops.write(pic8259_master(&h->pic), 1, 4, 0x11223300);
	assert_int_equal(rd(h, MASTER, 1), 0x00);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x26);
}

static void test_pic_irq_line_adaptor_and_bad_pins(void **state)
{
	struct harness *h = *state;
	struct irq_line line = pic8259_irq_line(&h->pic, 14);

	irq_line_set(&line, 1);
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x2e);
	wr(h, SLAVE, 0, NONSPECIFIC_EOI);
	wr(h, MASTER, 0, NONSPECIFIC_EOI);
	/* IRQ 2 is the cascade; 16 and above do not exist. */
	pic8259_set_irq(&h->pic, 2, 1);
	pic8259_set_irq(&h->pic, 16, 1);
	pic8259_set_irq(&h->pic, ~0u, 1);
	assert_false(pic8259_pending(&h->pic));
	/* Acknowledging with nothing pending: the master's default IR7. */
	assert_int_equal(pic8259_acknowledge(&h->pic), 0x27);
	assert_int_equal(isr(h, MASTER), 0x00);
}

#define PIC_TEST(f) cmocka_unit_test_setup_teardown(f, pic_setup, pic_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pic_before_init_everything_is_masked),
		PIC_TEST(test_pic_linux_init_clears_imr_then_ocw1_masks),
		PIC_TEST(test_pic_single_mode_skips_icw3),
		PIC_TEST(test_pic_masked_request_is_latched_but_not_raised),
		PIC_TEST(test_pic_edge_latches_once_per_rising_edge),
		PIC_TEST(test_pic_edge_request_survives_a_short_pulse),
		PIC_TEST(test_pic_level_irr_follows_line_and_repeats_after_eoi),
		PIC_TEST(test_pic_icw1_ltim_makes_every_input_level),
		PIC_TEST(test_pic_lower_ir_number_wins_and_waits_for_eoi),
		PIC_TEST(test_pic_higher_priority_nests_and_eoi_clears_highest_isr),
		PIC_TEST(test_pic_specific_eoi_clears_the_named_isr_bit),
		PIC_TEST(test_pic_ocw3_selects_irr_or_isr_read),
		PIC_TEST(test_pic_slave_irq9_cascades_through_master_ir2),
		PIC_TEST(test_pic_slave_request_waits_for_master_ir2_eoi),
		PIC_TEST(test_pic_master_ir1_beats_slave_and_ir3_loses_to_it),
		PIC_TEST(test_pic_masked_slave_input_does_not_reach_master),
		PIC_TEST(test_pic_level_line_dropped_before_inta_gives_default_ir7),
		PIC_TEST(test_pic_real_ir7_sets_isr_bit),
		PIC_TEST(test_pic_poll_reads_level_and_sets_isr),
		PIC_TEST(test_pic_rotate_on_nonspecific_eoi_makes_served_ir_lowest),
		PIC_TEST(test_pic_rotate_specific_eoi_and_set_priority),
		PIC_TEST(test_pic_auto_eoi_leaves_isr_clear),
		PIC_TEST(test_pic_rotate_in_auto_eoi_mode),
		PIC_TEST(test_pic_special_mask_mode_lets_lower_levels_in),
		PIC_TEST(test_pic_reinit_resets_edge_sense_and_isr),
		PIC_TEST(test_pic_elcr_reserved_bits_read_zero),
		PIC_TEST(test_pic_elcr_makes_slave_input_level),
		PIC_TEST(test_pic_intr_changed_on_raise_inta_and_eoi),
		PIC_TEST(test_pic_intr_changed_when_request_withdrawn_or_masked),
		PIC_TEST(test_pic_wide_accesses_are_split_into_bytes),
		PIC_TEST(test_pic_irq_line_adaptor_and_bad_pins),
	};

	return cmocka_run_group_tests_name("pic8259", tests, NULL, NULL);
}
