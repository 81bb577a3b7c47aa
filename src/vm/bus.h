/* Address spaces devices register on: the port-I/O bus and the MMIO bus.
 *
 * Both use one access signature. A range is registered explicitly with the
 * access widths its device implements; a range that overlaps one already
 * registered is refused. An access wider than a device implements, or reaching
 * past its range, is split as an ISA bus splits it (io_bus_read). Bytes that hit
 * no device are answered as the PC answers them (reads all ones, writes ignored)
 * and logged once per address, rate-limited, since the guest controls how many
 * there are.
 *
 * Threads: ranges are registered before vCPUs start and never change afterwards, so
 * lookups take no lock (logging of unclaimed accesses does); each device serializes its own state. */
#ifndef RV_BUS_H
#define RV_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

/* Access sizes, as a set: the OR of the sizes (1, 2, 4, 8) a device implements. */
#define IO_SIZES_BYTE 1u
#define IO_SIZES_UP_TO_4 (1u | 2u | 4u)
#define IO_SIZES_ALL (1u | 2u | 4u | 8u)

struct io_device_ops {
	/* offset < the registered length, size is one of `sizes`, and offset + size
	 * never passes the end of the range: the bus splits every other access (see
	 * io_bus_read). A NULL read answers all ones, a NULL write ignores the value. */
	uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
	void (*write)(void *opaque, uint64_t offset, unsigned size, uint64_t value);
	/* The widths the device implements; must include bytes, which lets the bus
	 * split any access down to what the device takes. */
	unsigned sizes;
};

struct io_range {
	uint64_t base;
	uint64_t len;
	const char *name;
	/* The bus's own copy of the ops the device registered with. */
	struct io_device_ops ops;
	void *opaque;
};

#define BUS_LOGGED_MAX 64

struct io_bus {
	const char *name;	 /* "port" or "mmio", for messages */
	struct io_range *ranges; /* sorted by base */
	size_t count;
	size_t capacity;
	/* Unclaimed addresses logged so far; at most one line per address and
	 * BUS_LOGGED_MAX lines in all. */
	pthread_mutex_t log_lock; /* the slow path of unclaimed accesses only */
	uint64_t logged[BUS_LOGGED_MAX];
	unsigned nlogged;
	bool log_full;
	unsigned long unclaimed; /* accesses that hit no device */
};

void io_bus_init(struct io_bus *bus, const char *name);
void io_bus_destroy(struct io_bus *bus);
/* 0 on success; -1 if len is zero, the range wraps, it overlaps a registered one,
 * or ops->sizes lacks byte accesses or names a size other than 1, 2, 4, 8.
 *
 * The bus copies *ops: nothing it keeps points at the caller's table, so no table
 * can dangle, whatever its storage. (The hypercall port was once registered with
 * a block-scope compound literal, dead when its function returned: a guest's IN
 * from port 0xe8 then called through stack garbage.) A pointer to a table kept
 * by the bus could be made safe only by a rule no compiler checks, since C cannot
 * tell static from automatic storage at a call; a copy needs no rule. The ops
 * tables are still static const objects at file scope, by convention. opaque is
 * kept as given and must live as long as the bus: it is the device's state. */
int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len, const char *name, const struct io_device_ops *ops,
		    void *opaque);
const struct io_range *io_bus_find(const struct io_bus *bus, uint64_t addr);

/* An access of size 1, 2, 4 or 8 at addr, answered as an ISA bus answers it: when
 * the device that owns addr implements the size and owns every byte, it gets the
 * access whole. Otherwise the access is split, from its first byte on, into
 * pieces: each goes to the device owning its first byte, as wide as the largest
 * size that device implements that fits both the rest of the access and the rest
 * of the device's range; bytes no device owns read 0xff and ignore writes (and
 * are logged, once per address). So `in ax, 0x92` reads port 0x92 from its
 * one-port device and 0xff from the unclaimed port 0x93 above it, as on a PC. */
uint64_t io_bus_read(struct io_bus *bus, uint64_t addr, unsigned size);
void io_bus_write(struct io_bus *bus, uint64_t addr, unsigned size, uint64_t value);

/* All ones of an access width. */
static inline uint64_t io_all_ones(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

#endif
