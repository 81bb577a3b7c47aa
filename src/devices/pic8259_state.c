/* The 8259A pair's saved state (docs/snapshot-format.md, section "pic").
 *
 * Version 1, per chip (master, then slave): IRR, ISR, IMR, the input levels,
 * ELCR, the vector base, ICW3, the lowest-priority IR, the ICW expected next
 * (0: none), then LTIM, SNGL, IC4, AEOI, rotate-on-AEOI, special mask mode,
 * read-ISR and poll as booleans. INTR and the master's cascade input are not
 * saved: the load recomputes them from the rest. */
#include "devices/pic8259.h"

static void save_chip(struct state_writer *w, const struct pic8259_chip *c)
{
	state_put_u8(w, c->irr);
	state_put_u8(w, c->isr);
	state_put_u8(w, c->imr);
	state_put_u8(w, c->line);
	state_put_u8(w, c->elcr);
	state_put_u8(w, c->vector_base);
	state_put_u8(w, c->icw3);
	state_put_u8(w, c->lowest);
	state_put_u8(w, (uint8_t)c->init_step);
	state_put_bool(w, c->ltim);
	state_put_bool(w, c->single);
	state_put_bool(w, c->icw4_needed);
	state_put_bool(w, c->auto_eoi);
	state_put_bool(w, c->rotate_on_aeoi);
	state_put_bool(w, c->special_mask);
	state_put_bool(w, c->read_isr);
	state_put_bool(w, c->poll);
}

static void load_chip(struct state_reader *r, struct pic8259_chip *c)
{
	c->irr = state_get_u8(r);
	c->isr = state_get_u8(r);
	c->imr = state_get_u8(r);
	c->line = state_get_u8(r);
	c->elcr = state_get_u8(r);
	c->vector_base = state_get_u8(r);
	c->icw3 = state_get_u8(r);
	c->lowest = state_get_u8(r);
	c->init_step = state_get_u8(r);
	c->ltim = state_get_bool(r);
	c->single = state_get_bool(r);
	c->icw4_needed = state_get_bool(r);
	c->auto_eoi = state_get_bool(r);
	c->rotate_on_aeoi = state_get_bool(r);
	c->special_mask = state_get_bool(r);
	c->read_isr = state_get_bool(r);
	c->poll = state_get_bool(r);
}

static void pic_reset(void *dev)
{
	pic8259_reset(dev);
}

static void pic_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct pic8259 *p = dev;

	(void)now_ns;
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < 2; i++)
		save_chip(w, &p->chip[i]);
	pthread_mutex_unlock(&p->lock);
}

/* Both chips are read and checked before either is replaced, so a refused
 * payload leaves the pair as it was. */
static int pic_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct pic8259 *p = dev;
	struct pic8259_chip chip[2];

	(void)version;
	(void)now_ns;
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < 2; i++) {
		chip[i] = p->chip[i]; /* keeps the wiring: pic, is_slave */
		load_chip(r, &chip[i]);
		if (!pic8259_chip_valid(&chip[i]))
			state_reader_fail(r);
	}
	if (state_reader_ok(r, false)) {
		p->chip[0] = chip[0];
		p->chip[1] = chip[1];
		pic8259_resync_locked(p);
	}
	pthread_mutex_unlock(&p->lock);
	return state_reader_ok(r, false) ? 0 : -1;
}

const struct device_state_ops pic8259_state_ops = {
	.version = 1,
	.reset = pic_reset,
	.save = pic_save,
	.load = pic_load,
};
