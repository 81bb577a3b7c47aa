/* The Multiboot v1 loader (src/loader/multiboot.c) through loader_load(), against
 * the Multiboot Specification 0.6.96: section 3.1 (the OS image header), 3.2
 * (machine state) and 3.3 (boot information format), and docs/guest-abi.md,
 * "Multiboot v1". The information structure is read back from guest RAM at the
 * offsets the specification gives, never through the loader's own structs. */
#include "loader_harness.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define RAM_SIZE (32 * MiB)

#define MB_MAGIC 0x1badb002u
#define MB_BOOT_MAGIC 0x2badb002u
#define MB_PAGE_ALIGN (1u << 0)
#define MB_MEMORY_INFO (1u << 1)
#define MB_AOUT_KLUDGE (1u << 16)

/* Offsets in the information structure (spec 3.3). */
enum {
	MBI_FLAGS = 0,
	MBI_MEM_LOWER = 4,
	MBI_MEM_UPPER = 8,
	MBI_CMDLINE = 16,
	MBI_MODS_COUNT = 20,
	MBI_MODS_ADDR = 24,
	MBI_MMAP_LENGTH = 44,
	MBI_MMAP_ADDR = 48,
	MBI_BOOT_LOADER_NAME = 64,
};
#define MBI_HAS_MEM (1u << 0)
#define MBI_HAS_CMDLINE (1u << 2)
#define MBI_HAS_MODS (1u << 3)
#define MBI_HAS_MMAP (1u << 6)
#define MBI_HAS_LOADER_NAME (1u << 9)

#define KERNEL_ADDR 0x100000u
#define KERNEL_BSS 0x1800u /* memsz of the kernel segment: ends at 0x101800 */

static int mb_setup(void **state)
{
	*state = lh_new(RAM_SIZE);
	return *state ? 0 : -1;
}

static int mb_setup_4_gib(void **state)
{
	*state = lh_new(4 * GiB);
	return *state ? 0 : -1;
}

static int mb_teardown(void **state)
{
	lh_free(*state);
	return 0;
}

/* A Multiboot header (spec 3.1.1): magic, flags, checksum with magic + flags +
 * checksum = 0 mod 2^32, then the address fields (3.1.3) when a.out is set. */
static void put_header(uint8_t *p, uint32_t flags, const uint32_t addrs[5])
{
	put_le32(p, MB_MAGIC);
	put_le32(p + 4, flags);
	put_le32(p + 8, 0u - (MB_MAGIC + flags));
	if (addrs)
		for (int i = 0; i < 5; i++)
			put_le32(p + 12 + 4 * i, addrs[i]);
}

/* An ELF32 Multiboot kernel: one segment at 1 MiB starting with the header, then
 * code; entry right after the header. */
static size_t mb_elf_kernel(uint8_t *buf, size_t cap, uint32_t flags)
{
	uint8_t text[64];
	struct test_segment seg = {
		.type = PT_LOAD,
		.paddr = KERNEL_ADDR,
		.vaddr = KERNEL_ADDR,
		.data = text,
		.filesz = sizeof(text),
		.memsz = KERNEL_BSS,
	};

	memset(text, 0x90, sizeof(text));
	put_header(text, flags, NULL);
	return build_elf(buf, cap, 0, EM_386, KERNEL_ADDR + 12, &seg, 1);
}

static uint32_t mbi(struct loader_harness *h, unsigned offset)
{
	return lh_u32(h, h->state.gpr[GPR_RBX] + offset);
}

/* The NUL-terminated string at a guest-physical address, checked to end in RAM. */
static const char *guest_string(struct loader_harness *h, uint64_t gpa)
{
	const char *s = (const char *)lh_ptr(h, gpa, 1);

	for (uint64_t i = 0; i < 8192; i++) {
		const char *c = guest_memory_ptr(&h->mem, gpa + i, 1);

		assert_non_null(c);
		if (*c == '\0')
			return s;
	}
	fail_msg("no NUL within 8 KiB of 0x%llx", (unsigned long long)gpa);
	return NULL;
}

struct mmap_entry {
	uint64_t base, len;
	uint32_t type;
};

/* Walks the memory map (spec 3.3: each entry's size field does not count itself,
 * "size + 4" leads to the next). Returns the number of entries. */
