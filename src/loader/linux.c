/* The Linux x86 boot protocol (Documentation/arch/x86/boot.rst), 64-bit entry:
 * a bzImage's protected-mode kernel is loaded where its header asks, the "zero
 * page" (struct boot_params) gets the setup header, the command line, the initrd
 * and the e820 memory map, and the CPU enters at the 64-bit entry point (load
 * address + 0x200) in long mode with RSI pointing at the zero page. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "loader/boot_place.h"
#include "loader/boot_setup.h"
#include "loader/elf.h"
#include "loader/format.h"
#include "vm/memory.h"
#include "x86/arch.h"
#include "x86/descriptor.h"

/* Offsets in the bzImage / zero page (boot.rst, "The real-mode kernel header"
 * and zero-page.rst). */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_SYSSIZE 0x1f4
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP_END 0x201 /* the header ends at 0x202 + this byte */
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define HDR_MIN_SIZE 0x264 /* the header up to init_size, the last field read */
#define ZP_EXT_RAMDISK_IMAGE 0x0c0
#define ZP_EXT_RAMDISK_SIZE 0x0c4
#define ZP_EXT_CMD_LINE_PTR 0x0c8
#define ZP_E820_ENTRIES 0x1e8
#define ZP_E820_TABLE 0x2d0

#define XLF_KERNEL_64 0x1
#define LOADED_HIGH 0x01
#define PROTOCOL_64BIT_ENTRY 0x020c
#define LINUX_DEFAULT_CMDLINE "console=ttyS0"
#define LINUX_LOADER_UNDEFINED 0xff
/* The 64-bit entry's segments: __BOOT_CS and __BOOT_DS of the protocol. */
#define LINUX_BOOT_CS 0x10
#define LINUX_BOOT_DS 0x18

/* Where Ringvisor puts the zero page and the command line: below 640 KiB, after
 * its own boot structures. */
#define LINUX_ZERO_PAGE 0x10000ull
#define LINUX_CMDLINE 0x11000ull
#define LINUX_CMDLINE_MAX 4096

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static bool has_signatures(const struct file_image *f)
{
	return f->size >= HDR_MAGIC + 4 && memcmp(f->data + HDR_MAGIC, "HdrS", 4) == 0 &&
	       f->data[HDR_BOOT_FLAG] == 0x55 && f->data[HDR_BOOT_FLAG + 1] == 0xaa;
}

/* The signatures alone: a truncated bzImage is still recognised, and then
 * refused as truncated rather than as no kernel at all. */
static bool linux_detect(const struct file_image *f)
{
	return has_signatures(f);
}

/* Is the file a whole bzImage? A file with both signatures is a bzImage, so a
 * short one is reported as truncated: in the setup header, in the real-mode setup
 * code ((setup_sects + 1) sectors), or in the protected-mode kernel after them,
 * whose length syssize gives in 16-byte paragraphs (4 bytes wide since protocol
 * 2.04). Bytes beyond syssize (a signature appended to the image) are allowed.
 * Sets *kernel_off to where the protected-mode kernel starts in the file. */
static int check_image(const struct file_image *f, uint64_t *kernel_off, char *why, size_t why_len)
{
	const uint8_t *d = f->data;
	uint64_t syssize_bytes;
	unsigned setup_sects;

	if (f->size < HDR_MAGIC + 4 || memcmp(d + HDR_MAGIC, "HdrS", 4) != 0) {
		snprintf(why, why_len, "%s: not a Linux bzImage (no \"HdrS\" signature at 0x%x)", f->path, HDR_MAGIC);
		return -1;
	}
	if (!has_signatures(f)) {
		snprintf(why, why_len, "%s: not a Linux bzImage (boot_flag at 0x%x is not 0xaa55)", f->path,
			 HDR_BOOT_FLAG);
		return -1;
	}
	if (f->size < HDR_MIN_SIZE) {
		snprintf(why, why_len,
			 "%s: truncated bzImage: %zu bytes end inside the setup header (0x%x bytes or more)", f->path,
			 f->size, HDR_MIN_SIZE);
		return -1;
	}
	setup_sects = d[HDR_SETUP_SECTS] ? d[HDR_SETUP_SECTS] : 4;
	*kernel_off = (uint64_t)(setup_sects + 1) * 512;
	if (f->size <= *kernel_off) {
		snprintf(why, why_len,
			 "%s: truncated bzImage: %zu bytes end before the protected-mode kernel at 0x%llx "
			 "(setup_sects %u)",
			 f->path, f->size, (unsigned long long)*kernel_off, setup_sects);
		return -1;
	}
	syssize_bytes = (uint64_t)rd32(d + HDR_SYSSIZE) * 16;
	if (f->size - *kernel_off < syssize_bytes) {
		snprintf(why, why_len,
			 "%s: truncated bzImage: the protected-mode kernel has %llu of the %llu bytes syssize declares",
			 f->path, (unsigned long long)(f->size - *kernel_off), (unsigned long long)syssize_bytes);
		return -1;
	}
	return 0;
}

