#include "x86/pvclock.h"

#define NS_PER_S 1000000000ull

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

struct pvclock_scale pvclock_scale_for(uint64_t tsc_hz)
{
	/* mul = 2^32 * ns_per_tick / 2^shift: choose the smallest shift for which
	 * tsc_hz * 2^shift exceeds 1e9, so that mul is below 2^32 and as large as
	 * it can be. */
	int shift = -31;
	unsigned __int128 scaled;

	while (shift < 31) {
		scaled = shift >= 0 ? (unsigned __int128)tsc_hz << shift : (unsigned __int128)tsc_hz >> -shift;
		if (scaled > NS_PER_S)
			break;
		shift++;
	}
	scaled = shift >= 0 ? (unsigned __int128)tsc_hz << shift : (unsigned __int128)tsc_hz >> -shift;
	return (struct pvclock_scale){ .mul = (uint32_t)(((unsigned __int128)NS_PER_S << 32) / scaled),
				       .shift = (int8_t)shift };
}

uint64_t pvclock_scale_delta(uint64_t delta, struct pvclock_scale s)
{
	unsigned __int128 d = s.shift >= 0 ? (unsigned __int128)delta << s.shift : delta >> -s.shift;

	return (uint64_t)((d * s.mul) >> 32);
}

void pvclock_time_info(uint8_t out[PVCLOCK_TIME_INFO_SIZE], uint32_t version, uint64_t tsc_timestamp,
		       uint64_t system_time_ns, struct pvclock_scale s, uint8_t flags)
{
	put32(out, version);
	put32(out + 4, 0);
	put64(out + 8, tsc_timestamp);
	put64(out + 16, system_time_ns);
	put32(out + 24, s.mul);
	out[28] = (uint8_t)s.shift;
	out[29] = flags;
	out[30] = 0;
	out[31] = 0;
}

void pvclock_wall_clock(uint8_t out[PVCLOCK_WALL_CLOCK_SIZE], uint32_t version, uint64_t sec, uint32_t nsec)
{
	put32(out, version);
	put32(out + 4, (uint32_t)sec);
	put32(out + 8, nsec);
}
