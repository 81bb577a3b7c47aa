/* The kvmclock arithmetic and records (src/x86/pvclock.c) against Linux's
 * Documentation/virt/kvm/x86/msr.rst: the time record layout (version u32,
 * pad, tsc_timestamp u64 at 8, system_time u64 at 16, tsc_to_system_mul u32 at
 * 24, tsc_shift s8 at 28, flags u8 at 29) and the conversion
 *   ns = ((delta << shift) * mul) >> 32   (delta >> -shift for a negative shift),
 * and the kvmclock MSRs on the interp engine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "softcpu_harness.h"
#include "x86/pvclock.h"

static uint64_t get_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* At 1 GHz a tick is a nanosecond: 2^31 with shift 1 is exactly 1.0 with mul in
 * [2^31, 2^32), the form Linux's own pvclock arithmetic expects. */
static void test_pvclock_scale_of_1ghz_is_exactly_one(void **state)
{
	struct pvclock_scale s = pvclock_scale_for(1000000000ull);

	(void)state;
	assert_int_equal(s.mul, 0x80000000u);
	assert_int_equal(s.shift, 1);
	assert_int_equal(pvclock_scale_delta(123456789012ull, s), 123456789012ull);
}

/* For other rates the conversion is within one nanosecond per second plus
 * truncation: 2.5 GHz -> 0.4 ns a tick, 100 MHz -> 10 ns, 3.579545 MHz. */
static void test_pvclock_scale_converts_other_rates_within_a_part_per_billion(void **state)
{
	static const uint64_t rates[] = { 2500000000ull, 100000000ull, 3579545ull, 1000ull, 4000000000000ull };

	(void)state;
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct pvclock_scale s = pvclock_scale_for(rates[i]);
		uint64_t one_second = pvclock_scale_delta(rates[i], s);
		uint64_t ten_seconds = pvclock_scale_delta(rates[i] * 10, s);

		assert_true(s.mul >= 0x80000000u);
		assert_in_range(one_second, 999999998ull, 1000000000ull);
		assert_in_range(ten_seconds, 9999999980ull, 10000000000ull);
	}
}

static void test_pvclock_time_record_layout(void **state)
{
	uint8_t rec[PVCLOCK_TIME_INFO_SIZE];
	struct pvclock_scale s = { .mul = 0x89abcdefu, .shift = -2 };

	(void)state;
	memset(rec, 0xa5, sizeof(rec));
	pvclock_time_info(rec, 6, 0x1122334455667788ull, 0x0102030405060708ull, s, PVCLOCK_TSC_STABLE_BIT);
	assert_int_equal(get_le(rec, 4), 6);
	assert_int_equal(get_le(rec + 4, 4), 0);
	assert_int_equal(get_le(rec + 8, 8), 0x1122334455667788ull);
	assert_int_equal(get_le(rec + 16, 8), 0x0102030405060708ull);
	assert_int_equal(get_le(rec + 24, 4), 0x89abcdefu);
	assert_int_equal(rec[28], 0xfe); /* -2 */
	assert_int_equal(rec[29], 1);
	assert_int_equal(get_le(rec + 30, 2), 0);
}

/* The guest enables kvmclock the way Linux does: WRMSR 0x4b564d01 with the
 * record's address | 1, then reads its clock from the record and RDTSC. */
IH_ASM(kvmclock_enable, "mov ecx, 0x4b564d01\n mov eax, 0x200001\n xor edx, edx\n wrmsr\n"
			"mov ecx, 0x4b564d00\n mov eax, 0x200040\n wrmsr\n"
			"rdtsc\n shl rdx, 32\n or rax, rdx\n mov rbx, rax\n"
			"mov ecx, 0x4b564d01\n rdmsr\n");

static void test_kvmclock_msrs_fill_the_records_in_guest_memory(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;
	uint8_t rec[PVCLOCK_TIME_INFO_SIZE];
	uint64_t tsc_ts, sys, now_ns, wall_s;

	(void)state;
	s = ih_exec(h, kvmclock_enable, IH_LEN(kvmclock_enable));
	assert_int_equal(s->gpr[GPR_RAX], 0x200001); /* RDMSR gives back what was written */
	for (unsigned i = 0; i < sizeof(rec); i++)
		rec[i] = (uint8_t)ih_read(h, IH_DATA + i, 1);
	assert_int_equal(get_le(rec, 4) & 1, 0); /* even: not being updated */
	assert_true(get_le(rec, 4) != 0);
	assert_int_equal(get_le(rec + 24, 4), 0x80000000u); /* the 1 GHz software TSC */
	assert_int_equal(rec[28], 1);
	assert_int_equal(rec[29] & PVCLOCK_TSC_STABLE_BIT, PVCLOCK_TSC_STABLE_BIT);
	tsc_ts = get_le(rec + 8, 8);
	sys = get_le(rec + 16, 8);
	/* The RDTSC after the WRMSR reads at least the record's timestamp, and the
	 * clock it gives is under a second from the record's (the test is quick). */
	assert_true(s->gpr[GPR_RBX] >= tsc_ts);
	now_ns = sys + (s->gpr[GPR_RBX] - tsc_ts);
	assert_true(now_ns - sys < 1000000000ull);
	/* The wall clock record: the host's time of day at kvmclock 0, so adding the
	 * kvmclock time gives now (within a few seconds of the test's own clock). */
	wall_s = ih_read(h, IH_DATA + 0x44, 4);
	assert_in_range(wall_s + now_ns / 1000000000ull, (uint64_t)time(NULL) - 5, (uint64_t)time(NULL) + 5);
	ih_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pvclock_scale_of_1ghz_is_exactly_one),
		cmocka_unit_test(test_pvclock_scale_converts_other_rates_within_a_part_per_billion),
		cmocka_unit_test(test_pvclock_time_record_layout),
		cmocka_unit_test(test_kvmclock_msrs_fill_the_records_in_guest_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