static unsigned read_mmap(struct loader_harness *h, struct mmap_entry *out, unsigned max)
{
	uint64_t addr = mbi(h, MBI_MMAP_ADDR), end = addr + mbi(h, MBI_MMAP_LENGTH);
	unsigned n = 0;

	assert_true(mbi(h, MBI_FLAGS) & MBI_HAS_MMAP);
	while (addr < end) {
		uint32_t size = lh_u32(h, addr);

		assert_true(size >= 20);
		assert_true(n < max);
		out[n].base = lh_u64(h, addr + 4);
		out[n].len = lh_u64(h, addr + 12);
		out[n].type = lh_u32(h, addr + 20);
		n++;
		addr += size + 4;
	}
	/* The entries fill mmap_length exactly. */
	assert_int_equal(addr, end);
	return n;
}

static void test_multiboot_enters_protected_mode_with_magic_and_info_address(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = mb_elf_kernel(img, sizeof(img), MB_PAGE_ALIGN | MB_MEMORY_INFO);

	lh_expect_loaded(h, img, n);
	/* Spec 3.2: EAX = 0x2BADB002, EBX = physical address of the information
	 * structure, CS/DS/... flat 32-bit, CR0.PG clear, CR0.PE set, IF clear. */
	lh_expect_prot32_entry(&h->state, KERNEL_ADDR + 12);
	assert_int_equal(h->state.gpr[GPR_RAX], MB_BOOT_MAGIC);
	assert_true(h->state.gpr[GPR_RBX] < (1ull << 32));
	assert_true(h->state.gpr[GPR_RBX] != 0);
	lh_expect_gprs_zero_except(&h->state, GPR_RAX, GPR_RBX);
	/* The structure lies in RAM and not inside the kernel. */
	lh_ptr(h, h->state.gpr[GPR_RBX], 68);
	assert_true(h->state.gpr[GPR_RBX] + 68 <= KERNEL_ADDR || h->state.gpr[GPR_RBX] >= KERNEL_ADDR + KERNEL_BSS);
	assert_memory_equal(lh_ptr(h, KERNEL_ADDR, 4), "\x02\xb0\xad\x1b", 4);
}

static void test_multiboot_info_flags_announce_the_fields_given(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = mb_elf_kernel(img, sizeof(img), MB_MEMORY_INFO);
	uint32_t flags;

	lh_expect_loaded(h, img, n);
	flags = mbi(h, MBI_FLAGS);
	/* docs/guest-abi.md lists memory sizes, command line, memory map, loader name. */
	assert_true(flags & MBI_HAS_MEM);
	assert_true(flags & MBI_HAS_CMDLINE);
	assert_true(flags & MBI_HAS_MMAP);
	assert_true(flags & MBI_HAS_LOADER_NAME);
	/* Bits 4 and 5 (a.out / ELF symbols) are mutually exclusive (spec 3.3). */
	assert_false((flags & (1u << 4)) && (flags & (1u << 5)));
	assert_true(strlen(guest_string(h, mbi(h, MBI_BOOT_LOADER_NAME))) > 0);
}

static void test_multiboot_mem_upper_is_ram_above_1_mib_in_kib(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = mb_elf_kernel(img, sizeof(img), MB_MEMORY_INFO);

	lh_expect_loaded(h, img, n);
	/* Spec 3.3: upper memory "starts at address 1 megabyte" and is "maximally the
	 * address of the first upper memory hole minus 1 megabyte", in KiB; here the
	 * first hole is the end of RAM: 32 MiB - 1 MiB = 31744 KiB. */
	assert_int_equal(mbi(h, MBI_MEM_UPPER), 31744);
	/* "The maximum possible value for lower memory is 640 kilobytes." */
	assert_in_range(mbi(h, MBI_MEM_LOWER), 1, 640);
}

static void test_multiboot_mem_upper_stops_at_3_gib_hole(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = mb_elf_kernel(img, sizeof(img), MB_MEMORY_INFO);

	lh_expect_loaded(h, img, n);
	/* "Maximally the address of the first upper memory hole minus 1 megabyte":
	 * (0xc0000000 - 0x100000) / 1024 = 3144704. */
	assert_int_equal(mbi(h, MBI_MEM_UPPER), 3144704);
}

static void test_multiboot_mmap_lists_ram_above_1_mib_as_available(void **state)
{
	struct loader_harness *h = *state;
	struct mmap_entry e[16];
	uint8_t img[512];
	size_t n = mb_elf_kernel(img, sizeof(img), MB_MEMORY_INFO);
	unsigned count, found = 0;

	lh_expect_loaded(h, img, n);
	count = read_mmap(h, e, 16);
	for (unsigned i = 0; i < count; i++) {
		/* Type 1 is available RAM (spec 3.3); every byte it names must be RAM. */
		if (e[i].type == 1 && !guest_memory_ptr(&h->mem, e[i].base, e[i].len))
			fail_msg("mmap entry %u [0x%llx, +0x%llx) is not all RAM", i, (unsigned long long)e[i].base,
				 (unsigned long long)e[i].len);
		if (e[i].type == 1 && e[i].base == 0x100000 && e[i].len == RAM_SIZE - 0x100000)
			found++;
	}
	assert_int_equal(found, 1);
}

