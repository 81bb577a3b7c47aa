/* The Linux boot protocol loader, against synthetic bzImages whose header fields
 * follow Documentation/arch/x86/boot.rst (offsets in the comments). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
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
 * 16 MiB, init_size 1 MiB; the payload is a byte pattern. */
static void make_image(uint8_t *img)
{
	memset(img, 0, IMAGE_SIZE);
	img[0x1f1] = 1;	   /* setup_sects */
	img[0x1fe] = 0x55; /* boot_flag */
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
