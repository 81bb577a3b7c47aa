/* The control socket's commands on a VM (src/api/api_commands.c), through
 * stub VM operations: what each reply says, which operation runs, and that a
 * slot left empty makes its command answer "unsupported". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "api/api_commands.h"
#include "api_reply.h"
#include "unit_helpers.h"
#include "vm/machine.h"

/* The stub VM: what the operations saw and what they answer. */
static struct stub {
	struct vm_info info;
	bool paused;
	int fail; /* the optional operations fail */
	int stops, stop_status, pauses, resumes;
	char last_arg[API_ARG_MAX + 1];
} stub;

static void stub_info(struct vm *vm, struct vm_info *out)
{
	(void)vm;
	*out = stub.info;
}

static void stub_request_stop(struct vm *vm, int status)
{
	(void)vm;
	stub.stops++;
	if (!stub.info.stopping) {
		stub.info.stopping = true;
		stub.info.exit_status = status;
	}
}

static int stub_pause(struct vm *vm, char *why, size_t why_len)
{
	(void)vm;
	stub.pauses++;
	if (stub.fail) {
		snprintf(why, why_len, "vCPU 0 did not stop");
		return -1;
	}
	stub.paused = true;
	return 0;
}

static void stub_resume(struct vm *vm)
{
	(void)vm;
	stub.resumes++;
	stub.paused = false;
}

static bool stub_paused(const struct vm *vm)
{
	(void)vm;
	return stub.paused;
}

static int stub_with_arg(struct vm *vm, const char *arg, char *why, size_t why_len)
{
	(void)vm;
	snprintf(stub.last_arg, sizeof(stub.last_arg), "%s", arg);
	if (stub.fail) {
		snprintf(why, why_len, "%s: No space left on device", arg);
		return -1;
	}
	return 0;
}

static const struct api_vm_ops full_ops = {
	.info = stub_info,
	.request_stop = stub_request_stop,
	.pause = stub_pause,
	.resume = stub_resume,
	.paused = stub_paused,
	.snapshot = stub_with_arg,
	.migrate = stub_with_arg,
};

static const struct api_vm_ops bare_ops = { .info = stub_info, .request_stop = stub_request_stop };

static int reset(void **state)
{
	(void)state;
	memset(&stub, 0, sizeof(stub));
	stub.info = (struct vm_info){
		.engine = "interp", .cpu_model = "v3", .vcpus = 1, .mem_bytes = 64ull << 20, .uptime_ns = 2500000000ull
	};
	return 0;
}

static json_t *ask(const struct api_vm_ops *ops, const char *req)
{
	struct api_vm target = { .vm = NULL, .ops = ops };
	size_t len = 0;
	char *line = api_handle_request(api_vm_commands, &target, req, strlen(req), &len);
	json_t *r = reply_parse(line, len);

	free(line);
	return r;
}

static const char *str(json_t *r, const char *key)
{
	const char *s = json_string_value(json_object_get(r, key));

	return s ? s : "(missing)";
}

static void test_api_status_reports_what_the_vm_is(void **state)
{
	json_t *r = ask(&bare_ops, "{\"cmd\":\"status\"}");

	(void)state;
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(str(r, "state"), "running");
	assert_string_equal(str(r, "engine"), "interp");
	assert_string_equal(str(r, "cpu"), "v3");
	assert_int_equal(json_integer_value(json_object_get(r, "vcpus")), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "memory_bytes")), 64 << 20);
	assert_int_equal(json_integer_value(json_object_get(r, "uptime_ms")), 2500);
	assert_null(json_object_get(r, "exit_status"));
	json_decref(r);
}

static void test_api_status_of_a_stopping_vm_gives_its_exit_status(void **state)
{
	json_t *r;

	(void)state;
	stub.info.stopping = true;
	stub.info.exit_status = 143;
	stub.paused = true; /* stopping wins over paused */
	r = ask(&full_ops, "{\"cmd\":\"status\"}");
	assert_string_equal(str(r, "state"), "stopping");
	assert_int_equal(json_integer_value(json_object_get(r, "exit_status")), 143);
	json_decref(r);
}

static void test_api_stop_asks_for_status_0_and_says_which_status_wins(void **state)
{
	json_t *r;

	(void)state;
	r = ask(&bare_ops, "{\"cmd\":\"stop\"}");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(stub.stops, 1);
	assert_string_equal(str(r, "state"), "stopping");
	assert_int_equal(json_integer_value(json_object_get(r, "exit_status")), STATUS_OK);
	json_decref(r);
	/* The guest had already ended with 3: the first request wins. */
	reset(NULL);
	stub.info.stopping = true;
	stub.info.exit_status = 3;
	r = ask(&bare_ops, "{\"cmd\":\"stop\"}");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(r, "exit_status")), 3);
	json_decref(r);
}