static void test_multiboot_mmap_of_4_gib_guest_has_hole_and_high_ram(void **state)
{
	struct loader_harness *h = *state;
	struct mmap_entry e[16];
	uint8_t img[512];
	size_t n = mb_elf_kernel(img, sizeof(img), MB_MEMORY_INFO);
	unsigned count, low = 0, high = 0;

	lh_expect_loaded(h, img, n);
	count = read_mmap(h, e, 16);
	for (unsigned i = 0; i < count; i++) {
		if (e[i].type != 1)
			continue;
		/* No available RAM in the 3-4 GiB MMIO hole. */
		assert_true(e[i].base + e[i].len <= 0xc0000000ull || e[i].base >= 0x100000000ull);
		low += e[i].base == 0x100000 && e[i].len == 0xc0000000ull - 0x100000;
		high += e[i].base == 0x100000000ull && e[i].len == 1 * GiB;
	}
	assert_int_equal(low, 1);
	assert_int_equal(high, 1);
}

static void test_multiboot_cmdline_is_kernel_path_space_append(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = mb_elf_kernel(img, sizeof(img), 0);
	char want[256];

	h->req.cmdline = "console=ttyS0 quiet";
	lh_expect_loaded(h, img, n);
	/* docs/guest-abi.md: "the kernel's path, then a space and --append if given". */
	snprintf(want, sizeof(want), "%s %s", h->req.kernel_path, "console=ttyS0 quiet");
	assert_true(mbi(h, MBI_FLAGS) & MBI_HAS_CMDLINE);
	assert_string_equal(guest_string(h, mbi(h, MBI_CMDLINE)), want);
}

static void test_multiboot_cmdline_without_append_is_kernel_path(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = mb_elf_kernel(img, sizeof(img), 0);

	lh_expect_loaded(h, img, n);
	assert_string_equal(guest_string(h, mbi(h, MBI_CMDLINE)), h->req.kernel_path);
}

static void test_multiboot_overlong_cmdline_is_never_truncated(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = mb_elf_kernel(img, sizeof(img), 0);
	static char append[6000];
	char *want;

	memset(append, 'a', sizeof(append) - 1);
	h->req.cmdline = append;
	/* Either refused as a configuration error or passed whole: a kernel must not
	 * boot with a silently shortened command line. */
	if (lh_load(h, img, n) == 0) {
		assert_true(asprintf(&want, "%s %s", h->req.kernel_path, append) > 0);
		assert_string_equal(guest_string(h, mbi(h, MBI_CMDLINE)), want);
		free(want);
	} else {
		assert_true(h->why[0] != '\0');
	}
}

static void test_multiboot_module_is_page_aligned_after_kernel(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512], initrd[5000];
	size_t n = mb_elf_kernel(img, sizeof(img), MB_PAGE_ALIGN | MB_MEMORY_INFO);
	uint64_t mods;
	uint32_t start, end;

	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 7 + 1);
	h->req.initrd_path = lh_file(h, initrd, sizeof(initrd));
	lh_expect_loaded(h, img, n);

	/* docs/guest-abi.md: "--initrd FILE is module 0". Spec 3.3: mods_addr points at
	 * {mod_start, mod_end, string, reserved} per module. */
	assert_true(mbi(h, MBI_FLAGS) & MBI_HAS_MODS);
	assert_int_equal(mbi(h, MBI_MODS_COUNT), 1);
	mods = mbi(h, MBI_MODS_ADDR);
	start = lh_u32(h, mods);
	end = lh_u32(h, mods + 4);
	/* Header flag bit 0: modules "must be aligned on page (4KB) boundaries". */
	assert_int_equal(start % 4096, 0);
	/* After the whole kernel image including its bss (0x100000 + 0x1800). */
	assert_true(start >= KERNEL_ADDR + KERNEL_BSS);
	/* mod_end is exclusive, as GRUB and QEMU set it: end - start is the size. */
	assert_int_equal(end - start, sizeof(initrd));
	assert_memory_equal(lh_ptr(h, start, sizeof(initrd)), initrd, sizeof(initrd));
	assert_string_equal(guest_string(h, lh_u32(h, mods + 8)), h->req.initrd_path);
	/* The kernel's bss is still clear: the module did not land on it. */
	for (uint32_t a = KERNEL_ADDR + 64; a < KERNEL_ADDR + KERNEL_BSS; a++)
		assert_int_equal(*lh_ptr(h, a, 1), 0);
}

