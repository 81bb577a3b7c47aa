/* host/fatal_signals.c: the cleanup runs on every signal that ends the process,
 * which then ends as it would have — also when the signal is a SIGSEGV from a
 * stack overflow, which only an alternate signal stack lets the kernel deliver. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/fatal_signals.h"

static int marker_fd = -1;

static void cleanup(void)
{
	(void)!write(marker_fd, "C", 1);
}

/* Deeper than any stack: the recursion ends by overflowing it. */
static volatile unsigned depth_limit = ~0u;

/* Recursion the compiler cannot turn into a loop: every frame keeps a buffer. */
static __attribute__((noinline)) unsigned deep(unsigned n)
{
	volatile char frame[512];

	if (n == depth_limit)
		return 0;
	frame[n % sizeof(frame)] = (char)n;
	return deep(n + 1) + frame[(n * 7) % sizeof(frame)];
}

/* Runs body in a child with the handlers installed; returns the child's wait
 * status and whether the cleanup wrote its marker. */
static int run_child(void (*body)(void), bool *cleaned)
{
	int fds[2], status;
	char c;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		marker_fd = fds[1];
		fatal_signals_install(cleanup);
		body();
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*cleaned = read(fds[0], &c, 1) == 1 && c == 'C';
	close(fds[0]);
	return status;
}

static void overflow_the_stack(void)
{
	(void)deep(0);
}

static void raise_sigterm(void)
{
	raise(SIGTERM);
}

static void test_cleanup_runs_when_the_stack_overflows(void **state)
{
	bool cleaned;
	int status;

	(void)state;
	status = run_child(overflow_the_stack, &cleaned);
	assert_true(cleaned);
	/* The process still ends badly: SIGSEGV, or a sanitizer's report and exit. */
	assert_true(WIFSIGNALED(status) ? WTERMSIG(status) == SIGSEGV : WEXITSTATUS(status) != 0);
}

static void test_cleanup_runs_and_the_signal_still_ends_the_process(void **state)
{
	bool cleaned;
	int status;

	(void)state;
	status = run_child(raise_sigterm, &cleaned);
	assert_true(cleaned);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cleanup_runs_when_the_stack_overflows),
		cmocka_unit_test(test_cleanup_runs_and_the_signal_still_ends_the_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