static void test_api_commands_without_their_operation_are_unsupported(void **state)
{
	static const char *const reqs[] = {
		"{\"cmd\":\"pause\"}",
		"{\"cmd\":\"resume\"}",
		"{\"cmd\":\"snapshot\",\"path\":\"/tmp/s\"}",
		"{\"cmd\":\"migrate\",\"uri\":\"tcp:127.0.0.1:4444\"}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		json_t *r = ask(&bare_ops, reqs[i]);

		assert_string_equal(reply_code(r), API_E_UNSUPPORTED);
		json_decref(r);
	}
	assert_int_equal(stub.stops, 0);
}

static void test_api_arguments_are_checked_even_when_unsupported(void **state)
{
	json_t *r;

	(void)state;
	r = ask(&bare_ops, "{\"cmd\":\"snapshot\"}");
	assert_string_equal(reply_code(r), API_E_INVALID_ARGUMENT);
	json_decref(r);
	r = ask(&bare_ops, "{\"cmd\":\"migrate\",\"uri\":7}");
	assert_string_equal(reply_code(r), API_E_INVALID_ARGUMENT);
	json_decref(r);
	r = ask(&bare_ops, "{\"cmd\":\"pause\",\"now\":true}");
	assert_string_equal(reply_code(r), API_E_INVALID_ARGUMENT);
	json_decref(r);
}

static void test_api_pause_and_resume_go_through_their_operations(void **state)
{
	json_t *r;

	(void)state;
	r = ask(&full_ops, "{\"cmd\":\"pause\"}");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(str(r, "state"), "paused");
	json_decref(r);
	r = ask(&full_ops, "{\"cmd\":\"status\"}");
	assert_string_equal(str(r, "state"), "paused");
	json_decref(r);
	r = ask(&full_ops, "{\"cmd\":\"resume\"}");
	assert_string_equal(str(r, "state"), "running");
	json_decref(r);
	assert_int_equal(stub.pauses, 1);
	assert_int_equal(stub.resumes, 1);
	stub.fail = 1;
	r = ask(&full_ops, "{\"cmd\":\"pause\"}");
	assert_string_equal(reply_code(r), API_E_FAILED);
	assert_string_equal(reply_message(r), "pause: vCPU 0 did not stop");
	json_decref(r);
}

static void test_api_snapshot_and_migrate_hand_over_their_argument(void **state)
{
	json_t *r;

	(void)state;
	r = ask(&full_ops, "{\"cmd\":\"snapshot\",\"path\":\"/srv/vm one\"}");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(stub.last_arg, "/srv/vm one");
	assert_string_equal(str(r, "path"), "/srv/vm one");
	json_decref(r);
	r = ask(&full_ops, "{\"cmd\":\"migrate\",\"uri\":\"tcp:10.0.0.2:4444\"}");
	assert_string_equal(stub.last_arg, "tcp:10.0.0.2:4444");
	assert_string_equal(str(r, "uri"), "tcp:10.0.0.2:4444");
	json_decref(r);
	stub.fail = 1;
	r = ask(&full_ops, "{\"cmd\":\"snapshot\",\"path\":\"/full\"}");
	assert_string_equal(reply_code(r), API_E_FAILED);
	assert_string_equal(reply_message(r), "snapshot: /full: No space left on device");
	json_decref(r);
}

/* The VM layer's own table: status and stop are wired, and whatever of the
 * rest is not must answer "unsupported", never crash on a NULL slot. */
static void test_api_vm_ops_has_its_mandatory_slots(void **state)
{
	(void)state;
	assert_ptr_equal(api_vm_ops.info, vm_info_get);
	assert_non_null(api_vm_ops.request_stop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_api_status_reports_what_the_vm_is, reset),
		cmocka_unit_test_setup(test_api_status_of_a_stopping_vm_gives_its_exit_status, reset),
		cmocka_unit_test_setup(test_api_stop_asks_for_status_0_and_says_which_status_wins, reset),
		cmocka_unit_test_setup(test_api_commands_without_their_operation_are_unsupported, reset),
		cmocka_unit_test_setup(test_api_arguments_are_checked_even_when_unsupported, reset),
		cmocka_unit_test_setup(test_api_pause_and_resume_go_through_their_operations, reset),
		cmocka_unit_test_setup(test_api_snapshot_and_migrate_hand_over_their_argument, reset),
		cmocka_unit_test(test_api_vm_ops_has_its_mandatory_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
