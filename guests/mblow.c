/* A Multiboot v1 kernel linked low (lib/mblow.ld: its one segment at 0x8000,
 * where real-mode test kernels link), loaded by its ELF program headers. The
 * loader must put the information structure, command line, memory map, module
 * list and GDT where the kernel is not, and the kernel must find its own image
 * intact. Run as
 *   ringvisor run --mem 64M --append "rv-low one two"
 *       --initrd tests/guests/multiboot-module.txt build/guests/mblow.elf
 * Status 1 through the debug exit if every check passed.
 *
 * Facts: the Multiboot Specification 0.6.96, 3.2 (machine state: EAX magic,
 * EBX the information's physical address) and 3.3 (its layout, the memory map
 * walk, modules). It passes unchanged on QEMU 7.2, the second reference:
 *   qemu-system-x86_64 -accel tcg -kernel build/guests/mblow.elf
 *       -append "rv-low one two" -initrd tests/guests/multiboot-module.txt
 *       -m 64M -serial stdio -display none -monitor none -no-reboot
 *       -device isa-debug-exit,iobase=0xf4,iosize=4
 * (QEMU puts its information after the image and module; Ringvisor in the first
 * free pages below; neither address is printed.) */
#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "multiboot.h"
#include "str.h"
#include "test.h"

#define KIB 1024u
#define MIB (1024u * KIB)
#define RAM_SIZE (64 * MIB) /* --mem 64M, -m 64M */
#define LINK_ADDR 0x8000u
#define CMDLINE "rv-low one two"
/* Exactly the bytes of tests/guests/multiboot-module.txt: keep in step. */
#define MODULE_TEXT                                                                                                    \
	"Ringvisor multiboot module 0\n"                                                                               \
	"The guest compares these bytes: 0123456789 ~!@#$%^&*()\n"
#define REQUIRED_FLAGS (MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MMAP)

extern char __image_start[], _end[];

/* Loaded data and cleared bss that boot data written over the image would
 * spoil. */
#define PATTERN_WORDS 512
static volatile uint32_t pattern[PATTERN_WORDS] = {
#define P4(i) (i) * 0x9e3779b9u, (i + 1) * 0x9e3779b9u, (i + 2) * 0x9e3779b9u, (i + 3) * 0x9e3779b9u
#define P16(i) P4(i), P4(i + 4), P4(i + 8), P4(i + 12)
#define P64(i) P16(i), P16(i + 16), P16(i + 32), P16(i + 48)
	P64(1), P64(65), P64(129), P64(193), P64(257), P64(321), P64(385), P64(449),
};
static volatile uint32_t cleared[2048];

static bool overlaps_image(uint32_t start, uint32_t len)
{
	return start < (uintptr_t)_end && start + len > (uintptr_t)__image_start;
}

/* PASS if [start, start + len) is not in the kernel's image, else FAIL. */
static void expect_outside_image(const char *name, uint32_t start, uint32_t len)
{
	if (!overlaps_image(start, len))
		pass(name);
	else
		fail(name, "0x%x-0x%x lies in the image 0x%x-0x%x", start, start + len,
		     (unsigned int)(uintptr_t)__image_start, (unsigned int)(uintptr_t)_end);
}

static void check_image(void)
{
	unsigned int bad = 0;

	if ((uintptr_t)__image_start == LINK_ADDR && (uintptr_t)_end < 0x9fc00)
		pass("the kernel is linked at 0x8000, below the EBDA");
	else
		fail("the kernel is linked at 0x8000, below the EBDA", "image 0x%x-0x%x",
		     (unsigned int)(uintptr_t)__image_start, (unsigned int)(uintptr_t)_end);
	for (unsigned int i = 0; i < PATTERN_WORDS; i++)
		if (pattern[i] != (i + 1) * 0x9e3779b9u)
			bad++;
	if (!bad)
		pass("the kernel's data is as linked");
	else
		fail("the kernel's data is as linked", "%u of %u words differ", bad, PATTERN_WORDS);
	bad = 0;
	for (unsigned int i = 0; i < sizeof(cleared) / sizeof(cleared[0]); i++)
		if (cleared[i])
			bad++;
	if (!bad)
		pass("the kernel's bss is zero");
	else
		fail("the kernel's bss is zero", "%u words are not", bad);
}

static void check_cmdline(const struct mb_info *mbi)
{
	const char *c = (const char *)(uintptr_t)mbi->cmdline;
	size_t len = c ? strlen(c) : 0, want = sizeof(CMDLINE) - 1;

	/* GRUB and QEMU put the kernel's path first, then a space and the rest. */
	if (c && len > want && c[len - want - 1] == ' ' && !strcmp(c + len - want, CMDLINE))
		pass("command line: the kernel's path, then the --append text");
	else
		fail("command line: the kernel's path, then the --append text", "\"%s\"", c ? c : "(null)");
	if (c)
		expect_outside_image("command line lies outside the kernel image", mbi->cmdline, (uint32_t)len + 1);
}

