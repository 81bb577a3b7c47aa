/* host_flags.h: its claims about this CPU hold on fresh operands and incoming
 * flags it never probed, and its runner runs the instruction it names (the
 * flags the SDM defines come out as the SDM says). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/dbt/host_flags.h"
#include "engine/softcpu/cpu.h"

static const ZydisMnemonic probed[] = {
	ZYDIS_MNEMONIC_AND,  ZYDIS_MNEMONIC_OR,	  ZYDIS_MNEMONIC_XOR, ZYDIS_MNEMONIC_TEST, ZYDIS_MNEMONIC_SHL,
	ZYDIS_MNEMONIC_SHR,  ZYDIS_MNEMONIC_SAR,  ZYDIS_MNEMONIC_ROL, ZYDIS_MNEMONIC_ROR,  ZYDIS_MNEMONIC_SHLD,
	ZYDIS_MNEMONIC_SHRD, ZYDIS_MNEMONIC_IMUL, ZYDIS_MNEMONIC_MUL, ZYDIS_MNEMONIC_BT,   ZYDIS_MNEMONIC_BTS,
	ZYDIS_MNEMONIC_BTR,  ZYDIS_MNEMONIC_BTC,  ZYDIS_MNEMONIC_BSF, ZYDIS_MNEMONIC_BSR,
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_claimed_flags_do_not_depend_on_the_incoming_flags(void **state)
{
	(void)state;
	for (size_t m = 0; m < sizeof(probed) / sizeof(probed[0]); m++) {
		uint16_t claim = host_flags_independent(probed[m]);

		for (unsigned i = 0; i < 4000; i++) {
			uint64_t a = next_random(), b = next_random() % (i & 1 ? 64 : ~0ull);
			uint64_t in1 = RFLAGS_FIXED | (next_random() & RFLAGS_ARITH_MASK);
			uint64_t in2 = RFLAGS_FIXED | (next_random() & RFLAGS_ARITH_MASK);
			bool shift = probed[m] == ZYDIS_MNEMONIC_SHL || probed[m] == ZYDIS_MNEMONIC_SHR ||
				     probed[m] == ZYDIS_MNEMONIC_SAR || probed[m] == ZYDIS_MNEMONIC_ROL ||
				     probed[m] == ZYDIS_MNEMONIC_ROR || probed[m] == ZYDIS_MNEMONIC_SHLD ||
				     probed[m] == ZYDIS_MNEMONIC_SHRD;

			/* A count of 0 (mod 64) changes no flag: not what is claimed. */
			if (shift && (b & 63) == 0)
				continue;
			if ((host_flags_run(probed[m], a, b, in1) ^ host_flags_run(probed[m], a, b, in2)) & claim)
				fail_msg("%s: flags %#x depend on the incoming flags (a %#llx b %#llx)",
					 ZydisMnemonicGetString(probed[m]), claim, (unsigned long long)a,
					 (unsigned long long)b);
		}
	}
}

static void test_the_runner_runs_the_instruction(void **state)
{
	const uint64_t in = RFLAGS_FIXED | RFLAGS_ARITH_MASK;

	(void)state;
	/* SDM: TEST and AND clear CF and OF and set ZF, SF from the result. */
	assert_int_equal(host_flags_run(ZYDIS_MNEMONIC_TEST, 0xf0, 0x0f, in) & (RFLAGS_CF | RFLAGS_OF | RFLAGS_ZF),
			 RFLAGS_ZF);
	assert_int_equal(host_flags_run(ZYDIS_MNEMONIC_AND, ~0ull, 1ull << 63, RFLAGS_FIXED) & RFLAGS_SF, RFLAGS_SF);
	/* SHL by 1: CF is the last bit shifted out. */
	assert_int_equal(host_flags_run(ZYDIS_MNEMONIC_SHL, 1ull << 63, 1, RFLAGS_FIXED) & RFLAGS_CF, RFLAGS_CF);
	/* BT: CF is the selected bit. */
	assert_int_equal(host_flags_run(ZYDIS_MNEMONIC_BT, 0x10, 4, RFLAGS_FIXED) & RFLAGS_CF, RFLAGS_CF);
	assert_int_equal(host_flags_run(ZYDIS_MNEMONIC_BT, 0x10, 3, in) & RFLAGS_CF, 0);
	/* BSF of 0 sets ZF. */
	assert_int_equal(host_flags_run(ZYDIS_MNEMONIC_BSF, 5, 0, RFLAGS_FIXED) & RFLAGS_ZF, RFLAGS_ZF);
	/* Not probed: nothing claimed. */
	assert_int_equal(host_flags_independent(ZYDIS_MNEMONIC_ADD), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claimed_flags_do_not_depend_on_the_incoming_flags),
		cmocka_unit_test(test_the_runner_runs_the_instruction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
