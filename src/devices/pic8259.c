#include "devices/pic8259.h"

#include <string.h>

/* Command word bits (Intel 8259A data sheet, "Initialization Command Words" and
 * "Operation Command Words"). */
#define ICW1_IC4 0x01
#define ICW1_SNGL 0x02
#define ICW1_LTIM 0x08
#define ICW1_IS_ICW1 0x10 /* A0 = 0, D4 = 1 */
#define ICW4_AEOI 0x02
#define OCW3_IS_OCW3 0x08 /* A0 = 0, D4 = 0, D3 = 1 */
#define OCW3_RIS 0x01
#define OCW3_RR 0x02
#define OCW3_POLL 0x04
#define OCW3_SMM 0x20
#define OCW3_ESMM 0x40
#define OCW2_LEVEL 0x07
#define POLL_INTERRUPT 0x80

/* OCW2 bits 7-5: R, SL, EOI. */
enum {
	OCW2_ROTATE_AEOI_CLEAR = 0,
	OCW2_NONSPECIFIC_EOI = 1,
	OCW2_NOP = 2,
	OCW2_SPECIFIC_EOI = 3,
	OCW2_ROTATE_AEOI_SET = 4,
	OCW2_ROTATE_NONSPECIFIC_EOI = 5,
	OCW2_SET_PRIORITY = 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};

static uint8_t level_mask(const struct pic8259_chip *c)
{
	return c->ltim ? 0xff : c->elcr;
}

/* A level-triggered IRR bit is the line itself. */
static void follow_level_lines(struct pic8259_chip *c)
{
	uint8_t level = level_mask(c);

	c->irr = (uint8_t)((c->irr & ~level) | (c->line & level));
}

/* The IR of highest priority among mask, or -1. Priority runs from lowest+1
 * around to lowest. */
static int highest(const struct pic8259_chip *c, uint8_t mask)
{
	for (unsigned k = 1; k <= 8; k++) {
		unsigned ir = (c->lowest + k) & 7;

		if (mask & (1u << ir))
			return (int)ir;
	}
	return -1;
}

/* 0 for the highest priority, 7 for the lowest. */
static unsigned rank(const struct pic8259_chip *c, int ir)
{
	return ((unsigned)ir - c->lowest - 1) & 7;
}

/* In special mask mode a masked level neither requests nor, while in service,
 * holds back lower levels. */
static uint8_t blocking_isr(const struct pic8259_chip *c)
{
	return c->special_mask ? (uint8_t)(c->isr & ~c->imr) : c->isr;
}

/* The IR this chip would raise INT for, or -1. */
static int resolve(const struct pic8259_chip *c)
{
	int req = highest(c, (uint8_t)(c->irr & ~c->imr));
	int busy;

	if (req < 0)
		return -1;
	busy = highest(c, blocking_isr(c));
	if (busy >= 0 && rank(c, busy) <= rank(c, req))
		return -1;
	return req;
}

/* Recompute the cascade and INTR; tell the VM if INTR changed. */
static void update(struct pic8259 *p)
{
	struct pic8259_chip *m = pic8259_master(p);
	bool slave_int = resolve(pic8259_slave(p)) >= 0;
	bool intr;

	m->irr = (uint8_t)((m->irr & ~(1u << PIC_CASCADE_IR)) | (slave_int ? 1u << PIC_CASCADE_IR : 0));
	intr = resolve(m) >= 0;
	if (intr != p->intr) {
		p->intr = intr;
		if (p->intr_changed)
			p->intr_changed(p->intr_opaque, intr);
	}
}

/* The request ir becomes in service (INTA or poll). */
static void service(struct pic8259_chip *c, int ir)
{
	uint8_t bit = (uint8_t)(1u << ir);

	c->irr &= (uint8_t)~bit;
	follow_level_lines(c);
	if (c->auto_eoi) {
		if (c->rotate_on_aeoi)
			c->lowest = (uint8_t)ir;
	} else {
		c->isr |= bit;
	}
}

static void chip_reset(struct pic8259_chip *c, uint8_t vector_base, uint8_t icw3)
{
	c->irr = c->isr = 0;
	c->imr = 0xff;
	c->vector_base = vector_base;
	c->icw3 = icw3;
	c->lowest = 7;
	c->init_step = 0;
}

void pic8259_init(struct pic8259 *p)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	for (unsigned i = 0; i < 2; i++)
		p->chip[i].pic = p;
	p->chip[1].is_slave = true;
	chip_reset(pic8259_master(p), 0x08, 1u << PIC_CASCADE_IR);
	chip_reset(pic8259_slave(p), 0x70, PIC_CASCADE_IR);
}

