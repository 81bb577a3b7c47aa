/* The control socket's requests (src/api/): the input is what a client sends
 * on the socket.
 *
 * 1. The whole input as one request (api_handle_request) to the VM's command
 *    table over stub VM operations: a reply always, one line of JSON with
 *    "ok" a boolean; a success only for a JSON object naming a command; an
 *    error code from the documented list, its message printable ASCII.
 * 2. The input as a stream on a socket pair through one connection
 *    (api_conn_step), the client then ending its side: the connection ends
 *    by itself, and every line that is not blank gets exactly one reply
 *    line, in order, each as in 1.
 * The clock does not move, so no deadline passes: deterministic. */
#include <jansson.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/api_commands.h"
#include "api/api_conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool paused, stopping;

static void stub_info(struct vm *vm, struct vm_info *out)
{
	(void)vm;
	*out = (struct vm_info){
		.engine = "interp", .cpu_model = "v3", .vcpus = 1, .mem_bytes = 1 << 26, .stopping = stopping
	};
}

static void stub_stop(struct vm *vm, int status)
{
	(void)vm;
	(void)status;
	stopping = true;
}

static int stub_pause(struct vm *vm, char *why, size_t why_len)
{
	(void)vm;
	(void)why;
	(void)why_len;
	paused = true;
	return 0;
}

static void stub_resume(struct vm *vm)
{
	(void)vm;
	paused = false;
}

static bool stub_paused(const struct vm *vm)
{
	(void)vm;
	return paused;
}

/* Fails for an argument starting with 'f', with the argument in the reason. */
static int stub_with_arg(struct vm *vm, const char *arg, char *why, size_t why_len)
{
	(void)vm;
	snprintf(why, why_len, "%s: refused", arg);
	return arg[0] == 'f' ? -1 : 0;
}

static const struct api_vm_ops ops = {
	.info = stub_info,
	.request_stop = stub_stop,
	.pause = stub_pause,
	.resume = stub_resume,
	.paused = stub_paused,
	.snapshot = stub_with_arg,
	.migrate = stub_with_arg,
};

static struct api_vm target = { .vm = NULL, .ops = &ops };

static void finding(const char *what)
{
	fprintf(stderr, "FINDING: %s\n", what);
	abort();
}

static bool documented(const char *code)
{
	static const char *const codes[] = { API_E_PARSE,	    API_E_INVALID_REQUEST,
					     API_E_UNKNOWN_COMMAND, API_E_INVALID_ARGUMENT,
					     API_E_FAILED,	    API_E_TOO_LARGE };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (code && strcmp(code, codes[i]) == 0)
			return true;
	return false;
}

/* One reply line (len bytes, the newline last) for the request req. */
static void check_reply(const char *line, size_t len, const char *req, size_t req_len)
{
	json_t *r, *ok, *asked;

	if (len < 2 || line[len - 1] != '\n' || memchr(line, '\n', len - 1) || memchr(line, '\0', len))
		finding("a reply is not one line");
	r = json_loadb(line, len - 1, JSON_REJECT_DUPLICATES, NULL);
	ok = json_object_get(r, "ok");
	if (!json_is_boolean(ok))
		finding("a reply is not an object with \"ok\" a boolean");
	asked = json_loadb(req, req_len, JSON_DECODE_ANY, NULL);
	if (json_is_true(ok) && !json_is_string(json_object_get(asked, "cmd")))
		finding("a success for a request without a command");
	if (json_is_false(ok)) {
		json_t *e = json_object_get(r, "error");
		const char *m = json_string_value(json_object_get(e, "message"));

		if (!documented(json_string_value(json_object_get(e, "code"))))
			finding("an error reply without a documented code");
		for (; m && *m; m++)
			if (*m < 0x20 || *m >= 0x7f)
				finding("an error message that is not printable ASCII");
	}
	json_decref(asked);
	json_decref(r);
}

static void whole_input(const uint8_t *data, size_t size)
{
	size_t len;
	char *line = api_handle_request(api_vm_commands, &target, (const char *)data, size, &len);

	if (!line)
		finding("no reply");
	check_reply(line, len, (const char *)data, size);
	free(line);
}

static bool blank(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

static char replies[4 << 20];
static size_t replies_len;

/* Takes what the connection sent, so that it never waits for room. */
static void drain(int fd)
{
	ssize_t n;

	while (replies_len < sizeof(replies) &&
	       (n = recv(fd, replies + replies_len, sizeof(replies) - replies_len, MSG_DONTWAIT)) > 0)
		replies_len += (size_t)n;
	if (replies_len == sizeof(replies))
		finding("more reply bytes than the requests can explain");
}

/* The replies, each checked against the next request line of data. */
static void check_stream_replies(const uint8_t *data, size_t size)
{
	char *buf = replies;
	size_t len = replies_len, pos = 0;

	for (char *line = buf, *nl; (nl = memchr(line, '\n', len - (size_t)(line - buf))); line = nl + 1) {
		const uint8_t *req, *end;

		/* The request this reply answers: the next line that is not blank. */
		do {
			end = memchr(data + pos, '\n', size - pos);
			if (!end)
				finding("more replies than requests");
			req = data + pos;
			pos = (size_t)(end - data) + 1;
		} while (blank(req, (size_t)(end - req)));
		check_reply(line, (size_t)(nl - line) + 1, (const char *)req, (size_t)(end - req));
	}
	for (const uint8_t *end; (end = memchr(data + pos, '\n', size - pos)); pos = (size_t)(end - data) + 1)
		if (!blank(data + pos, (size_t)(end - data) - pos))
			finding("a request line without its reply");
}

static void as_stream(const uint8_t *data, size_t size)
{
	struct api_dispatch d = { .table = api_vm_commands, .ctx = &target, .request_timeout_ns = 1000000000 };
	struct api_conn c;
	int fds[2], steps = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds))
		return;
	/* The flags file bounds the input well below a socket's buffer. */
	if (send(fds[1], data, size, MSG_NOSIGNAL) != (ssize_t)size) {
		close(fds[0]);
		close(fds[1]);
		return;
	}
	shutdown(fds[1], SHUT_WR);
	if (api_conn_open(&c, fds[0]))
		finding("api_conn_open failed");
	replies_len = 0;
	while (c.fd >= 0) {
		if (++steps > 10000)
			finding("the connection does not end after its client has");
		api_conn_step(&c, POLLIN, &d, 1);
		drain(fds[1]);
	}
	drain(fds[1]);
	check_stream_replies(data, size);
	close(fds[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	paused = stopping = false;
	whole_input(data, size);
	as_stream(data, size);
	return 0;
}
