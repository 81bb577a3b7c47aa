#include "host/stdio_console.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

/* Set once stdout's reader has gone (EPIPE): there is no one to write to. */
static int output_gone;

static void stdout_write(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	if (__atomic_load_n(&output_gone, __ATOMIC_RELAXED))
		return;
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE) {
			if (!__atomic_exchange_n(&output_gone, 1, __ATOMIC_RELAXED))
				log_warn("console output: stdout has no reader any more; the guest runs on, its output "
					 "is dropped");
			return;
		}
		if (n <= 0)
			return; /* stdout closed or full: the guest's output is dropped, as on a cut line */
		buf += n;
		len -= (size_t)n;
	}
}

struct chardev stdio_console_chardev(void)
{
	return (struct chardev){ .write = stdout_write, .opaque = NULL };
}

static void print_help(void)
{
	static const char help[] = "\r\nringvisor console: C-a x  quit\r\n"
				   "                   C-a C-a send C-a\r\n"
				   "                   C-a h  this help\r\n";

	if (write(STDERR_FILENO, help, sizeof(help) - 1) < 0)
		return;
}

size_t console_input_filter(struct console_input *ci, const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n && !ci->quit; i++) {
		uint8_t c = in[i];

		if (!ci->escapes) {
			out[o++] = c;
		} else if (ci->after_escape) {
			ci->after_escape = false;
			if (c == 'x' || c == 'X')
				ci->quit = true;
			else if (c == CONSOLE_ESCAPE || c == 'a')
				out[o++] = CONSOLE_ESCAPE;
			else if (c == 'h' || c == '?')
				print_help();
			/* any other key after the escape is dropped, as QEMU does */
		} else if (c == CONSOLE_ESCAPE) {
			ci->after_escape = true;
		} else {
			out[o++] = c;
		}
	}
	return o;
}
