/* The ELF loader (src/loader/elf.c) through loader_load(): images built in memory
 * (ELF spec: ELF header, program header table, PT_LOAD segments) and the entry
 * state of docs/guest-abi.md, "ELF64" and "ELF32 without a Multiboot header". */
#include "loader_harness.h"

#define MiB (1ull << 20)
#define RAM_SIZE (16 * MiB)

static const uint8_t code[16] = { 0xf4, 0xeb, 0xfd, 0x90, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

static int elf_setup(void **state)
{
	*state = lh_new(RAM_SIZE);
	return *state ? 0 : -1;
}

static int elf_teardown(void **state)
{
	lh_free(*state);
	return 0;
}

/* A one-segment image of the given class whose segment holds `code`. */
static size_t one_segment(uint8_t *buf, size_t cap, int is64, uint64_t paddr, uint64_t memsz, uint64_t entry)
{
	struct test_segment seg = {
		.type = PT_LOAD, .paddr = paddr, .vaddr = paddr, .data = code, .filesz = sizeof(code), .memsz = memsz
	};

	return build_elf(buf, cap, is64, is64 ? EM_X86_64 : EM_386, entry, &seg, 1);
}

static void test_elf64_segment_is_copied_to_paddr_and_bss_zeroed(void **state)
{
	struct loader_harness *h = *state;
	struct test_segment seg = {
		/* A higher-half kernel: vaddr differs from paddr, and paddr is what counts. */
		.type = PT_LOAD, .paddr = 0x200000,	 .vaddr = 0xffffffff80200000ull,
		.data = code,	 .filesz = sizeof(code), .memsz = 0x3000,
	};
	uint8_t img[512];
	size_t n = build_elf(img, sizeof(img), 1, EM_X86_64, 0x200000, &seg, 1);
	uint8_t *p;

	/* Garbage where the bss goes, which the loader must clear (ELF spec: the bytes
	 * between p_filesz and p_memsz "are defined to hold the value 0"). */
	memset(lh_ptr(h, 0x200000, 0x4000), 0xcc, 0x4000);
	lh_expect_loaded(h, img, n);
	p = lh_ptr(h, 0x200000, 0x4000);
	assert_memory_equal(p, code, sizeof(code));
	for (size_t i = sizeof(code); i < 0x3000; i++)
		if (p[i] != 0)
			fail_msg("bss byte at 0x%zx is 0x%02x", 0x200000 + i, p[i]);
	/* Beyond p_memsz nothing was touched. */
	assert_int_equal(p[0x3000], 0xcc);
}

static void test_elf64_enters_long_mode_as_guest_abi_says(void **state)
{
	struct loader_harness *h = *state;
	const struct vcpu_state *s = &h->state;
	uint8_t img[512];
	size_t n = one_segment(img, sizeof(img), 1, 0x100000, sizeof(code), 0x100004);

	lh_expect_loaded(h, img, n);
	lh_expect_common_entry(s);
	assert_int_equal(s->rip, 0x100004);
	lh_expect_flat_segment(&s->seg[SREG_CS], 0x08, 1, 0, 1);
	lh_expect_data_segments(s);
	/* CR0 = PE (0) | MP (1) | ET (4) | NE (5) | WP (16) | PG (31) = 0x80010033. */
	assert_int_equal(s->cr0, 0x80010033ull);
	assert_int_equal(s->cr4, 0x20);	  /* PAE, bit 5 */
	assert_int_equal(s->efer, 0x500); /* LME (bit 8) | LMA (bit 10) */
	assert_int_equal(s->cr3, 0x2000);
	lh_expect_boot_descriptor_tables(s);
	/* RSP zero like every GPR: "the kernel sets up its own stack". */
	lh_expect_gprs_zero_except(s, -1, -1);
}

static void test_elf64_gdt_at_0x1000_holds_the_documented_descriptors(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = one_segment(img, sizeof(img), 1, 0x100000, sizeof(code), 0x100000);

	lh_expect_loaded(h, img, n);
	/* Selector 0x08: 64-bit code; 0x10: flat 32-bit data; 0x18: flat 32-bit code
	 * (the well-known encodings, SDM Vol. 3A figure 3-8). */
	assert_int_equal(lh_u64(h, 0x1008), 0x00af9b000000ffffull);
	assert_int_equal(lh_u64(h, 0x1010), 0x00cf93000000ffffull);
	assert_int_equal(lh_u64(h, 0x1018), 0x00cf9b000000ffffull);
}

/* A 4-level walk (SDM Vol. 3A, 4.5, "4-Level Paging") through the tables in guest
 * RAM; returns the physical address or UINT64_MAX if not present. */
static uint64_t walk(struct loader_harness *h, uint64_t cr3, uint64_t va)
{
	const uint64_t addr_mask = 0x000ffffffffff000ull;
	uint64_t e;

	e = lh_u64(h, (cr3 & addr_mask) + ((va >> 39) & 511) * 8);
	if (!(e & 1))
		return UINT64_MAX;
	e = lh_u64(h, (e & addr_mask) + ((va >> 30) & 511) * 8);
	if (!(e & 1))
		return UINT64_MAX;
	if (e & 0x80) /* 1 GiB page */
		return (e & 0x000fffffc0000000ull) | (va & 0x3fffffff);
	e = lh_u64(h, (e & addr_mask) + ((va >> 21) & 511) * 8);
	if (!(e & 1))
		return UINT64_MAX;
	if (e & 0x80) /* 2 MiB page */
		return (e & 0x000fffffffe00000ull) | (va & 0x1fffff);
	e = lh_u64(h, (e & addr_mask) + ((va >> 12) & 511) * 8);
	if (!(e & 1))
		return UINT64_MAX;
	return (e & addr_mask) | (va & 0xfff);
}

static void test_elf64_page_tables_identity_map_first_4_gib(void **state)
{
	static const uint64_t probes[] = {
		0, 0x1000, 0x100004, 0x1fffff, 0x200000, 0x12345678, 0xbfffffff, 0xc0000000, 0xfee00000, 0xffffffff,
	};
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = one_segment(img, sizeof(img), 1, 0x100000, sizeof(code), 0x100000);

	lh_expect_loaded(h, img, n);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint64_t pa = walk(h, h->state.cr3, probes[i]);

		if (pa != probes[i])
			fail_msg("linear 0x%llx maps to 0x%llx", (unsigned long long)probes[i], (unsigned long long)pa);
	}
	/* The tables live at 0x2000-0x7fff as documented: PML4 entry 0 points into it. */
	assert_in_range(lh_u64(h, 0x2000) & 0x000ffffffffff000ull, 0x2000, 0x7000);
	/* Writable mappings (bit 1 at every level) for a kernel that writes its data. */
	assert_int_equal(lh_u64(h, 0x2000) & 3, 3);
}