static void test_multiboot_without_initrd_has_no_module(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = mb_elf_kernel(img, sizeof(img), 0);

	lh_expect_loaded(h, img, n);
	if (mbi(h, MBI_FLAGS) & MBI_HAS_MODS)
		assert_int_equal(mbi(h, MBI_MODS_COUNT), 0);
}

static void test_multiboot_rejects_missing_initrd(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = mb_elf_kernel(img, sizeof(img), 0);

	h->req.initrd_path = "/nonexistent/ringvisor-unit-initrd";
	lh_expect_refused(h, img, n);
}

/* A module file far larger than guest RAM below 4 GiB (a sparse 64 GiB file) fits
 * nowhere: refused in one line, without reading it into host memory (which
 * exhausted host memory: ASan aborted on the allocation). */
static void test_multiboot_rejects_module_larger_than_ram_unread(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = mb_elf_kernel(img, sizeof(img), 0);
	char path[] = "/tmp/ringvisor-unit-hugemodXXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)64 << 30), 0);
	close(fd);
	h->req.initrd_path = path;
	lh_expect_refused(h, img, n);
	unlink(path);
	assert_non_null(strstr(h->why, "does not fit in guest RAM"));
}

static void test_multiboot_rejects_unsupported_required_flag_bits(void **state)
{
	static const uint32_t required[] = { 1u << 3, 1u << 7, 1u << 15 };
	struct loader_harness *h = *state;
	uint8_t img[512];

	/* Spec 3.1.2: bits 0-15 are requirements; "if the boot loader does not understand
	 * all the bits in the requirements mask ... it must fail". Bits 0-2 are the only
	 * ones the specification defines. */
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		size_t n = mb_elf_kernel(img, sizeof(img), MB_MEMORY_INFO | required[i]);

		lh_expect_refused(h, img, n);
	}
}

static void test_multiboot_ignores_unknown_optional_flag_bits(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	/* Bits 17-31 are optional features a loader may ignore (bit 16 is a.out). */
	size_t n = mb_elf_kernel(img, sizeof(img), MB_MEMORY_INFO | (1u << 17) | (1u << 31));

	lh_expect_loaded(h, img, n);
	assert_int_equal(h->state.gpr[GPR_RAX], MB_BOOT_MAGIC);
}

static void test_multiboot_header_with_bad_checksum_is_not_a_header(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = mb_elf_kernel(img, sizeof(img), 0);
	/* The header opens the segment's data, right after the ELF and program headers. */
	const size_t hoff = sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr);

	assert_int_equal(get_le32(img + hoff), MB_MAGIC);
	img[hoff + 8] ^= 1; /* magic + flags + checksum no longer sums to zero */
	h->req.format = FORMAT_MULTIBOOT;
	lh_expect_refused(h, img, n);
}

static void test_multiboot_header_beyond_first_8_kib_is_not_found(void **state)
{
	struct loader_harness *h = *state;
	static uint8_t img[9000];

	/* Spec 3.1: the header "must be contained completely within the first 8192
	 * bytes". A raw image with a header at 8192 is no Multiboot kernel. */
	memset(img, 0, sizeof(img));
	put_header(img + 8192, MB_AOUT_KLUDGE, (const uint32_t[5]){ 0x102000, 0x100000, 0, 0, 0x100000 });
	lh_expect_refused(h, img, sizeof(img));
}

static void test_multiboot_header_must_be_32bit_aligned(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[256] = { 0 };

	/* Spec 3.1: the header "must be 32-bit aligned". At offset 2 it is not one. */
	put_header(img + 2, MB_AOUT_KLUDGE, (const uint32_t[5]){ 0x100002, 0x100000, 0, 0, 0x100000 });
	lh_expect_refused(h, img, sizeof(img));
}

