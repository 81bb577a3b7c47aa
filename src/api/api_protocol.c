#include "api/api_protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A message may quote what the client sent (a key, a command, jansson's view
 * of a bad token): it is made printable ASCII, so that it is always a valid
 * JSON string and safe on a terminal. */
static void make_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

void api_error_set(struct api_error *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	make_printable(err->message);
}

/* The reply as one line: compact JSON never holds a raw newline (jansson
 * escapes control characters in strings). */
static char *dump_line(const json_t *reply, size_t *reply_len)
{
	char *text = json_dumps(reply, JSON_COMPACT);
	char *line;
	size_t n;

	if (!text)
		return NULL;
	n = strlen(text);
	line = realloc(text, n + 2);
	if (!line) {
		free(text);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*reply_len = n + 1;
	return line;
}

char *api_error_reply(const struct api_error *err, size_t *reply_len)
{
	json_t *reply = json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", err->code, "message", err->message);
	char *line;

	if (!reply)
		return NULL;
	line = dump_line(reply, reply_len);
	json_decref(reply);
	return line;
}

static const struct api_command *find_command(const struct api_command *table, const char *name)
{
	for (; table->name; table++)
		if (strcmp(table->name, name) == 0)
			return table;
	return NULL;
}

/* The members beside "cmd" must be exactly the command's argument, a string. */
static int check_argument(json_t *req, struct api_request *r, struct api_error *err)
{
	const struct api_command *cmd = r->cmd;
	const char *key;
	json_t *value;

	r->arg = NULL;
	json_object_foreach(req, key, value)
	{
		if (strcmp(key, "cmd") == 0)
			continue;
		if (!cmd->arg || strcmp(key, cmd->arg) != 0) {
			if (cmd->arg)
				api_error_set(err, API_E_INVALID_ARGUMENT, "%s takes \"%s\", not \"%.64s\"", cmd->name,
					      cmd->arg, key);
			else
				api_error_set(err, API_E_INVALID_ARGUMENT, "%s takes no arguments, not \"%.64s\"",
					      cmd->name, key);
			return -1;
		}
		if (!json_is_string(value)) {
			api_error_set(err, API_E_INVALID_ARGUMENT, "\"%s\" must be a string", key);
			return -1;
		}
		/* jansson refuses \u0000 unless asked (JSON_ALLOW_NUL): the length
		 * is the C string's; checked anyway, since the command takes it as one. */
		if (json_string_length(value) == 0 || json_string_length(value) > API_ARG_MAX ||
		    strlen(json_string_value(value)) != json_string_length(value)) {
			api_error_set(err, API_E_INVALID_ARGUMENT, "\"%s\" must be 1 to %d bytes without NUL", key,
				      API_ARG_MAX);
			return -1;
		}
		r->arg = json_string_value(value);
	}
	if (cmd->arg && !r->arg) {
		api_error_set(err, API_E_INVALID_ARGUMENT, "%s needs \"%s\"", cmd->name, cmd->arg);
		return -1;
	}
	return 0;
}

/* The request's JSON -> a checked request; -1 with err set. */
static int check_request(json_t *req, const struct api_command *table, struct api_request *r, struct api_error *err)
{
	const json_t *name;

	if (!json_is_object(req)) {
		api_error_set(err, API_E_INVALID_REQUEST, "a request is a JSON object, as {\"cmd\": \"status\"}");
		return -1;
	}
	name = json_object_get(req, "cmd");
	if (!json_is_string(name)) {
		api_error_set(err, API_E_INVALID_REQUEST, "a request needs \"cmd\", a string");
		return -1;
	}
	r->cmd = find_command(table, json_string_value(name));
	if (!r->cmd) {
		api_error_set(err, API_E_UNKNOWN_COMMAND, "unknown command \"%.64s\"", json_string_value(name));
		return -1;
	}
	return check_argument(req, r, err);
}

/* A command that succeeded: "ok" first, then what it added. */
static char *run_command(const struct api_request *r, void *ctx, size_t *reply_len, struct api_error *err)
{
	json_t *reply = json_pack("{s:b}", "ok", 1);
	char *line = NULL;

	if (!reply)
		return NULL;
	if (r->cmd->run(ctx, r, reply, err) == 0)
		line = dump_line(reply, reply_len);
	else if (!err->code) /* a command that forgot to say why */
		api_error_set(err, API_E_FAILED, "%s failed", r->cmd->name);
	json_decref(reply);
	return line;
}

char *api_handle_request(const struct api_command *table, void *ctx, const char *req, size_t len, size_t *reply_len)
{
	struct api_error err = { 0 };
	struct api_request r;
	json_error_t jerr;
	json_t *json;
	char *line = NULL;

	if (len > API_REQUEST_MAX) {
		api_error_set(&err, API_E_TOO_LARGE, "a request is at most %d bytes", API_REQUEST_MAX);
		return api_error_reply(&err, reply_len);
	}
	json = json_loadb(req, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!json) {
		api_error_set(&err, API_E_PARSE, "not JSON: %s at byte %d", jerr.text, jerr.position);
		return api_error_reply(&err, reply_len);
	}
	if (check_request(json, table, &r, &err) == 0)
		line = run_command(&r, ctx, reply_len, &err);
	json_decref(json);
	if (err.code) {
		free(line);
		return api_error_reply(&err, reply_len);
	}
	return line;
}
