/* The saved state of the PC's small devices: fw_cfg (its selection and data
 * offset; the items are configuration), the POST, port 0x92 and 0xcf9
 * registers (pc_misc.c) and debug-exit, whose payload is empty. Each comes
 * back into a fresh device that answers the guest the same, refuses what the
 * device never holds and payloads cut short, and resets to its power-on
 * state. Payload offsets (docs/snapshot-format.md): "fw-cfg" selected 0, key
 * 1, offset 3; "pc-misc" POST writes 0, POST code 8, port 0x92 9, 0xcf9 10. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/debug_exit.h"
#include "devices/fw_cfg.h"
#include "devices/pc_misc.h"
#include "device_state_harness.h"
#include "unit_helpers.h"

#define NOW 1000000000ull

static const struct fw_cfg_config fw_config = { .ram_bytes = 64ull << 20, .ncpus = 1 };

static uint8_t fw_data(struct fw_cfg *f)
{
	return (uint8_t)fw_cfg_ops.read(f, 1, 1);
}

static void fw_select(struct fw_cfg *f, uint16_t key)
{
	fw_cfg_ops.write(f, 0, 2, key);
}

/* The RAM size item selected through its write-enabled key, 3 bytes read. */
static void fw_drive(struct fw_cfg *f)
{
	fw_select(f, 0x4000 | FW_CFG_RAM_SIZE);
	for (int i = 0; i < 3; i++)
		(void)fw_data(f);
}

static void test_fw_cfg_state_keeps_the_selection_and_offset(void **state)
{
	struct fw_cfg a, b;
	struct state_writer wa, wb;

	(void)state;
	fw_cfg_init(&a, &fw_config);
	fw_cfg_init(&b, &fw_config);
	fw_drive(&a);
	payload_save(&fw_cfg_state_ops, &a, NOW, &wa);
	assert_int_equal(wa.len, 4);
	assert_int_equal(payload_load(&fw_cfg_state_ops, &b, wa.buf, wa.len, NOW), 0);
	payload_save(&fw_cfg_state_ops, &b, NOW, &wb);
	assert_same_payload(&wa, &wb);
	/* 64 MiB is 0x04000000: bytes 3 to 7 of the little-endian u64. */
	for (int i = 0; i < 6; i++)
		assert_int_equal(fw_data(&b), fw_data(&a));
	fw_cfg_state_ops.reset(&b);
	assert_int_equal(fw_data(&b), 0); /* nothing selected */
	fw_cfg_destroy(&a);
	fw_cfg_destroy(&b);
	state_writer_free(&wa);
	state_writer_free(&wb);
}

static void test_fw_cfg_state_refuses_items_not_offered_and_offsets_past_the_end(void **state)
{
	struct fw_cfg a, b;
	struct state_writer w;

	(void)state;
	fw_cfg_init(&a, &fw_config);
	fw_cfg_init(&b, &fw_config);
	fw_drive(&a);
	fw_select(&b, FW_CFG_SIGNATURE);
	payload_save(&fw_cfg_state_ops, &a, NOW, &w);
	assert_field_refused(&fw_cfg_state_ops, &b, &w, 1, 2, 0x0100, NOW);		      /* no such item */
	assert_field_refused(&fw_cfg_state_ops, &b, &w, 1, 2, 0x4000 | FW_CFG_RAM_SIZE, NOW); /* not the item's key */
	assert_field_refused(&fw_cfg_state_ops, &b, &w, 1, 2, 0x8000, NOW);		      /* arch items: none */
	assert_field_refused(&fw_cfg_state_ops, &b, &w, 3, 1, 9, NOW);			      /* past its 8 bytes */
	assert_field_refused(&fw_cfg_state_ops, &b, &w, 0, 1, 0, NOW);			      /* none, with a key */
	assert_field_refused(&fw_cfg_state_ops, &b, &w, 0, 1, 2, NOW);
	assert_field_accepted(&fw_cfg_state_ops, &b, &w, 3, 1, 8, NOW); /* at the end: reads 0 */
	assert_int_equal(fw_data(&b), 0);
	assert_prefixes_refused(&fw_cfg_state_ops, &b, &w, NOW);
	fw_cfg_destroy(&a);
	fw_cfg_destroy(&b);
	state_writer_free(&w);
}

