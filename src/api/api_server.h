/* The control socket's server (docs/api.md): `ringvisor run --api-sock PATH`.
 *
 * It runs on a thread of its own (rv-api), in a poll loop over the listening
 * socket, its clients and a stop notifier. Its own thread, and not the main
 * thread's loop or the I/O thread, because a command may wait on the rest of
 * the VM (a pause until every vCPU has parked, a snapshot until the I/O
 * thread has finished the virtio work in progress and the RAM is written):
 * no thread the VM needs in order to get there may be the one waiting, and
 * the main thread keeps serving signals (SIGTERM) and host input meanwhile.
 * No vCPU or VM thread ever waits for this one, and it never blocks on a
 * client: sockets are non-blocking, and a client that does not finish a
 * request or take its replies in time is closed (api/api_conn.h).
 *
 * Commands run one at a time, in the order their requests end; while one
 * runs, the other clients' requests wait. Up to API_MAX_CLIENTS clients are
 * connected at once; one more gets a "busy" reply and is closed. */
#ifndef RV_API_SERVER_H
#define RV_API_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/api_conn.h"
#include "api/api_socket.h"
#include "host/notifier.h"

#define API_MAX_CLIENTS 16
/* To finish a request begun, and to take a reply. */
#define API_REQUEST_TIMEOUT_MS 10000

struct api_server {
	int listen_fd;
	char path[108];
	struct api_socket_file file;
	struct api_dispatch dispatch;
	struct notifier stop;
	pthread_t thread;
	bool started;
	uint64_t accept_again_ns; /* accept failed for want of descriptors: wait */
	struct api_conn conns[API_MAX_CLIENTS];
};

/* Creates the socket at path (api/api_socket.h): 0, or -1 with a one-line
 * reason in why. Undo with api_server_close, also after a failure. */
int api_server_open(struct api_server *s, const char *path, char *why, size_t why_len);
/* Serves table's commands with ctx on the server's thread; request_timeout_ms
 * 0 is API_REQUEST_TIMEOUT_MS. The thread takes no asynchronous signal.
 * Returns 0, or an errno value. */
int api_server_start(struct api_server *s, const struct api_command *table, void *ctx, unsigned request_timeout_ms);
/* Ends the thread after the command running now, if any, sending the clients
 * what replies can go without waiting, and closes them. Any thread but the
 * server's; harmless if it never started. */
void api_server_stop(struct api_server *s);
/* Stops, closes the socket and removes its file. */
void api_server_close(struct api_server *s);

#endif
