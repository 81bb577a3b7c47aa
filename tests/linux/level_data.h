/* The inputs the per-level programs (level_v2.c, level_v3.c) compute from:
 * the same pseudo-random bytes, and integers and floats made from them, in
 * the guest and on the host. */
#ifndef RV_TESTS_LEVEL_DATA_H
#define RV_TESTS_LEVEL_DATA_H

#include <stdint.h>

static uint8_t bytes[4096];
static int32_t ints[1024], other[1024];
static float floats[1024];

static void level_data_init(void)
{
	uint32_t s = 12345;

	for (unsigned i = 0; i < sizeof(bytes); i++) {
		s = s * 1103515245u + 12345u;
		bytes[i] = (uint8_t)(s >> 16);
	}
	for (unsigned i = 0; i < 1024; i++) {
		ints[i] = (int32_t)((bytes[i] << 8 | bytes[i + 1]) - 30000);
		other[i] = (int32_t)(bytes[i + 2] * 97 - 12000);
		floats[i] = (float)ints[i] / 7.0f;
	}
}

/* The integer and float loops both programs print ("loops ..."), which
 * the compiler vectorises for each program's level. */
struct level_loops {
	int64_t dot;
	int32_t lo;
	float sum;
};

static struct level_loops level_loops_run(void)
{
	struct level_loops r = { 0, INT32_MAX, 0 };

	for (unsigned i = 0; i < 1024; i++)
		other[i] = ints[i] * (int32_t)(i + 7);
	for (unsigned i = 0; i < 1024; i++) {
		r.dot += (int64_t)ints[i] * bytes[i];
		r.lo = other[i] < r.lo ? other[i] : r.lo;
		r.sum += floats[i] * 0.5f;
	}
	return r;
}

#endif
