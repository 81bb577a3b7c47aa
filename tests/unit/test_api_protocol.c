/* The control socket's protocol (src/api/api_protocol.c) against hostile
 * requests: every input gets one well-formed reply line, the right error
 * code, and a command runs only when the whole request passed its checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "api/api_protocol.h"
#include "api_reply.h"
#include "unit_helpers.h"

static unsigned runs;
static char last_arg[API_ARG_MAX + 1];

static int run_echo(void *ctx, const struct api_request *req, json_t *reply, struct api_error *err)
{
	(void)ctx;
	(void)err;
	runs++;
	snprintf(last_arg, sizeof(last_arg), "%s", req->arg ? req->arg : "(none)");
	json_object_set_new(reply, "seen", json_string(req->cmd->name));
	return 0;
}

static int run_fail(void *ctx, const struct api_request *req, json_t *reply, struct api_error *err)
{
	(void)ctx;
	(void)req;
	(void)reply;
	runs++;
	/* A reason with bytes that are not printable ASCII must not break the reply. */
	api_error_set(err, API_E_FAILED, "it broke: \x01\xff\xfe\n");
	return -1;
}

static int run_silent_fail(void *ctx, const struct api_request *req, json_t *reply, struct api_error *err)
{
	(void)ctx;
	(void)req;
	(void)reply;
	(void)err;
	runs++;
	return -1;
}

static const struct api_command table[] = {
	{ "ping", NULL, run_echo },	    { "save", "path", run_echo }, { "broken", NULL, run_fail },
	{ "quiet", NULL, run_silent_fail }, { NULL, NULL, NULL },
};

static json_t *ask_n(const char *req, size_t len)
{
	size_t reply_len = 0;
	char *line = api_handle_request(table, NULL, req, len, &reply_len);
	json_t *r = reply_parse(line, reply_len);

	free(line);
	return r;
}

static json_t *ask(const char *req)
{
	return ask_n(req, strlen(req));
}

/* The request is refused with code before any command runs. */
static void expect_refused_n(const char *req, size_t len, const char *code)
{
	unsigned before = runs;
	json_t *r = ask_n(req, len);

	if (strcmp(reply_code(r), code) != 0)
		fail_msg("request '%.80s': code '%s' (%s), expected '%s'", req, reply_code(r), reply_message(r), code);
	assert_int_equal(runs, before);
	json_decref(r);
}

static void expect_refused(const char *req, const char *code)
{
	expect_refused_n(req, strlen(req), code);
}

static void test_api_protocol_valid_request_runs_its_command_and_says_ok(void **state)
{
	json_t *r;

	(void)state;
	r = ask("{\"cmd\": \"ping\"}");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "seen")), "ping");
	assert_string_equal(last_arg, "(none)");
	json_decref(r);
	r = ask(" \t{\"path\":\"/tmp/a b\\u00e9\",\"cmd\":\"save\"}\r");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(last_arg, "/tmp/a b\xc3\xa9");
	json_decref(r);
}

static void test_api_protocol_malformed_json_is_a_parse_error(void **state)
{
	static const char nul_inside[] = "{\"cmd\":\"ping\"\0}";

	(void)state;
	expect_refused("", API_E_PARSE);
	expect_refused("{", API_E_PARSE);
	expect_refused("garbage", API_E_PARSE);
	expect_refused("{\"cmd\":\"ping\"} {\"cmd\":\"ping\"}", API_E_PARSE);
	expect_refused("{\"cmd\":\"ping\",}", API_E_PARSE);
	expect_refused("{'cmd':'ping'}", API_E_PARSE);
	expect_refused("{\"cmd\":\"p\xffing\"}", API_E_PARSE);	  /* not UTF-8 */
	expect_refused("{\"cmd\":\"ping\\u0000\"}", API_E_PARSE); /* NUL in a string */
	expect_refused("{\"cmd\":\"\\ud800\"}", API_E_PARSE);	  /* a lone surrogate */
	expect_refused("\xff\xfe\x00\x01", API_E_PARSE);
	expect_refused_n(nul_inside, sizeof(nul_inside) - 1, API_E_PARSE);
	expect_refused("{\"cmd\":\"ping\",\"cmd\":\"ping\"}", API_E_PARSE); /* a key twice */
	expect_refused("1e999", API_E_PARSE);				    /* jansson has no number this large */
}

