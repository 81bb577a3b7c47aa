/* The 8259A pair and the 8254 PIT as the tick-counting test guests set them
 * up: both PICs remapped, to vectors 0x20 and 0x28 as Linux does, with only
 * IRQ 0 unmasked; the PIT's counter 0 in mode 2 at about 1 kHz. The guest
 * acknowledges each tick with pic_eoi(). */
#ifndef GUEST_PIC_PIT_H
#define GUEST_PIC_PIT_H

#include "io.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIT_CH0 0x40
#define PIT_CTRL 0x43
#define PIT_DIVISOR_1KHZ 1193 /* 1193182 Hz / 1193 = 1000.15 Hz */

static inline void pic_init(void)
{
	/* ICW1: edge, cascade, ICW4 follows; ICW2: vector bases; ICW3: slave on IR2
	 * (master) / cascade identity 2 (slave); ICW4: 8086 mode. */
	outb(PIC1_CMD, 0x11);
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, 0x20);
	outb(PIC2_DATA, 0x28);
	outb(PIC1_DATA, 0x04);
	outb(PIC2_DATA, 0x02);
	outb(PIC1_DATA, 0x01);
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xfe); /* only IRQ 0 unmasked */
	outb(PIC2_DATA, 0xff);
}

static inline void pic_eoi(void)
{
	outb(PIC1_CMD, 0x20); /* non-specific EOI */
}

static inline void pit_start_1khz(void)
{
	outb(PIT_CTRL, 0x34); /* counter 0, LSB then MSB, mode 2 */
	outb(PIT_CH0, PIT_DIVISOR_1KHZ & 0xff);
	outb(PIT_CH0, PIT_DIVISOR_1KHZ >> 8);
}

#endif