static void test_elf32_without_multiboot_enters_protected_mode_paging_off(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = one_segment(img, sizeof(img), 0, 0x100000, sizeof(code), 0x100008);

	lh_expect_loaded(h, img, n);
	lh_expect_prot32_entry(&h->state, 0x100008);
	/* No Multiboot header: EAX is not the Multiboot magic, and every GPR is zero. */
	lh_expect_gprs_zero_except(&h->state, -1, -1);
	assert_memory_equal(lh_ptr(h, 0x100000, sizeof(code)), code, sizeof(code));
}

static void test_elf_rejects_truncated_elf64_header(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];

	assert_true(one_segment(img, sizeof(img), 1, 0x100000, sizeof(code), 0x100000) > 0);
	/* 40 of the 64 bytes of an Elf64_Ehdr. */
	lh_expect_refused(h, img, 40);
}

static void test_elf_rejects_truncated_elf32_header(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];

	assert_true(one_segment(img, sizeof(img), 0, 0x100000, sizeof(code), 0x100000) > 0);
	/* 30 of the 52 bytes of an Elf32_Ehdr. */
	lh_expect_refused(h, img, 30);
}

static void test_elf_rejects_file_shorter_than_e_ident(void **state)
{
	static const uint8_t img[] = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB };
	struct loader_harness *h = *state;

	lh_expect_refused(h, img, sizeof(img));
}

