/* config.json of a snapshot (src/vm/snapshot_config.c): what the writer makes
 * of a VM's configuration the reader gives back field by field, and as the
 * same vm_config; the file is readable JSON with the documented names; a
 * newer minor version with fields this build does not know is read; and a
 * hostile file is refused with one line naming what is wrong: not JSON, not
 * an object, another format, a newer major version, each field missing, of
 * the wrong type or out of its range, strings empty, too long or holding a
 * NUL, a duplicate key, too many disks or forwards. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "unit_helpers.h"
#include "vm/snapshot_config.h"
#include "x86/cpu_model.h"

static struct vm_config sample(void)
{
	struct vm_config cfg = { 0 };

	cfg.engine = engine_find("interp");
	cfg.cpu_model = cpu_model_find("v2");
	cfg.mem_size = 512ull << 20;
	cfg.boot = (struct load_request){ .kernel_path = "/nonexistent/vmlinuz",
					  .initrd_path = "/nonexistent/initrd.gz",
					  .cmdline = "console=ttyS0 quiet \"quoted\" \\ back",
					  .format = FORMAT_LINUX };
	cfg.rng = false;
	cfg.virtio_console = true;
	cfg.ndisks = 2;
	cfg.disks[0] = (struct disk_config){ .path = "/nonexistent/a.img", .ro = false };
	cfg.disks[1] = (struct disk_config){ .path = "/nonexistent/b b.img", .ro = true };
	cfg.net.user = true;
	cfg.net.nfwd = 2;
	cfg.net.fwd[0] = (struct net_hostfwd){ .udp = false, .host_port = 2222, .guest_port = 22 };
	inet_pton(AF_INET, "127.0.0.1", &cfg.net.fwd[0].host_addr);
	inet_pton(AF_INET, "10.0.2.15", &cfg.net.fwd[0].guest_addr);
	cfg.net.fwd[1] = (struct net_hostfwd){ .udp = true, .host_port = 5353, .guest_port = 53 };
	inet_pton(AF_INET, "0.0.0.0", &cfg.net.fwd[1].host_addr);
	inet_pton(AF_INET, "10.0.2.16", &cfg.net.fwd[1].guest_addr);
	return cfg;
}

static char *written(const struct vm_config *cfg)
{
	char why[256];
	char *json = snapshot_config_json(cfg, why, sizeof(why));

	if (!json)
		fail_msg("snapshot_config_json: %s", why);
	return json;
}

static void test_round_trip_gives_every_field_back(void **state)
{
	struct vm_config cfg = sample(), back;
	struct snapshot_config c;
	char why[256];
	char *json = written(&cfg);

	(void)state;
	assert_int_equal(snapshot_config_parse(json, strlen(json), &c, why, sizeof(why)), 0);
	assert_int_equal(c.major, SNAPSHOT_CONFIG_MAJOR);
	assert_int_equal(c.minor, SNAPSHOT_CONFIG_MINOR);
	assert_string_equal(c.engine, "interp");
	assert_string_equal(c.cpu, "v2");
	snapshot_config_to_vm(&c, &back);
	assert_int_equal(back.mem_size, cfg.mem_size);
	assert_string_equal(back.boot.kernel_path, cfg.boot.kernel_path);
	assert_string_equal(back.boot.initrd_path, cfg.boot.initrd_path);
	assert_string_equal(back.boot.cmdline, cfg.boot.cmdline);
	assert_int_equal(back.boot.format, FORMAT_LINUX);
	assert_false(back.rng);
	assert_true(back.virtio_console);
	assert_int_equal(back.ndisks, 2);
	for (unsigned i = 0; i < 2; i++) {
		assert_string_equal(back.disks[i].path, cfg.disks[i].path);
		assert_int_equal(back.disks[i].ro, cfg.disks[i].ro);
	}
	assert_true(back.net.user);
	assert_int_equal(back.net.nfwd, 2);
	assert_memory_equal(back.net.fwd, cfg.net.fwd, sizeof(cfg.net.fwd[0]) * 2);
	/* Not the configuration's: chosen on restore. */
	assert_null(back.engine);
	assert_null(back.cpu_model);
	assert_int_equal(back.dbt_traces, -1);
	snapshot_config_free(&c);
	free(json);
}

static void test_a_machine_without_boot_extras_disks_or_network(void **state)
{
	struct vm_config cfg = { .engine = engine_find("dbt"),
				 .cpu_model = cpu_model_find("baseline"),
				 .mem_size = 2ull << 20,
				 .rng = true,
				 .boot = { .kernel_path = "/nonexistent/k" } };
	struct vm_config back;
	struct snapshot_config c;
	char why[256];
	char *json = written(&cfg);

	(void)state;
	assert_int_equal(snapshot_config_parse(json, strlen(json), &c, why, sizeof(why)), 0);
	snapshot_config_to_vm(&c, &back);
	assert_null(back.boot.initrd_path);
	assert_null(back.boot.cmdline);
	assert_int_equal(back.boot.format, FORMAT_AUTO);
	assert_true(back.rng);
	assert_int_equal(back.ndisks, 0);
	assert_false(back.net.user);
	snapshot_config_free(&c);
	free(json);
}

