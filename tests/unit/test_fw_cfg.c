/* The fw_cfg device (src/devices/fw_cfg.c) against QEMU's docs/specs/fw_cfg.rst:
 * "Selector (Control) Register", "Data Register", "Register Locations" (x86:
 * selector 0x510, data 0x511), "Firmware Configuration Items" and "Ranges".
 * The keys 0x0002-0x000f and their widths are QEMU's well-known keys (the spec
 * defers to QEMU's source for them): UUID 16 bytes, RAM size u64, nographic,
 * CPU count and max CPUs u16, all little-endian. Accesses go through a port
 * bus with the device registered as the VM registers it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/fw_cfg.h"
#include "unit_helpers.h"
#include "vm/bus.h"

#define MIB (1024ull * 1024)

struct harness {
	struct io_bus bus;
	struct fw_cfg dev;
};

static struct harness *harness_new(uint64_t ram_bytes, uint16_t ncpus)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct fw_cfg_config cfg = { .ram_bytes = ram_bytes, .ncpus = ncpus };

	if (!h)
		return NULL;
	io_bus_init(&h->bus, "port");
	fw_cfg_init(&h->dev, &cfg);
	if (io_bus_register(&h->bus, FW_CFG_PORT_SEL, FW_CFG_PORT_COUNT, "fw_cfg", &fw_cfg_ops, &h->dev)) {
		fw_cfg_destroy(&h->dev);
		io_bus_destroy(&h->bus);
		free(h);
		return NULL;
	}
	return h;
}

static void harness_free(struct harness *h)
{
	fw_cfg_destroy(&h->dev);
	io_bus_destroy(&h->bus);
	free(h);
}

/* 64 MiB and one CPU, as `-m 64M` with one vCPU. */
static int fw_cfg_setup(void **state)
{
	*state = harness_new(64 * MIB, 1);
	return *state ? 0 : -1;
}

static int fw_cfg_teardown(void **state)
{
	harness_free(*state);
	return 0;
}

static void select_key(struct harness *h, uint16_t key)
{
	io_bus_write(&h->bus, 0x510, 2, key);
}

static uint8_t data_byte(struct harness *h)
{
	return (uint8_t)io_bus_read(&h->bus, 0x511, 1);
}

static void read_bytes(struct harness *h, uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = data_byte(h);
}

static void test_fw_cfg_ports_are_0x510_and_0x511(void **state)
{
	(void)state;
	/* "Register Locations", x86: selector IOport 0x510, data IOport 0x511. */
	assert_int_equal(FW_CFG_PORT_SEL, 0x510);
	assert_int_equal(FW_CFG_PORT_DATA, 0x511);
	assert_int_equal(FW_CFG_PORT_SEL + FW_CFG_PORT_COUNT, 0x512);
}

static void test_fw_cfg_signature_reads_QEMU(void **state)
{
	struct harness *h = *state;
	uint8_t buf[4];

	/* "Signature": select key 0x0000, read four bytes: "QEMU". */
	select_key(h, 0x0000);
	read_bytes(h, buf, 4);
	assert_memory_equal(buf, "QEMU", 4);
	/* The port is claimed: no access went to the bus's unclaimed path. */
	assert_int_equal(h->bus.unclaimed, 0);
}

static void test_fw_cfg_reads_past_the_end_return_zero(void **state)
{
	struct harness *h = *state;
	uint8_t buf[4];

	/* "Data Register": once the offset has passed the item's length, reads
	 * return 0x00. The signature is 4 bytes. */
	select_key(h, 0x0000);
	read_bytes(h, buf, 4);
	for (int i = 0; i < 8; i++)
		assert_int_equal(data_byte(h), 0x00);
}

static void test_fw_cfg_id_offers_traditional_interface_without_dma(void **state)
{
	struct harness *h = *state;
	uint8_t buf[5];
	const uint8_t want[5] = { 0x01, 0x00, 0x00, 0x00, 0x00 };

	/* "Revision / feature bitmap": a 32-bit little-endian value, bit 0 the
	 * traditional interface (always set), bit 1 DMA (not offered). */
	select_key(h, 0x0001);
	read_bytes(h, buf, 5);
	assert_memory_equal(buf, want, 5);
}

