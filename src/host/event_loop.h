/* One event loop on a thread of its own (epoll): it waits for any of its
 * sources' file descriptors to become readable and calls that source's
 * handler, on the loop's thread, one handler at a time. Device back ends do
 * their work there (docs/architecture.md, "Threads and locks"); other threads
 * hand it work through a notifier (host/notifier.h) registered as a source.
 *
 * A library that keeps its own descriptor set and timers and wants to be
 * asked before each wait (libslirp's slirp_pollfds_fill/_poll) is a poller:
 * before each wait its prepare adds descriptors for this one wait
 * (event_loop_poll_add) and may shorten the wait; after it, its dispatch
 * reads what came (event_loop_poll_revents) and runs its timers. With a
 * poller the loop waits in poll(2) on the epoll descriptor and the pollers'
 * descriptors together, else in epoll_wait alone.
 *
 * Threads: init, add, add_poller and start from the thread that owns the
 * loop; add may also be called while the loop runs (epoll_ctl is
 * thread-safe). poll_add and poll_revents only from a poller's callbacks, on
 * the loop's thread. stop from any thread but the loop's own; it returns when
 * the loop's thread has ended, so no handler runs after it. pause and resume
 * from any thread but the loop's own. */
#ifndef RV_HOST_EVENT_LOOP_H
#define RV_HOST_EVENT_LOOP_H

#include <poll.h>
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

/* Descriptors all pollers may add for one wait; beyond it poll_add refuses. */
#define EVENT_LOOP_MAX_POLLFDS 512
#define EVENT_LOOP_MAX_POLLERS 4

struct event_loop;

struct event_poller {
	/* Before each wait: event_loop_poll_add what to watch; lower
	 * *timeout_ms (-1: no limit) to be called back in time. */
	void (*prepare)(void *opaque, struct event_loop *loop, int *timeout_ms);
	/* After each wait, whatever came: event_loop_poll_revents. */
	void (*dispatch)(void *opaque, struct event_loop *loop);
	void *opaque;
};

struct event_loop {
	int epfd;
	struct event_poller *pollers[EVENT_LOOP_MAX_POLLERS];
	unsigned npollers;
	struct pollfd pollfds[EVENT_LOOP_MAX_POLLFDS]; /* [0]: epfd; the loop's thread only */
	unsigned npollfds;
	struct notifier stop;
	struct event_source stop_source;
	bool stopping; /* the loop's thread only */
	pthread_t thread;
	bool started;
	/* Pausing (event_loop_pause): the pause notifier's handler parks the
	 * loop's thread on park_cond until resumed or stopped. */
	struct notifier pause;
	struct event_source pause_source;
	pthread_mutex_t park_lock;
	pthread_cond_t park_cond;
	bool pause_wanted, parked, end_wanted; /* under park_lock */
};

/* 0, or -1 with errno set. */
int event_loop_init(struct event_loop *loop);
/* Watches src->fd; src must stay valid until event_loop_stop returns.
 * 0, or -1 with errno set. */
int event_loop_add(struct event_loop *loop, struct event_source *src);
/* Calls p's prepare and dispatch around every wait from now on; p must stay
 * valid until event_loop_stop returns. 0, or -1 if there are too many. */
int event_loop_add_poller(struct event_loop *loop, struct event_poller *p);
/* From prepare: watches fd for events (POLLIN, POLLOUT...) in this wait; an
 * index for event_loop_poll_revents, or -1 when the set is full (the fd is
 * then not watched this time). */
int event_loop_poll_add(struct event_loop *loop, int fd, short events);
/* From dispatch: what poll(2) reported for index idx (0 for -1). */
short event_loop_poll_revents(const struct event_loop *loop, int idx);
/* Starts the loop's thread; 0, or an errno value. */
int event_loop_start(struct event_loop *loop);
/* Ends the loop after the handler running now, if any, and joins its
 * thread; a paused loop ends too. Harmless if the loop never started. */
void event_loop_stop(struct event_loop *loop);
/* Returns once the loop's thread is parked between two handlers, where it
 * stays, running none, until event_loop_resume (or event_loop_stop): what
 * the sources signal meanwhile waits, level-triggered, and is served after.
 * At once if the loop is not running. Never from the loop's own thread. */
void event_loop_pause(struct event_loop *loop);
void event_loop_resume(struct event_loop *loop);
void event_loop_destroy(struct event_loop *loop);

#endif