/* The GDT the 64-bit entry expects: flat 64-bit code at 0x10, flat data at 0x18. */
static int write_linux_gdt(struct guest_memory *mem, uint64_t at, struct vcpu_state *s)
{
	struct x86_segment seg;
	uint64_t gdt[4] = { 0 };

	x86_segment_flat(&seg, LINUX_BOOT_CS, SEG_TYPE_CODE_RX_ACCESSED, 0, 1);
	gdt[2] = x86_descriptor_encode(&seg);
	x86_segment_flat(&seg, LINUX_BOOT_DS, SEG_TYPE_DATA_RW_ACCESSED, 1, 0);
	gdt[3] = x86_descriptor_encode(&seg);
	if (guest_memory_write(mem, at, gdt, sizeof(gdt)))
		return -1;
	x86_segment_flat(&s->seg[SREG_CS], LINUX_BOOT_CS, SEG_TYPE_CODE_RX_ACCESSED, 0, 1);
	for (int i = 0; i < SREG_COUNT; i++)
		if (i != SREG_CS)
			x86_segment_flat(&s->seg[i], LINUX_BOOT_DS, SEG_TYPE_DATA_RW_ACCESSED, 1, 0);
	return 0;
}

/* The initrd goes as high as the kernel allows (initrd_addr_max) and RAM below
 * 4 GiB holds, page-aligned, above the kernel's whole footprint. */
static int load_initrd(const struct load_request *req, struct guest_memory *mem, uint8_t *zp, uint64_t kernel_end,
		       char *why, size_t why_len)
{
	uint64_t max = rd32(zp + HDR_INITRD_ADDR_MAX), low_end = guest_memory_low_end(mem), top, first, room, at;
	struct file_image initrd;
	uint64_t size;
	int rc = -1, fd;

	top = (max && max + 1 < low_end) ? max + 1 : low_end;
	/* A page-aligned start at or above kernel_end fits iff size <= top - first. */
	first = (kernel_end + 0xfff) & ~0xfffull;
	room = top > first ? top - first : 0;
	/* The size is known before the file is read: a huge initrd is refused
	 * without reading it, and only the size fstat gave is ever read. */
	fd = file_open_regular("--initrd ", req->initrd_path, &size, why, why_len);
	if (fd < 0)
		return -1;
	if (size > room) {
		snprintf(why, why_len,
			 "--initrd %s: %llu bytes do not fit in guest RAM: %llu bytes are free between the kernel's "
			 "end 0x%llx and 0x%llx (see --mem)",
			 req->initrd_path, (unsigned long long)size, (unsigned long long)room,
			 (unsigned long long)first, (unsigned long long)top);
		close(fd);
		return -1;
	}
	if (file_image_read_fd(&initrd, fd, "--initrd ", req->initrd_path, size, why, why_len))
		return -1;
	at = (top - initrd.size) & ~0xfffull;
	if (guest_memory_write(mem, at, initrd.data, initrd.size)) {
		snprintf(why, why_len, "--initrd %s: does not fit in guest RAM", req->initrd_path);
		goto out;
	}
	memcpy(zp + HDR_RAMDISK_IMAGE, &(uint32_t){ (uint32_t)at }, 4);
	memcpy(zp + HDR_RAMDISK_SIZE, &(uint32_t){ (uint32_t)initrd.size }, 4);
	memcpy(zp + ZP_EXT_RAMDISK_IMAGE, &(uint32_t){ (uint32_t)(at >> 32) }, 4);
	memcpy(zp + ZP_EXT_RAMDISK_SIZE, &(uint32_t){ (uint32_t)((uint64_t)initrd.size >> 32) }, 4);
	rc = 0;
out:
	file_image_free(&initrd);
	return rc;
}

static void write_e820(const struct guest_memory *mem, uint8_t *zp)
{
	struct boot_mem_range r[BOOT_MAP_MAX];
	unsigned n = boot_memory_map(mem, r);

	zp[ZP_E820_ENTRIES] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = zp + ZP_E820_TABLE + 20 * i;

		memcpy(e, &r[i].base, 8);
		memcpy(e + 8, &r[i].len, 8);
		memcpy(e + 16, &r[i].type, 4);
	}
}

