/* The Linux boot protocol loader, against synthetic bzImages whose header fields
 * follow Documentation/arch/x86/boot.rst (offsets in the comments). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "loader_harness.h"
#include "unit_helpers.h"

#define KERNEL_OFF 1024 /* setup_sects = 1: (1 + 1) * 512 */
#define PAYLOAD 4096
#define IMAGE_SIZE (KERNEL_OFF + PAYLOAD)
#define PREF 0x1000000ull
#define ZERO_PAGE 0x10000ull
#define CMDLINE 0x11000ull
#define MEM (64ull << 20)

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* A relocatable 64-bit bzImage: protocol 2.15, XLF_KERNEL_64, preferred address
 * 16 MiB, init_size 1 MiB, syssize covering the whole payload; the payload is a
 * byte pattern. */
static void make_image(uint8_t *img)
{
	memset(img, 0, IMAGE_SIZE);
	img[0x1f1] = 1;			  /* setup_sects */
	put32(img + 0x1f4, PAYLOAD / 16); /* syssize, in 16-byte paragraphs */
	img[0x1fe] = 0x55;		  /* boot_flag */
	img[0x1ff] = 0xaa;
	img[0x201] = 0x66; /* the header ends at 0x202 + 0x66 = 0x268 */
	memcpy(img + 0x202, "HdrS", 4);
	put16(img + 0x206, 0x020f);	/* version */
	put32(img + 0x22c, 0x7fffffff); /* initrd_addr_max */
	img[0x234] = 1;			/* relocatable_kernel */
	put16(img + 0x236, 0x1);	/* xloadflags: XLF_KERNEL_64 */
	put32(img + 0x238, 2047);	/* cmdline_size */
	put64(img + 0x258, PREF);	/* pref_address */
	put32(img + 0x260, 1u << 20);	/* init_size */
	for (unsigned i = 0; i < PAYLOAD; i++)
		img[KERNEL_OFF + i] = (uint8_t)(i * 7 + 3);
}

static int linux_setup(void **state)
{
	struct loader_harness *h = lh_new(MEM);

	*state = h;
	return h ? 0 : -1;
}

static int linux_teardown(void **state)
{
	lh_free(*state);
	return 0;
}

static void test_linux_kernel_loads_at_pref_address_with_zero_page_and_64bit_entry(void **state)
{
	static uint8_t img[IMAGE_SIZE];
	struct loader_harness *h = *state;

	make_image(img);
	lh_expect_loaded(h, img, sizeof(img));
	assert_memory_equal(lh_ptr(h, PREF, PAYLOAD), img + KERNEL_OFF, PAYLOAD);
	/* Zero page: the setup header copied (version), type_of_loader 0xff
	 * ("undefined"), cmd_line_ptr, and the default command line. */
	assert_int_equal(lh_u32(h, ZERO_PAGE + 0x206) & 0xffff, 0x020f);
	assert_int_equal(*lh_ptr(h, ZERO_PAGE + 0x210, 1), 0xff);
	assert_int_equal(lh_u32(h, ZERO_PAGE + 0x228), CMDLINE);
	assert_string_equal((const char *)lh_ptr(h, CMDLINE, 14), "console=ttyS0");
	/* e820 (zero-page.rst: count at 0x1e8, 20-byte entries at 0x2d0): for 64 MiB
	 * the conventional RAM, two reserved ranges, and 1 MiB..64 MiB usable. */
	assert_int_equal(*lh_ptr(h, ZERO_PAGE + 0x1e8, 1), 4);
	assert_int_equal(lh_u64(h, ZERO_PAGE + 0x2d0 + 3 * 20), 0x100000);
	assert_int_equal(lh_u64(h, ZERO_PAGE + 0x2d0 + 3 * 20 + 8), MEM - 0x100000);
	assert_int_equal(lh_u32(h, ZERO_PAGE + 0x2d0 + 3 * 20 + 16), 1);
	/* 64-bit entry: load address + 0x200, RSI = zero page, CS = __BOOT_CS (0x10,
	 * 64-bit code), DS/ES/SS = __BOOT_DS (0x18), paging on in long mode. */
	assert_int_equal(h->state.rip, PREF + 0x200);
	assert_int_equal(h->state.gpr[GPR_RSI], ZERO_PAGE);
	assert_int_equal(h->state.seg[SREG_CS].selector, 0x10);
	assert_int_equal(h->state.seg[SREG_CS].l, 1);
	assert_int_equal(h->state.seg[SREG_DS].selector, 0x18);
	assert_int_equal(h->state.seg[SREG_SS].selector, 0x18);
	assert_true(h->state.efer & (1ull << 10));
	assert_true(h->state.cr0 & (1ull << 31));
	/* The GDT holds those descriptors: flat 64-bit code and flat data (the SDM's
	 * encodings of type 0xb/L/G and type 3/D/G). */
	assert_int_equal(lh_u64(h, 0x1000 + 0x10), 0x00af9b000000ffffull);
	assert_int_equal(lh_u64(h, 0x1000 + 0x18), 0x00cf93000000ffffull);
}

