/* The control socket's protocol (docs/api.md) without the socket: one request
 * — a JSON object on one line — parsed, checked against a table of commands,
 * handed to its command, and answered with one reply line:
 *   {"ok": true, ...}  or  {"ok": false, "error": {"code": "...", "message": "..."}}
 * Nothing here knows what a command does or what it acts on: the table and
 * the context its commands get come from the caller (api/api_commands.h for a
 * VM; the unit tests bring their own). The input is hostile: any bytes give a
 * reply, never a crash, and no more work than their length. */
#ifndef RV_API_PROTOCOL_H
#define RV_API_PROTOCOL_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>

/* Bytes of one request, its newline not counted. */
#define API_REQUEST_MAX (64 * 1024)
/* Bytes of a string argument (a directory, a URI). */
#define API_ARG_MAX 4096

/* The error codes a reply may carry (docs/api.md says when each comes). */
#define API_E_PARSE "parse_error"
#define API_E_INVALID_REQUEST "invalid_request"
#define API_E_UNKNOWN_COMMAND "unknown_command"
#define API_E_INVALID_ARGUMENT "invalid_argument"
#define API_E_UNSUPPORTED "unsupported"
#define API_E_FAILED "failed"
#define API_E_TOO_LARGE "too_large"
#define API_E_TIMEOUT "timeout"
#define API_E_BUSY "busy"

struct api_error {
	const char *code; /* an API_E_* string */
	char message[256];
};

struct api_command;

/* A request that passed every check: its command, and the command's string
 * argument (NUL-free, 1..API_ARG_MAX bytes) or NULL if it takes none. */
struct api_request {
	const struct api_command *cmd;
	const char *arg;
};

struct api_command {
	const char *name;
	/* The name of the one string argument the command requires beside
	 * "cmd" ("path"), or NULL for none; any other member is refused. */
	const char *arg;
	/* Adds the reply's members after "ok": true and returns 0; or returns
	 * -1 with err set (api_error_set). ctx is the table's context. */
	int (*run)(void *ctx, const struct api_request *req, json_t *reply, struct api_error *err);
};

/* Answers one request: len bytes, its newline excluded. table ends with an
 * entry whose name is NULL. Returns the reply, one line ending in "\n",
 * NUL-terminated, to free(); *reply_len is its length. NULL only when
 * memory runs out. */
char *api_handle_request(const struct api_command *table, void *ctx, const char *req, size_t len, size_t *reply_len);
/* The reply {"ok": false, "error": ...} as api_handle_request returns it. */
char *api_error_reply(const struct api_error *err, size_t *reply_len);
void api_error_set(struct api_error *err, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
