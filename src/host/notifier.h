/* A notifier: an eventfd that one thread signals and another thread waits on
 * (by polling its fd in an event loop). Signals coalesce: any number of
 * signals before the waiter consumes them are seen as one. Used so that a
 * vCPU thread hands work to the I/O thread with one write(2) and never does
 * the work itself. */
#ifndef RV_HOST_NOTIFIER_H
#define RV_HOST_NOTIFIER_H

#include <stdbool.h>

struct notifier {
	int fd; /* an eventfd, non-blocking; -1 when not initialised */
};

/* 0, or -1 with errno set (no eventfd could be had). */
int notifier_init(struct notifier *n);
/* Any thread; never blocks (the counter cannot overflow in practice: a full
 * one already means "signalled"). Async-signal-safe. */
void notifier_signal(struct notifier *n);
/* Resets the notifier; true if it had been signalled since the last call. */
bool notifier_consume(struct notifier *n);
void notifier_destroy(struct notifier *n);

#endif