static void test_fw_cfg_uuid_is_sixteen_zero_bytes(void **state)
{
	struct harness *h = *state;
	uint8_t buf[16];
	const uint8_t zero[16] = { 0 };

	/* No UUID is configured; QEMU without -uuid reads 16 zero bytes too. */
	memset(buf, 0xaa, sizeof(buf));
	select_key(h, 0x0002);
	read_bytes(h, buf, 16);
	assert_memory_equal(buf, zero, 16);
}

static void test_fw_cfg_ram_size_is_u64_little_endian(void **state)
{
	struct harness *h;
	uint8_t buf[9];
	/* 4 GiB + 64 MiB = 0x1_0400_0000: bytes 00 00 00 04 01 00 00 00, then a 0
	 * past the end of the 8-byte item. Big-endian would read 00 00 00 01 04,
	 * a 32-bit item 00 00 00 04 00. */
	const uint8_t want[9] = { 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00 };

	(void)state;
	h = harness_new(4096 * MIB + 64 * MIB, 1);
	assert_non_null(h);
	select_key(h, 0x0003);
	read_bytes(h, buf, 9);
	assert_memory_equal(buf, want, 9);
	harness_free(h);
}

static void test_fw_cfg_ram_size_of_64_mib(void **state)
{
	struct harness *h = *state;
	uint8_t buf[8];

	/* 64 MiB = 0x0400_0000, as QEMU reports for -m 64M. */
	select_key(h, 0x0003);
	read_bytes(h, buf, 8);
	assert_int_equal(get_le64(buf), 0x04000000ull);
}

static void test_fw_cfg_cpu_counts_are_u16_little_endian(void **state)
{
	struct harness *h;
	uint8_t buf[3];
	/* 258 CPUs = 0x0102: bytes 02 01, then 0 past the 2-byte item. */
	const uint8_t want[3] = { 0x02, 0x01, 0x00 };

	(void)state;
	h = harness_new(64 * MIB, 258);
	assert_non_null(h);
	select_key(h, 0x0005);
	read_bytes(h, buf, 3);
	assert_memory_equal(buf, want, 3);
	/* Max CPUs (0x000f): no hot-plug, so the same count. */
	select_key(h, 0x000f);
	read_bytes(h, buf, 3);
	assert_memory_equal(buf, want, 3);
	harness_free(h);
}

static void test_fw_cfg_nographic_is_one(void **state)
{
	struct harness *h = *state;
	uint8_t buf[3];
	const uint8_t want[3] = { 0x01, 0x00, 0x00 };

	/* u16 little-endian 1: Ringvisor has no display. */
	select_key(h, 0x0004);
	read_bytes(h, buf, 3);
	assert_memory_equal(buf, want, 3);
}

static void test_fw_cfg_file_directory_is_empty(void **state)
{
	struct harness *h = *state;
	uint8_t buf[4];

	/* "File Directory": a big-endian u32 count, then count 64-byte entries.
	 * No files: a count of 0, four zero bytes. */
	memset(buf, 0xaa, sizeof(buf));
	select_key(h, 0x0019);
	read_bytes(h, buf, 4);
	assert_int_equal(get_le32(buf), 0);
}

static void test_fw_cfg_selecting_resets_the_data_offset(void **state)
{
	struct harness *h = *state;

	/* "Setting the selector register will cause the data offset to be set to
	 * zero", also for the item already selected. */
	select_key(h, 0x0000);
	assert_int_equal(data_byte(h), 'Q');
	assert_int_equal(data_byte(h), 'E');
	select_key(h, 0x0000);
	assert_int_equal(data_byte(h), 'Q');
	select_key(h, 0x0005);
	assert_int_equal(data_byte(h), 0x01);
	select_key(h, 0x0000);
	assert_int_equal(data_byte(h), 'Q');
}

static void test_fw_cfg_unknown_items_read_zero(void **state)
{
	struct harness *h = *state;
	const uint16_t keys[] = { 0x0006, 0x0010, 0x0020, 0x3fff };

	/* Keys not offered (machine ID, kernel entry, the first file slot, the
	 * last generic key) have no data: every read is past the end. */
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		select_key(h, keys[k]);
		for (int i = 0; i < 4; i++)
			assert_int_equal(data_byte(h), 0x00);
	}
}

