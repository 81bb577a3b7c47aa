/* The flat-binary loader (src/loader/flat.c) through loader_load():
 * docs/guest-abi.md, "Flat binary": loaded at --load-addr (default 0x7c00, where
 * a PC BIOS loads a boot sector), entered in 16-bit real mode with CS:IP = 0:addr,
 * or CS = addr >> 4, IP = addr & 0xf above 0xffff; the image must lie below 1 MiB. */
#include "loader_harness.h"

#define MiB (1ull << 20)

static const uint8_t boot[8] = { 0xfa, 0xf4, 0xeb, 0xfd, 0x55, 0xaa, 0x12, 0x34 };

static int flat_setup(void **state)
{
	struct loader_harness *h = lh_new(16 * MiB);

	if (h)
		h->req.format = FORMAT_FLAT;
	*state = h;
	return h ? 0 : -1;
}

static int flat_teardown(void **state)
{
	lh_free(*state);
	return 0;
}

/* Real mode as the SDM describes it after the BIOS: PE clear, segment base =
 * selector * 16, 64 KiB limits; and the common entry rules of docs/guest-abi.md. */
static void expect_real_mode_entry(const struct vcpu_state *s, uint16_t cs, uint16_t ip)
{
	lh_expect_common_entry(s);
	assert_int_equal(s->cr0 & 1, 0); /* PE */
	assert_int_equal(s->cr0 & (1ull << 31), 0);
	assert_int_equal(s->efer, 0);
	assert_int_equal(s->seg[SREG_CS].selector, cs);
	assert_int_equal(s->seg[SREG_CS].base, (uint64_t)cs << 4);
	assert_int_equal(s->seg[SREG_CS].limit, 0xffff);
	assert_int_equal(s->rip, ip);
	for (int i = 0; i < SREG_COUNT; i++) {
		assert_int_equal(s->seg[i].base, (uint64_t)s->seg[i].selector << 4);
		assert_int_equal(s->seg[i].present, 1);
	}
	lh_expect_gprs_zero_except(s, -1, -1);
}

static void test_flat_default_is_real_mode_at_0000_7c00(void **state)
{
	struct loader_harness *h = *state;

	lh_expect_loaded(h, boot, sizeof(boot));
	assert_memory_equal(lh_ptr(h, 0x7c00, sizeof(boot)), boot, sizeof(boot));
	expect_real_mode_entry(&h->state, 0, 0x7c00);
}

static void test_flat_entry_keeps_reset_idtr_for_the_real_mode_ivt(void **state)
{
	struct loader_harness *h = *state;

	lh_expect_loaded(h, boot, sizeof(boot));
	/* docs/guest-abi.md, flat binary: IDTR keeps its reset value (Intel SDM Vol. 3,
	 * table 10-1: base 0, limit 0xffff), so INT n uses the vector table at 0. */
	assert_int_equal(h->state.idtr.base, 0);
	assert_int_equal(h->state.idtr.limit, 0xffff);
}

static void test_flat_entry_writes_no_gdt(void **state)
{
	struct loader_harness *h = *state;

	lh_expect_loaded(h, boot, sizeof(boot));
	/* docs/guest-abi.md: no GDT, page tables or boot information for a flat binary;
	 * GDTR keeps its reset value and guest memory at 0x1000 is untouched (zero). */
	assert_int_equal(h->state.gdtr.base, 0);
	assert_int_equal(h->state.gdtr.limit, 0xffff);
	assert_int_equal(lh_u64(h, 0x1008), 0);
	assert_int_equal(lh_u64(h, 0x1018), 0);
}

static void test_flat_load_addr_below_64_kib_uses_cs_zero(void **state)
{
	struct loader_harness *h = *state;

	h->req.load_addr = 0xfff0;
	h->req.load_addr_set = true;
	lh_expect_loaded(h, boot, sizeof(boot));
	assert_memory_equal(lh_ptr(h, 0xfff0, sizeof(boot)), boot, sizeof(boot));
	expect_real_mode_entry(&h->state, 0, 0xfff0);
}

static void test_flat_load_addr_above_64_kib_splits_into_cs_and_ip(void **state)
{
	struct loader_harness *h = *state;

	/* 0x12345: CS = 0x1234, IP = 0x5, and CS.base + IP = 0x12340 + 5 is the address. */
	h->req.load_addr = 0x12345;
	h->req.load_addr_set = true;
	lh_expect_loaded(h, boot, sizeof(boot));
	assert_memory_equal(lh_ptr(h, 0x12345, sizeof(boot)), boot, sizeof(boot));
	expect_real_mode_entry(&h->state, 0x1234, 0x5);
	h->req.load_addr = 0x10000;
	lh_expect_loaded(h, boot, sizeof(boot));
	expect_real_mode_entry(&h->state, 0x1000, 0);
}

