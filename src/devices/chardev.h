/* Where a character device's output goes: the host side of a serial line. */
#ifndef RV_CHARDEV_H
#define RV_CHARDEV_H

#include <stddef.h>
#include <stdint.h>

struct chardev {
	void (*write)(void *opaque, const uint8_t *buf, size_t len);
	void *opaque;
};

static inline void chardev_write(const struct chardev *c, const uint8_t *buf, size_t len)
{
	if (c && c->write)
		c->write(c->opaque, buf, len);
}

#endif
