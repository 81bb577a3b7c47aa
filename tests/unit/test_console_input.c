/* The console input filter (src/host/stdio_console.c): QEMU's escape key Ctrl-A
 * (0x01) on a terminal. "Ctrl-A x" quits, "Ctrl-A Ctrl-A" or "Ctrl-A a" sends one
 * Ctrl-A, "Ctrl-A h" prints help; piped input (escapes off) reaches the guest byte
 * for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "host/stdio_console.h"
#include "unit_helpers.h"

#define C_A 0x01

/* Runs the filter on n bytes; out is poisoned first so that stray writes show. */
static size_t filter(struct console_input *ci, const uint8_t *in, size_t n, uint8_t *out)
{
	memset(out, 0xee, n + 8);
	return console_input_filter(ci, in, n, out);
}

static void test_console_plain_bytes_pass_through_with_escapes_on(void **state)
{
	struct console_input ci = { .escapes = true };
	const uint8_t in[] = "hello\r\x03\x7f";
	uint8_t out[32];

	(void)state;
	assert_int_equal(filter(&ci, in, sizeof(in) - 1, out), sizeof(in) - 1);
	assert_memory_equal(out, in, sizeof(in) - 1);
	assert_false(ci.quit);
}

static void test_console_ctrl_a_x_quits_and_sends_nothing(void **state)
{
	struct console_input ci = { .escapes = true };
	const uint8_t in[] = { C_A, 'x' };
	uint8_t out[16];

	(void)state;
	assert_int_equal(filter(&ci, in, sizeof(in), out), 0);
	assert_true(ci.quit);
}

static void test_console_bytes_after_quit_are_dropped(void **state)
{
	struct console_input ci = { .escapes = true };
	const uint8_t in[] = { 'a', 'b', C_A, 'x', 'c', 'd' };
	const uint8_t later[] = { 'e', 'f' };
	uint8_t out[16];

	(void)state;
	assert_int_equal(filter(&ci, in, sizeof(in), out), 2);
	assert_memory_equal(out, "ab", 2);
	assert_true(ci.quit);
	/* Nor does anything typed in a later read reach the guest. */
	assert_int_equal(filter(&ci, later, sizeof(later), out), 0);
}

static void test_console_ctrl_a_ctrl_a_sends_one_ctrl_a(void **state)
{
	struct console_input ci = { .escapes = true };
	const uint8_t in[] = { 'p', C_A, C_A, 'q' };
	const uint8_t want[] = { 'p', C_A, 'q' };
	uint8_t out[16];

	(void)state;
	assert_int_equal(filter(&ci, in, sizeof(in), out), sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_false(ci.quit);
}

static void test_console_ctrl_a_a_sends_one_ctrl_a(void **state)
{
	struct console_input ci = { .escapes = true };
	const uint8_t in[] = { C_A, 'a', 'z' };
	const uint8_t want[] = { C_A, 'z' };
	uint8_t out[16];

	(void)state;
	assert_int_equal(filter(&ci, in, sizeof(in), out), sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
}

static void test_console_sent_ctrl_a_does_not_start_a_new_escape(void **state)
{
	struct console_input ci = { .escapes = true };
	const uint8_t in[] = { C_A, C_A, 'x' };
	const uint8_t want[] = { C_A, 'x' };
	uint8_t out[16];

	(void)state;
	/* The second Ctrl-A is data, so the 'x' after it is an ordinary 'x'. */
	assert_int_equal(filter(&ci, in, sizeof(in), out), sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_false(ci.quit);
}

static void test_console_escape_spans_two_reads(void **state)
{
	struct console_input ci = { .escapes = true };
	const uint8_t first[] = { 'k', C_A };
	const uint8_t second[] = { 'x', 'y' };
	uint8_t out[16];

	(void)state;
	/* A terminal may deliver Ctrl-A and the next key in separate reads. */
	assert_int_equal(filter(&ci, first, sizeof(first), out), 1);
	assert_int_equal(out[0], 'k');
	assert_false(ci.quit);
	assert_int_equal(filter(&ci, second, sizeof(second), out), 0);
	assert_true(ci.quit);
}

static void test_console_ctrl_a_split_then_ctrl_a_sends_one(void **state)
{
	struct console_input ci = { .escapes = true };
	const uint8_t esc[] = { C_A };
	uint8_t out[16];

	(void)state;
	assert_int_equal(filter(&ci, esc, 1, out), 0);
	assert_int_equal(filter(&ci, esc, 1, out), 1);
	assert_int_equal(out[0], C_A);
	assert_false(ci.quit);
}

static void test_console_unknown_key_after_escape_is_dropped(void **state)
{
	struct console_input ci = { .escapes = true };
	const uint8_t in[] = { C_A, 'z', 'q' };
	uint8_t out[16];

	(void)state;
	/* As QEMU's mux: neither the Ctrl-A nor the unknown key reaches the guest. */
	assert_int_equal(filter(&ci, in, sizeof(in), out), 1);
	assert_int_equal(out[0], 'q');
	assert_false(ci.quit);
}

static void test_console_ctrl_a_h_prints_help_and_sends_nothing(void **state)
{
	struct console_input ci = { .escapes = true };
	const uint8_t in[] = { C_A, 'h', 'k' };
	struct stderr_capture cap;
	uint8_t out[16];
	size_t n;
	char *help;

	(void)state;
	assert_int_equal(stderr_capture_begin(&cap), 0);
	n = filter(&ci, in, sizeof(in), out);
	help = stderr_capture_end(&cap);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 'k');
	assert_false(ci.quit);
	assert_non_null(help);
	assert_true(strlen(help) > 0);
	free(help);
}

static void test_console_escapes_off_passes_every_byte_through(void **state)
{
	struct console_input ci = { .escapes = false };
	const uint8_t in[] = { C_A, 'x', C_A, C_A, C_A, 'a', C_A, 'h', 0, 0xff };
	uint8_t out[32];

	(void)state;
	/* Piped input reaches the guest byte for byte: nothing is an escape. */
	assert_int_equal(filter(&ci, in, sizeof(in), out), sizeof(in));
	assert_memory_equal(out, in, sizeof(in));
	assert_false(ci.quit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_console_plain_bytes_pass_through_with_escapes_on),
		cmocka_unit_test(test_console_ctrl_a_x_quits_and_sends_nothing),
		cmocka_unit_test(test_console_bytes_after_quit_are_dropped),
		cmocka_unit_test(test_console_ctrl_a_ctrl_a_sends_one_ctrl_a),
		cmocka_unit_test(test_console_ctrl_a_a_sends_one_ctrl_a),
		cmocka_unit_test(test_console_sent_ctrl_a_does_not_start_a_new_escape),
		cmocka_unit_test(test_console_escape_spans_two_reads),
		cmocka_unit_test(test_console_ctrl_a_split_then_ctrl_a_sends_one),
		cmocka_unit_test(test_console_unknown_key_after_escape_is_dropped),
		cmocka_unit_test(test_console_ctrl_a_h_prints_help_and_sends_nothing),
		cmocka_unit_test(test_console_escapes_off_passes_every_byte_through),
	};

	return cmocka_run_group_tests_name("console_input", tests, NULL, NULL);
}
