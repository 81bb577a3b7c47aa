/* The 8259A pair's saved state (src/devices/pic8259_state.c): a pair with
 * requests pending, one in service, masks and modes set comes back into a
 * fresh pair that then answers the CPU exactly as the first does; payloads
 * with a value no 8259A can hold, or cut short, are refused and leave the
 * pair as it was. Payload offsets (docs/snapshot-format.md, "pic"): per chip,
 * 17 bytes from 0 (master) and 17 (slave): IRR 0, ISR 1, IMR 2, lines 3,
 * ELCR 4, vector base 5, ICW3 6, lowest priority 7, init step 8, then the
 * flags LTIM 9 ... poll 16. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/pic8259.h"
#include "device_state_harness.h"
#include "unit_helpers.h"

enum { MASTER, SLAVE };
#define CHIP_BYTES 17
#define NONSPECIFIC_EOI 0x20
#define READ_ISR 0x0b
#define SET_SMM 0x68
#define NOW 1000000000ull

struct pair {
	struct pic8259 pic;
	int last_intr; /* what intr_changed last said, -1 if never */
};

static void record_intr(void *opaque, bool asserted)
{
	((struct pair *)opaque)->last_intr = asserted;
}

static void pair_init(struct pair *p)
{
	pic8259_init(&p->pic);
	p->pic.intr_changed = record_intr;
	p->pic.intr_opaque = p;
	p->last_intr = -1;
}

static void *chip(struct pair *p, int which)
{
	return which == SLAVE ? (void *)pic8259_slave(&p->pic) : (void *)pic8259_master(&p->pic);
}

static void wr(struct pair *p, int which, unsigned port, uint8_t v)
{
	pic8259_ops.write(chip(p, which), port, 1, v);
}

static uint8_t rd(struct pair *p, int which, unsigned port)
{
	return (uint8_t)pic8259_ops.read(chip(p, which), port, 1);
}

/* As Linux programs the pair (vector bases 0x20 and 0x28), then: IRQ 3
 * masked, IRQ 10 level triggered through the ELCR and held high, IRQ 4
 * pulsed, IRQ 10 taken and ended (so it is requested again), ISR reads
 * selected on the master, special mask mode on the slave. INTR is high with
 * IRQ 10 and IRQ 4 requested. */
static void drive(struct pair *p)
{
	static const uint8_t icw[2][4] = { { 0x11, 0x20, 0x04, 0x01 }, { 0x11, 0x28, 0x02, 0x01 } };

	for (int c = MASTER; c <= SLAVE; c++) {
		wr(p, c, 0, icw[c][0]);
		for (int i = 1; i < 4; i++)
			wr(p, c, 1, icw[c][i]);
	}
	wr(p, MASTER, 1, 0x08);
	pic8259_elcr_ops.write(&p->pic, 1, 1, 0x04);
	pic8259_set_irq(&p->pic, 10, 1);
	pic8259_set_irq(&p->pic, 4, 1);
	pic8259_set_irq(&p->pic, 4, 0);
	assert_int_equal(pic8259_acknowledge(&p->pic), 0x2a);
	wr(p, SLAVE, 0, NONSPECIFIC_EOI);
	wr(p, MASTER, 0, NONSPECIFIC_EOI);
	wr(p, MASTER, 0, READ_ISR);
	wr(p, SLAVE, 0, SET_SMM);
	assert_true(pic8259_pending(&p->pic));
}

/* What the CPU sees from here: INTR, the vector taken, then an EOI to both
 * chips, six times over; IRQ 10 is lowered half-way. */
static void answers(struct pair *p, int out[12])
{
	for (int i = 0; i < 6; i++) {
		if (i == 3)
			pic8259_set_irq(&p->pic, 10, 0);
		out[2 * i] = pic8259_pending(&p->pic);
		out[2 * i + 1] = pic8259_acknowledge(&p->pic);
		wr(p, SLAVE, 0, NONSPECIFIC_EOI);
		wr(p, MASTER, 0, NONSPECIFIC_EOI);
	}
}

