/* Levelled logging on stderr. Debug messages compile away unless RV_DEBUG is set. */
#ifndef RV_LOG_H
#define RV_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Guest-triggered warnings: at most `budget` lines per counter, then one note that
 * further messages are suppressed. A hostile guest cannot flood the host's stderr. */
struct log_ratelimit {
	unsigned budget;
	unsigned used;
};
#define LOG_RATELIMIT_INIT(n)                                                                                          \
	{                                                                                                              \
		.budget = (n), .used = 0                                                                               \
	}
bool log_ratelimit_allow(struct log_ratelimit *rl);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#ifdef RV_DEBUG
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#else
#define log_debug(...)                                                                                                 \
	do {                                                                                                           \
		if (0)                                                                                                 \
			log_msg(LOG_DEBUG, __VA_ARGS__);                                                               \
	} while (0)
#endif

#endif
