#include "host/fatal_signals.h"

#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

/* Room for the cleanup and for a sanitizer's report, which the handler chains to. */
#define ALT_STACK_SIZE (256u << 10)

/* Signals a bug of this process raises by itself: their handler is replaced
 * (and chained to) even when there is one, so a sanitizer's report still comes,
 * after the cleanup. */
static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS };
/* Signals whose default action ends the process, sent from outside. SIGPIPE is
 * not here: the VM ignores it (vm/io_loop.c). */
static const int ending_signals[] = { SIGHUP,	 SIGINT,  SIGQUIT, SIGUSR1,   SIGUSR2, SIGALRM, SIGTERM,
				      SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,	SIGPWR };

static void (*cleanup_fn)(void);
static struct sigaction previous[NSIG];

static bool is_crash_signal(int sig)
{
	for (unsigned i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		if (crash_signals[i] == sig)
			return true;
	return false;
}

static void on_fatal_signal(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	cleanup_fn();
	sigaction(sig, &previous[sig], NULL);
	/* A fault the CPU raised (si_code > 0) happens again when the handler
	 * returns to the faulting instruction, now under the previous action.
	 * Anything sent (kill, raise, abort) is sent again; it stays pending
	 * while this handler runs and is taken when it returns. */
	if (is_crash_signal(sig) && info->si_code > 0)
		return;
	raise(sig);
}

static void take_over(int sig, bool even_if_handled)
{
	struct sigaction sa, old;

	if (sigaction(sig, NULL, &old) < 0)
		return;
	if (old.sa_handler == SIG_IGN || (!even_if_handled && old.sa_handler != SIG_DFL))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fatal_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&sa.sa_mask); /* one cleanup at a time */
	previous[sig] = old;
	sigaction(sig, &sa, NULL);
}

int fatal_signals_thread_init(void)
{
	stack_t ss = { .ss_size = ALT_STACK_SIZE };

	/* Never freed: a thread's stack must outlive every signal it may take. */
	ss.ss_sp = mmap(NULL, ALT_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ss.ss_sp == MAP_FAILED)
		return -1;
	if (sigaltstack(&ss, NULL) < 0) {
		munmap(ss.ss_sp, ALT_STACK_SIZE);
		return -1;
	}
	return 0;
}

void fatal_signals_install(void (*cleanup)(void))
{
	cleanup_fn = cleanup;
	fatal_signals_thread_init();
	for (unsigned i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		take_over(crash_signals[i], true);
	for (unsigned i = 0; i < sizeof(ending_signals) / sizeof(ending_signals[0]); i++)
		take_over(ending_signals[i], false);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		take_over(sig, false);
}