static void check_memory_sizes(const struct mb_info *mbi)
{
	/* As in multiboot.c: QEMU's SeaBIOS keeps 1 KiB of low memory and the top
	 * 128 KiB of RAM, so allow up to 1 MiB less than Ringvisor's 64512 KiB. */
	uint32_t max = (RAM_SIZE - MIB) / KIB, min = max - MIB / KIB;

	if (mbi->mem_lower > 0 && mbi->mem_lower <= 640)
		pass("mem_lower is at most 640 KiB");
	else
		fail("mem_lower is at most 640 KiB", "mem_lower = %u", mbi->mem_lower);
	if (mbi->mem_upper > min && mbi->mem_upper <= max)
		pass("mem_upper matches 64 MiB of RAM");
	else
		fail("mem_upper matches 64 MiB of RAM", "mem_upper = %u KiB, want %u-%u", mbi->mem_upper, min + 1, max);
}

static void check_module(const struct mb_info *mbi)
{
	const struct mb_module *mod = (const struct mb_module *)(uintptr_t)mbi->mods_addr;
	size_t want = sizeof(MODULE_TEXT) - 1;

	if (mbi->mods_count != 1 || !mod) {
		fail("module 0 content", "mods_count = %u, mods_addr = 0x%x", mbi->mods_count, mbi->mods_addr);
		return;
	}
	expect_outside_image("module list lies outside the kernel image", mbi->mods_addr, sizeof(*mod));
	if (mod->mod_end - mod->mod_start != want)
		fail("module 0 content", "0x%x-0x%x is %u bytes, want %u", mod->mod_start, mod->mod_end,
		     mod->mod_end - mod->mod_start, (unsigned int)want);
	else if (memcmp((const void *)(uintptr_t)mod->mod_start, MODULE_TEXT, want))
		fail("module 0 content", "bytes differ");
	else
		pass("module 0 content");
	if (mod->mod_start % 4096 == 0)
		pass("module 0 is page-aligned");
	else
		fail("module 0 is page-aligned", "mod_start = 0x%x", mod->mod_start);
	expect_outside_image("module 0 lies outside the kernel image", mod->mod_start, (uint32_t)want);
}

/* Walks the memory map (spec 3.3); false after a FAIL if it is malformed.
 * Sets *image_ram if one available entry holds the whole kernel image, and
 * *high_ram if one available entry spans [1 MiB, 63 MiB). */
static bool walk_mmap(const struct mb_info *mbi, bool *image_ram, bool *high_ram)
{
	uint32_t off = 0;

	*image_ram = *high_ram = false;
	while (off < mbi->mmap_length) {
		const struct mb_mmap_entry *e = (const struct mb_mmap_entry *)(uintptr_t)(mbi->mmap_addr + off);
		uint64_t end = e->base_addr + e->length;

		if (e->size < 20 || off + e->size + 4 > mbi->mmap_length) {
			fail("memory map", "bad entry size %u at offset %u", e->size, off);
			return false;
		}
		if (e->type == MB_MEMORY_AVAILABLE) {
			if (e->base_addr <= (uintptr_t)__image_start && end >= (uintptr_t)_end)
				*image_ram = true;
			if (e->base_addr <= MIB && end >= RAM_SIZE - MIB)
				*high_ram = true;
		}
		off += e->size + 4;
	}
	return true;
}

static void check_mmap(const struct mb_info *mbi)
{
	bool image_ram, high_ram;

	if (!mbi->mmap_addr || mbi->mmap_length < 24) {
		fail("memory map", "mmap_addr = 0x%x, mmap_length = %u", mbi->mmap_addr, mbi->mmap_length);
		return;
	}
	expect_outside_image("memory map lies outside the kernel image", mbi->mmap_addr, mbi->mmap_length);
	if (!walk_mmap(mbi, &image_ram, &high_ram))
		return;
	if (image_ram)
		pass("memory map: the kernel's image is in available RAM");
	else
		fail("memory map: the kernel's image is in available RAM", "no type 1 entry holds 0x%x-0x%x",
		     (unsigned int)(uintptr_t)__image_start, (unsigned int)(uintptr_t)_end);
	if (high_ram)
		pass("memory map: RAM from 1 MiB is available");
	else
		fail("memory map: RAM from 1 MiB is available", "no type 1 entry covers 1 MiB to 63 MiB");
}

int main(uint32_t magic, const struct mb_info *mbi)
{
	printf("Hello from a Multiboot kernel linked at 0x8000\n");
	if (!expect_eq("EAX holds the Multiboot magic", magic, MB_BOOTLOADER_MAGIC))
		test_done();
	check_image();
	expect_outside_image("the information structure lies outside the kernel image", (uint32_t)(uintptr_t)mbi,
			     sizeof(*mbi));
	if ((mbi->flags & REQUIRED_FLAGS) != REQUIRED_FLAGS) {
		fail("info flags", "flags = 0x%x, want bits 0x%x", mbi->flags, REQUIRED_FLAGS);
		test_done();
	}
	pass("info flags: mem, cmdline, mods, mmap");
	check_memory_sizes(mbi);
	check_cmdline(mbi);
	check_module(mbi);
	check_mmap(mbi);
	test_done();
}