static void test_elf_rejects_program_headers_past_eof(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = one_segment(img, sizeof(img), 1, 0x100000, sizeof(code), 0x100000);
	Elf64_Ehdr eh;

	/* The table would end 1 byte after the file. */
	memcpy(&eh, img, sizeof(eh));
	eh.e_phoff = n - sizeof(Elf64_Phdr) + 1;
	memcpy(img, &eh, sizeof(eh));
	lh_expect_refused(h, img, n);
}

static void test_elf_rejects_program_header_count_past_eof(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = one_segment(img, sizeof(img), 0, 0x100000, sizeof(code), 0x100000);
	Elf32_Ehdr eh;

	memcpy(&eh, img, sizeof(eh));
	eh.e_phnum = 0xffff;
	memcpy(img, &eh, sizeof(eh));
	lh_expect_refused(h, img, n);
}

static void test_elf_rejects_segment_data_past_eof(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = one_segment(img, sizeof(img), 1, 0x100000, 0x1000, 0x100000);
	Elf64_Phdr ph;

	memcpy(&ph, img + sizeof(Elf64_Ehdr), sizeof(ph));
	ph.p_filesz = n; /* from its offset, runs past the end of the file */
	memcpy(img + sizeof(Elf64_Ehdr), &ph, sizeof(ph));
	lh_expect_refused(h, img, n);

	memcpy(&ph, img + sizeof(Elf64_Ehdr), sizeof(ph));
	ph.p_filesz = 4;
	ph.p_offset = UINT64_MAX - 1; /* offset + filesz wraps */
	memcpy(img + sizeof(Elf64_Ehdr), &ph, sizeof(ph));
	lh_expect_refused(h, img, n);
}

static void test_elf_rejects_filesz_larger_than_memsz(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	/* ELF spec: "The file size may not be larger than the memory size." */
	size_t n = one_segment(img, sizeof(img), 1, 0x100000, sizeof(code) - 1, 0x100000);

	lh_expect_refused(h, img, n);
}

static void test_elf_rejects_wrong_machine(void **state)
{
	struct loader_harness *h = *state;
	struct test_segment seg = {
		.type = PT_LOAD, .paddr = 0x100000, .data = code, .filesz = sizeof(code), .memsz = sizeof(code)
	};
	uint8_t img[512];
	size_t n;

	/* ELF64 must be EM_X86_64 (62), ELF32 EM_386 (3). */
	n = build_elf(img, sizeof(img), 1, EM_AARCH64, 0x100000, &seg, 1);
	lh_expect_refused(h, img, n);
	n = build_elf(img, sizeof(img), 0, EM_ARM, 0x100000, &seg, 1);
	lh_expect_refused(h, img, n);
	n = build_elf(img, sizeof(img), 1, EM_386, 0x100000, &seg, 1);
	lh_expect_refused(h, img, n);
}

static void test_elf_rejects_big_endian_file(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = one_segment(img, sizeof(img), 1, 0x100000, sizeof(code), 0x100000);

	img[EI_DATA] = ELFDATA2MSB;
	lh_expect_refused(h, img, n);
}

static void test_elf_rejects_segment_past_ram_end(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n;

	/* The file bytes fit, the last one does not. */
	n = one_segment(img, sizeof(img), 1, RAM_SIZE - sizeof(code) + 1, sizeof(code), 0x100000);
	lh_expect_refused(h, img, n);
	/* The file bytes fit, the bss does not. */
	n = one_segment(img, sizeof(img), 1, RAM_SIZE - 0x1000, 0x1001, 0x100000);
	lh_expect_refused(h, img, n);
	/* Far beyond RAM, and in the 3-4 GiB hole. */
	n = one_segment(img, sizeof(img), 1, 0xfee00000, sizeof(code), 0x100000);
	lh_expect_refused(h, img, n);
}

static void test_elf_rejects_segment_whose_end_wraps(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = one_segment(img, sizeof(img), 1, 0xfffffffffffff000ull, 0x2000, 0x100000);

	lh_expect_refused(h, img, n);
}

