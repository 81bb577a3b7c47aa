/* The I/O thread's event loop (src/host/event_loop.c) and the notifier that
 * hands it work (src/host/notifier.c): a handler runs on the loop's own
 * thread, signals coalesce, and after stop no handler runs. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "host/event_loop.h"
#include "host/notifier.h"
#include "unit_helpers.h"

struct counter {
	struct notifier n;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned calls;
	pthread_t thread; /* the thread of the last call */
};

static void count_call(void *opaque)
{
	struct counter *c = opaque;

	notifier_consume(&c->n);
	pthread_mutex_lock(&c->lock);
	c->calls++;
	c->thread = pthread_self();
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Waits up to 5 s for at least `want` calls; returns the count. */
static unsigned wait_calls(struct counter *c, unsigned want)
{
	struct timespec deadline;
	unsigned n;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 5;
	pthread_mutex_lock(&c->lock);
	while (c->calls < want && pthread_cond_timedwait(&c->cond, &c->lock, &deadline) == 0)
		;
	n = c->calls;
	pthread_mutex_unlock(&c->lock);
	return n;
}

static void counter_init(struct counter *c)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(notifier_init(&c->n), 0);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
}

static void counter_destroy(struct counter *c)
{
	notifier_destroy(&c->n);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
}

static void test_notifier_signals_coalesce_into_one_consume(void **state)
{
	struct notifier n;

	(void)state;
	assert_int_equal(notifier_init(&n), 0);
	assert_false(notifier_consume(&n));
	notifier_signal(&n);
	notifier_signal(&n);
	notifier_signal(&n);
	assert_true(notifier_consume(&n));
	assert_false(notifier_consume(&n));
	notifier_destroy(&n);
	assert_int_equal(n.fd, -1);
}

/* A loop watching one counter's notifier, not started yet. */
struct fixture {
	struct event_loop loop;
	struct counter c;
	struct event_source src;
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	counter_init(&f->c);
	f->src = (struct event_source){ .fd = f->c.n.fd, .handler = count_call, .opaque = &f->c };
	if (event_loop_init(&f->loop) || event_loop_add(&f->loop, &f->src))
		return -1;
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	event_loop_destroy(&f->loop);
	counter_destroy(&f->c);
	free(f);
	return 0;
}

static void test_event_loop_runs_handler_on_its_own_thread(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(event_loop_start(&f->loop), 0);
	notifier_signal(&f->c.n);
	assert_int_equal(wait_calls(&f->c, 1), 1);
	assert_false(pthread_equal(f->c.thread, pthread_self()));
	assert_true(pthread_equal(f->c.thread, f->loop.thread));
	notifier_signal(&f->c.n);
	assert_int_equal(wait_calls(&f->c, 2), 2);
}

static void test_event_loop_runs_no_handler_after_stop(void **state)
{
	struct fixture *f = *state;
	unsigned before;

	assert_int_equal(event_loop_start(&f->loop), 0);
	event_loop_stop(&f->loop);
	assert_false(f->loop.started);
	before = f->c.calls;
	notifier_signal(&f->c.n);
	usleep(20000);
	assert_int_equal(f->c.calls, before);
}

static void test_event_loop_work_signalled_before_start_runs_once_started(void **state)
{
	struct fixture *f = *state;

	notifier_signal(&f->c.n);
	assert_int_equal(event_loop_start(&f->loop), 0);
	assert_int_equal(wait_calls(&f->c, 1), 1);
}

static void test_event_loop_stop_and_destroy_without_start_are_harmless(void **state)
{
	struct event_loop loop;

	(void)state;
	assert_int_equal(event_loop_init(&loop), 0);
	event_loop_stop(&loop);
	event_loop_destroy(&loop);
	assert_int_equal(loop.epfd, -1);
}

static void test_event_loop_paused_runs_no_handler_until_resumed(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(event_loop_start(&f->loop), 0);
	event_loop_pause(&f->loop);
	assert_true(f->loop.parked);
	notifier_signal(&f->c.n);
	usleep(20000);
	assert_int_equal(f->c.calls, 0);
	event_loop_resume(&f->loop);
	/* What was signalled while paused is served once resumed. */
	assert_int_equal(wait_calls(&f->c, 1), 1);
	event_loop_pause(&f->loop);
	event_loop_resume(&f->loop);
	notifier_signal(&f->c.n);
	assert_int_equal(wait_calls(&f->c, 2), 2);
}