static void test_api_protocol_deep_nesting_is_refused_without_crashing(void **state)
{
	char *deep = malloc(API_REQUEST_MAX);

	(void)state;
	assert_non_null(deep);
	memset(deep, '[', API_REQUEST_MAX);
	expect_refused_n(deep, API_REQUEST_MAX, API_E_PARSE);
	for (size_t i = 0; i + 6 < API_REQUEST_MAX; i += 5)
		memcpy(deep + i, "{\"a\":", 5);
	expect_refused_n(deep, API_REQUEST_MAX, API_E_PARSE);
	free(deep);
}

static void test_api_protocol_request_over_the_limit_is_too_large(void **state)
{
	size_t len = API_REQUEST_MAX + 1;
	char *big = malloc(len);

	(void)state;
	assert_non_null(big);
	memset(big, ' ', len);
	memcpy(big, "{\"cmd\":\"ping\"}", 14);
	expect_refused_n(big, len, API_E_TOO_LARGE);
	free(big);
}

static void test_api_protocol_json_that_is_not_an_object_is_an_invalid_request(void **state)
{
	(void)state;
	expect_refused("[]", API_E_INVALID_REQUEST);
	expect_refused("[{\"cmd\":\"ping\"}]", API_E_INVALID_REQUEST);
	expect_refused("1", API_E_INVALID_REQUEST);
	expect_refused("-1.5e3", API_E_INVALID_REQUEST);
	expect_refused("\"ping\"", API_E_INVALID_REQUEST);
	expect_refused("null", API_E_INVALID_REQUEST);
	expect_refused("true", API_E_INVALID_REQUEST);
}

static void test_api_protocol_cmd_missing_or_not_a_string_is_an_invalid_request(void **state)
{
	(void)state;
	expect_refused("{}", API_E_INVALID_REQUEST);
	expect_refused("{\"command\":\"ping\"}", API_E_INVALID_REQUEST);
	expect_refused("{\"CMD\":\"ping\"}", API_E_INVALID_REQUEST);
	expect_refused("{\"cmd\":1}", API_E_INVALID_REQUEST);
	expect_refused("{\"cmd\":null}", API_E_INVALID_REQUEST);
	expect_refused("{\"cmd\":[\"ping\"]}", API_E_INVALID_REQUEST);
	expect_refused("{\"cmd\":{\"name\":\"ping\"}}", API_E_INVALID_REQUEST);
	expect_refused("{\"cmd\":true}", API_E_INVALID_REQUEST);
}

static void test_api_protocol_unknown_command_is_named_in_printable_ascii(void **state)
{
	char req[600];
	json_t *r;

	(void)state;
	expect_refused("{\"cmd\":\"\"}", API_E_UNKNOWN_COMMAND);
	expect_refused("{\"cmd\":\"PING\"}", API_E_UNKNOWN_COMMAND);
	expect_refused("{\"cmd\":\"ping \"}", API_E_UNKNOWN_COMMAND);
	/* A long name with non-ASCII and control characters: cut, and printable. */
	snprintf(req, sizeof(req), "{\"cmd\":\"\\u00e9\\n\\u001b[31m%0400d\"}", 7);
	r = ask(req);
	assert_string_equal(reply_code(r), API_E_UNKNOWN_COMMAND);
	assert_true(strlen(reply_message(r)) < 120);
	for (const char *m = reply_message(r); *m; m++)
		assert_true(*m >= 0x20 && *m < 0x7f);
	json_decref(r);
}