void pic8259_destroy(struct pic8259 *p)
{
	pthread_mutex_destroy(&p->lock);
}

void pic8259_reset(struct pic8259 *p)
{
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < 2; i++) {
		struct pic8259_chip *c = &p->chip[i];

		*c = (struct pic8259_chip){ .pic = p, .is_slave = i == 1 };
	}
	chip_reset(pic8259_master(p), 0x08, 1u << PIC_CASCADE_IR);
	chip_reset(pic8259_slave(p), 0x70, PIC_CASCADE_IR);
	update(p);
	pthread_mutex_unlock(&p->lock);
}

static void set_input(struct pic8259_chip *c, unsigned ir, int level)
{
	uint8_t bit = (uint8_t)(1u << ir);

	if (level) {
		if (!(c->line & bit))
			c->irr |= bit; /* rising edge; a level line sets it too */
		c->line |= bit;
	} else {
		c->line &= (uint8_t)~bit;
		if (level_mask(c) & bit)
			c->irr &= (uint8_t)~bit;
	}
}

void pic8259_set_irq(struct pic8259 *p, unsigned irq, int level)
{
	if (irq >= PIC_IRQ_COUNT || irq == PIC_CASCADE_IR)
		return;
	pthread_mutex_lock(&p->lock);
	set_input(&p->chip[irq / 8], irq % 8, level);
	update(p);
	pthread_mutex_unlock(&p->lock);
}

void pic8259_irq_set(void *controller, unsigned pin, int level)
{
	pic8259_set_irq(controller, pin, level);
}

bool pic8259_pending(struct pic8259 *p)
{
	bool intr;

	pthread_mutex_lock(&p->lock);
	intr = p->intr;
	pthread_mutex_unlock(&p->lock);
	return intr;
}

static bool is_cascade(const struct pic8259_chip *m, int ir)
{
	return ir == PIC_CASCADE_IR && !m->single;
}

int pic8259_acknowledge(struct pic8259 *p)
{
	struct pic8259_chip *m = pic8259_master(p), *s = pic8259_slave(p);
	int ir, vector;

	pthread_mutex_lock(&p->lock);
	ir = resolve(m);
	if (ir < 0) {
		vector = m->vector_base + 7; /* default IR7: no ISR bit */
	} else {
		service(m, ir);
		vector = m->vector_base + ir;
		if (is_cascade(m, ir)) {
			int sir = resolve(s);

			if (sir < 0) {
				vector = s->vector_base + 7;
			} else {
				service(s, sir);
				vector = s->vector_base + sir;
			}
		}
	}
	update(p);
	pthread_mutex_unlock(&p->lock);
	return vector;
}

/* The poll word: bit 7 set if a request is being served, bits 2-0 its level. */
static uint8_t poll_read(struct pic8259_chip *c)
{
	int ir = resolve(c);

	c->poll = false;
	if (ir < 0)
		return 0;
	service(c, ir);
	return (uint8_t)(POLL_INTERRUPT | ir);
}

