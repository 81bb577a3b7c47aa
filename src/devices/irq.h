/* An interrupt request line from a device to an interrupt controller.
 *
 * A line with no controller attached (set == NULL) goes nowhere, as on a board
 * where the pin is not wired; devices raise and lower it the same either way. */
#ifndef RV_IRQ_H
#define RV_IRQ_H

struct irq_line {
	void (*set)(void *controller, unsigned pin, int level);
	void *controller;
	unsigned pin;
};

static inline void irq_line_set(const struct irq_line *line, int level)
{
	if (line->set)
		line->set(line->controller, line->pin, level);
}

#endif