static void test_fw_cfg_write_flag_bit14_names_the_same_item(void **state)
{
	struct harness *h = *state;
	uint8_t buf[4];

	/* "Ranges": 0x4000-0x7fff are the generic items 0x0000-0x3fff with the
	 * (ignored) write flag. */
	select_key(h, 0x4000);
	read_bytes(h, buf, 4);
	assert_memory_equal(buf, "QEMU", 4);
	select_key(h, 0x4005);
	assert_int_equal(data_byte(h), 0x01);
}

static void test_fw_cfg_arch_specific_keys_have_no_items(void **state)
{
	struct harness *h = *state;
	const uint16_t keys[] = { 0x8000, 0x8003, 0xc000, 0xffff };

	/* Bit 15 selects the architecture-specific items (0x8000-0xffff); none is
	 * offered, so 0x8000 is not the signature nor 0x8003 the RAM size. */
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		select_key(h, keys[k]);
		for (int i = 0; i < 4; i++)
			assert_int_equal(data_byte(h), 0x00);
	}
}

static void test_fw_cfg_nothing_selected_before_the_first_select(void **state)
{
	struct harness *h = *state;

	/* A choice (the spec names no reset selection): nothing is selected, so
	 * data reads return 0 until the guest selects an item. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(data_byte(h), 0x00);
}

static void test_fw_cfg_data_writes_are_ignored_and_do_not_advance(void **state)
{
	struct harness *h = *state;

	/* "As of QEMU v2.4, writes to the fw_cfg data register are no longer
	 * supported, and will be ignored (treated as no-ops)": the item keeps its
	 * bytes and the offset does not move. */
	select_key(h, 0x0000);
	io_bus_write(&h->bus, 0x511, 1, 'X');
	assert_int_equal(data_byte(h), 'Q');
	io_bus_write(&h->bus, 0x511, 1, 'X');
	io_bus_write(&h->bus, 0x511, 2, 0x5858);
	io_bus_write(&h->bus, 0x511, 4, 0x58585858);
	assert_int_equal(data_byte(h), 'E');
	select_key(h, 0x0000);
	assert_int_equal(data_byte(h), 'Q');
}

static void test_fw_cfg_selector_writes_other_than_16_bit_are_ignored(void **state)
{
	struct harness *h = *state;

	/* The selector is 16 bits wide; a byte holds half a key. A choice: it
	 * neither selects nor resets the offset (QEMU 7.2 answers the same). */
	select_key(h, 0x0000);
	assert_int_equal(data_byte(h), 'Q');
	io_bus_write(&h->bus, 0x510, 1, 0x05);
	assert_int_equal(data_byte(h), 'E');
	fw_cfg_ops.write(&h->dev, 0, 8, 0x0000000000000005ull);
	assert_int_equal(data_byte(h), 'M');
}

static void test_fw_cfg_dword_write_at_the_selector_selects_with_its_low_word(void **state)
{
	struct harness *h = *state;

	/* The bus splits a dword at 0x510 as an ISA bus does: a word to the
	 * selector (the widest this device takes), a word to the unclaimed ports
	 * 0x512-0x513. (QEMU 7.2 under TCG hands the whole dword to fw_cfg, which
	 * ignores it; under KVM its I/O exits are split the same way.) */
	select_key(h, 0x0000);
	assert_int_equal(data_byte(h), 'Q');
	io_bus_write(&h->bus, 0x510, 4, 0xffff0001u);
	assert_int_equal(data_byte(h), 0x01); /* the ID item: u32 1 */
}

static void test_fw_cfg_selector_reads_zero_and_do_not_advance(void **state)
{
	struct harness *h = *state;

	/* The selector is write-only. A choice: reads of it return 0 and leave
	 * the data offset alone. A dword read gets 0xffff from the unclaimed
	 * ports above the device. */
	select_key(h, 0x0000);
	assert_int_equal(io_bus_read(&h->bus, 0x510, 1), 0);
	assert_int_equal(io_bus_read(&h->bus, 0x510, 2), 0);
	assert_int_equal(io_bus_read(&h->bus, 0x510, 4), 0xffff0000u);
	assert_int_equal(data_byte(h), 'Q');
}

