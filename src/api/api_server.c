#include "api/api_server.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/clock.h"
#include "host/fatal_signals.h"
#include "log.h"

/* After accept failed for want of descriptors or memory. */
#define ACCEPT_PAUSE_NS (100 * 1000000ull)

int api_server_open(struct api_server *s, const char *path, char *why, size_t why_len)
{
	memset(s, 0, sizeof(*s));
	s->stop.fd = -1;
	for (int i = 0; i < API_MAX_CLIENTS; i++)
		s->conns[i].fd = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->listen_fd = api_socket_listen(path, &s->file, why, why_len);
	if (s->listen_fd < 0)
		return -1;
	if (notifier_init(&s->stop)) {
		snprintf(why, why_len, "eventfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void accept_client(struct api_server *s, uint64_t now)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(4);
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			if (log_ratelimit_allow(&rl))
				log_warn("api: cannot accept a client: %s", strerror(errno));
			s->accept_again_ns = now + ACCEPT_PAUSE_NS;
		}
		return;
	}
	for (int i = 0; i < API_MAX_CLIENTS; i++)
		if (s->conns[i].fd < 0) {
			if (api_conn_open(&s->conns[i], fd))
				api_refuse_fd(fd, API_E_BUSY, "out of memory");
			return;
		}
	api_refuse_fd(fd, API_E_BUSY, "too many clients are connected");
}

/* Milliseconds until the earliest deadline, rounded up; -1 for none. */
static int next_timeout(const struct api_server *s, uint64_t now)
{
	uint64_t first = s->accept_again_ns;

	for (int i = 0; i < API_MAX_CLIENTS; i++)
		if (s->conns[i].fd >= 0 && s->conns[i].deadline_ns && (!first || s->conns[i].deadline_ns < first))
			first = s->conns[i].deadline_ns;
	if (!first)
		return -1;
	if (first <= now)
		return 0;
	return (first - now + 999999) / 1000000 > INT_MAX ? INT_MAX : (int)((first - now + 999999) / 1000000);
}

/* One wait and what came of it; false once asked to stop. */
static bool serve_once(struct api_server *s)
{
	struct pollfd fds[2 + API_MAX_CLIENTS];
	uint64_t now = monotonic_ns();

	if (s->accept_again_ns && now >= s->accept_again_ns)
		s->accept_again_ns = 0;
	fds[0] = (struct pollfd){ .fd = s->stop.fd, .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = s->accept_again_ns ? -1 : s->listen_fd, .events = POLLIN };
	for (int i = 0; i < API_MAX_CLIENTS; i++)
		fds[2 + i] = (struct pollfd){ .fd = s->conns[i].fd, .events = api_conn_events(&s->conns[i]) };
	if (poll(fds, 2 + API_MAX_CLIENTS, next_timeout(s, now)) < 0) {
		if (errno != EINTR) {
			log_error("api: poll: %s; the control socket stops serving", strerror(errno));
			return false;
		}
		for (int i = 0; i < 2 + API_MAX_CLIENTS; i++)
			fds[i].revents = 0;
	}
	if (fds[0].revents & POLLIN)
		return false;
	now = monotonic_ns();
	/* Before accepting: a client accepted now has no events of its own yet. */
	for (int i = 0; i < API_MAX_CLIENTS; i++)
		if (s->conns[i].fd >= 0)
			api_conn_step(&s->conns[i], fds[2 + i].revents, &s->dispatch, now);
	if (fds[1].revents & POLLIN)
		accept_client(s, now);
	return true;
}

static void *server_thread(void *arg)
{
	struct api_server *s = arg;

	fatal_signals_thread_init();
	while (serve_once(s))
		;
	for (int i = 0; i < API_MAX_CLIENTS; i++)
		api_conn_close(&s->conns[i]);
	return NULL;
}

int api_server_start(struct api_server *s, const struct api_command *table, void *ctx, unsigned request_timeout_ms)
{
	sigset_t all, old;
	int err;

	s->dispatch = (struct api_dispatch){
		.table = table,
		.ctx = ctx,
		.request_timeout_ns = (request_timeout_ms ? request_timeout_ms : API_REQUEST_TIMEOUT_MS) * 1000000ull,
	};
	/* Blocked before the thread exists, so that none is ever delivered to
	 * it: the stop signals are the main thread's (vm/io_loop.c). The crash
	 * signals stay deliverable. */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGABRT);
	sigdelset(&all, SIGTRAP);
	sigdelset(&all, SIGSYS);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&s->thread, NULL, server_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return err;
	pthread_setname_np(s->thread, "rv-api");
	s->started = true;
	return 0;
}

void api_server_stop(struct api_server *s)
{
	if (!s->started)
		return;
	notifier_signal(&s->stop);
	pthread_join(s->thread, NULL);
	s->started = false;
}

void api_server_close(struct api_server *s)
{
	api_server_stop(s);
	for (int i = 0; i < API_MAX_CLIENTS; i++)
		api_conn_close(&s->conns[i]);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		api_socket_remove(s->path, &s->file);
	}
	s->listen_fd = -1;
	notifier_destroy(&s->stop);
}
