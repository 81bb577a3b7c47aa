/* The clock behind the software engines' time-stamp counter.
 *
 * The guest TSC of interp (and dbt) counts host CLOCK_MONOTONIC nanoseconds: a
 * 1 GHz counter whose rate is exact by definition, so kvmclock can announce it
 * without calibration and guest time follows the host's (NTP-disciplined) clock.
 * The host's own TSC would need its rate measured, with an error, and is not
 * guaranteed to be invariant. */
#ifndef RV_ENGINE_SOFT_CLOCK_H
#define RV_ENGINE_SOFT_CLOCK_H

#include <stdint.h>
#include <time.h>

#define SOFT_TSC_HZ 1000000000ull

static inline uint64_t soft_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