static void test_linux_initrd_goes_page_aligned_to_the_top_of_ram(void **state)
{
	static uint8_t img[IMAGE_SIZE], initrd[10000];
	struct loader_harness *h = *state;

	make_image(img);
	for (unsigned i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0x5a);
	h->req.initrd_path = lh_file(h, initrd, sizeof(initrd));
	h->req.cmdline = "root=/dev/ram0 quiet";
	lh_expect_loaded(h, img, sizeof(img));
	/* Top = min(initrd_addr_max + 1, 64 MiB) = 0x4000000; (0x4000000 - 10000)
	 * rounded down to a page = 0x3ffd000. ramdisk_image 0x218, ramdisk_size 0x21c. */
	assert_int_equal(lh_u32(h, ZERO_PAGE + 0x218), 0x3ffd000);
	assert_int_equal(lh_u32(h, ZERO_PAGE + 0x21c), sizeof(initrd));
	assert_memory_equal(lh_ptr(h, 0x3ffd000, sizeof(initrd)), initrd, sizeof(initrd));
	assert_string_equal((const char *)lh_ptr(h, CMDLINE, 21), "root=/dev/ram0 quiet");
}

static void test_linux_refuses_kernels_without_the_64bit_protocol(void **state)
{
	static uint8_t img[IMAGE_SIZE];
	struct loader_harness *h = *state;

	make_image(img);
	put16(img + 0x206, 0x020b); /* before 2.12: no xloadflags */
	lh_expect_refused(h, img, sizeof(img));
	make_image(img);
	put16(img + 0x236, 0);
	lh_expect_refused(h, img, sizeof(img));
}

static void test_linux_refuses_truncated_too_large_and_overlong_command_lines(void **state)
{
	static uint8_t img[IMAGE_SIZE];
	struct loader_harness *h = *state;

	make_image(img);
	lh_expect_refused(h, img, 0x300); /* ends inside the setup sectors */
	put32(img + 0x260, 256u << 20);	  /* init_size of 256 MiB in 64 MiB of RAM */
	lh_expect_refused(h, img, sizeof(img));
	make_image(img);
	put32(img + 0x238, 8); /* cmdline_size 8 < strlen("console=ttyS0") */
	lh_expect_refused(h, img, sizeof(img));
}

/* The one line of a refusal says what is wrong: each needle must be in it. */
static void expect_refused_saying(struct loader_harness *h, const void *img, size_t size, const char *needle1,
				  const char *needle2)
{
	lh_expect_refused(h, img, size);
	if (!strstr(h->why, needle1) || (needle2 && !strstr(h->why, needle2)))
		fail_msg("reason \"%s\" lacks \"%s\" or \"%s\"", h->why, needle1, needle2 ? needle2 : "");
}

/* boot.rst: a bzImage has "HdrS" at 0x202 and boot_flag 0xaa55 at 0x1fe. A file
 * without them is not "truncated", whatever its size. */
static void test_linux_file_without_the_signatures_is_not_a_bzimage(void **state)
{
	static uint8_t img[IMAGE_SIZE];
	static const char text[] = "just some text\n";
	struct loader_harness *h = *state;

	h->req.format = FORMAT_LINUX;
	make_image(img);
	memcpy(img + 0x202, "HdrX", 4);
	expect_refused_saying(h, img, sizeof(img), "not a Linux bzImage", "\"HdrS\"");
	expect_refused_saying(h, text, sizeof(text) - 1, "not a Linux bzImage", "\"HdrS\"");
	make_image(img);
	img[0x1fe] = 0;
	expect_refused_saying(h, img, sizeof(img), "not a Linux bzImage", "boot_flag");
}

/* A file with both signatures that ends early is a truncated bzImage: inside the
 * setup header (its fields run to init_size, 0x260/4), inside the setup code
 * (the protected-mode kernel starts at (setup_sects + 1) * 512 = 0x400), or
 * with nothing after the setup code. */
static void test_linux_bzimage_cut_before_its_protected_mode_kernel_is_truncated(void **state)
{
	static uint8_t img[IMAGE_SIZE];
	struct loader_harness *h = *state;

	make_image(img);
	/* Detected as a bzImage by its signatures, though its header is cut. */
	expect_refused_saying(h, img, 0x240, "truncated", "setup header");
	h->req.format = FORMAT_LINUX;
	expect_refused_saying(h, img, 0x300, "truncated", NULL);
	expect_refused_saying(h, img, KERNEL_OFF, "truncated", NULL);
}

