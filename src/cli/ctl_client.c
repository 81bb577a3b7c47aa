#include "cli/ctl_client.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/api_socket.h"
#include "host/clock.h"

/* Waits for events on fd until deadline (0: none). 0, or -1 with why. */
static int wait_for(int fd, short events, uint64_t deadline, char *why, size_t why_len)
{
	struct pollfd p = { .fd = fd, .events = events };
	int timeout = -1, n;

	if (deadline) {
		uint64_t now = monotonic_ns();

		timeout = now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
	}
	do
		n = poll(&p, 1, timeout);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		snprintf(why, why_len, "no reply in time (--timeout)");
		return -1;
	}
	if (n < 0) {
		snprintf(why, why_len, "poll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int send_all(int fd, const char *buf, size_t len, uint64_t deadline, char *why, size_t why_len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_for(fd, POLLOUT, deadline, why, why_len))
				return -1;
			continue;
		}
		if (n < 0) {
			snprintf(why, why_len, "cannot send the request: %s", strerror(errno));
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads up to the first newline; the reply, or NULL with why. */
static char *read_line(int fd, uint64_t deadline, char *why, size_t why_len)
{
	char *buf = malloc(CTL_REPLY_MAX + 1);
	size_t len = 0;

	if (!buf) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	while (len < CTL_REPLY_MAX) {
		ssize_t n = recv(fd, buf + len, CTL_REPLY_MAX - len, 0);
		char *nl;

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_for(fd, POLLIN, deadline, why, why_len))
				break;
			continue;
		}
		if (n <= 0) {
			snprintf(why, why_len, "the server closed the connection without a reply%s%s",
				 n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			break;
		}
		len += (size_t)n;
		nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = '\0';
			return buf;
		}
	}
	if (len == CTL_REPLY_MAX)
		snprintf(why, why_len, "a reply longer than %d bytes", CTL_REPLY_MAX);
	free(buf);
	return NULL;
}

char *ctl_exchange(const char *path, const char *request, int timeout_ms, char *why, size_t why_len)
{
	uint64_t deadline = timeout_ms < 0 ? 0 : monotonic_ns() + (uint64_t)timeout_ms * 1000000;
	int fd = api_socket_connect(path, why, why_len);
	char *reply = NULL;

	if (fd < 0)
		return NULL;
	if (send_all(fd, request, strlen(request), deadline, why, why_len) == 0)
		reply = read_line(fd, deadline, why, why_len);
	close(fd);
	return reply;
}