static void test_fw_cfg_wide_data_reads_take_one_byte_and_0xff_above(void **state)
{
	struct harness *h = *state;

	/* "Width: 8-bit (if IOport)": a wider IN at 0x511 is split into byte
	 * reads as on an ISA bus; the data port gives its next byte, the
	 * unclaimed ports above it 0xff. */
	select_key(h, 0x0000);
	assert_int_equal(io_bus_read(&h->bus, 0x511, 2), 0xff00 | 'Q');
	assert_int_equal(io_bus_read(&h->bus, 0x511, 4), 0xffffff00u | 'E');
	assert_int_equal(fw_cfg_ops.read(&h->dev, 1, 8), 0);
	assert_int_equal(data_byte(h), 'M');
}

static void test_fw_cfg_endless_reads_never_wrap_into_the_item(void **state)
{
	struct harness *h = *state;

	/* A guest may read the data port any number of times: 70000 reads pass
	 * every 8- and 16-bit offset boundary, yet all read 0 past the end. */
	select_key(h, 0x0000);
	for (int i = 0; i < 4; i++)
		(void)data_byte(h);
	for (int i = 0; i < 70000; i++)
		if (data_byte(h) != 0)
			fail_msg("read %d past the end returned a non-zero byte", i);
	select_key(h, 0x0000);
	assert_int_equal(data_byte(h), 'Q');
}

static void test_fw_cfg_offsets_outside_the_range_are_harmless(void **state)
{
	struct harness *h = *state;

	/* The bus never passes offset >= 2, but the device must not rely on it. */
	select_key(h, 0x0000);
	fw_cfg_ops.write(&h->dev, 2, 2, 0x0005);
	fw_cfg_ops.write(&h->dev, ~0ull, 2, 0x0005);
	assert_int_equal(fw_cfg_ops.read(&h->dev, 2, 1), 0);
	assert_int_equal(fw_cfg_ops.read(&h->dev, ~0ull, 1), 0);
	assert_int_equal(data_byte(h), 'Q');
}

#define FW_TEST(f) cmocka_unit_test_setup_teardown(f, fw_cfg_setup, fw_cfg_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fw_cfg_ports_are_0x510_and_0x511),
		FW_TEST(test_fw_cfg_signature_reads_QEMU),
		FW_TEST(test_fw_cfg_reads_past_the_end_return_zero),
		FW_TEST(test_fw_cfg_id_offers_traditional_interface_without_dma),
		FW_TEST(test_fw_cfg_uuid_is_sixteen_zero_bytes),
		cmocka_unit_test(test_fw_cfg_ram_size_is_u64_little_endian),
		FW_TEST(test_fw_cfg_ram_size_of_64_mib),
		cmocka_unit_test(test_fw_cfg_cpu_counts_are_u16_little_endian),
		FW_TEST(test_fw_cfg_nographic_is_one),
		FW_TEST(test_fw_cfg_file_directory_is_empty),
		FW_TEST(test_fw_cfg_selecting_resets_the_data_offset),
		FW_TEST(test_fw_cfg_unknown_items_read_zero),
		FW_TEST(test_fw_cfg_write_flag_bit14_names_the_same_item),
		FW_TEST(test_fw_cfg_arch_specific_keys_have_no_items),
		FW_TEST(test_fw_cfg_nothing_selected_before_the_first_select),
		FW_TEST(test_fw_cfg_data_writes_are_ignored_and_do_not_advance),
		FW_TEST(test_fw_cfg_selector_writes_other_than_16_bit_are_ignored),
		FW_TEST(test_fw_cfg_dword_write_at_the_selector_selects_with_its_low_word),
		FW_TEST(test_fw_cfg_selector_reads_zero_and_do_not_advance),
		FW_TEST(test_fw_cfg_wide_data_reads_take_one_byte_and_0xff_above),
		FW_TEST(test_fw_cfg_endless_reads_never_wrap_into_the_item),
		FW_TEST(test_fw_cfg_offsets_outside_the_range_are_harmless),
	};

	return cmocka_run_group_tests_name("fw_cfg", tests, NULL, NULL);
}
