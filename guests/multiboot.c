/* Multiboot v1 kernel (32-bit, loaded by its ELF program headers). Checks
 * what the Multiboot specification promises and what Ringvisor's runner
 * passes:
 *   ringvisor run --mem 64M --append "rv-test one two"
 *       --initrd tests/guests/multiboot-module.txt build/guests/multiboot.elf
 * Status 1 through the debug exit if every check passed.
 *
 * It passes unchanged on QEMU 7.2, the reference:
 *   qemu-system-x86_64 -accel tcg -kernel build/guests/multiboot.elf
 *       -append "rv-test one two" -initrd tests/guests/multiboot-module.txt
 *       -m 64M -serial stdio -display none -monitor none -no-reboot
 *       -device isa-debug-exit,iobase=0xf4,iosize=4
 * printing the same lines as tests/guests/multiboot.stdout, status 1. What
 * QEMU passed: flags 0x24f, mem_lower 639, mem_upper 64384, command line
 * "build/guests/multiboot.elf rv-test one two", loader name "qemu", module 0
 * page-aligned right after the kernel, and a memory map of
 *   0-0x9fc00 available, 0x9fc00-0xa0000 reserved, 0xf0000-0x100000
 *   reserved, 0x100000-0x3fe0000 available, 0x3fe0000-0x4000000 reserved,
 *   plus reserved ranges at 0xfffc0000 and 0xfd00000000.
 * Hence the loose checks on mem_upper and the memory map below. */
#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "multiboot.h"
#include "str.h"
#include "test.h"

#define KIB 1024u
#define MIB (1024u * KIB)
#define RAM_SIZE (64 * MIB) /* --mem 64M */
#define CMDLINE "rv-test one two"
/* Exactly the bytes of tests/guests/multiboot-module.txt: keep in step. */
#define MODULE_TEXT                                                                                                    \
	"Ringvisor multiboot module 0\n"                                                                               \
	"The guest compares these bytes: 0123456789 ~!@#$%^&*()\n"
#define REQUIRED_FLAGS (MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MMAP | MB_INFO_LOADER_NAME)

extern char __image_start[], _end[];

static void check_cpu_state(void)
{
	unsigned long cr0 = read_cr0(), flags = read_flags();

	if ((cr0 & CR0_PE) && !(cr0 & CR0_PG))
		pass("protected mode, paging off");
	else
		fail("protected mode, paging off", "CR0 = 0x%lx", cr0);
	if (!(flags & EFLAGS_IF))
		pass("interrupts disabled");
	else
		fail("interrupts disabled", "EFLAGS = 0x%lx", flags);
	/* Segments are not checked: the spec says the GDTR may be invalid, so
	 * their descriptors cannot be read back (and LSL, which would read
	 * them, fails under this host's nested KVM). */
}