static void test_elf_accepts_segment_ending_at_last_byte_of_ram(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = one_segment(img, sizeof(img), 1, RAM_SIZE - sizeof(code), sizeof(code), RAM_SIZE - sizeof(code));

	lh_expect_loaded(h, img, n);
	assert_memory_equal(lh_ptr(h, RAM_SIZE - sizeof(code), sizeof(code)), code, sizeof(code));
}

/* Does [a, a + alen) touch [b, b + blen)? */
static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* The GDT at GDTR holds the documented descriptors (docs/guest-abi.md). */
static void expect_boot_gdt_at(struct loader_harness *h, uint64_t base)
{
	assert_int_equal(h->state.gdtr.base, base);
	assert_int_equal(lh_u64(h, base + 0x08), 0x00af9b000000ffffull);
	assert_int_equal(lh_u64(h, base + 0x10), 0x00cf93000000ffffull);
	assert_int_equal(lh_u64(h, base + 0x18), 0x00cf9b000000ffffull);
}

/* docs/guest-abi.md: the boot structures go where the kernel is not. A 64-bit
 * kernel with a segment across the default page tables (0x2000-0x7fff) loads;
 * its bytes stay as loaded, and GDT and tables are elsewhere and still work. */
static void test_elf64_segment_over_the_default_tables_loads_and_the_tables_move(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = one_segment(img, sizeof(img), 1, 0x5000, 0x3000, 0x5000);
	uint64_t cr3;

	lh_expect_loaded(h, img, n);
	cr3 = h->state.cr3 & ~0xfffull;
	/* Six pages of tables (PML4, PDPT, four PDs) and the GDT, none on the segment. */
	assert_false(overlaps(cr3, 0x6000, 0x5000, 0x3000));
	assert_false(overlaps(h->state.gdtr.base, 32, 0x5000, 0x3000));
	assert_false(overlaps(h->state.gdtr.base, 32, cr3, 0x6000));
	assert_memory_equal(lh_ptr(h, 0x5000, sizeof(code)), code, sizeof(code));
	for (uint64_t a = 0x5000 + sizeof(code); a < 0x8000; a++)
		assert_int_equal(*lh_ptr(h, a, 1), 0);
	expect_boot_gdt_at(h, h->state.gdtr.base);
	assert_int_equal(walk(h, h->state.cr3, 0x5000), 0x5000);
	assert_int_equal(walk(h, h->state.cr3, 0xfee00000), 0xfee00000);
	assert_int_equal(walk(h, h->state.cr3, 0xffffffff), 0xffffffff);
	assert_int_equal(h->state.rip, 0x5000);
}

/* Segments at 0x8000 (real-mode test kernels link there) and over the default
 * GDT page: the GDT moves; a 32-bit entry needs no page tables. */
static void test_elf32_segments_at_0x8000_and_0x1000_load_and_the_gdt_moves(void **state)
{
	struct loader_harness *h = *state;
	struct test_segment segs[2] = {
		{ .type = PT_LOAD, .paddr = 0x8000, .data = code, .filesz = sizeof(code), .memsz = 0x1000 },
		{ .type = PT_LOAD, .paddr = 0x1000, .data = code, .filesz = sizeof(code), .memsz = 0x1000 },
	};
	uint8_t img[512];
	size_t n = build_elf(img, sizeof(img), 0, EM_386, 0x8000, segs, 2);

	lh_expect_loaded(h, img, n);
	assert_false(overlaps(h->state.gdtr.base, 32, 0x8000, 0x1000));
	assert_false(overlaps(h->state.gdtr.base, 32, 0x1000, 0x1000));
	assert_true(h->state.gdtr.base >= 0x1000); /* not over the interrupt vector table */
	expect_boot_gdt_at(h, h->state.gdtr.base);
	assert_memory_equal(lh_ptr(h, 0x8000, sizeof(code)), code, sizeof(code));
	assert_memory_equal(lh_ptr(h, 0x1000, sizeof(code)), code, sizeof(code));
	assert_int_equal(lh_u64(h, 0x1000 + sizeof(code)), 0);
	assert_int_equal(h->state.rip, 0x8000);
}

