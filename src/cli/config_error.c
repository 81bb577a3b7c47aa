#include <stdarg.h>
#include <stdio.h>

#include "cli/commands.h"
#include "vm/vm.h"

int config_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ringvisor: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return STATUS_CONFIG;
}