static void test_multiboot_aout_kludge_loads_by_header_addresses(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[256];
	/* header_addr, load_addr, load_end_addr = 0 (whole file), bss_end_addr, entry_addr */
	const uint32_t addrs[5] = { 0x200000, 0x200000, 0, 0x200000 + sizeof(img) + 0x1000, 0x200040 };

	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(0x40 + i);
	put_header(img, MB_AOUT_KLUDGE | MB_MEMORY_INFO, addrs);
	memset(lh_ptr(h, 0x200000, 0x2000), 0xcc, 0x2000);
	lh_expect_loaded(h, img, sizeof(img));
	/* Spec 3.1.3: load_end_addr 0 means the data runs to the end of the file; the
	 * bss up to bss_end_addr is zeroed; the entry is entry_addr. */
	assert_memory_equal(lh_ptr(h, 0x200000, sizeof(img)), img, sizeof(img));
	for (uint64_t a = 0x200000 + sizeof(img); a < 0x200000 + sizeof(img) + 0x1000; a++)
		assert_int_equal(*lh_ptr(h, a, 1), 0);
	assert_int_equal(*lh_ptr(h, 0x200000 + sizeof(img) + 0x1000, 1), 0xcc);
	lh_expect_prot32_entry(&h->state, 0x200040);
	assert_int_equal(h->state.gpr[GPR_RAX], MB_BOOT_MAGIC);
}

static void test_multiboot_aout_file_offset_is_header_offset_minus_address_delta(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[256];
	/* Header at file offset 0x40 with header_addr = load_addr + 0x10: loading starts
	 * at file offset 0x40 - 0x10 = 0x30 (spec 3.1.3, load_addr). */
	const uint32_t addrs[5] = { 0x300010, 0x300000, 0, 0, 0x300000 };

	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)i;
	put_header(img + 0x40, MB_AOUT_KLUDGE, addrs);
	lh_expect_loaded(h, img, sizeof(img));
	assert_memory_equal(lh_ptr(h, 0x300000, sizeof(img) - 0x30), img + 0x30, sizeof(img) - 0x30);
}

static void test_multiboot_aout_load_end_addr_limits_bytes_copied(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[256];
	/* Only [load_addr, load_end_addr) comes from the file; no bss. */
	const uint32_t addrs[5] = { 0x200000, 0x200000, 0x200040, 0, 0x200020 };

	memset(img, 0x77, sizeof(img));
	put_header(img, MB_AOUT_KLUDGE, addrs);
	memset(lh_ptr(h, 0x200000, 0x100), 0xcc, 0x100);
	lh_expect_loaded(h, img, sizeof(img));
	assert_memory_equal(lh_ptr(h, 0x200000, 0x40), img, 0x40);
	assert_int_equal(*lh_ptr(h, 0x200040, 1), 0xcc);
}

static void test_multiboot_aout_rejects_load_end_past_eof(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[256] = { 0 };
	const uint32_t addrs[5] = { 0x200000, 0x200000, 0x200000 + sizeof(img) + 1, 0, 0x200020 };

	put_header(img, MB_AOUT_KLUDGE, addrs);
	lh_expect_refused(h, img, sizeof(img));
}

static void test_multiboot_aout_rejects_header_addr_below_load_addr(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[256] = { 0 };
	const uint32_t addrs[5] = { 0x1ff000, 0x200000, 0, 0, 0x200020 };

	put_header(img, MB_AOUT_KLUDGE, addrs);
	lh_expect_refused(h, img, sizeof(img));
}

static void test_multiboot_aout_rejects_bss_end_below_load_end(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[256] = { 0 };
	const uint32_t addrs[5] = { 0x200000, 0x200000, 0x200080, 0x200040, 0x200020 };

	put_header(img, MB_AOUT_KLUDGE, addrs);
	lh_expect_refused(h, img, sizeof(img));
}

/* A guest-physical range the kernel or a module occupies. */
struct used_range {
	uint64_t start, len;
};

/* Fails if [start, start + len) touches one of the n ranges. */
static void expect_outside(const char *what, uint64_t start, uint64_t len, const struct used_range *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (start < r[i].start + r[i].len && r[i].start < start + len)
			fail_msg("%s at 0x%llx (%llu bytes) lands on [0x%llx, 0x%llx)", what, (unsigned long long)start,
				 (unsigned long long)len, (unsigned long long)r[i].start,
				 (unsigned long long)(r[i].start + r[i].len));
}

/* Every piece of boot data the entry state and the information structure point
 * at (spec 3.3), checked against the ranges the kernel and modules occupy: the
 * structure itself (88 bytes up to vbe fields), the command line, the loader
 * name, the memory map, the module list and strings, and the GDT. */
