#include "vm/snapshot_memory.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "loader/file_image.h"

#define PAGE 4096ull

static int write_at(int fd, const uint8_t *p, uint64_t len, uint64_t off, char *why, size_t why_len)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len > (1u << 30) ? (1u << 30) : len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, why_len, "memory: write: %s", n < 0 ? strerror(errno) : "no progress");
			return -1;
		}
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* The pages of [off, end) of the mapping that are not all zeros, in runs. */
static int write_range(const struct guest_memory *mem, int fd, uint64_t off, uint64_t end, uint64_t *data, char *why,
		       size_t why_len)
{
	while (off < end) {
		uint64_t run;

		while (off < end && guest_page_is_zero(mem->base + off))
			off += PAGE;
		for (run = off; run < end && !guest_page_is_zero(mem->base + run); run += PAGE)
			;
		if (run > off && write_at(fd, mem->base + off, run - off, off, why, why_len))
			return -1;
		*data += run - off;
		off = run;
	}
	return 0;
}

int snapshot_memory_write(const struct guest_memory *mem, int fd, uint64_t *data_bytes, char *why, size_t why_len)
{
	uint64_t off = 0, start, end;

	*data_bytes = 0;
	if (ftruncate(fd, (off_t)mem->size)) {
		snprintf(why, why_len, "memory: cannot make it %llu bytes: %s", (unsigned long long)mem->size,
			 strerror(errno));
		return -1;
	}
	while (guest_memory_next_data(mem, off, &start, &end)) {
		if (end > mem->size)
			end = mem->size;
		if (write_range(mem, fd, start, end, data_bytes, why, why_len))
			return -1;
		off = end;
	}
	return 0;
}

int snapshot_memory_open(const char *path, uint64_t size, char *why, size_t why_len)
{
	uint64_t actual;
	int fd = file_open_regular("snapshot memory ", path, &actual, why, why_len);

	if (fd < 0)
		return -1;
	if (actual != size) {
		snprintf(why, why_len, "snapshot memory %s: %llu bytes, but config.json says the guest has %llu", path,
			 (unsigned long long)actual, (unsigned long long)size);
		close(fd);
		return -1;
	}
	return fd;
}
