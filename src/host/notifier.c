#include "host/notifier.h"

#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

int notifier_init(struct notifier *n)
{
	n->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return n->fd < 0 ? -1 : 0;
}

void notifier_signal(struct notifier *n)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is full, which is signalled already; there is
	 * nothing else a write to a valid eventfd can fail with. */
	if (write(n->fd, &one, sizeof(one)) < 0)
		return;
}

bool notifier_consume(struct notifier *n)
{
	uint64_t count;

	return read(n->fd, &count, sizeof(count)) == sizeof(count);
}

void notifier_destroy(struct notifier *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}