static int linux_load(const struct file_image *f, const struct load_request *req, struct guest_memory *mem,
		      struct vcpu_state *state, char *why, size_t why_len)
{
	const uint8_t *d = f->data;
	uint64_t kernel_off, load, init_size, hdr_end;
	uint16_t version, xloadflags;
	const char *cmdline = req->cmdline ? req->cmdline : LINUX_DEFAULT_CMDLINE;
	uint32_t cmdline_size;
	uint8_t zp[4096] = { 0 };
	struct boot_used used = { 0 };
	struct boot_layout layout;

	if (check_image(f, &kernel_off, why, why_len))
		return -1;
	memcpy(&version, d + HDR_VERSION, 2);
	memcpy(&xloadflags, d + HDR_XLOADFLAGS, 2);
	if (version < PROTOCOL_64BIT_ENTRY || !(xloadflags & XLF_KERNEL_64)) {
		snprintf(why, why_len, "%s: kernel lacks the 64-bit boot protocol (needs 2.12 and XLF_KERNEL_64)",
			 f->path);
		return -1;
	}
	/* A relocatable kernel goes to its preferred address; others to 1 MiB. */
	memcpy(&load, d + HDR_PREF_ADDRESS, 8);
	if (!d[HDR_RELOCATABLE])
		load = 0x100000;
	init_size = rd32(d + HDR_INIT_SIZE);
	if (init_size < f->size - kernel_off)
		init_size = f->size - kernel_off;
	if (load + init_size > guest_memory_low_end(mem) || load + init_size < load) {
		snprintf(why, why_len, "%s: the kernel needs %llu MiB of guest RAM below 3 GiB (see --mem)", f->path,
			 (unsigned long long)((load + init_size + (1 << 20) - 1) >> 20));
		return -1;
	}
	cmdline_size = rd32(d + HDR_CMDLINE_SIZE);
	if (strlen(cmdline) > cmdline_size || strlen(cmdline) >= LINUX_CMDLINE_MAX) {
		snprintf(why, why_len, "command line of %zu bytes is longer than %s accepts (cmdline_size %u)",
			 strlen(cmdline), f->path, cmdline_size);
		return -1;
	}
	if (load_piece(mem, load, d + kernel_off, f->size - kernel_off, 0, "Linux kernel", why, why_len))
		return -1;

	/* The zero page: the setup header as the file has it, then what we fill in. */
	hdr_end = 0x202 + d[HDR_JUMP_END];
	if (hdr_end > f->size || hdr_end > sizeof(zp))
		hdr_end = f->size < sizeof(zp) ? f->size : sizeof(zp);
	memcpy(zp + HDR_SETUP_SECTS, d + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);
	zp[HDR_TYPE_OF_LOADER] = LINUX_LOADER_UNDEFINED;
	zp[HDR_LOADFLAGS] |= LOADED_HIGH;
	memcpy(zp + HDR_CMD_LINE_PTR, &(uint32_t){ (uint32_t)LINUX_CMDLINE }, 4);
	write_e820(mem, zp);
	if (req->initrd_path && load_initrd(req, mem, zp, load + init_size, why, why_len))
		return -1;
	/* The GDT and page tables go where the kernel, the initrd, the zero page and
	 * the command line are not (at 0x1000-0x7fff for every kernel so far). */
	boot_used_add(&used, load, init_size);
	boot_used_add(&used, rd32(zp + HDR_RAMDISK_IMAGE), rd32(zp + HDR_RAMDISK_SIZE));
	boot_used_add(&used, LINUX_ZERO_PAGE, sizeof(zp));
	boot_used_add(&used, LINUX_CMDLINE, LINUX_CMDLINE_MAX);
	if (boot_place(mem, &used, BOOT_NEED_TABLES, &layout, why, why_len))
		return -1;
	if (guest_memory_write(mem, LINUX_CMDLINE, cmdline, strlen(cmdline) + 1) ||
	    guest_memory_write(mem, LINUX_ZERO_PAGE, zp, sizeof(zp)) || boot_write_tables_at(mem, &layout)) {
		snprintf(why, why_len, "guest RAM is too small for the Linux boot structures");
		return -1;
	}
	boot_state_long64(state, load + 0x200);
	boot_state_set_layout(state, &layout);
	if (write_linux_gdt(mem, layout.gdt, state)) {
		snprintf(why, why_len, "guest RAM is too small for the Linux boot structures");
		return -1;
	}
	state->gpr[GPR_RSI] = LINUX_ZERO_PAGE;
	return 0;
}

const struct loader linux_loader = {
	.name = "linux",
	.format = FORMAT_LINUX,
	.detect = linux_detect,
	.load = linux_load,
};
