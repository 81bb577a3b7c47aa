/* The VM's table of device state (src/vm/device_registry.c), with a toy device
 * kind: sections go out in registration order and come back into the right
 * instances, and a state naming an unknown device, giving one twice, lacking
 * one, newer than the build or rejected by its device is refused with the
 * device's name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vm/device_registry.h"
#include "unit_helpers.h"

/* A toy device: a counter, a deadline saved relative to now, and from
 * version 2 a flag (default true for version-1 payloads). */
struct toy {
	uint32_t counter;
	uint64_t deadline_ns;
	bool flag;
	int resets;
};

static void toy_reset(void *dev)
{
	struct toy *t = dev;

	t->counter = 0;
	t->deadline_ns = 0;
	t->flag = false;
	t->resets++;
}

static void toy_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	const struct toy *t = dev;

	state_put_u32(w, t->counter);
	state_put_u64(w, t->deadline_ns - now_ns);
	state_put_bool(w, t->flag);
}

static int toy_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct toy *t = dev;

	t->counter = state_get_u32(r);
	t->deadline_ns = now_ns + state_get_u64(r);
	t->flag = version >= 2 ? state_get_bool(r) : true;
	if (t->counter > 1000) /* the toy's limit */
		state_reader_fail(r);
	return state_reader_ok(r, false) ? 0 : -1;
}

static const struct device_state_ops toy_ops = { .version = 2, .reset = toy_reset, .save = toy_save, .load = toy_load };

static void registry_of(struct device_registry *reg, struct toy *a, struct toy *b)
{
	char why[128];

	memset(reg, 0, sizeof(*reg));
	assert_int_equal(device_registry_add(reg, "toy-a", &toy_ops, a, why, sizeof(why)), 0);
	assert_int_equal(device_registry_add(reg, "toy-b", &toy_ops, b, why, sizeof(why)), 0);
}

/* Saves a and b (now 1000) into w. */
static void save_pair(struct state_writer *w, struct toy *a, struct toy *b)
{
	struct device_registry reg;

	registry_of(&reg, a, b);
	state_writer_init(w);
	state_write_header(w);
	device_registry_save(&reg, w, 1000);
	state_write_end(w);
	assert_false(w->failed);
}

static int load_pair(const struct state_writer *w, struct toy *a, struct toy *b, uint64_t now, char *why, size_t n)
{
	struct device_registry reg;
	struct state_reader r;

	registry_of(&reg, a, b);
	if (state_open(&r, w->buf, w->len, why, n))
		return -1;
	return device_registry_load(&reg, &r, now, why, n);
}

static void test_devices_come_back_into_their_instances_with_time_rebased(void **state)
{
	struct toy a = { .counter = 7, .deadline_ns = 1500, .flag = true }, b = { .counter = 9, .deadline_ns = 1200 };
	struct toy a2 = { 0 }, b2 = { 0 };
	struct state_writer w;
	char why[128];

	(void)state;
	save_pair(&w, &a, &b);
	assert_int_equal(load_pair(&w, &a2, &b2, 50000, why, sizeof(why)), 0);
	assert_int_equal(a2.counter, 7);
	assert_int_equal(b2.counter, 9);
	assert_int_equal(a2.deadline_ns, 50500); /* 500 ns left, now at 50000 */
	assert_int_equal(b2.deadline_ns, 50200);
	assert_true(a2.flag);
	assert_false(b2.flag);
	state_writer_free(&w);
}

static void test_reset_reaches_every_device(void **state)
{
	struct toy a = { .counter = 7 }, b = { .counter = 9 };
	struct device_registry reg;

	(void)state;
	registry_of(&reg, &a, &b);
	device_registry_reset(&reg);
	assert_int_equal(a.counter + b.counter, 0);
	assert_int_equal(a.resets + b.resets, 2);
}

static void test_a_name_registered_twice_is_refused(void **state)
{
	struct device_registry reg;
	struct toy a = { 0 };
	char why[128];

	(void)state;
	memset(&reg, 0, sizeof(reg));
	assert_int_equal(device_registry_add(&reg, "toy", &toy_ops, &a, why, sizeof(why)), 0);
	assert_int_equal(device_registry_add(&reg, "toy", &toy_ops, &a, why, sizeof(why)), -1);
	assert_int_equal(device_registry_add(&reg, "", &toy_ops, &a, why, sizeof(why)), -1);
}

/* A stream written by hand: the sections given, each with a toy payload. */
static void write_sections(struct state_writer *w, const char *const *names, const uint32_t *versions, uint32_t counter)
{
	state_writer_init(w);
	state_write_header(w);
	for (unsigned i = 0; names[i]; i++) {
		state_section_begin(w, names[i], versions[i]);
		state_put_u32(w, counter);
		state_put_u64(w, 0);
		if (versions[i] >= 2)
			state_put_bool(w, false);
		state_section_end(w);
	}
	state_write_end(w);
}

static void expect_refused(const char *const *names, const uint32_t *versions, uint32_t counter, const char *reason)
{
	struct toy a = { 0 }, b = { 0 };
	struct state_writer w;
	char why[128] = "";

	write_sections(&w, names, versions, counter);
	assert_int_equal(load_pair(&w, &a, &b, 0, why, sizeof(why)), -1);
	if (!strstr(why, reason))
		fail_msg("reason '%s' lacks '%s'", why, reason);
	state_writer_free(&w);
}

static void test_bad_states_are_refused_naming_the_device(void **state)
{
	const uint32_t v2[] = { 2, 2, 2 }, v3[] = { 2, 3 };

	(void)state;
	expect_refused((const char *const[]){ "toy-a", "toy-c", NULL }, v2, 1, "lacks: 'toy-c'");
	expect_refused((const char *const[]){ "toy-a", "toy-a", NULL }, v2, 1, "'toy-a' twice");
	expect_refused((const char *const[]){ "toy-a", NULL }, v2, 1, "lacks device 'toy-b'");
	expect_refused((const char *const[]){ "toy-a", "toy-b", NULL }, v3, 1, "'toy-b' is saved at version 3");
	expect_refused((const char *const[]){ "toy-a", "toy-b", NULL }, v2, 5000,
		       "'toy-a': its saved state is invalid");
}

/* A version-1 payload (no flag) loads, the flag taking its default. */
static void test_an_older_version_loads_with_defaults(void **state)
{
	struct toy a = { 0 }, b = { 0 };
	struct state_writer w;
	char why[128];

	(void)state;
	write_sections(&w, (const char *const[]){ "toy-b", "toy-a", NULL }, (const uint32_t[]){ 1, 1 }, 3);
	assert_int_equal(load_pair(&w, &a, &b, 0, why, sizeof(why)), 0);
	assert_true(a.flag && b.flag);
	assert_int_equal(a.counter, 3);
	state_writer_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devices_come_back_into_their_instances_with_time_rebased),
		cmocka_unit_test(test_reset_reaches_every_device),
		cmocka_unit_test(test_a_name_registered_twice_is_refused),
		cmocka_unit_test(test_bad_states_are_refused_naming_the_device),
		cmocka_unit_test(test_an_older_version_loads_with_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
