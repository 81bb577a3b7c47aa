/* Multiboot v1 (the Multiboot Specification 0.6.96): header search, loading by
 * ELF program headers or by the header's address fields, and the information
 * structure with memory map, command line and modules. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "loader/boot_place.h"
#include "loader/boot_setup.h"
#include "loader/elf.h"
#include "vm/memory.h"

#define MB_HEADER_MAGIC 0x1badb002u
#define MB_BOOT_MAGIC 0x2badb002u
#define MB_SEARCH_LEN 8192
#define MB_FLAG_PAGE_ALIGN (1u << 0)
#define MB_FLAG_MEMORY_INFO (1u << 1)
#define MB_FLAG_VIDEO_MODE (1u << 2)
#define MB_FLAG_ADDRESSES (1u << 16)
/* Requirement bits (0-15) a loader must understand; video mode is accepted and not
 * honoured, as QEMU does, since there is no display. */
#define MB_FLAGS_UNDERSTOOD (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO_MODE)

#define MBI_MEM (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
#define MBI_MMAP (1u << 6)
#define MBI_LOADER_NAME (1u << 9)

/* Where the pieces of the information go inside the boot-info page. */
#define MBI_OFF 0
#define MBI_NAME_OFF 0x80
#define MBI_MMAP_OFF 0x100
#define MBI_MODS_OFF 0x200
#define MBI_MODSTR_OFF 0x220
#define MBI_MODSTR_MAX 256
#define MBI_CMDLINE_OFF 0x400
#define MBI_CMDLINE_MAX ((int)(BOOT_INFO_SIZE - MBI_CMDLINE_OFF))

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table, boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe[4];
	uint32_t framebuffer[7];
};

struct mb_module {
	uint32_t start, end, string, reserved;
};

struct __attribute__((packed)) mb_mmap_entry {
	uint32_t size; /* of the rest of the entry */
	uint64_t base, len;
	uint32_t type;
};

/* Offset of a valid header in the first 8 KiB, 32-bit aligned, or -1. */
static long find_header(const struct file_image *f, struct mb_header *h)
{
	size_t limit = f->size < MB_SEARCH_LEN ? f->size : MB_SEARCH_LEN;

	for (size_t off = 0; off + 12 <= limit; off += 4) {
		uint32_t w[3];

		memcpy(w, f->data + off, sizeof(w));
		if (w[0] == MB_HEADER_MAGIC && (uint32_t)(w[0] + w[1] + w[2]) == 0) {
			memset(h, 0, sizeof(*h));
			memcpy(h, f->data + off, f->size - off < sizeof(*h) ? f->size - off : sizeof(*h));
			return (long)off;
		}
	}
	return -1;
}

static bool multiboot_detect(const struct file_image *f)
{
	struct mb_header h;

	return find_header(f, &h) >= 0;
}

/* Load by the header's address fields (the "a.out kludge", flag bit 16). */
static int load_by_addresses(const struct file_image *f, long hoff, const struct mb_header *h, struct guest_memory *mem,
			     uint64_t *end, struct boot_used *used, char *why, size_t why_len)
{
	uint64_t file_start, load_len, load_end, bss_end;

	if ((uint64_t)hoff + sizeof(*h) > f->size || h->header_addr < h->load_addr ||
	    h->header_addr - h->load_addr > (uint64_t)hoff) {
		snprintf(why, why_len, "%s: Multiboot header address fields are inconsistent", f->path);
		return -1;
	}
	file_start = (uint64_t)hoff - (h->header_addr - h->load_addr);
	load_end = h->load_end_addr ? h->load_end_addr : h->load_addr + (f->size - file_start);
	bss_end = h->bss_end_addr ? h->bss_end_addr : load_end;
	if (load_end < h->load_addr || bss_end < load_end) {
		snprintf(why, why_len, "%s: Multiboot load or bss end lies below its start", f->path);
		return -1;
	}
	load_len = load_end - h->load_addr;
	if (load_len > f->size - file_start) {
		snprintf(why, why_len, "%s: truncated Multiboot kernel (load_end_addr past the end of the file)",
			 f->path);
		return -1;
	}
	if (load_piece(mem, h->load_addr, f->data + file_start, load_len, bss_end - load_end, "Multiboot kernel", why,
		       why_len))
		return -1;
	boot_used_add(used, h->load_addr, bss_end - h->load_addr);
	*end = bss_end;
	return 0;
}

