#include "vm/bus.h"

#include <stdlib.h>
#include <string.h>

void io_bus_init(struct io_bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	pthread_mutex_init(&bus->log_lock, NULL);
}

void io_bus_destroy(struct io_bus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->count = bus->capacity = 0;
	pthread_mutex_destroy(&bus->log_lock);
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	/* Inclusive ends, so that a range ending at 2^64 - 1 needs no wider type. */
	return a <= b + (blen - 1) && b <= a + (alen - 1);
}

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len, const char *name, const struct io_device_ops *ops,
		    void *opaque)
{
	size_t pos = 0;

	if (len == 0 || base + (len - 1) < base || !(ops->sizes & 1) || (ops->sizes & ~IO_SIZES_ALL))
		return -1;
	for (size_t i = 0; i < bus->count; i++) {
		if (ranges_overlap(base, len, bus->ranges[i].base, bus->ranges[i].len))
			return -1;
		if (bus->ranges[i].base < base)
			pos = i + 1;
	}
	if (bus->count == bus->capacity) {
		size_t cap = bus->capacity ? bus->capacity * 2 : 8;
		struct io_range *r = realloc(bus->ranges, cap * sizeof(*r));

		if (!r)
			return -1;
		bus->ranges = r;
		bus->capacity = cap;
	}
	memmove(&bus->ranges[pos + 1], &bus->ranges[pos], (bus->count - pos) * sizeof(*bus->ranges));
	bus->ranges[pos] = (struct io_range){ .base = base, .len = len, .name = name, .ops = *ops, .opaque = opaque };
	bus->count++;
	return 0;
}

const struct io_range *io_bus_find(const struct io_bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct io_range *r = &bus->ranges[mid];

		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

static void note_unclaimed(struct io_bus *bus, const char *what, uint64_t addr, unsigned size)
{
	__atomic_fetch_add(&bus->unclaimed, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&bus->log_full, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&bus->log_lock);
	for (unsigned i = 0; i < bus->nlogged; i++) {
		if (bus->logged[i] == addr) {
			pthread_mutex_unlock(&bus->log_lock);
			return;
		}
	}
	bus->logged[bus->nlogged++] = addr;
	log_warn("guest %s of %u bytes at unclaimed %s address 0x%llx (reads all ones, writes ignored)", what, size,
		 bus->name, (unsigned long long)addr);
	if (bus->nlogged == BUS_LOGGED_MAX) {
		__atomic_store_n(&bus->log_full, true, __ATOMIC_RELAXED);
		log_warn("further unclaimed %s accesses are not logged", bus->name);
	}
	pthread_mutex_unlock(&bus->log_lock);
}

/* The first range above addr, or NULL: where a run of unclaimed bytes ends. */
static const struct io_range *next_range(const struct io_bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bus->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < bus->count ? &bus->ranges[lo] : NULL;
}

/* How many of the want bytes at addr the piece answered by r takes (see bus.h). */
static unsigned piece_size(const struct io_range *r, uint64_t addr, unsigned want)
{
	uint64_t room = r->len - (addr - r->base);

	for (unsigned s = 8; s > 1; s >>= 1)
		if (s <= want && s <= room && (r->ops.sizes & s))
			return s;
	return 1;
}

/* How many of the want bytes at addr (owned by no device) no device owns. */
static unsigned unclaimed_run(const struct io_bus *bus, uint64_t addr, unsigned want)
{
	const struct io_range *next = next_range(bus, addr);

	return next && next->base - addr < want ? (unsigned)(next->base - addr) : want;
}

/* Does the device owning addr (r) take the access as it is? size is 1 to 8. */
static bool whole(const struct io_range *r, uint64_t addr, unsigned size)
{
	bool power_of_two = (size & (size - 1)) == 0;

	return r && power_of_two && (r->ops.sizes & size) && size <= r->len - (addr - r->base);
}

uint64_t io_bus_read(struct io_bus *bus, uint64_t addr, unsigned size)
{
	const struct io_range *r = io_bus_find(bus, addr);
	uint64_t value = 0;

	if (size > 8)
		size = 8; /* no caller asks for more: the value has 8 bytes */
	if (whole(r, addr, size))
		return r->ops.read ? r->ops.read(r->opaque, addr - r->base, size) & io_all_ones(size)
				   : io_all_ones(size);
	for (unsigned pos = 0, n; pos < size; pos += n) {
		uint64_t a = addr + pos, piece;

		r = io_bus_find(bus, a);
		if (r) {
			n = piece_size(r, a, size - pos);
			piece = r->ops.read ? r->ops.read(r->opaque, a - r->base, n) : ~0ull;
		} else {
			n = unclaimed_run(bus, a, size - pos);
			note_unclaimed(bus, "read", a, n);
			piece = ~0ull;
		}
		value |= (piece & io_all_ones(n)) << (8 * pos);
	}
	return value;
}

void io_bus_write(struct io_bus *bus, uint64_t addr, unsigned size, uint64_t value)
{
	const struct io_range *r = io_bus_find(bus, addr);

	if (size > 8)
		size = 8;
	value &= io_all_ones(size);
	if (whole(r, addr, size)) {
		if (r->ops.write)
			r->ops.write(r->opaque, addr - r->base, size, value);
		return;
	}
	for (unsigned pos = 0, n; pos < size; pos += n) {
		uint64_t a = addr + pos;

		r = io_bus_find(bus, a);
		if (r) {
			n = piece_size(r, a, size - pos);
			if (r->ops.write)
				r->ops.write(r->opaque, a - r->base, n, (value >> (8 * pos)) & io_all_ones(n));
		} else {
			n = unclaimed_run(bus, a, size - pos);
			note_unclaimed(bus, "write", a, n);
		}
	}
}
