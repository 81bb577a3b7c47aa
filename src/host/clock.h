/* The host's monotonic clock. */
#ifndef RV_HOST_CLOCK_H
#define RV_HOST_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t monotonic_ns(void);

#endif
