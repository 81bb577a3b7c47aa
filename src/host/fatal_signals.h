/* One cleanup on every signal that would end the process, after which the
 * signal ends it exactly as it would have (status, core dump, or the handler
 * that was there before, such as ASan's). Used so that the terminal comes back
 * on every way out (host/terminal.c). */
#ifndef RV_FATAL_SIGNALS_H
#define RV_FATAL_SIGNALS_H

/* Covers every catchable signal whose default action ends the process and that
 * is not ignored, plus the crash signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
 * SIGABRT, SIGTRAP, SIGSYS) whatever handler they have; a signal some other
 * part of the program handles (the kvm engine's SIGUSR1 kick) is left alone.
 * cleanup must be async-signal-safe. Install once, after the other handlers. */
void fatal_signals_install(void (*cleanup)(void));

/* Gives the calling thread an alternate signal stack, so that the cleanup runs
 * even when the thread's own stack overflowed (a SIGSEGV the kernel could not
 * otherwise deliver). fatal_signals_install does it for its thread; every thread
 * started later calls it first. Returns 0, or -1 if no stack could be had (the
 * handlers then run on the thread's stack, as before). */
int fatal_signals_thread_init(void);

#endif