static void expect_boot_data_outside(struct loader_harness *h, const struct used_range *r, unsigned n)
{
	uint64_t info = h->state.gpr[GPR_RBX];

	expect_outside("information structure", info, 88, r, n);
	expect_outside("command line", mbi(h, MBI_CMDLINE), strlen(guest_string(h, mbi(h, MBI_CMDLINE))) + 1, r, n);
	expect_outside("boot loader name", mbi(h, MBI_BOOT_LOADER_NAME),
		       strlen(guest_string(h, mbi(h, MBI_BOOT_LOADER_NAME))) + 1, r, n);
	expect_outside("memory map", mbi(h, MBI_MMAP_ADDR), mbi(h, MBI_MMAP_LENGTH), r, n);
	expect_outside("module list", mbi(h, MBI_MODS_ADDR), 16 * (uint64_t)mbi(h, MBI_MODS_COUNT), r, n);
	for (uint32_t i = 0; i < mbi(h, MBI_MODS_COUNT); i++) {
		uint64_t str = lh_u32(h, mbi(h, MBI_MODS_ADDR) + 16 * i + 8);

		expect_outside("module string", str, strlen(guest_string(h, str)) + 1, r, n);
	}
	expect_outside("GDT", h->state.gdtr.base, (uint64_t)h->state.gdtr.limit + 1, r, n);
	/* Not over the real-mode interrupt vector table either. */
	assert_true(info >= 0x1000 && h->state.gdtr.base >= 0x1000);
	/* The GDT holds the documented descriptors (docs/guest-abi.md). */
	assert_int_equal(lh_u64(h, h->state.gdtr.base + 0x10), 0x00cf93000000ffffull);
	assert_int_equal(lh_u64(h, h->state.gdtr.base + 0x18), 0x00cf9b000000ffffull);
}

/* An ELF Multiboot kernel linked at `base` (real-mode test kernels use 0x8000):
 * the header, then code, memsz bytes in all. */
static size_t mb_elf_kernel_at(uint8_t *buf, size_t cap, uint32_t base, uint64_t memsz, uint8_t *text, size_t len)
{
	struct test_segment seg = {
		.type = PT_LOAD, .paddr = base, .vaddr = base, .data = text, .filesz = len, .memsz = memsz
	};

	memset(text, 0x90, len);
	put_header(text, MB_PAGE_ALIGN | MB_MEMORY_INFO, NULL);
	return build_elf(buf, cap, 0, EM_386, base + 12, &seg, 1);
}

/* The case of the issue: a segment at 0x8000 used to be refused as overlapping
 * ringvisor's boot area. It loads, and the information (whose usual page, 0x9000, the
 * kernel covers) lies elsewhere, complete. */
static void test_multiboot_segment_at_0x8000_loads_with_its_information_elsewhere(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[1024], text[256];
	size_t n = mb_elf_kernel_at(img, sizeof(img), 0x8000, 0x2000, text, sizeof(text));
	const struct used_range kernel[] = { { 0x8000, 0x2000 } };

	h->req.cmdline = "low kernel";
	lh_expect_loaded(h, img, n);
	lh_expect_prot32_entry(&h->state, 0x8000 + 12);
	assert_int_equal(h->state.gpr[GPR_RAX], MB_BOOT_MAGIC);
	expect_boot_data_outside(h, kernel, 1);
	/* docs/guest-abi.md: what cannot go to its usual place goes to the first page
	 * after the kernel and modules, as QEMU puts its command lines there; the
	 * GDT's usual page, 0x1000, is free. */
	assert_int_equal(h->state.gpr[GPR_RBX], 0xa000);
	assert_int_equal(h->state.gdtr.base, 0x1000);
	assert_memory_equal(lh_ptr(h, 0x8000, sizeof(text)), text, sizeof(text));
	for (uint64_t a = 0x8000 + sizeof(text); a < 0xa000; a++)
		assert_int_equal(*lh_ptr(h, a, 1), 0);
	assert_true(mbi(h, MBI_FLAGS) & MBI_HAS_CMDLINE);
	assert_string_equal(guest_string(h, mbi(h, MBI_CMDLINE)) + strlen(h->req.kernel_path), " low kernel");
}

/* An a.out-kludge kernel over the usual information page loads as well. */
static void test_multiboot_aout_kernel_over_the_usual_information_page_loads(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[256] = { 0 };
	const uint32_t addrs[5] = { 0x9f00, 0x9f00, 0, 0, 0x9f20 };
	const struct used_range kernel[] = { { 0x9f00, sizeof(img) } };

	put_header(img, MB_AOUT_KLUDGE, addrs);
	lh_expect_loaded(h, img, sizeof(img));
	expect_boot_data_outside(h, kernel, 1);
	assert_memory_equal(lh_ptr(h, 0x9f00, sizeof(img)), img, sizeof(img));
	lh_expect_prot32_entry(&h->state, 0x9f20);
}

