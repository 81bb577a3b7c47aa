#include "api/api_conn.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define IN_CAP (API_REQUEST_MAX + 1)

int api_conn_open(struct api_conn *c, int fd)
{
	*c = (struct api_conn){ .fd = fd, .in = malloc(IN_CAP) };
	if (!c->in) {
		c->fd = -1;
		return -1;
	}
	return 0;
}

/* 0 when everything queued has gone or must wait for POLLOUT; -1 when the
 * client is gone. */
static int flush(struct api_conn *c)
{
	while (c->out_sent < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->out_sent += (size_t)n;
	}
	c->out_len = c->out_sent = 0;
	return 0;
}

void api_conn_close(struct api_conn *c)
{
	if (c->fd < 0)
		return;
	flush(c);
	close(c->fd);
	free(c->in);
	free(c->out);
	*c = (struct api_conn){ .fd = -1 };
}

static void queue(struct api_conn *c, const char *bytes, size_t n)
{
	if (c->out_sent) {
		memmove(c->out, c->out + c->out_sent, c->out_len - c->out_sent);
		c->out_len -= c->out_sent;
		c->out_sent = 0;
	}
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_len + n + 4096;
		char *out = realloc(c->out, cap);

		if (!out) {
			c->closing = true; /* out of memory: this client is not answered */
			return;
		}
		c->out = out;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, bytes, n);
	c->out_len += n;
}

static void queue_error(struct api_conn *c, const struct api_error *err)
{
	size_t len;
	char *reply;

	reply = api_error_reply(err, &len);
	if (reply)
		queue(c, reply, len);
	free(reply);
}

void api_refuse_fd(int fd, const char *code, const char *message)
{
	struct api_conn c = { .fd = fd };
	struct api_error err;

	api_error_set(&err, code, "%s", message);
	queue_error(&c, &err);
	flush(&c);
	close(fd);
	free(c.out);
}

static bool has_request(const struct api_conn *c)
{
	return c->in_len && memchr(c->in, '\n', c->in_len) != NULL;
}

static bool wants_input(const struct api_conn *c)
{
	return !c->closing && !c->eof && c->in_len < IN_CAP && !has_request(c);
}

short api_conn_events(const struct api_conn *c)
{
	if (c->fd < 0)
		return 0;
	return (short)((wants_input(c) ? POLLIN : 0) | (c->out_len > c->out_sent ? POLLOUT : 0));
}

/* -1 when the client is gone. */
static int read_some(struct api_conn *c)
{
	ssize_t n = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		c->eof = true;
	c->in_len += (size_t)n;
	return 0;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* Answers the complete requests, in order, while the client takes replies. */
static void serve(struct api_conn *c, const struct api_dispatch *d)
{
	while (!c->closing && c->out_len - c->out_sent < API_OUT_MAX) {
		char *nl = memchr(c->in, '\n', c->in_len);
		size_t n, len;

		if (!nl)
			break;
		n = (size_t)(nl - c->in);
		if (!blank(c->in, n)) {
			char *reply = api_handle_request(d->table, d->ctx, c->in, n, &len);

			if (reply)
				queue(c, reply, len);
			else
				c->closing = true;
			free(reply);
		}
		memmove(c->in, nl + 1, c->in_len - n - 1);
		c->in_len -= n + 1;
		c->deadline_ns = 0; /* a request answered: the next one has its own time */
	}
	if (c->in_len == IN_CAP && !has_request(c)) {
		struct api_error err;

		api_error_set(&err, API_E_TOO_LARGE, "a request is one line of at most %d bytes; closing",
			      API_REQUEST_MAX);
		queue_error(c, &err);
		c->in_len = 0;
		c->closing = true;
	}
	/* What follows the last newline when the client has finished sending is
	 * not a request: dropped, unanswered. */
	if (c->eof && !has_request(c))
		c->closing = true;
}

/* The clock runs while the client owes us something: the rest of a request
 * it began, or taking the replies queued for it. */
static void update_deadline(struct api_conn *c, const struct api_dispatch *d, uint64_t now_ns)
{
	bool waiting = (c->in_len && !c->closing) || c->out_len > c->out_sent;

	if (!waiting)
		c->deadline_ns = 0;
	else if (!c->deadline_ns)
		c->deadline_ns = now_ns + d->request_timeout_ns;
}

void api_conn_step(struct api_conn *c, short revents, const struct api_dispatch *d, uint64_t now_ns)
{
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && wants_input(c) && read_some(c)) {
		api_conn_close(c);
		return;
	}
	serve(c, d);
	if (flush(c)) {
		api_conn_close(c);
		return;
	}
	if (c->closing && c->out_len == c->out_sent) {
		api_conn_close(c);
		return;
	}
	update_deadline(c, d, now_ns);
	if (c->deadline_ns && now_ns >= c->deadline_ns) {
		if (c->in_len && !c->closing) {
			struct api_error err;

			api_error_set(&err, API_E_TIMEOUT, "the request did not end within %llu ms; closing",
				      (unsigned long long)(d->request_timeout_ns / 1000000));
			queue_error(c, &err);
		}
		api_conn_close(c);
	}
}