/* Segments that cover all RAM but six free pages below the EBDA: room for the
 * GDT of a 32-bit entry, not for the GDT and six pages of tables of a 64-bit
 * one, which is refused in one line. */
static void test_elf_refused_only_when_the_boot_structures_truly_do_not_fit(void **state)
{
	struct loader_harness *h = *state;
	/* Free: 0x99000-0x9efff (six pages; the page at 0x9f000 runs into the
	 * EBDA at 0x9fc00). Everything from 1 MiB to the end of RAM is taken. */
	struct test_segment segs[2] = {
		{ .type = PT_LOAD, .paddr = 0x1000, .data = code, .filesz = sizeof(code), .memsz = 0x98000 },
		{ .type = PT_LOAD,
		  .paddr = 0x100000,
		  .data = code,
		  .filesz = sizeof(code),
		  .memsz = RAM_SIZE - 0x100000 },
	};
	uint8_t img[512];
	size_t n = build_elf(img, sizeof(img), 1, EM_X86_64, 0x100000, segs, 2);

	lh_expect_refused(h, img, n);
	assert_non_null(strstr(h->why, "no room"));
	assert_non_null(strstr(h->why, "page tables"));

	n = build_elf(img, sizeof(img), 0, EM_386, 0x100000, segs, 2);
	lh_expect_loaded(h, img, n);
	assert_in_range(h->state.gdtr.base, 0x99000, 0x9e000);
	expect_boot_gdt_at(h, h->state.gdtr.base);
}

/* Segments just around the default boot structures (0x1000-0x9fff) leave them
 * where docs/guest-abi.md says they usually are. */
static void test_elf_segments_around_the_default_boot_structures_leave_them_in_place(void **state)
{
	struct loader_harness *h = *state;
	struct test_segment segs[2] = {
		/* [0xff0, 0x1000) ends where they begin; [0xa000, ...) starts after them. */
		{ .type = PT_LOAD, .paddr = 0xff0, .data = code, .filesz = sizeof(code), .memsz = sizeof(code) },
		{ .type = PT_LOAD, .paddr = 0xa000, .data = code, .filesz = sizeof(code), .memsz = 0x100 },
	};
	uint8_t img[512];
	size_t n = build_elf(img, sizeof(img), 0, EM_386, 0xa000, segs, 2);

	lh_expect_loaded(h, img, n);
	assert_memory_equal(lh_ptr(h, 0xff0, sizeof(code)), code, sizeof(code));
	assert_memory_equal(lh_ptr(h, 0xa000, sizeof(code)), code, sizeof(code));
	assert_int_equal(h->state.gdtr.base, 0x1000);
}

static void test_elf_loads_every_pt_load_and_ignores_other_segments(void **state)
{
	static const uint8_t note[8] = { 'n', 'o', 't', 'e', 0, 0, 0, 0 };
	struct loader_harness *h = *state;
	struct test_segment segs[3] = {
		{ .type = PT_LOAD, .paddr = 0x100000, .data = code, .filesz = sizeof(code), .memsz = sizeof(code) },
		/* A PT_NOTE over the default page tables: not loaded, so they stay there. */
		{ .type = PT_NOTE, .paddr = 0x2000, .data = note, .filesz = sizeof(note), .memsz = sizeof(note) },
		{ .type = PT_LOAD, .paddr = 0x300000, .data = note, .filesz = sizeof(note), .memsz = sizeof(note) },
	};
	uint8_t img[512];
	size_t n = build_elf(img, sizeof(img), 1, EM_X86_64, 0x100000, segs, 3);

	lh_expect_loaded(h, img, n);
	assert_memory_equal(lh_ptr(h, 0x100000, sizeof(code)), code, sizeof(code));
	assert_memory_equal(lh_ptr(h, 0x300000, sizeof(note)), note, sizeof(note));
	assert_int_equal(h->state.cr3, 0x2000);
}

