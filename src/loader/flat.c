/* Flat binaries: raw bytes copied to one address and entered in real mode, like a
 * boot sector. Never detected automatically: any file is a valid flat binary. */
#include <stdio.h>
#include <string.h>

#include "loader/boot_setup.h"
#include "loader/format.h"
#include "vm/memory.h"

#define FLAT_DEFAULT_ADDR 0x7c00
#define REAL_MODE_LIMIT 0x100000ull

static int flat_load(const struct file_image *f, const struct load_request *req, struct guest_memory *mem,
		     struct vcpu_state *state, char *why, size_t why_len)
{
	uint64_t addr = req->load_addr_set ? req->load_addr : FLAT_DEFAULT_ADDR;
	void *dst;

	if (req->initrd_path || req->cmdline) {
		snprintf(why, why_len, "%s: a flat binary takes no --initrd or --append", f->path);
		return -1;
	}
	if (f->size == 0) {
		snprintf(why, why_len, "%s: empty file", f->path);
		return -1;
	}
	if (addr >= REAL_MODE_LIMIT || f->size > REAL_MODE_LIMIT - addr) {
		snprintf(
		    why, why_len,
		    "%s: a flat binary runs in real mode and must lie below 1 MiB (load address 0x%llx, %zu bytes)",
		    f->path, (unsigned long long)addr, f->size);
		return -1;
	}
	dst = guest_memory_ptr(mem, addr, f->size);
	if (!dst) {
		snprintf(why, why_len, "%s: does not fit in guest RAM at 0x%llx", f->path, (unsigned long long)addr);
		return -1;
	}
	memcpy(dst, f->data, f->size);
	if (addr <= 0xffff)
		boot_state_real(state, 0, (uint16_t)addr);
	else
		boot_state_real(state, (uint16_t)(addr >> 4), (uint16_t)(addr & 0xf));
	return 0;
}

const struct loader flat_loader = {
	.name = "flat",
	.format = FORMAT_FLAT,
	.detect = NULL,
	.load = flat_load,
};