/* boot.rst: syssize (0x1f4/4, protocol 2.04+) is "the size of the protected-mode
 * code in units of 16-byte paragraphs": a file one paragraph short of it is
 * truncated. Bytes after it (a signed kernel's appended signature) are allowed. */
static void test_linux_protected_mode_kernel_shorter_than_syssize_is_truncated(void **state)
{
	static uint8_t img[IMAGE_SIZE];
	struct loader_harness *h = *state;

	make_image(img);
	expect_refused_saying(h, img, IMAGE_SIZE - 16, "truncated", "4080 of the 4096 bytes");
	put32(img + 0x1f4, PAYLOAD / 16 - 1);
	lh_expect_loaded(h, img, sizeof(img));
	assert_memory_equal(lh_ptr(h, PREF, PAYLOAD), img + KERNEL_OFF, PAYLOAD);
}

/* The initrd must start on a page at or above the kernel's end (PREF + init_size
 * = 0x1100000) and end by initrd_addr_max + 1. With initrd_addr_max 0x1101fff
 * that leaves 0x2000 = 8192 bytes: 8193 are refused, 8192 go to 0x1100000. */
static void test_linux_initrd_one_byte_over_the_room_below_initrd_addr_max_is_refused(void **state)
{
	static uint8_t img[IMAGE_SIZE], initrd[8193];
	struct loader_harness *h = *state;

	make_image(img);
	put32(img + 0x22c, 0x1101fff);
	h->req.initrd_path = lh_file(h, initrd, sizeof(initrd));
	expect_refused_saying(h, img, sizeof(img), "8193 bytes do not fit", "8192 bytes are free");
	assert_non_null(strstr(h->why, h->req.initrd_path));
	memset(initrd, 0xa5, sizeof(initrd));
	h->req.initrd_path = lh_file(h, initrd, sizeof(initrd) - 1);
	lh_expect_loaded(h, img, sizeof(img));
	assert_int_equal(lh_u32(h, ZERO_PAGE + 0x218), 0x1100000);
	assert_int_equal(lh_u32(h, ZERO_PAGE + 0x21c), 8192);
	assert_memory_equal(lh_ptr(h, 0x1100000, 8192), initrd, 8192);
}

static void test_linux_missing_initrd_is_named_as_the_initrd(void **state)
{
	static uint8_t img[IMAGE_SIZE];
	struct loader_harness *h = *state;

	make_image(img);
	h->req.initrd_path = "/nonexistent/initrd.img";
	expect_refused_saying(h, img, sizeof(img), "--initrd /nonexistent/initrd.img: No such file", NULL);
}

/* boot.rst: cmdline_size is "the maximum size of the command line without the
 * terminating zero", so a command line of exactly cmdline_size characters loads
 * and one more is refused. "console=ttyS0", the default, has 13. */
static void test_linux_command_line_of_exactly_cmdline_size_loads(void **state)
{
	static uint8_t img[IMAGE_SIZE];
	struct loader_harness *h = *state;

	make_image(img);
	put32(img + 0x238, 13);
	lh_expect_loaded(h, img, sizeof(img));
	assert_string_equal((const char *)lh_ptr(h, CMDLINE, 14), "console=ttyS0");
	put32(img + 0x238, 12);
	expect_refused_saying(h, img, sizeof(img), "command line of 13 bytes", "cmdline_size 12");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_linux_kernel_loads_at_pref_address_with_zero_page_and_64bit_entry,
						linux_setup, linux_teardown),
		cmocka_unit_test_setup_teardown(test_linux_initrd_goes_page_aligned_to_the_top_of_ram, linux_setup,
						linux_teardown),
		cmocka_unit_test_setup_teardown(test_linux_refuses_kernels_without_the_64bit_protocol, linux_setup,
						linux_teardown),
		cmocka_unit_test_setup_teardown(test_linux_refuses_truncated_too_large_and_overlong_command_lines,
						linux_setup, linux_teardown),
		cmocka_unit_test_setup_teardown(test_linux_file_without_the_signatures_is_not_a_bzimage, linux_setup,
						linux_teardown),
		cmocka_unit_test_setup_teardown(test_linux_bzimage_cut_before_its_protected_mode_kernel_is_truncated,
						linux_setup, linux_teardown),
		cmocka_unit_test_setup_teardown(test_linux_protected_mode_kernel_shorter_than_syssize_is_truncated,
						linux_setup, linux_teardown),
		cmocka_unit_test_setup_teardown(
		    test_linux_initrd_one_byte_over_the_room_below_initrd_addr_max_is_refused, linux_setup,
		    linux_teardown),
		cmocka_unit_test_setup_teardown(test_linux_missing_initrd_is_named_as_the_initrd, linux_setup,
						linux_teardown),
		cmocka_unit_test_setup_teardown(test_linux_command_line_of_exactly_cmdline_size_loads, linux_setup,
						linux_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
