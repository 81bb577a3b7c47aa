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

int event_loop_init(struct event_loop *loop)
{
	memset(loop, 0, sizeof(*loop));
	loop->stop.fd = -1;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		return -1;
	if (notifier_init(&loop->stop))
		return -1;
	loop->stop_source = (struct event_source){ .fd = loop->stop.fd, .handler = stop_requested, .opaque = loop };
	return event_loop_add(loop, &loop->stop_source);
}

int event_loop_add(struct event_loop *loop, struct event_source *src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, src->fd, &ev);
}

static void *loop_thread(void *arg)
{
	struct event_loop *loop = arg;

	fatal_signals_thread_init();
	while (!loop->stopping) {
		struct epoll_event ev[EVENTS_PER_WAIT];
		int n = epoll_wait(loop->epfd, ev, EVENTS_PER_WAIT, -1);

		if (n < 0 && errno != EINTR) {
			/* Only a programming error makes epoll_wait fail: say so and
			 * stop serving rather than spin. */
			log_error("event loop: epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct event_source *src = ev[i].data.ptr;

			src->handler(src->opaque);
		}
	}
	return NULL;
}

int event_loop_start(struct event_loop *loop)
{
	int err = pthread_create(&loop->thread, NULL, loop_thread, loop);

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
	notifier_signal(&loop->stop);
	pthread_join(loop->thread, NULL);
	loop->started = false;
}

void event_loop_destroy(struct event_loop *loop)
{
	event_loop_stop(loop);
	notifier_destroy(&loop->stop);
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
}
