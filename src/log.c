#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

static enum log_level current_level = LOG_WARN;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(enum log_level level)
{
	current_level = level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if (level > current_level)
		return;
	/* One lock so that lines from vCPU threads and the I/O thread never interleave. */
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "ringvisor: %s: ", prefix[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_lock);
}

bool log_ratelimit_allow(struct log_ratelimit *rl)
{
	unsigned used = __atomic_fetch_add(&rl->used, 1, __ATOMIC_RELAXED);

	if (used < rl->budget)
		return true;
	if (used == rl->budget)
		log_warn("further messages of this kind are suppressed");
	return false;
}