static void test_api_protocol_arguments_are_checked_before_the_command_runs(void **state)
{
	char *req = malloc(API_ARG_MAX + 64);

	(void)state;
	expect_refused("{\"cmd\":\"ping\",\"path\":\"/x\"}", API_E_INVALID_ARGUMENT);
	expect_refused("{\"cmd\":\"ping\",\"x\":null}", API_E_INVALID_ARGUMENT);
	expect_refused("{\"cmd\":\"save\"}", API_E_INVALID_ARGUMENT);
	expect_refused("{\"cmd\":\"save\",\"path\":5}", API_E_INVALID_ARGUMENT);
	expect_refused("{\"cmd\":\"save\",\"path\":null}", API_E_INVALID_ARGUMENT);
	expect_refused("{\"cmd\":\"save\",\"path\":[\"/x\"]}", API_E_INVALID_ARGUMENT);
	expect_refused("{\"cmd\":\"save\",\"path\":{}}", API_E_INVALID_ARGUMENT);
	expect_refused("{\"cmd\":\"save\",\"path\":true}", API_E_INVALID_ARGUMENT);
	expect_refused("{\"cmd\":\"save\",\"path\":\"\"}", API_E_INVALID_ARGUMENT);
	expect_refused("{\"cmd\":\"save\",\"path\":\"/x\",\"force\":true}", API_E_INVALID_ARGUMENT);
	expect_refused("{\"cmd\":\"save\",\"Path\":\"/x\"}", API_E_INVALID_ARGUMENT);
	assert_non_null(req);
	strcpy(req, "{\"cmd\":\"save\",\"path\":\"");
	memset(req + strlen(req), 'a', API_ARG_MAX + 1);
	strcpy(req + 22 + API_ARG_MAX + 1, "\"}");
	expect_refused(req, API_E_INVALID_ARGUMENT);
	/* Exactly the limit is accepted. */
	strcpy(req + 22 + API_ARG_MAX, "\"}");
	json_decref(ask(req));
	assert_int_equal(strlen(last_arg), API_ARG_MAX);
	free(req);
}

static void test_api_protocol_a_failing_command_gives_its_reason_printable(void **state)
{
	json_t *r;

	(void)state;
	r = ask("{\"cmd\":\"broken\"}");
	assert_string_equal(reply_code(r), API_E_FAILED);
	assert_string_equal(reply_message(r), "it broke: ????");
	json_decref(r);
	r = ask("{\"cmd\":\"quiet\"}");
	assert_string_equal(reply_code(r), API_E_FAILED);
	assert_string_equal(reply_message(r), "quiet failed");
	json_decref(r);
}

/* Every byte value alone and after a valid prefix: a reply each time. */
static void test_api_protocol_any_byte_gets_a_reply(void **state)
{
	(void)state;
	for (int b = 0; b < 256; b++) {
		char one = (char)b, req[32];
		json_t *r = ask_n(&one, 1);

		json_decref(r);
		memcpy(req, "{\"cmd\":\"ping", 12);
		req[12] = (char)b;
		memcpy(req + 13, "\"}", 2);
		r = ask_n(req, 15);
		json_decref(r);
	}
}

static void test_api_protocol_error_reply_is_built_from_any_message(void **state)
{
	struct api_error err;
	size_t len;
	char *line;
	json_t *r;

	(void)state;
	api_error_set(&err, API_E_BUSY, "%s", "\"quoted\" \\ \x7f\x80");
	line = api_error_reply(&err, &len);
	r = reply_parse(line, len);
	assert_string_equal(reply_code(r), API_E_BUSY);
	assert_string_equal(reply_message(r), "\"quoted\" \\ ??");
	json_decref(r);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_protocol_valid_request_runs_its_command_and_says_ok),
		cmocka_unit_test(test_api_protocol_malformed_json_is_a_parse_error),
		cmocka_unit_test(test_api_protocol_deep_nesting_is_refused_without_crashing),
		cmocka_unit_test(test_api_protocol_request_over_the_limit_is_too_large),
		cmocka_unit_test(test_api_protocol_json_that_is_not_an_object_is_an_invalid_request),
		cmocka_unit_test(test_api_protocol_cmd_missing_or_not_a_string_is_an_invalid_request),
		cmocka_unit_test(test_api_protocol_unknown_command_is_named_in_printable_ascii),
		cmocka_unit_test(test_api_protocol_arguments_are_checked_before_the_command_runs),
		cmocka_unit_test(test_api_protocol_a_failing_command_gives_its_reason_printable),
		cmocka_unit_test(test_api_protocol_any_byte_gets_a_reply),
		cmocka_unit_test(test_api_protocol_error_reply_is_built_from_any_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
