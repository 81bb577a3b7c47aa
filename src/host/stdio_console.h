/* The guest console on the host's standard streams: output to stdout, input from
 * stdin with QEMU's escape key, Ctrl-A: "Ctrl-A x" quits, "Ctrl-A Ctrl-A" (or
 * "Ctrl-A a") sends one Ctrl-A, "Ctrl-A h" prints help. The escape applies only
 * when stdin is a terminal; piped input reaches the guest byte for byte.
 *
 * When stdout is a pipe whose reader goes away, the guest keeps running and its
 * output is dropped from then on, with one warning on stderr: what QEMU does
 * with -serial stdio, and what a user who closed a pager expects of a VM that
 * may still be doing work. The process ignores SIGPIPE while the VM runs
 * (vm/io_loop.c), so the write fails with EPIPE instead of killing Ringvisor
 * with the terminal left raw. */
#ifndef RV_STDIO_CONSOLE_H
#define RV_STDIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/chardev.h"

#define CONSOLE_ESCAPE 0x01 /* Ctrl-A */

struct chardev stdio_console_chardev(void);

struct console_input {
	bool escapes; /* interpret Ctrl-A sequences */
	bool after_escape;
	bool quit; /* Ctrl-A x was typed */
};

/* Turns n bytes of host input into guest input in out (at most n bytes) and
 * returns how many. Sets ci->quit on Ctrl-A x; bytes after it are dropped. */
size_t console_input_filter(struct console_input *ci, const uint8_t *in, size_t n, uint8_t *out);

#endif