static void check_memory_sizes(const struct mb_info *mbi)
{
	/* Upper memory starts at 1 MiB, and the spec makes mem_upper at most
	 * the size up to the first hole: 63 MiB here. Ringvisor reports all of
	 * it (64512 KiB); QEMU 7.2 reports 64384 KiB, because SeaBIOS keeps the
	 * top 128 KiB of RAM. So allow up to 1 MiB less. */
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

/* Ringvisor passes --append as is; GRUB and QEMU put the kernel's path
 * first ("build/guests/multiboot.elf rv-test one two"). Both are accepted. */
static bool cmdline_matches(const char *c)
{
	size_t i = 0;

	if (!strcmp(c, CMDLINE))
		return true;
	while (c[i] && c[i] != ' ')
		i++;
	return i > 0 && c[i] == ' ' && !strcmp(c + i + 1, CMDLINE);
}

static void check_cmdline(const struct mb_info *mbi)
{
	const char *c = (const char *)(uintptr_t)mbi->cmdline;

	if (!c)
		fail("command line", "address is 0");
	else if (cmdline_matches(c))
		pass("command line");
	else
		fail("command line", "\"%s\"", c);
}

static void check_loader_name(const struct mb_info *mbi)
{
	const char *name = (const char *)(uintptr_t)mbi->boot_loader_name;
	size_t n = 0;

	if (name)
		for (; n < 256 && name[n] >= ' ' && name[n] <= '~'; n++)
			;
	if (name && n > 0 && n < 256 && name[n] == '\0')
		pass("boot loader name");
	else
		fail("boot loader name", "not a short printable string at 0x%x", mbi->boot_loader_name);
}

static bool overlaps_image(uint32_t start, uint32_t end)
{
	return start < (uintptr_t)_end && end > (uintptr_t)__image_start;
}

static void check_module(const struct mb_info *mbi)
{
	const struct mb_module *mod = (const struct mb_module *)(uintptr_t)mbi->mods_addr;
	size_t want = sizeof(MODULE_TEXT) - 1;

	if (mbi->mods_count != 1 || !mod) {
		fail("module 0 content", "mods_count = %u, mods_addr = 0x%x", mbi->mods_count, mbi->mods_addr);
		return;
	}
	if (mod->mod_end - mod->mod_start != want)
		fail("module 0 content", "0x%x-0x%x is %u bytes, want %u", mod->mod_start, mod->mod_end,
		     mod->mod_end - mod->mod_start, (unsigned int)want);
	else if (memcmp((const void *)(uintptr_t)mod->mod_start, MODULE_TEXT, want))
		fail("module 0 content", "bytes differ");
	else
		pass("module 0 content");
	/* Our header sets flag bit 0, which asks for page-aligned modules. */
	if (mod->mod_start % 4096 == 0)
		pass("module 0 is page-aligned");
	else
		fail("module 0 is page-aligned", "mod_start = 0x%x", mod->mod_start);
	if (!overlaps_image(mod->mod_start, mod->mod_end) &&
	    !overlaps_image(mbi->mods_addr, mbi->mods_addr + sizeof(*mod)))
		pass("module 0 lies outside the kernel image");
	else
		fail("module 0 lies outside the kernel image", "module 0x%x-0x%x, list at 0x%x, image 0x%x-0x%x",
		     mod->mod_start, mod->mod_end, mbi->mods_addr, (unsigned int)(uintptr_t)__image_start,
		     (unsigned int)(uintptr_t)_end);
}

/* Walks the memory map; returns false (after a FAIL) if it is malformed.
 * *covering is set if one available entry spans [1 MiB, 63 MiB), and
 * *beyond_ram if any available entry reaches past the end of RAM. */
static bool walk_mmap(const struct mb_info *mbi, bool *covering, bool *beyond_ram)
{
	uint32_t off = 0;

	*covering = *beyond_ram = false;
	while (off < mbi->mmap_length) {
		const struct mb_mmap_entry *e = (const struct mb_mmap_entry *)(uintptr_t)(mbi->mmap_addr + off);
		uint64_t end = e->base_addr + e->length;

		if (e->size < 20 || off + e->size + 4 > mbi->mmap_length) {
			fail("memory map", "bad entry size %u at offset %u", e->size, off);
			return false;
		}
		if (e->type == MB_MEMORY_AVAILABLE) {
			if (e->base_addr <= MIB && end >= RAM_SIZE - MIB)
				*covering = true;
			if (end > RAM_SIZE)
				*beyond_ram = true;
		}
		off += e->size + 4;
	}
	return true;
}

static void check_mmap(const struct mb_info *mbi)
{
	bool covering, beyond_ram;

	if (!mbi->mmap_addr || mbi->mmap_length < 24) {
		fail("memory map", "mmap_addr = 0x%x, mmap_length = %u", mbi->mmap_addr, mbi->mmap_length);
		return;
	}
	if (!walk_mmap(mbi, &covering, &beyond_ram))
		return;
	if (covering)
		pass("memory map: RAM from 1 MiB is available");
	else
		fail("memory map: RAM from 1 MiB is available", "no type 1 entry covers 1 MiB to 63 MiB");
	if (!beyond_ram)
		pass("memory map: nothing available past 64 MiB");
	else
		fail("memory map: nothing available past 64 MiB", "a type 1 entry ends past 0x%x", RAM_SIZE);
}

int main(uint32_t magic, const struct mb_info *mbi)
{
	printf("Hello from a Multiboot kernel\n");
	if (!expect_eq("EAX holds the Multiboot magic", magic, MB_BOOTLOADER_MAGIC))
		test_done();
	check_cpu_state();
	if ((mbi->flags & REQUIRED_FLAGS) != REQUIRED_FLAGS) {
		fail("info flags", "flags = 0x%x, want bits 0x%x", mbi->flags, REQUIRED_FLAGS);
		test_done();
	}
	pass("info flags: mem, cmdline, mods, mmap, boot loader name");
	check_memory_sizes(mbi);
	check_cmdline(mbi);
	check_loader_name(mbi);
	check_module(mbi);
	check_mmap(mbi);
	test_done();
}