/* Segments over the usual GDT page and the usual information page, and a module:
 * no piece of boot data lands on any of them, and their bytes stay as loaded. */
static void test_multiboot_boot_data_lands_outside_every_segment_and_module(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[2048], low[64], mid[64], initrd[6000];
	struct test_segment segs[3] = {
		{ .type = PT_LOAD, .paddr = 0x8000, .data = mid, .filesz = sizeof(mid), .memsz = 0x2000 },
		{ .type = PT_LOAD, .paddr = 0x1000, .data = low, .filesz = sizeof(low), .memsz = 0x2000 },
		{ .type = PT_LOAD, .paddr = 0x4000, .data = low, .filesz = sizeof(low), .memsz = 0x1000 },
	};
	struct used_range used[4] = { { 0x8000, 0x2000 }, { 0x1000, 0x2000 }, { 0x4000, 0x1000 } };
	size_t n;
	uint32_t mod_start;

	memset(mid, 0x90, sizeof(mid));
	put_header(mid, MB_PAGE_ALIGN | MB_MEMORY_INFO, NULL);
	for (size_t i = 0; i < sizeof(low); i++)
		low[i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 13 + 5);
	n = build_elf(img, sizeof(img), 0, EM_386, 0x8000 + 12, segs, 3);
	h->req.initrd_path = lh_file(h, initrd, sizeof(initrd));
	lh_expect_loaded(h, img, n);

	assert_int_equal(mbi(h, MBI_MODS_COUNT), 1);
	mod_start = lh_u32(h, mbi(h, MBI_MODS_ADDR));
	assert_int_equal(mod_start % 4096, 0);
	assert_int_equal(lh_u32(h, mbi(h, MBI_MODS_ADDR) + 4) - mod_start, sizeof(initrd));
	used[3] = (struct used_range){ mod_start, sizeof(initrd) };
	/* The module lands on no segment either. */
	expect_outside("module", mod_start, sizeof(initrd), used, 3);
	expect_boot_data_outside(h, used, 4);
	assert_memory_equal(lh_ptr(h, mod_start, sizeof(initrd)), initrd, sizeof(initrd));
	assert_memory_equal(lh_ptr(h, 0x8000, sizeof(mid)), mid, sizeof(mid));
	assert_memory_equal(lh_ptr(h, 0x1000, sizeof(low)), low, sizeof(low));
	assert_memory_equal(lh_ptr(h, 0x4000, sizeof(low)), low, sizeof(low));
	for (uint64_t a = 0x1000 + sizeof(low); a < 0x3000; a++)
		assert_int_equal(*lh_ptr(h, a, 1), 0);
}

/* A kernel and module that fill RAM but for two pages below the EBDA: the GDT
 * and the information take exactly those. With one page less there is no room,
 * and the load is refused in one line that says so. */
static void test_multiboot_refused_only_when_kernel_and_modules_leave_no_room(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[1024], text[64], initrd[0x2000];
	/* Low: 0x1000 up to `low_end`; high: 1 MiB up to the module, which (page-
	 * aligned after the kernel) ends exactly at the end of RAM. */
	struct test_segment segs[2] = {
		{ .type = PT_LOAD, .paddr = 0x100000, .data = text, .filesz = sizeof(text) },
		{ .type = PT_LOAD, .paddr = 0x1000, .data = text, .filesz = sizeof(text) },
	};
	size_t n;

	memset(text, 0x90, sizeof(text));
	put_header(text, MB_PAGE_ALIGN | MB_MEMORY_INFO, NULL);
	memset(initrd, 0x77, sizeof(initrd));
	segs[0].memsz = RAM_SIZE - sizeof(initrd) - 0x100000;
	h->req.initrd_path = lh_file(h, initrd, sizeof(initrd));

	/* Free: 0x9d000-0x9efff (the page at 0x9f000 runs into the EBDA at 0x9fc00). */
	segs[1].memsz = 0x9d000 - 0x1000;
	n = build_elf(img, sizeof(img), 0, EM_386, 0x100000 + 12, segs, 2);
	lh_expect_loaded(h, img, n);
	assert_int_equal(lh_u32(h, mbi(h, MBI_MODS_ADDR)), RAM_SIZE - sizeof(initrd));
	assert_in_range(h->state.gdtr.base, 0x9d000, 0x9efff);
	assert_in_range(h->state.gpr[GPR_RBX], 0x9d000, 0x9efff);

	/* One page less. */
	segs[1].memsz = 0x9e000 - 0x1000;
	n = build_elf(img, sizeof(img), 0, EM_386, 0x100000 + 12, segs, 2);
	lh_expect_refused(h, img, n);
	assert_non_null(strstr(h->why, "no room for ringvisor's boot information"));
}

