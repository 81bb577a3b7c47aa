/* One client of the control socket: the bytes it sent that are not answered
 * yet and the replies it has not taken yet, on a non-blocking socket that the
 * server polls (api/api_server.h). The client is not trusted: memory per
 * client is bounded (one request of API_REQUEST_MAX bytes, replies up to
 * about API_OUT_MAX), and it is given request_timeout to finish a request it
 * began and to take a reply; past that it gets a "timeout" reply if one can
 * still go, and is closed. A client that waits between requests is never
 * timed out. Everything here runs on the server's thread. */
#ifndef RV_API_CONN_H
#define RV_API_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api_protocol.h"

/* Once this much of replies waits to be taken, further requests wait. */
#define API_OUT_MAX (64 * 1024)

struct api_conn {
	int fd;	  /* -1: a free slot */
	char *in; /* API_REQUEST_MAX + 1 bytes: a request and its newline */
	size_t in_len;
	char *out;
	size_t out_len, out_sent, out_cap;
	uint64_t deadline_ns; /* 0: nothing waits on the client */
	bool eof;	      /* the client sends no more */
	bool closing;	      /* no more requests: close once out has gone */
};

/* What a connection's requests are answered from. */
struct api_dispatch {
	const struct api_command *table;
	void *ctx;
	uint64_t request_timeout_ns;
};

/* Takes fd (non-blocking). 0, or -1 when memory runs out (fd left open). */
int api_conn_open(struct api_conn *c, int fd);
/* Sends what of the replies can go without waiting, then closes. */
void api_conn_close(struct api_conn *c);
/* The poll events to wait for. */
short api_conn_events(const struct api_conn *c);
/* After a poll that reported revents for it (0 when only time passed): reads,
 * answers the complete requests, writes, times out; closes the connection
 * when it is done (c->fd is -1 then). */
void api_conn_step(struct api_conn *c, short revents, const struct api_dispatch *d, uint64_t now_ns);
/* An error reply (API_E_BUSY...) on a socket that gets no more: sent if it
 * can go without waiting, then fd is closed. */
void api_refuse_fd(int fd, const char *code, const char *message);

#endif