static uint8_t read_reg(struct pic8259_chip *c, unsigned reg)
{
	if (c->poll)
		return poll_read(c);
	if (reg == 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

static void write_icw1(struct pic8259_chip *c, uint8_t v)
{
	c->ltim = v & ICW1_LTIM;
	c->single = v & ICW1_SNGL;
	c->icw4_needed = v & ICW1_IC4;
	/* "Initialization Command Words": the edge sense circuit is reset (an edge
	 * input needs a new low-to-high transition), the IMR is cleared, IR7 gets the
	 * lowest priority, special mask mode is cleared, status read is set to IRR,
	 * and without IC4 every ICW4 function is zero. */
	c->irr = 0;
	c->isr = 0;
	c->imr = 0;
	c->lowest = 7;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->auto_eoi = false;
	c->rotate_on_aeoi = false;
	follow_level_lines(c);
	c->init_step = 2;
}

static void write_ocw2(struct pic8259_chip *c, uint8_t v)
{
	int ir = v & OCW2_LEVEL;

	switch (v >> 5) {
	case OCW2_ROTATE_AEOI_CLEAR:
		c->rotate_on_aeoi = false;
		return;
	case OCW2_ROTATE_AEOI_SET:
		c->rotate_on_aeoi = true;
		return;
	case OCW2_NONSPECIFIC_EOI:
	case OCW2_ROTATE_NONSPECIFIC_EOI:
		/* In special mask mode a masked ISR bit is not reset by a non-specific EOI. */
		ir = highest(c, blocking_isr(c));
		if (ir < 0)
			return;
		break;
	case OCW2_SPECIFIC_EOI:
	case OCW2_ROTATE_SPECIFIC_EOI:
		break;
	case OCW2_SET_PRIORITY:
		c->lowest = (uint8_t)ir;
		return;
	default:
		return;
	}
	c->isr &= (uint8_t) ~(1u << ir);
	if (v & 0x80)
		c->lowest = (uint8_t)ir;
}

static void write_ocw3(struct pic8259_chip *c, uint8_t v)
{
	if (v & OCW3_ESMM)
		c->special_mask = v & OCW3_SMM;
	if (v & OCW3_RR)
		c->read_isr = v & OCW3_RIS;
	c->poll = v & OCW3_POLL;
}

static void write_odd(struct pic8259_chip *c, uint8_t v)
{
	switch (c->init_step) {
	case 2:
		c->vector_base = v & 0xf8;
		c->init_step = !c->single ? 3 : c->icw4_needed ? 4 : 0;
		return;
	case 3:
		c->icw3 = v;
		c->init_step = c->icw4_needed ? 4 : 0;
		return;
	case 4:
		c->auto_eoi = v & ICW4_AEOI;
		c->init_step = 0;
		return;
	default:
		c->imr = v;
		return;
	}
}

static void write_reg(struct pic8259_chip *c, unsigned reg, uint8_t v)
{
	if (reg == 1)
		write_odd(c, v);
	else if (v & ICW1_IS_ICW1)
		write_icw1(c, v);
	else if (v & OCW3_IS_OCW3)
		write_ocw3(c, v);
	else
		write_ocw2(c, v);
}

/* Wide accesses reach consecutive ports one byte at a time, as on the ISA bus. */
static uint64_t pic_read(void *opaque, uint64_t offset, unsigned size)
{
	struct pic8259_chip *c = opaque;
	uint64_t value = 0;

	pthread_mutex_lock(&c->pic->lock);
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = offset + i < PIC_PORT_COUNT ? read_reg(c, (unsigned)(offset + i)) : 0xff;

		value |= (uint64_t)b << (8 * i);
	}
	update(c->pic);
	pthread_mutex_unlock(&c->pic->lock);
	return value;
}

static void pic_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct pic8259_chip *c = opaque;

	pthread_mutex_lock(&c->pic->lock);
	for (unsigned i = 0; i < size && offset + i < PIC_PORT_COUNT; i++)
		write_reg(c, (unsigned)(offset + i), (uint8_t)(value >> (8 * i)));
	update(c->pic);
	pthread_mutex_unlock(&c->pic->lock);
}

const struct io_device_ops pic8259_ops = { .read = pic_read, .write = pic_write, .sizes = IO_SIZES_ALL };

/* PIIX: IRQ 0, 1, 2 (master bits 0-2) and 8, 13 (slave bits 0, 5) are always edge. */
static const uint8_t elcr_writable[2] = { 0xf8, 0xde };

static uint64_t elcr_read(void *opaque, uint64_t offset, unsigned size)
{
	struct pic8259 *p = opaque;
	uint64_t value = 0;

	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = offset + i < PIC_ELCR_PORT_COUNT ? p->chip[offset + i].elcr : 0xff;

		value |= (uint64_t)b << (8 * i);
	}
	pthread_mutex_unlock(&p->lock);
	return value;
}

static void elcr_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct pic8259 *p = opaque;

	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < size && offset + i < PIC_ELCR_PORT_COUNT; i++) {
		struct pic8259_chip *c = &p->chip[offset + i];

		c->elcr = (uint8_t)(value >> (8 * i)) & elcr_writable[offset + i];
		follow_level_lines(c);
	}
	update(p);
	pthread_mutex_unlock(&p->lock);
}

const struct io_device_ops pic8259_elcr_ops = { .read = elcr_read, .write = elcr_write, .sizes = IO_SIZES_ALL };

bool pic8259_chip_valid(const struct pic8259_chip *c)
{
	/* The master's IR2 follows the slave whatever its trigger mode. */
	uint8_t level = (uint8_t)(level_mask(c) & (c->is_slave ? 0xff : ~(1u << PIC_CASCADE_IR)));

	if ((c->vector_base & 7) || c->lowest > 7 || c->init_step == 1 || c->init_step > 4)
		return false;
	if (c->elcr & ~elcr_writable[c->is_slave])
		return false;
	if (!c->is_slave && (c->line & (1u << PIC_CASCADE_IR)))
		return false; /* set_irq never drives the cascade input */
	return (c->irr & level) == (c->line & level);
}

void pic8259_resync_locked(struct pic8259 *p)
{
	update(p);
}
