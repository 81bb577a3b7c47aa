/* Shared by the control socket's unit tests: a reply line checked for the
 * shape every reply has (docs/api.md) and taken apart. */
#ifndef RV_TEST_API_REPLY_H
#define RV_TEST_API_REPLY_H

#include <jansson.h>
#include <string.h>

/* One line: a JSON object ending in its only newline, with "ok" a boolean;
 * an error reply has "error" with "code" and "message", both strings. The
 * object, to json_decref(). */
static inline json_t *reply_parse(const char *line, size_t len)
{
	json_t *r, *ok, *err;

	assert_non_null(line);
	assert_true(len >= 2);
	assert_int_equal(strlen(line), len);
	assert_int_equal(line[len - 1], '\n');
	assert_null(memchr(line, '\n', len - 1));
	r = json_loadb(line, len - 1, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(r);
	assert_true(json_is_object(r));
	ok = json_object_get(r, "ok");
	assert_true(json_is_boolean(ok));
	if (json_is_false(ok)) {
		err = json_object_get(r, "error");
		assert_true(json_is_object(err));
		assert_true(json_is_string(json_object_get(err, "code")));
		assert_true(json_is_string(json_object_get(err, "message")));
	}
	return r;
}

/* The error code of an error reply, or "" for a success. */
static inline const char *reply_code(json_t *r)
{
	const char *code = json_string_value(json_object_get(json_object_get(r, "error"), "code"));

	return code ? code : "";
}

static inline const char *reply_message(json_t *r)
{
	const char *m = json_string_value(json_object_get(json_object_get(r, "error"), "message"));

	return m ? m : "";
}

#endif