static void test_flat_accepts_image_ending_exactly_at_1_mib(void **state)
{
	struct loader_harness *h = *state;
	static uint8_t img[0x1000];

	memset(img, 0x90, sizeof(img));
	h->req.load_addr = 0xff000;
	h->req.load_addr_set = true;
	lh_expect_loaded(h, img, sizeof(img));
	assert_memory_equal(lh_ptr(h, 0xff000, sizeof(img)), img, sizeof(img));
	expect_real_mode_entry(&h->state, 0xff00, 0);
}

static void test_flat_rejects_image_crossing_1_mib(void **state)
{
	struct loader_harness *h = *state;
	static uint8_t img[0x1001];

	/* Its last byte would be at 0x100000, which real mode cannot reach without A20 tricks. */
	h->req.load_addr = 0xff000;
	h->req.load_addr_set = true;
	lh_expect_refused(h, img, sizeof(img));
}

static void test_flat_rejects_load_addr_at_or_above_1_mib(void **state)
{
	static const uint64_t addrs[] = { 0x100000, 0x200000, 0xffffffffull, UINT64_MAX - 4 };
	struct loader_harness *h = *state;

	h->req.load_addr_set = true;
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		h->req.load_addr = addrs[i];
		lh_expect_refused(h, boot, sizeof(boot));
	}
}

static void test_flat_rejects_empty_image(void **state)
{
	struct loader_harness *h = *state;

	lh_expect_refused(h, boot, 0);
}

static void test_flat_rejects_initrd_and_append(void **state)
{
	struct loader_harness *h = *state;

	h->req.initrd_path = lh_file(h, "x", 1);
	lh_expect_refused(h, boot, sizeof(boot));
	h->req.initrd_path = NULL;
	h->req.cmdline = "quiet";
	lh_expect_refused(h, boot, sizeof(boot));
}

static void test_flat_is_never_detected_automatically(void **state)
{
	struct loader_harness *h = *state;

	/* Any file is a valid flat binary, so auto-detection must not guess it. */
	h->req.format = FORMAT_AUTO;
	lh_expect_refused(h, boot, sizeof(boot));
}

static void test_load_addr_is_refused_for_other_formats(void **state)
{
	struct loader_harness *h = *state;
	struct test_segment seg = {
		.type = PT_LOAD, .paddr = 0x100000, .data = boot, .filesz = sizeof(boot), .memsz = sizeof(boot)
	};
	uint8_t img[256];
	size_t n = build_elf(img, sizeof(img), 1, EM_X86_64, 0x100000, &seg, 1);

	/* --load-addr applies only to --format flat. */
	h->req.format = FORMAT_AUTO;
	h->req.load_addr = 0x8000;
	h->req.load_addr_set = true;
	lh_expect_refused(h, img, n);
	h->req.format = FORMAT_ELF;
	lh_expect_refused(h, img, n);
}

static void test_kernel_format_names_round_trip(void **state)
{
	enum kernel_format f;

	(void)state;
	for (int i = 0; i < FORMAT_COUNT; i++) {
		assert_int_equal(kernel_format_parse(kernel_format_name((enum kernel_format)i), &f), 0);
		assert_int_equal(f, i);
	}
	/* The names --format takes (docs/guest-abi.md: --format elf|multiboot|flat). */
	assert_int_equal(kernel_format_parse("flat", &f), 0);
	assert_int_equal(f, FORMAT_FLAT);
	assert_int_equal(kernel_format_parse("multiboot", &f), 0);
	assert_int_equal(f, FORMAT_MULTIBOOT);
	assert_int_equal(kernel_format_parse("elf", &f), 0);
	assert_int_equal(f, FORMAT_ELF);
	assert_int_equal(kernel_format_parse("bzImage", &f), -1);
	assert_int_equal(kernel_format_parse("", &f), -1);
}

#define FLAT_TEST(f) cmocka_unit_test_setup_teardown(f, flat_setup, flat_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FLAT_TEST(test_flat_default_is_real_mode_at_0000_7c00),
		FLAT_TEST(test_flat_entry_keeps_reset_idtr_for_the_real_mode_ivt),
		FLAT_TEST(test_flat_entry_writes_no_gdt),
		FLAT_TEST(test_flat_load_addr_below_64_kib_uses_cs_zero),
		FLAT_TEST(test_flat_load_addr_above_64_kib_splits_into_cs_and_ip),
		FLAT_TEST(test_flat_accepts_image_ending_exactly_at_1_mib),
		FLAT_TEST(test_flat_rejects_image_crossing_1_mib),
		FLAT_TEST(test_flat_rejects_load_addr_at_or_above_1_mib),
		FLAT_TEST(test_flat_rejects_empty_image),
		FLAT_TEST(test_flat_rejects_initrd_and_append),
		FLAT_TEST(test_flat_is_never_detected_automatically),
		FLAT_TEST(test_load_addr_is_refused_for_other_formats),
		cmocka_unit_test(test_kernel_format_names_round_trip),
	};

	return cmocka_run_group_tests_name("flat_loader", tests, NULL, NULL);
}