static void reset_requested(void *opaque)
{
	(*(unsigned *)opaque)++;
}

/* Three POST codes, A20 turned off at port 0x92, SYS_RST and FULL_RST stored
 * at 0xcf9 (without RST_CPU: no reset). */
static void misc_drive(struct pc_misc *m)
{
	pc_misc_post_ops.write(m, 0, 1, 0x11);
	pc_misc_post_ops.write(m, 0, 1, 0x22);
	pc_misc_post_ops.write(m, 0, 1, 0x42);
	pc_misc_port92_ops.write(m, 0, 1, 0x00);
	pc_misc_cf9_ops.write(m, 0, 1, 0x0a);
}

static void test_pc_misc_state_keeps_post_a20_and_reset_control(void **state)
{
	struct pc_misc a, b;
	struct state_writer wa, wb;
	unsigned resets = 0;

	(void)state;
	pc_misc_init(&a, reset_requested, &resets);
	pc_misc_init(&b, reset_requested, &resets);
	misc_drive(&a);
	payload_save(&pc_misc_state_ops, &a, NOW, &wa);
	assert_int_equal(wa.len, 11);
	assert_int_equal(payload_load(&pc_misc_state_ops, &b, wa.buf, wa.len, NOW), 0);
	payload_save(&pc_misc_state_ops, &b, NOW, &wb);
	assert_same_payload(&wa, &wb);
	assert_int_equal(b.post_writes, 3);
	assert_int_equal(b.post_code, 0x42);
	assert_int_equal(pc_misc_port92_ops.read(&b, 0, 1), 0x00);
	assert_int_equal(pc_misc_cf9_ops.read(&b, 0, 1), 0x0a);
	assert_int_equal(resets, 0);
	pc_misc_state_ops.reset(&b);
	assert_int_equal(pc_misc_port92_ops.read(&b, 0, 1), 0x02);
	assert_int_equal(pc_misc_cf9_ops.read(&b, 0, 1), 0x00);
	assert_int_equal(b.post_writes, 0);
	pc_misc_destroy(&a);
	pc_misc_destroy(&b);
	state_writer_free(&wa);
	state_writer_free(&wb);
}

static void test_pc_misc_state_refuses_bits_never_stored(void **state)
{
	struct pc_misc a, b;
	struct state_writer w;
	unsigned resets = 0;

	(void)state;
	pc_misc_init(&a, reset_requested, &resets);
	pc_misc_init(&b, reset_requested, &resets);
	misc_drive(&a);
	payload_save(&pc_misc_state_ops, &a, NOW, &w);
	assert_field_refused(&pc_misc_state_ops, &b, &w, 9, 1, 0x03, NOW);  /* fast reset reads 0 */
	assert_field_refused(&pc_misc_state_ops, &b, &w, 10, 1, 0x0e, NOW); /* RST_CPU is not stored */
	assert_field_accepted(&pc_misc_state_ops, &b, &w, 8, 1, 0xff, NOW);
	assert_prefixes_refused(&pc_misc_state_ops, &b, &w, NOW);
	assert_int_equal(resets, 0);
	pc_misc_destroy(&a);
	pc_misc_destroy(&b);
	state_writer_free(&w);
}

static void test_debug_exit_state_is_empty(void **state)
{
	struct debug_exit d = { 0 };
	struct state_writer w;
	const uint8_t extra = 0;

	(void)state;
	payload_save(&debug_exit_state_ops, &d, NOW, &w);
	assert_int_equal(w.len, 0);
	assert_int_equal(payload_load(&debug_exit_state_ops, &d, NULL, 0, NOW), 0);
	/* A byte it does not read: the registry refuses the section. */
	assert_int_equal(payload_load(&debug_exit_state_ops, &d, &extra, 1, NOW), -1);
	debug_exit_state_ops.reset(&d);
	state_writer_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fw_cfg_state_keeps_the_selection_and_offset),
		cmocka_unit_test(test_fw_cfg_state_refuses_items_not_offered_and_offsets_past_the_end),
		cmocka_unit_test(test_pc_misc_state_keeps_post_a20_and_reset_control),
		cmocka_unit_test(test_pc_misc_state_refuses_bits_never_stored),
		cmocka_unit_test(test_debug_exit_state_is_empty),
	};

	return cmocka_run_group_tests_name("small_devices_state", tests, NULL, NULL);
}