static int load_kernel(const struct file_image *f, long hoff, const struct mb_header *h, struct guest_memory *mem,
		       uint64_t *end, uint32_t *entry, struct boot_used *used, char *why, size_t why_len)
{
	struct elf_info info;

	if (h->flags & MB_FLAG_ADDRESSES) {
		*entry = h->entry_addr;
		return load_by_addresses(f, hoff, h, mem, end, used, why, why_len);
	}
	if (!elf_is_elf(f)) {
		snprintf(why, why_len, "%s: Multiboot kernel is neither ELF nor has load addresses (flag 16)", f->path);
		return -1;
	}
	if (elf_check(f, &info, why, why_len))
		return -1;
	if (info.is64) {
		snprintf(why, why_len, "%s: a Multiboot kernel must be a 32-bit ELF file", f->path);
		return -1;
	}
	*entry = (uint32_t)info.entry;
	return elf_load_segments(f, &info, mem, end, used, why, why_len);
}

static unsigned build_mmap(const struct guest_memory *mem, struct mb_mmap_entry *e)
{
	struct boot_mem_range r[BOOT_MAP_MAX];
	unsigned n = boot_memory_map(mem, r);

	for (unsigned i = 0; i < n; i++)
		e[i] = (struct mb_mmap_entry){ 20, r[i].base, r[i].len, r[i].type };
	return n;
}

/* Module 0 (--initrd) goes at the first page boundary after the kernel, as QEMU
 * places it; if RAM there is not free (a kernel linked low, below the EBDA), at
 * the lowest free page-aligned RAM. Its string is written later, into the
 * information page. */
static int load_module(const struct load_request *req, struct guest_memory *mem, uint64_t kernel_end,
		       struct boot_used *used, struct mb_module *mod, char *why, size_t why_len)
{
	struct file_image initrd;
	struct stat st;
	/* A module lies in RAM below 4 GiB: a file larger than that RAM fits nowhere,
	 * and is refused before it is read into host memory. */
	uint64_t room = guest_memory_low_end(mem) < (1ull << 32) ? guest_memory_low_end(mem) : (1ull << 32);
	uint64_t start;
	int rc;

	if (stat(req->initrd_path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > room) {
		snprintf(
		    why, why_len,
		    "%s: the module (%llu bytes) does not fit in guest RAM below 4 GiB outside the kernel (see --mem)",
		    req->initrd_path, (unsigned long long)st.st_size);
		return -1;
	}
	if (initrd_image_read(&initrd, req->initrd_path, (size_t)room, why, why_len))
		return -1;
	rc = -1;
	if (boot_alloc(mem, used, (kernel_end + 4095) & ~4095ull, initrd.size ? initrd.size : 1, &start)) {
		snprintf(
		    why, why_len,
		    "%s: the module (%zu bytes) does not fit in guest RAM below 4 GiB outside the kernel (see --mem)",
		    req->initrd_path, initrd.size);
		goto out;
	}
	if (load_piece(mem, start, initrd.data, initrd.size, 0, "Multiboot module (--initrd)", why, why_len))
		goto out;
	mod->start = (uint32_t)start;
	mod->end = (uint32_t)(start + initrd.size);
	rc = 0;
out:
	file_image_free(&initrd);
	return rc;
}

/* The module string is its file name, as GRUB and QEMU pass it; truncated at the
 * front to fit. */
static const char *module_string(const char *path)
{
	size_t len = strlen(path);

	return len >= MBI_MODSTR_MAX ? path + len - (MBI_MODSTR_MAX - 1) : path;
}

static int multiboot_load(const struct file_image *f, const struct load_request *req, struct guest_memory *mem,
			  struct vcpu_state *state, char *why, size_t why_len)
{
	static const char loader_name[] = "ringvisor";
	struct mb_mmap_entry mmap[BOOT_MAP_MAX];
	struct mb_info mbi = { 0 };
	struct mb_module mod = { 0 };
	struct boot_used used = { 0 };
	struct boot_layout l;
	struct mb_header h;
	char cmdline[MBI_CMDLINE_MAX];
	uint64_t end, low_end = guest_memory_low_end(mem);
	uint32_t entry;
	long hoff = find_header(f, &h);
	unsigned nmmap;
	int len;