/* A file a person can read: one field a line, with the documented names. */
static void test_the_file_is_readable_json_with_the_documented_names(void **state)
{
	struct vm_config cfg = sample();
	char *json = written(&cfg);

	(void)state;
	assert_non_null(strstr(json, "\"format\": \"ringvisor-snapshot\""));
	assert_non_null(strstr(json, "\"memory_bytes\": 536870912,\n"));
	assert_non_null(strstr(json, "\"engine\": \"interp\""));
	assert_non_null(strstr(json, "\"cpu\": \"v2\""));
	assert_non_null(strstr(json, "\"read_only\": true"));
	assert_non_null(strstr(json, "\"host_addr\": \"127.0.0.1\""));
	assert_non_null(strstr(json, "\"protocol\": \"udp\""));
	assert_non_null(strstr(json, "\"virtio\": true"));
	assert_true(strchr(json, '\n') != NULL);
	free(json);
}

/* A path that exists is written absolute, so that a restore elsewhere finds it. */
static void test_an_existing_relative_path_is_written_absolute(void **state)
{
	struct vm_config cfg = sample();
	char *json, cwd[4096], want[4200];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	cfg.disks[0].path = "Makefile";
	json = written(&cfg);
	snprintf(want, sizeof(want), "\"path\": \"%s/Makefile\"", cwd);
	assert_non_null(strstr(json, want));
	free(json);
}

static void test_a_newer_minor_version_with_unknown_fields_is_read(void **state)
{
	struct vm_config cfg = sample();
	struct snapshot_config c;
	char why[256], *json = written(&cfg), *p, *edited;

	(void)state;
	p = strstr(json, "\"minor\": 0");
	assert_non_null(p);
	assert_true(asprintf(&edited, "%.*s\"minor\": 7, \"later\": [1, {\"x\": null}]%s", (int)(p - json), json,
			     p + strlen("\"minor\": 0")) > 0);
	assert_int_equal(snapshot_config_parse(edited, strlen(edited), &c, why, sizeof(why)), 0);
	assert_int_equal(c.minor, 7);
	snapshot_config_free(&c);
	free(edited);
	free(json);
}

/* Replaces the first `from` in the sample's JSON by `to` and parses it:
 * the parse must be refused with a reason holding `reason`. */
static void refused(const char *from, const char *to, const char *reason)
{
	struct vm_config cfg = sample();
	struct snapshot_config c;
	char why[256], *json = written(&cfg), *p = strstr(json, from), *edited;

	if (!p)
		fail_msg("'%s' is not in the sample", from);
	assert_true(asprintf(&edited, "%.*s%s%s", (int)(p - json), json, to, p + strlen(from)) > 0);
	why[0] = '\0';
	if (snapshot_config_parse(edited, strlen(edited), &c, why, sizeof(why)) == 0)
		fail_msg("accepted with %s -> %s", from, to);
	if (!strstr(why, reason))
		fail_msg("%s -> %s: reason '%s' lacks '%s'", from, to, why, reason);
	assert_null(strchr(why, '\n'));
	/* Refused: nothing is left to free. */
	assert_null(c.kernel);
	assert_int_equal(c.ndisks, 0);
	free(edited);
	free(json);
}

static void test_hostile_versions_and_formats_are_refused(void **state)
{
	(void)state;
	refused("{", "[{", "line");
	refused("\"format\": \"ringvisor-snapshot\"", "\"format\": \"qemu\"", "not a Ringvisor snapshot");
	refused("\"format\": \"ringvisor-snapshot\"", "\"format\": 1", "not a Ringvisor snapshot");
	refused("\"major\": 1", "\"major\": 2", "format version 2.0");
	refused("\"major\": 1", "\"major\": \"1\"", "'major' is not a whole number");
	refused("\"major\": 1", "\"major\": -1", "'major' is out of range");
	refused("\"version\": {", "\"version\": [], \"v\": {", "'version' is not an object");
	refused("\"major\": 1,", "\"major\": 1, \"major\": 1,", "duplicate");
}