static void test_event_loop_stop_ends_a_paused_loop(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(event_loop_start(&f->loop), 0);
	event_loop_pause(&f->loop);
	event_loop_stop(&f->loop);
	assert_false(f->loop.started);
}

static void test_event_loop_pause_without_start_returns_at_once(void **state)
{
	struct fixture *f = *state;

	event_loop_pause(&f->loop);
	assert_false(f->loop.parked);
	event_loop_resume(&f->loop);
}

/* A poller in the manner of libslirp: it hands over a descriptor before each
 * wait, may ask to be called back within a time, and is told after each wait
 * what came. */
struct test_poller {
	struct event_poller p;
	struct counter c; /* its descriptor: c.n; c.calls counts what it saw */
	int idx;
	int timeout_ms;
	unsigned dispatches; /* atomic */
};

static void tp_prepare(void *opaque, struct event_loop *loop, int *timeout_ms)
{
	struct test_poller *t = opaque;

	t->idx = event_loop_poll_add(loop, t->c.n.fd, POLLIN);
	if (t->timeout_ms >= 0 && (*timeout_ms < 0 || t->timeout_ms < *timeout_ms))
		*timeout_ms = t->timeout_ms;
}

static void tp_dispatch(void *opaque, struct event_loop *loop)
{
	struct test_poller *t = opaque;

	__atomic_add_fetch(&t->dispatches, 1, __ATOMIC_RELAXED);
	if (event_loop_poll_revents(loop, t->idx) & POLLIN)
		count_call(&t->c);
}

static void poller_init(struct test_poller *t, int timeout_ms)
{
	memset(t, 0, sizeof(*t));
	counter_init(&t->c);
	t->timeout_ms = timeout_ms;
	t->p = (struct event_poller){ .prepare = tp_prepare, .dispatch = tp_dispatch, .opaque = t };
}

static void test_event_loop_poller_sees_its_descriptor_beside_the_sources(void **state)
{
	struct fixture *f = *state;
	struct test_poller t;

	poller_init(&t, -1);
	assert_int_equal(event_loop_add_poller(&f->loop, &t.p), 0);
	assert_int_equal(event_loop_start(&f->loop), 0);
	notifier_signal(&t.c.n);
	assert_int_equal(wait_calls(&t.c, 1), 1);
	assert_true(pthread_equal(t.c.thread, f->loop.thread));
	/* The epoll sources still run while a poller is there. */
	notifier_signal(&f->c.n);
	assert_int_equal(wait_calls(&f->c, 1), 1);
	event_loop_stop(&f->loop);
	counter_destroy(&t.c);
}

static void test_event_loop_poller_timeout_calls_it_back_without_events(void **state)
{
	struct fixture *f = *state;
	struct test_poller t;

	poller_init(&t, 2);
	assert_int_equal(event_loop_add_poller(&f->loop, &t.p), 0);
	assert_int_equal(event_loop_start(&f->loop), 0);
	usleep(100000);
	event_loop_stop(&f->loop);
	/* About 50 in 100 ms; a loaded host gives fewer, never none. */
	assert_true(__atomic_load_n(&t.dispatches, __ATOMIC_RELAXED) >= 3);
	assert_int_equal(t.c.calls, 0);
	counter_destroy(&t.c);
}

static void test_event_loop_poll_set_refuses_past_its_size(void **state)
{
	struct fixture *f = *state;

	f->loop.npollfds = 1;
	for (unsigned i = 1; i < EVENT_LOOP_MAX_POLLFDS; i++)
		assert_int_equal(event_loop_poll_add(&f->loop, 0, POLLIN), (int)i);
	assert_int_equal(event_loop_poll_add(&f->loop, 0, POLLIN), -1);
	assert_int_equal(event_loop_poll_revents(&f->loop, -1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notifier_signals_coalesce_into_one_consume),
		cmocka_unit_test_setup_teardown(test_event_loop_runs_handler_on_its_own_thread, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_event_loop_paused_runs_no_handler_until_resumed, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_event_loop_stop_ends_a_paused_loop, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_event_loop_pause_without_start_returns_at_once, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_event_loop_runs_no_handler_after_stop, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_event_loop_work_signalled_before_start_runs_once_started,
						fixture_setup, fixture_teardown),
		cmocka_unit_test(test_event_loop_stop_and_destroy_without_start_are_harmless),
		cmocka_unit_test_setup_teardown(test_event_loop_poller_sees_its_descriptor_beside_the_sources,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_event_loop_poller_timeout_calls_it_back_without_events,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_event_loop_poll_set_refuses_past_its_size, fixture_setup,
						fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