	if (hoff < 0) {
		snprintf(why, why_len, "%s: no Multiboot header in the first 8 KiB", f->path);
		return -1;
	}
	if (h.flags & 0xffff & ~MB_FLAGS_UNDERSTOOD) {
		snprintf(why, why_len, "%s: Multiboot header requires features ringvisor does not offer (flags 0x%x)",
			 f->path, h.flags & 0xffff);
		return -1;
	}
	/* The command line is the kernel's path, then --append, as GRUB and QEMU pass it. */
	len = snprintf(cmdline, sizeof(cmdline), "%s%s%s", f->path, req->cmdline ? " " : "",
		       req->cmdline ? req->cmdline : "");
	if (len < 0 || (size_t)len >= sizeof(cmdline)) {
		snprintf(why, why_len, "command line too long for Multiboot (at most %d bytes with the kernel path)",
			 MBI_CMDLINE_MAX - 1);
		return -1;
	}
	if (load_kernel(f, hoff, &h, mem, &end, &entry, &used, why, why_len))
		return -1;
	if (req->initrd_path && load_module(req, mem, end, &used, &mod, why, why_len))
		return -1;
	/* The GDT and the information go where the kernel and module are not; paging
	 * is off at entry, so there are no page tables. */
	if (boot_place(mem, &used, BOOT_NEED_INFO, &l, why, why_len))
		return -1;
	if (boot_write_tables_at(mem, &l)) {
		snprintf(why, why_len, "guest RAM is too small for the boot GDT");
		return -1;
	}
	mod.string = req->initrd_path ? (uint32_t)(l.info + MBI_MODSTR_OFF) : 0;

	nmmap = build_mmap(mem, mmap);
	mbi.flags = MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME;
	mbi.mem_lower = 640;
	mbi.mem_upper = low_end > 0x100000 ? (uint32_t)((low_end - 0x100000) / 1024) : 0;
	mbi.cmdline = (uint32_t)(l.info + MBI_CMDLINE_OFF);
	mbi.mods_count = req->initrd_path ? 1 : 0;
	mbi.mods_addr = (uint32_t)(l.info + MBI_MODS_OFF);
	mbi.mmap_length = nmmap * sizeof(mmap[0]);
	mbi.mmap_addr = (uint32_t)(l.info + MBI_MMAP_OFF);
	mbi.boot_loader_name = (uint32_t)(l.info + MBI_NAME_OFF);
	if (guest_memory_write(mem, l.info + MBI_OFF, &mbi, sizeof(mbi)) ||
	    guest_memory_write(mem, l.info + MBI_NAME_OFF, loader_name, sizeof(loader_name)) ||
	    guest_memory_write(mem, l.info + MBI_MMAP_OFF, mmap, mbi.mmap_length) ||
	    guest_memory_write(mem, l.info + MBI_MODS_OFF, &mod, sizeof(mod)) ||
	    (req->initrd_path && guest_memory_write(mem, l.info + MBI_MODSTR_OFF, module_string(req->initrd_path),
						    strlen(module_string(req->initrd_path)) + 1)) ||
	    guest_memory_write(mem, l.info + MBI_CMDLINE_OFF, cmdline, (uint64_t)len + 1)) {
		snprintf(why, why_len, "guest RAM is too small for the Multiboot information");
		return -1;
	}
	boot_state_prot32(state, entry);
	boot_state_set_layout(state, &l);
	state->gpr[GPR_RAX] = MB_BOOT_MAGIC;
	state->gpr[GPR_RBX] = l.info + MBI_OFF;
	return 0;
}

const struct loader multiboot_loader = {
	.name = "multiboot",
	.format = FORMAT_MULTIBOOT,
	.detect = multiboot_detect,
	.load = multiboot_load,
};
