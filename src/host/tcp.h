/* TCP for live migration (docs/migration.md): the tcp:HOST:PORT address,
 * connecting with a deadline, listening, and moving bytes with a deadline
 * on each wait. Sockets are non-blocking; a send never raises SIGPIPE
 * (MSG_NOSIGNAL), so a peer that vanishes is an error returned, never the
 * end of the process. */
#ifndef RV_HOST_TCP_H
#define RV_HOST_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TCP_HOST_MAX 255

/* "tcp:HOST:PORT" (HOST a name or an address, an IPv6 one in brackets; PORT
 * 1 to 65535) into host and *port: 0, or -1 with a one-line reason. */
int tcp_uri_parse(const char *uri, char host[TCP_HOST_MAX + 1], uint16_t *port, char *why, size_t why_len);
/* A connected socket, or -1 with a reason: refused, unreachable, or not
 * connected within timeout_ms. */
int tcp_connect(const char *host, uint16_t port, int timeout_ms, char *why, size_t why_len);
/* A socket listening on host:port (SO_REUSEADDR), or -1 with a reason. */
int tcp_listen(const char *host, uint16_t port, char *why, size_t why_len);
/* The next connection on a listening socket (waiting for ever), made
 * non-blocking; or -1 with a reason. */
int tcp_accept(int listen_fd, char *why, size_t why_len);
/* All n bytes, each wait for room at most timeout_ms: 0, or -1 with a
 * reason (the peer closed or reset, the deadline passed). */
int tcp_send_all(int fd, const void *p, size_t n, int timeout_ms, char *why, size_t why_len);
/* Up to n bytes, waiting at most timeout_ms (< 0: for ever) for the first:
 * how many, 0 at the end of the stream, -1 with a reason. */
ssize_t tcp_recv_some(int fd, void *p, size_t n, int timeout_ms, char *why, size_t why_len);

#endif
