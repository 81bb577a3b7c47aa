#include "host/terminal.h"

#include "host/fatal_signals.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static int saved_fd = -1;
static volatile sig_atomic_t raw_active;

void terminal_restore(void)
{
	/* tcsetattr is async-signal-safe, so this serves the fatal-signal path too. */
	if (raw_active) {
		tcsetattr(saved_fd, TCSAFLUSH, &saved);
		raw_active = 0;
	}
}

bool terminal_enter_raw(int fd)
{
	static bool handlers_installed;
	struct termios raw;

	if (raw_active || !isatty(fd) || tcgetattr(fd, &saved) < 0)
		return false;
	raw = saved;
	raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	raw.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	raw.c_cflag |= CS8;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (!handlers_installed) {
		atexit(terminal_restore);
		fatal_signals_install(terminal_restore);
		handlers_installed = true;
	}
	saved_fd = fd;
	raw_active = 1;
	if (tcsetattr(fd, TCSAFLUSH, &raw) < 0) {
		raw_active = 0;
		return false;
	}
	return true;
}