static void test_hostile_machine_fields_are_refused(void **state)
{
	(void)state;
	refused("\"engine\": \"interp\"", "\"engine\": 7", "'engine' is not a string");
	refused("\"engine\": \"interp\"", "\"engine\": \"\"", "'engine' is empty");
	refused("\"engine\": \"interp\"", "\"engine\": \"interp-and-a-name-far-longer-than-31\"", "too long");
	/* jansson refuses \u0000 unless asked; the reader checks for it anyway. */
	refused("\"engine\": \"interp\"", "\"engine\": \"int\\u0000erp\"", "\\u0000 is not allowed");
	refused("\"engine\": \"interp\",", "", "'engine' is missing");
	refused("\"cpu\": \"v2\"", "\"cpu\": null", "'cpu' is not a string");
	refused("\"memory_bytes\": 536870912", "\"memory_bytes\": 536870912.0", "not a whole number");
	refused("\"memory_bytes\": 536870912", "\"memory_bytes\": -4096", "out of range");
	refused("\"memory_bytes\": 536870912", "\"memory_bytes\": 4096", "out of range");
	refused("\"memory_bytes\": 536870912", "\"memory_bytes\": 536870913", "whole number of pages");
	refused("\"memory_bytes\": 536870912", "\"memory_bytes\": 1099511631872", "out of range");
	refused("\"memory_bytes\": 536870912", "\"memory_bytes\": 1e30", "not a whole number");
	refused("\"memory_bytes\": 536870912", "\"memory_bytes\": 99999999999999999999999", "line");
	refused("\"rng\": false", "\"rng\": 0", "'rng' is not true or false");
	refused("\"virtio\": true", "\"virtio\": \"yes\"", "'virtio' is not true or false");
	refused("\"consoles\": {", "\"consoles\": 1, \"c\": {", "'consoles' is not an object");
}

static void test_hostile_boot_fields_are_refused(void **state)
{
	char *long_append = malloc(3100), *to;

	(void)state;
	refused("\"boot\": {", "\"boot\": \"vmlinuz\", \"b\": {", "'boot' is not an object");
	refused("\"kernel\": \"/nonexistent/vmlinuz\"", "\"kernel\": [\"/a\"]", "'kernel' is not a string");
	refused("\"format\": \"linux\"", "\"format\": \"pe\"", "unknown boot format 'pe'");
	refused("\"format\": \"linux\"", "\"form\": \"linux\"", "'format' is missing");
	/* What a reason quotes of the file stays on one line (refused() checks). */
	refused("\"format\": \"linux\"", "\"format\": \"li\\nux\"", "unknown boot format 'li?ux'");
	refused("\"format\": \"linux\"", "\"format\": \"li\nux\"", "line");
	assert_non_null(long_append);
	memset(long_append, 'a', 3000);
	long_append[3000] = '\0';
	assert_true(asprintf(&to, "\"append\": \"%s\"", long_append) > 0);
	refused("\"append\": \"console=ttyS0 quiet \\\"quoted\\\" \\\\ back\"", to, "'append' is empty, too long");
	free(to);
	free(long_append);
}

static void test_hostile_disks_and_network_are_refused(void **state)
{
	(void)state;
	refused("\"disks\": [", "\"disks\": {}, \"d\": [", "'disks' is not an array");
	refused("\"disks\": [", "\"disks\": [1, ", "'disks' holds something that is not an object");
	refused("\"disks\": [", "\"disks\": [{}, {}, {}, {}, {}, {}, {}, ", "more than 8 disks");
	refused("\"path\": \"/nonexistent/a.img\"", "\"path\": \"\"", "'path' is empty");
	refused("\"read_only\": false", "\"read_only\": null", "'read_only' is not true or false");
	refused("\"mode\": \"user\"", "\"mode\": \"tap\"", "network mode 'tap'");
	refused("\"net\": {", "\"net\": null, \"n\": {", "'net' is not an object");
	refused("\"hostfwd\": [", "\"hostfwd\": 3, \"h\": [", "'hostfwd' is not an array");
	refused("\"host_port\": 2222", "\"host_port\": 0", "'host_port' is out of range");
	refused("\"guest_port\": 22", "\"guest_port\": 65536", "'guest_port' is out of range");
	refused("\"host_addr\": \"127.0.0.1\"", "\"host_addr\": \"127.0.0\"", "not an IPv4 address");
	refused("\"protocol\": \"tcp\"", "\"protocol\": \"sct\"", "not tcp or udp");
	refused("\"hostfwd\": [", "\"hostfwd\": [{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, ",
		"more than 16 hostfwd rules");
}

static void test_garbage_is_refused(void **state)
{
	static const char *const docs[] = {
		"", "null", "[]", "\"x\"", "{", "{}", "{\"format\": \"ringvisor-snapshot\"}"
	};
	struct snapshot_config c;
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		why[0] = '\0';
		assert_int_equal(snapshot_config_parse(docs[i], strlen(docs[i]), &c, why, sizeof(why)), -1);
		assert_true(strncmp(why, "config.json", 11) == 0);
	}
	/* A NUL inside the bytes: not JSON. */
	assert_int_equal(snapshot_config_parse("{\0}", 3, &c, why, sizeof(why)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_gives_every_field_back),
		cmocka_unit_test(test_a_machine_without_boot_extras_disks_or_network),
		cmocka_unit_test(test_the_file_is_readable_json_with_the_documented_names),
		cmocka_unit_test(test_an_existing_relative_path_is_written_absolute),
		cmocka_unit_test(test_a_newer_minor_version_with_unknown_fields_is_read),
		cmocka_unit_test(test_hostile_versions_and_formats_are_refused),
		cmocka_unit_test(test_hostile_machine_fields_are_refused),
		cmocka_unit_test(test_hostile_boot_fields_are_refused),
		cmocka_unit_test(test_hostile_disks_and_network_are_refused),
		cmocka_unit_test(test_garbage_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
