#include "host/event_loop.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "host/fatal_signals.h"
#include "log.h"

#define EVENTS_PER_WAIT 16

static void stop_requested(void *opaque)
{
	struct event_loop *loop = opaque;

	notifier_consume(&loop->stop);
	loop->stopping = true;
}

/* On the loop's thread, between two handlers: park until resumed. */
static void pause_requested(void *opaque)
{
	struct event_loop *loop = opaque;

	notifier_consume(&loop->pause);
	pthread_mutex_lock(&loop->park_lock);
	if (loop->pause_wanted && !loop->end_wanted) {
		loop->parked = true;
		pthread_cond_broadcast(&loop->park_cond);
		while (loop->pause_wanted && !loop->end_wanted)
			pthread_cond_wait(&loop->park_cond, &loop->park_lock);
		loop->parked = false;
	}
	pthread_mutex_unlock(&loop->park_lock);
}

int event_loop_init(struct event_loop *loop)
{
	memset(loop, 0, sizeof(*loop));
	loop->stop.fd = -1;
	loop->pause.fd = -1;
	pthread_mutex_init(&loop->park_lock, NULL);
	pthread_cond_init(&loop->park_cond, NULL);
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		return -1;
	if (notifier_init(&loop->stop) || notifier_init(&loop->pause))
		return -1;
	loop->stop_source = (struct event_source){ .fd = loop->stop.fd, .handler = stop_requested, .opaque = loop };
	loop->pause_source = (struct event_source){ .fd = loop->pause.fd, .handler = pause_requested, .opaque = loop };
	if (event_loop_add(loop, &loop->stop_source))
		return -1;
	return event_loop_add(loop, &loop->pause_source);
}

int event_loop_add(struct event_loop *loop, struct event_source *src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, src->fd, &ev);
}

int event_loop_add_poller(struct event_loop *loop, struct event_poller *p)
{
	if (loop->npollers == EVENT_LOOP_MAX_POLLERS)
		return -1;
	loop->pollers[loop->npollers++] = p;
	return 0;
}

int event_loop_poll_add(struct event_loop *loop, int fd, short events)
{
	if (loop->npollfds == EVENT_LOOP_MAX_POLLFDS)
		return -1;
	loop->pollfds[loop->npollfds] = (struct pollfd){ .fd = fd, .events = events };
	return (int)loop->npollfds++;
}

short event_loop_poll_revents(const struct event_loop *loop, int idx)
{
	return idx > 0 && (unsigned)idx < loop->npollfds ? loop->pollfds[idx].revents : 0;
}

/* Runs the handlers of the sources that are readable; false if epoll failed,
 * which only a programming error makes it do. */
static bool run_sources(struct event_loop *loop, int timeout_ms)
{
	struct epoll_event ev[EVENTS_PER_WAIT];
	int n = epoll_wait(loop->epfd, ev, EVENTS_PER_WAIT, timeout_ms);

	if (n < 0 && errno != EINTR) {
		log_error("event loop: epoll_wait: %s", strerror(errno));
		return false;
	}
	for (int i = 0; i < n; i++) {
		struct event_source *src = ev[i].data.ptr;

		src->handler(src->opaque);
	}
	return true;
}

/* One wait with pollers: the epoll descriptor beside their descriptors. */
static bool run_with_pollers(struct event_loop *loop)
{
	int timeout = -1;

	loop->pollfds[0] = (struct pollfd){ .fd = loop->epfd, .events = POLLIN };
	loop->npollfds = 1;
	for (unsigned i = 0; i < loop->npollers; i++)
		loop->pollers[i]->prepare(loop->pollers[i]->opaque, loop, &timeout);
	if (poll(loop->pollfds, loop->npollfds, timeout) < 0) {
		if (errno != EINTR) {
			log_error("event loop: poll: %s", strerror(errno));
			return false;
		}
		for (unsigned i = 0; i < loop->npollfds; i++)
			loop->pollfds[i].revents = 0;
	}
	if ((loop->pollfds[0].revents & POLLIN) && !run_sources(loop, 0))
		return false;
	for (unsigned i = 0; i < loop->npollers && !loop->stopping; i++)
		loop->pollers[i]->dispatch(loop->pollers[i]->opaque, loop);
	return true;
}

static void *loop_thread(void *arg)
{
	struct event_loop *loop = arg;

	fatal_signals_thread_init();
	while (!loop->stopping) {
		/* Stop serving rather than spin when the wait itself fails. */
		if (!(loop->npollers ? run_with_pollers(loop) : run_sources(loop, -1)))
			break;
	}
	/* No one may wait for this thread to park any more. */
	pthread_mutex_lock(&loop->park_lock);
	loop->end_wanted = true;
	pthread_cond_broadcast(&loop->park_cond);
	pthread_mutex_unlock(&loop->park_lock);
	return NULL;
}

int event_loop_start(struct event_loop *loop)
{
	int err;

	loop->end_wanted = false;
	loop->stopping = false;
	err = pthread_create(&loop->thread, NULL, loop_thread, loop);

	if (err)
		return err;
	pthread_setname_np(loop->thread, "rv-io");
	loop->started = true;
	return 0;
}

void event_loop_stop(struct event_loop *loop)
{
	if (!loop->started)
		return;
	pthread_mutex_lock(&loop->park_lock);
	loop->end_wanted = true;
	pthread_cond_broadcast(&loop->park_cond);
	pthread_mutex_unlock(&loop->park_lock);
	notifier_signal(&loop->stop);
	pthread_join(loop->thread, NULL);
	loop->started = false;
}

void event_loop_pause(struct event_loop *loop)
{
	if (!loop->started)
		return;
	pthread_mutex_lock(&loop->park_lock);
	loop->pause_wanted = true;
	notifier_signal(&loop->pause);
	while (!loop->parked && !loop->end_wanted)
		pthread_cond_wait(&loop->park_cond, &loop->park_lock);
	pthread_mutex_unlock(&loop->park_lock);
}

void event_loop_resume(struct event_loop *loop)
{
	pthread_mutex_lock(&loop->park_lock);
	loop->pause_wanted = false;
	pthread_cond_broadcast(&loop->park_cond);
	pthread_mutex_unlock(&loop->park_lock);
}

void event_loop_destroy(struct event_loop *loop)
{
	event_loop_stop(loop);
	notifier_destroy(&loop->stop);
	notifier_destroy(&loop->pause);
	pthread_cond_destroy(&loop->park_cond);
	pthread_mutex_destroy(&loop->park_lock);
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
}
