/* The host terminal: raw input while a guest owns the console, and the promise
 * that the user gets the original settings back on every way out — normal exit,
 * exit(), every signal that ends the process (host/fatal_signals.h: restored,
 * then the signal ends the process as it would have). SIGKILL alone cannot be
 * caught; SIGPIPE is ignored while the VM runs, so a console whose reader went
 * away is no way out (host/stdio_console.h). */
#ifndef RV_TERMINAL_H
#define RV_TERMINAL_H

#include <stdbool.h>

/* If fd is a terminal, save its settings and make its input raw: no line editing,
 * no echo, no signals from keys (Ctrl-C goes to the guest). Output processing is
 * kept so that a guest's bare "\n" still starts a new line. Returns true if the
 * terminal was changed. */
bool terminal_enter_raw(int fd);
/* Put the saved settings back; safe to call any number of times, and from a
 * signal handler. */
void terminal_restore(void);

#endif