static void test_multiboot_rejects_kernel_past_ram_end(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[256] = { 0 };
	const uint32_t addrs[5] = { RAM_SIZE - 0x80, RAM_SIZE - 0x80, 0, 0, RAM_SIZE - 0x80 };

	put_header(img, MB_AOUT_KLUDGE, addrs);
	lh_expect_refused(h, img, sizeof(img));
}

static void test_multiboot_is_detected_before_plain_elf(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = mb_elf_kernel(img, sizeof(img), 0);

	/* With --format auto an ELF file with a Multiboot header boots as Multiboot. */
	h->req.format = FORMAT_AUTO;
	lh_expect_loaded(h, img, n);
	assert_int_equal(h->state.gpr[GPR_RAX], MB_BOOT_MAGIC);
}

static void test_multiboot_format_elf_loads_it_as_plain_elf(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = mb_elf_kernel(img, sizeof(img), 0);

	h->req.format = FORMAT_ELF;
	lh_expect_loaded(h, img, n);
	lh_expect_gprs_zero_except(&h->state, -1, -1);
}

#define MB_TEST(f) cmocka_unit_test_setup_teardown(f, mb_setup, mb_teardown)
#define MB_TEST_4_GIB(f) cmocka_unit_test_setup_teardown(f, mb_setup_4_gib, mb_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		MB_TEST(test_multiboot_enters_protected_mode_with_magic_and_info_address),
		MB_TEST(test_multiboot_info_flags_announce_the_fields_given),
		MB_TEST(test_multiboot_mem_upper_is_ram_above_1_mib_in_kib),
		MB_TEST_4_GIB(test_multiboot_mem_upper_stops_at_3_gib_hole),
		MB_TEST(test_multiboot_mmap_lists_ram_above_1_mib_as_available),
		MB_TEST_4_GIB(test_multiboot_mmap_of_4_gib_guest_has_hole_and_high_ram),
		MB_TEST(test_multiboot_cmdline_is_kernel_path_space_append),
		MB_TEST(test_multiboot_cmdline_without_append_is_kernel_path),
		MB_TEST(test_multiboot_overlong_cmdline_is_never_truncated),
		MB_TEST(test_multiboot_module_is_page_aligned_after_kernel),
		MB_TEST(test_multiboot_without_initrd_has_no_module),
		MB_TEST(test_multiboot_rejects_missing_initrd),
		MB_TEST(test_multiboot_rejects_module_larger_than_ram_unread),
		MB_TEST(test_multiboot_rejects_unsupported_required_flag_bits),
		MB_TEST(test_multiboot_ignores_unknown_optional_flag_bits),
		MB_TEST(test_multiboot_header_with_bad_checksum_is_not_a_header),
		MB_TEST(test_multiboot_header_beyond_first_8_kib_is_not_found),
		MB_TEST(test_multiboot_header_must_be_32bit_aligned),
		MB_TEST(test_multiboot_aout_kludge_loads_by_header_addresses),
		MB_TEST(test_multiboot_aout_file_offset_is_header_offset_minus_address_delta),
		MB_TEST(test_multiboot_aout_load_end_addr_limits_bytes_copied),
		MB_TEST(test_multiboot_aout_rejects_load_end_past_eof),
		MB_TEST(test_multiboot_aout_rejects_header_addr_below_load_addr),
		MB_TEST(test_multiboot_aout_rejects_bss_end_below_load_end),
		MB_TEST(test_multiboot_segment_at_0x8000_loads_with_its_information_elsewhere),
		MB_TEST(test_multiboot_aout_kernel_over_the_usual_information_page_loads),
		MB_TEST(test_multiboot_boot_data_lands_outside_every_segment_and_module),
		MB_TEST(test_multiboot_refused_only_when_kernel_and_modules_leave_no_room),
		MB_TEST(test_multiboot_rejects_kernel_past_ram_end),
		MB_TEST(test_multiboot_is_detected_before_plain_elf),
		MB_TEST(test_multiboot_format_elf_loads_it_as_plain_elf),
	};

	return cmocka_run_group_tests_name("multiboot_loader", tests, NULL, NULL);
}
