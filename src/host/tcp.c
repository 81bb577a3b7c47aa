#include "host/tcp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int tcp_uri_parse(const char *uri, char host[TCP_HOST_MAX + 1], uint16_t *port, char *why, size_t why_len)
{
	const char *h, *colon;
	size_t hlen;
	char *end;
	unsigned long p;

	if (strncmp(uri, "tcp:", 4) != 0) {
		snprintf(why, why_len, "'%s' is not tcp:HOST:PORT", uri);
		return -1;
	}
	h = uri + 4;
	colon = strrchr(h, ':');
	if (!colon || colon == h) {
		snprintf(why, why_len, "'%s' is not tcp:HOST:PORT", uri);
		return -1;
	}
	hlen = (size_t)(colon - h);
	if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen > TCP_HOST_MAX || memchr(h, '[', hlen) || memchr(h, ']', hlen)) {
		snprintf(why, why_len, "'%s': the host is empty, too long or malformed", uri);
		return -1;
	}
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || errno || p < 1 || p > 65535) {
		snprintf(why, why_len, "'%s': the port is not a number from 1 to 65535", uri);
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)p;
	return 0;
}

static int resolve(const char *host, uint16_t port, bool passive, struct addrinfo **res, char *why, size_t why_len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = passive ? AI_PASSIVE : 0 };
	char service[8];
	int rc;

	snprintf(service, sizeof(service), "%u", port);
	rc = getaddrinfo(host, service, &hints, res);
	if (rc) {
		snprintf(why, why_len, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	return 0;
}

static int set_nonblocking(int fd)
{
	int one = 1, flags = fcntl(fd, F_GETFL);

	/* Pages go in large writes already; no small write should wait. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ? -1 : 0;
}

/* Waits for events on fd: 1 ready, 0 timed out, -1 error. */
static int wait_for(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;

	do
		rc = poll(&p, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	return rc;
}

/* One address: a connected non-blocking socket, or -1 with a reason. */
static int connect_one(const struct addrinfo *a, int timeout_ms, char *why, size_t why_len)
{
	int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
	int err = 0;
	socklen_t len = sizeof(err);

	if (fd < 0 || set_nonblocking(fd)) {
		snprintf(why, why_len, "socket: %s", strerror(errno));
		goto fail;
	}
	if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		snprintf(why, why_len, "connect: %s", strerror(errno));
		goto fail;
	}
	if (wait_for(fd, POLLOUT, timeout_ms) <= 0) {
		snprintf(why, why_len, "connect: no answer within %d ms", timeout_ms);
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		snprintf(why, why_len, "connect: %s", strerror(err ? err : errno));
		goto fail;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

int tcp_connect(const char *host, uint16_t port, int timeout_ms, char *why, size_t why_len)
{
	struct addrinfo *res, *a;
	int fd = -1;

	if (resolve(host, port, false, &res, why, why_len))
		return -1;
	for (a = res; a && fd < 0; a = a->ai_next)
		fd = connect_one(a, timeout_ms, why, why_len);
	freeaddrinfo(res);
	return fd;
}

int tcp_listen(const char *host, uint16_t port, char *why, size_t why_len)
{
	struct addrinfo *res, *a;
	int fd = -1, one = 1;

	if (resolve(host, port, true, &res, why, why_len))
		return -1;
	snprintf(why, why_len, "cannot listen on %s:%u: no address", host, port);
	for (a = res; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) || listen(fd, 1)) {
			snprintf(why, why_len, "cannot listen on %s:%u: %s", host, port, strerror(errno));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

int tcp_accept(int listen_fd, char *why, size_t why_len)
{
	int fd;

	do
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	while (fd < 0 && (errno == EINTR || errno == ECONNABORTED));
	if (fd < 0 || set_nonblocking(fd)) {
		snprintf(why, why_len, "accept: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int tcp_send_all(int fd, const void *p, size_t n, int timeout_ms, char *why, size_t why_len)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = send(fd, b, n, MSG_NOSIGNAL);

		if (k > 0) {
			b += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_for(fd, POLLOUT, timeout_ms) > 0)
				continue;
			snprintf(why, why_len, "the peer took nothing for %d ms", timeout_ms);
			return -1;
		}
		snprintf(why, why_len, "send: %s", k < 0 ? strerror(errno) : "no progress");
		return -1;
	}
	return 0;
}

ssize_t tcp_recv_some(int fd, void *p, size_t n, int timeout_ms, char *why, size_t why_len)
{
	for (;;) {
		ssize_t k = recv(fd, p, n, 0);

		if (k >= 0)
			return k;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(why, why_len, "recv: %s", strerror(errno));
			return -1;
		}
		if (wait_for(fd, POLLIN, timeout_ms) <= 0) {
			snprintf(why, why_len, "nothing came for %d ms", timeout_ms);
			return -1;
		}
	}
}