static void test_pic_state_round_trips_and_answers_the_same_vectors(void **state)
{
	struct pair a, b;
	struct state_writer wa, wb;
	int from_a[12], from_b[12];

	(void)state;
	pair_init(&a);
	pair_init(&b);
	drive(&a);
	payload_save(&pic8259_state_ops, &a.pic, NOW, &wa);
	assert_int_equal(wa.len, 2 * CHIP_BYTES);
	assert_int_equal(payload_load(&pic8259_state_ops, &b.pic, wa.buf, wa.len, NOW), 0);
	payload_save(&pic8259_state_ops, &b.pic, NOW, &wb);
	assert_same_payload(&wa, &wb);
	/* The fresh pair's INTR rose with the load, and the VM was told. */
	assert_int_equal(b.last_intr, 1);
	assert_true(pic8259_pending(&b.pic));
	/* The master reads ISR (OCW3 kept): nothing in service on either. */
	assert_int_equal(rd(&b, MASTER, 0), rd(&a, MASTER, 0));
	assert_int_equal(rd(&b, MASTER, 1), 0x08);
	answers(&a, from_a);
	answers(&b, from_b);
	assert_memory_equal(from_a, from_b, sizeof(from_a));
	assert_int_equal(from_b[1], 0x2a); /* IRQ 10 first: the cascade outranks IR4 */
	pic8259_destroy(&a.pic);
	pic8259_destroy(&b.pic);
	state_writer_free(&wa);
	state_writer_free(&wb);
}

static void test_pic_state_refuses_values_no_8259a_holds(void **state)
{
	struct pair a, b;
	struct state_writer w;

	(void)state;
	pair_init(&a);
	pair_init(&b);
	drive(&a);
	drive(&b);
	pic8259_set_irq(&b.pic, 5, 1); /* b differs from a: a refused load must not make them equal */
	payload_save(&pic8259_state_ops, &a.pic, NOW, &w);
	assert_field_refused(&pic8259_state_ops, &b.pic, &w, 7, 1, 8, NOW);		 /* lowest IR 8 */
	assert_field_refused(&pic8259_state_ops, &b.pic, &w, CHIP_BYTES + 8, 1, 1, NOW); /* ICW1 next */
	assert_field_refused(&pic8259_state_ops, &b.pic, &w, 8, 1, 5, NOW);		 /* ICW5 */
	assert_field_refused(&pic8259_state_ops, &b.pic, &w, 5, 1, 0x21, NOW);		 /* base 0x21 */
	assert_field_refused(&pic8259_state_ops, &b.pic, &w, 4, 1, 0x01, NOW); /* ELCR: IRQ 0 is always edge */
	assert_field_refused(&pic8259_state_ops, &b.pic, &w, 3, 1, 0x04, NOW); /* a line on the cascade pin */
	assert_field_refused(&pic8259_state_ops, &b.pic, &w, CHIP_BYTES + 0, 1, 0x00,
			     NOW); /* IRQ 10's level request without its IRR bit */
	assert_field_refused(&pic8259_state_ops, &b.pic, &w, 9, 1, 2, NOW); /* a flag of 2 */
	assert_field_accepted(&pic8259_state_ops, &b.pic, &w, 7, 1, 3, NOW);
	pic8259_destroy(&a.pic);
	pic8259_destroy(&b.pic);
	state_writer_free(&w);
}

static void test_pic_state_cut_short_is_refused(void **state)
{
	struct pair a, b;
	struct state_writer w;

	(void)state;
	pair_init(&a);
	pair_init(&b);
	drive(&a);
	payload_save(&pic8259_state_ops, &a.pic, NOW, &w);
	assert_prefixes_refused(&pic8259_state_ops, &b.pic, &w, NOW);
	/* Still the fresh pair: every input masked, so a raised line asks for
	 * nothing, and an INTA gets the default IR7 of the BIOS's base 0x08. */
	pic8259_set_irq(&b.pic, 1, 1);
	assert_false(pic8259_pending(&b.pic));
	assert_int_equal(pic8259_acknowledge(&b.pic), 0x0f);
	pic8259_destroy(&a.pic);
	pic8259_destroy(&b.pic);
	state_writer_free(&w);
}

static void test_pic_reset_is_the_power_on_state(void **state)
{
	struct pair a, fresh;
	struct state_writer wa, wf;

	(void)state;
	pair_init(&a);
	pair_init(&fresh);
	drive(&a);
	pic8259_state_ops.reset(&a.pic);
	assert_int_equal(a.last_intr, 0);
	assert_false(pic8259_pending(&a.pic));
	payload_save(&pic8259_state_ops, &a.pic, NOW, &wa);
	payload_save(&pic8259_state_ops, &fresh.pic, NOW, &wf);
	assert_same_payload(&wa, &wf);
	pic8259_destroy(&a.pic);
	pic8259_destroy(&fresh.pic);
	state_writer_free(&wa);
	state_writer_free(&wf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pic_state_round_trips_and_answers_the_same_vectors),
		cmocka_unit_test(test_pic_state_refuses_values_no_8259a_holds),
		cmocka_unit_test(test_pic_state_cut_short_is_refused),
		cmocka_unit_test(test_pic_reset_is_the_power_on_state),
	};

	return cmocka_run_group_tests_name("pic8259_state", tests, NULL, NULL);
}