static void test_elf_rejects_file_without_load_segment(void **state)
{
	struct loader_harness *h = *state;
	struct test_segment seg = {
		.type = PT_NOTE, .paddr = 0x100000, .data = code, .filesz = sizeof(code), .memsz = sizeof(code)
	};
	uint8_t img[512];
	size_t n = build_elf(img, sizeof(img), 1, EM_X86_64, 0x100000, &seg, 1);

	lh_expect_refused(h, img, n);
}

static void test_elf64_rejects_entry_outside_first_4_gib(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	/* The boot page tables map only the first 4 GiB: the entry would fault. */
	size_t n = one_segment(img, sizeof(img), 1, 0x100000, sizeof(code), 0x100000000ull);

	lh_expect_refused(h, img, n);
}

static void test_elf_rejects_initrd_for_plain_elf(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = one_segment(img, sizeof(img), 1, 0x100000, sizeof(code), 0x100000);

	/* Only Multiboot has a way to hand a module to the kernel. */
	h->req.initrd_path = lh_file(h, "initrd", 6);
	lh_expect_refused(h, img, n);
}

static void test_elf_rejects_append_for_plain_elf(void **state)
{
	struct loader_harness *h = *state;
	uint8_t img[512];
	size_t n = one_segment(img, sizeof(img), 0, 0x100000, sizeof(code), 0x100000);

	h->req.cmdline = "console=ttyS0";
	lh_expect_refused(h, img, n);
}

static void test_loader_rejects_missing_kernel_file(void **state)
{
	struct loader_harness *h = *state;

	h->req.kernel_path = "/nonexistent/ringvisor-unit-kernel";
	assert_int_equal(loader_load(&h->req, &h->mem, &h->state, h->why, sizeof(h->why)), -1);
	assert_non_null(strstr(h->why, "/nonexistent/ringvisor-unit-kernel"));
}

#define ELF_TEST(f) cmocka_unit_test_setup_teardown(f, elf_setup, elf_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ELF_TEST(test_elf64_segment_is_copied_to_paddr_and_bss_zeroed),
		ELF_TEST(test_elf64_enters_long_mode_as_guest_abi_says),
		ELF_TEST(test_elf64_gdt_at_0x1000_holds_the_documented_descriptors),
		ELF_TEST(test_elf64_page_tables_identity_map_first_4_gib),
		ELF_TEST(test_elf32_without_multiboot_enters_protected_mode_paging_off),
		ELF_TEST(test_elf_rejects_truncated_elf64_header),
		ELF_TEST(test_elf_rejects_truncated_elf32_header),
		ELF_TEST(test_elf_rejects_file_shorter_than_e_ident),
		ELF_TEST(test_elf_rejects_program_headers_past_eof),
		ELF_TEST(test_elf_rejects_program_header_count_past_eof),
		ELF_TEST(test_elf_rejects_segment_data_past_eof),
		ELF_TEST(test_elf_rejects_filesz_larger_than_memsz),
		ELF_TEST(test_elf_rejects_wrong_machine),
		ELF_TEST(test_elf_rejects_big_endian_file),
		ELF_TEST(test_elf_rejects_segment_past_ram_end),
		ELF_TEST(test_elf_rejects_segment_whose_end_wraps),
		ELF_TEST(test_elf_accepts_segment_ending_at_last_byte_of_ram),
		ELF_TEST(test_elf64_segment_over_the_default_tables_loads_and_the_tables_move),
		ELF_TEST(test_elf32_segments_at_0x8000_and_0x1000_load_and_the_gdt_moves),
		ELF_TEST(test_elf_refused_only_when_the_boot_structures_truly_do_not_fit),
		ELF_TEST(test_elf_segments_around_the_default_boot_structures_leave_them_in_place),
		ELF_TEST(test_elf_loads_every_pt_load_and_ignores_other_segments),
		ELF_TEST(test_elf_rejects_file_without_load_segment),
		ELF_TEST(test_elf64_rejects_entry_outside_first_4_gib),
		ELF_TEST(test_elf_rejects_initrd_for_plain_elf),
		ELF_TEST(test_elf_rejects_append_for_plain_elf),
		ELF_TEST(test_loader_rejects_missing_kernel_file),
	};

	return cmocka_run_group_tests_name("elf_loader", tests, NULL, NULL);
}
