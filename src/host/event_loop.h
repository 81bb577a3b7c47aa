/* One event loop on a thread of its own (epoll): it waits for any of its
 * sources' file descriptors to become readable and calls that source's
 * handler, on the loop's thread, one handler at a time. Device back ends do
 * their work there (docs/architecture.md, "Threads and locks"); other threads
 * hand it work through a notifier (host/notifier.h) registered as a source.
 *
 * Threads: init, add and start from the thread that owns the loop; add may
 * also be called while the loop runs (epoll_ctl is thread-safe). stop from
 * any thread but the loop's own; it returns when the loop's thread has ended,
 * so no handler runs after it. */
#ifndef RV_HOST_EVENT_LOOP_H
#define RV_HOST_EVENT_LOOP_H

#include <pthread.h>
#include <stdbool.h>

#include "host/notifier.h"

struct event_source {
	int fd;
	/* Called on the loop's thread while fd is readable (level-triggered):
	 * it must consume what made fd readable, or it is called again. */
	void (*handler)(void *opaque);
	void *opaque;
};

struct event_loop {
	int epfd;
	struct notifier stop;
	struct event_source stop_source;
	bool stopping; /* the loop's thread only */
	pthread_t thread;
	bool started;
};

/* 0, or -1 with errno set. */
int event_loop_init(struct event_loop *loop);
/* Watches src->fd; src must stay valid until event_loop_stop returns.
 * 0, or -1 with errno set. */
int event_loop_add(struct event_loop *loop, struct event_source *src);
/* Starts the loop's thread; 0, or an errno value. */
int event_loop_start(struct event_loop *loop);
/* Ends the loop after the handler running now, if any, and joins its
 * thread. Harmless if the loop never started. */
void event_loop_stop(struct event_loop *loop);
void event_loop_destroy(struct event_loop *loop);

#endif
