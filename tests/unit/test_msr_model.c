/* The model's MSR table (src/x86/msr_model.c), and RDMSR/WRMSR of each of its
 * MSRs on the interp engine.
 *
 * Facts: AMD APM Vol. 2, 13.2 (PerfEvtSel0-3 at C001_0000h-C001_0003h: event
 * select 7:0, unit mask 15:8, USR 16, OS 17, E 18, PC 19, INT 20, EN 22, INV 23,
 * counter mask 31:24, the rest reserved on family 0Fh; PerfCtr0-3 at
 * C001_0004h-C001_0007h, 48 bits) and 9.3 (machine check); Intel SDM Vol. 3B,
 * 16.3 (MCG_CAP: count 7:0, MCG_CTL_P bit 8, read-only; MCG_STATUS RIPV, EIPV,
 * MCIP in bits 2:0; MCi_STATUS cleared by writing 0, other writes #GP; bank i at
 * 400h + 4i); the family 0Fh BKDG (five banks, MCG_CTL present, so MCG_CAP is
 * 105h). An index the table does not hold raises #GP on both instructions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "softcpu_harness.h"
#include "unit_helpers.h"
#include "x86/msr_model.h"

#define VEC_GP 13

/* ---- the table ------------------------------------------------------------------ */

static struct msr_store fresh_store(void)
{
	struct msr_store s;

	memset(&s, 0xa5, sizeof(s));
	msr_model_reset(&s);
	return s;
}

static uint64_t read_ok(const struct msr_store *s, uint32_t index)
{
	uint64_t v = 0xdeadbeef;

	if (!msr_model_read(s, index, &v))
		fail_msg("RDMSR 0x%x raised #GP", index);
	return v;
}

static void test_msr_table_entries_do_not_overlap_and_slots_fit(void **state)
{
	size_t n;
	const struct msr_def *t = msr_model_table(&n);
	bool used[MSR_STORED_COUNT] = { false };

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_true(t[i].count > 0 && t[i].stride > 0);
		for (unsigned j = 0; j < t[i].count; j++)
			if (msr_model_find(t[i].first + j * t[i].stride) != &t[i])
				fail_msg("MSR 0x%x of %s is found in another entry", t[i].first + j * t[i].stride,
					 t[i].name);
		if (t[i].kind != MSR_KIND_STORED)
			continue;
		for (unsigned j = 0; j < t[i].count; j++) {
			assert_true(t[i].slot + j < MSR_STORED_COUNT);
			if (used[t[i].slot + j])
				fail_msg("slot %u of %s is shared", t[i].slot + j, t[i].name);
			used[t[i].slot + j] = true;
		}
	}
	for (unsigned k = 0; k < MSR_STORED_COUNT; k++)
		if (!used[k])
			fail_msg("slot %u belongs to no MSR", k);
}

static void test_msr_unknown_indexes_next_to_modelled_ones_are_not_msrs(void **state)
{
	static const uint32_t absent[] = {
		0xf,	    0x11,	0x178,	    0x17c,	0x3ff,	    0x414,	0x415,	    0x41f,
		0x210,	    0x24f,	0x251,	    0x25a,	0x267,	    0x270,	0x2fe,	    0xc0010008,
		0xc000ffff, 0xc001000f, 0xc0010011, 0xc0010014, 0xc0010200, 0xc0000085, 0x4b564d02,
	};
	struct msr_store s = fresh_store();
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		if (msr_model_find(absent[i]))
			fail_msg("0x%x is in the table", absent[i]);
		assert_false(msr_model_read(&s, absent[i], &v));
		assert_false(msr_model_write(&s, absent[i], 0));
	}
}

static void test_msr_mcg_cap_reports_five_banks_and_mcg_ctl_and_is_read_only(void **state)
{
	struct msr_store s = fresh_store();

	(void)state;
	assert_int_equal(read_ok(&s, 0x179), 0x105);
	assert_false(msr_model_write(&s, 0x179, 0x105));
	assert_false(msr_model_write(&s, 0x179, 0));
}

static void test_msr_mcg_status_reads_zero_keeps_bits_2_0_and_gps_on_reserved_bits(void **state)
{
	struct msr_store s = fresh_store();

	(void)state;
	assert_int_equal(read_ok(&s, 0x17a), 0);
	assert_true(msr_model_write(&s, 0x17a, 0x7));
	assert_int_equal(read_ok(&s, 0x17a), 0x7);
	assert_false(msr_model_write(&s, 0x17a, 0x8));
	assert_false(msr_model_write(&s, 0x17a, 1ull << 63));
	assert_int_equal(read_ok(&s, 0x17a), 0x7);
	assert_true(msr_model_write(&s, 0x17a, 0));
	assert_int_equal(read_ok(&s, 0x17a), 0);
}

static void test_msr_mcg_ctl_keeps_one_enable_bit_per_bank(void **state)
{
	struct msr_store s = fresh_store();

	(void)state;
	assert_int_equal(read_ok(&s, 0x17b), 0);
	/* Linux writes all 1s to enable every bank. */
	assert_true(msr_model_write(&s, 0x17b, ~0ull));
	assert_int_equal(read_ok(&s, 0x17b), 0x1f);
	assert_true(msr_model_write(&s, 0x17b, 0x5));
	assert_int_equal(read_ok(&s, 0x17b), 0x5);
}

static void test_msr_every_bank_reads_as_without_errors(void **state)
{
	struct msr_store s = fresh_store();

	(void)state;
	for (uint32_t i = 0; i < 5; i++) {
		uint32_t base = 0x400 + 4 * i;

		/* CTL: every enable bit is kept. */
		assert_int_equal(read_ok(&s, base), 0);
		assert_true(msr_model_write(&s, base, ~0ull));
		assert_int_equal(read_ok(&s, base), ~0ull);
		assert_true(msr_model_write(&s, base, 0x0123456789abcdefull));
		assert_int_equal(read_ok(&s, base), 0x0123456789abcdefull);
		/* STATUS, ADDR, MISC: no error logged; 0 may be written, nothing else. */
		for (uint32_t r = 1; r < 4; r++) {
			assert_int_equal(read_ok(&s, base + r), 0);
			assert_true(msr_model_write(&s, base + r, 0));
			assert_false(msr_model_write(&s, base + r, 1));
			assert_false(msr_model_write(&s, base + r, 1ull << 63));
			assert_int_equal(read_ok(&s, base + r), 0);
		}
	}
	/* Bank 5 does not exist. */
	assert_null(msr_model_find(0x414));
}

static void test_msr_perf_ctl_keeps_its_fields_and_gps_on_reserved_bits(void **state)
{
	struct msr_store s = fresh_store();

	(void)state;
	for (uint32_t n = 0; n < 4; n++) {
		uint32_t ctl = 0xc0010000 + n;
		/* Every defined field set: event, unit mask, USR, OS, E, PC, INT, EN, INV, counter mask. */
		uint64_t all = 0xffdfffffull;

		assert_int_equal(read_ok(&s, ctl), 0);
		assert_true(msr_model_write(&s, ctl, 0x430076));
		assert_int_equal(read_ok(&s, ctl), 0x430076);
		assert_true(msr_model_write(&s, ctl, all));
		assert_int_equal(read_ok(&s, ctl), all);
		assert_false(msr_model_write(&s, ctl, 1ull << 21));
		assert_false(msr_model_write(&s, ctl, 1ull << 32));
		assert_false(msr_model_write(&s, ctl, 1ull << 40)); /* no host/guest-only bits on family 0Fh */
		assert_false(msr_model_write(&s, ctl, 1ull << 63));
		assert_int_equal(read_ok(&s, ctl), all);
	}
}

static void test_msr_perf_ctr_is_48_bits_wide_and_reads_back(void **state)
{
	struct msr_store s = fresh_store();

	(void)state;
	for (uint32_t n = 0; n < 4; n++) {
		uint32_t ctr = 0xc0010004 + n;

		assert_int_equal(read_ok(&s, ctr), 0);
		assert_true(msr_model_write(&s, ctr, 0x123456789abcull + n));
		assert_int_equal(read_ok(&s, ctr), 0x123456789abcull + n);
		/* Bits 63:48 are not part of the counter. */
		assert_true(msr_model_write(&s, ctr, 0xffff800000000001ull));
		assert_int_equal(read_ok(&s, ctr), 0x800000000001ull);
	}
	/* The four counters are distinct registers. */
	assert_int_equal(read_ok(&s, 0xc0010004), 0x800000000001ull);
	assert_true(msr_model_write(&s, 0xc0010005, 5));
	assert_int_equal(read_ok(&s, 0xc0010004), 0x800000000001ull);
}

static void test_msr_mtrrs_are_stored_and_mtrrcap_is_read_only(void **state)
{
	static const uint32_t mtrrs[] = { 0x200, 0x20f, 0x250, 0x258, 0x259, 0x268, 0x26f, 0x2ff };
	struct msr_store s = fresh_store();

	(void)state;
	assert_int_equal(read_ok(&s, 0xfe), 0x508);
	assert_false(msr_model_write(&s, 0xfe, 0x508));
	for (size_t i = 0; i < sizeof(mtrrs) / sizeof(mtrrs[0]); i++) {
		assert_int_equal(read_ok(&s, mtrrs[i]), 0);
		assert_true(msr_model_write(&s, mtrrs[i], 0x0606060606060606ull + i));
	}
	for (size_t i = 0; i < sizeof(mtrrs) / sizeof(mtrrs[0]); i++)
		assert_int_equal(read_ok(&s, mtrrs[i]), 0x0606060606060606ull + i);
}

static void test_msr_syscfg_and_hwcr_read_zero_and_ignore_writes(void **state)
{
	struct msr_store s = fresh_store();

	(void)state;
	assert_int_equal(read_ok(&s, 0xc0010010), 0);
	assert_int_equal(read_ok(&s, 0xc0010015), 0);
	assert_true(msr_model_write(&s, 0xc0010010, 0x40000));
	assert_true(msr_model_write(&s, 0xc0010015, 0x10));
	assert_int_equal(read_ok(&s, 0xc0010010), 0);
	assert_int_equal(read_ok(&s, 0xc0010015), 0);
}

static void test_msr_engine_msrs_are_left_to_the_engine(void **state)
{
	struct msr_store s = fresh_store();
	uint64_t v;

	(void)state;
	assert_non_null(msr_model_find(0xc0000080)); /* EFER */
	assert_false(msr_model_read(&s, 0xc0000080, &v));
	assert_false(msr_model_write(&s, 0xc0000080, 0));
	assert_non_null(msr_model_find(0x10)); /* TSC */
	assert_false(msr_model_read(&s, 0x10, &v));
}

/* ---- on the interp engine ---------------------------------------------------------- */

IH_ASM(msr_rd, "rdmsr");
IH_ASM(msr_wr, "wrmsr");
IH_ASM(msr_wr_rd, "wrmsr\n rdmsr");
/* PERF_CTR0 = 0, PERF_CTL0 = cycles with EN, OS, USR; a loop; read PERF_CTR0. */
IH_ASM(count_loop, "mov ecx, 0xc0010004\n xor eax, eax\n xor edx, edx\n wrmsr\n"
		   "mov ecx, 0xc0010000\n mov eax, 0x430076\n wrmsr\n"
		   "mov ecx, 1000\n 2: loop 2b\n"
		   "mov ecx, 0xc0010004\n rdmsr\n");

/* Runs body with ECX = index and EDX:EAX = v; returns the exception vector, or
 * -1 if it ran to the end (then *out = EDX:EAX). */
static int run_msr(struct ih *h, const uint8_t *body, size_t len, uint32_t index, uint64_t v, uint64_t *out)
{
	h->state = h->entry;
	h->state.gpr[GPR_RCX] = index;
	h->state.gpr[GPR_RAX] = v & 0xffffffff;
	h->state.gpr[GPR_RDX] = v >> 32;
	ih_load(h, body, len);
	ih_start(h);
	ih_run(h);
	if (ih_exit_vector(h) >= 0)
		return ih_exit_vector(h);
	ih_expect_end(h);
	if (out)
		*out = (h->state.gpr[GPR_RDX] << 32) | (h->state.gpr[GPR_RAX] & 0xffffffff);
	return -1;
}

static void test_interp_every_modelled_msr_reads_without_gp(void **state)
{
	struct ih *h = ih_new();
	size_t n;
	const struct msr_def *t = msr_model_table(&n);

	(void)state;
	for (size_t i = 0; i < n; i++)
		for (unsigned j = 0; j < t[i].count; j++) {
			uint32_t index = t[i].first + j * t[i].stride;

			if (run_msr(h, msr_rd, IH_LEN(msr_rd), index, 0, NULL) != -1)
				fail_msg("RDMSR 0x%x (%s) raised an exception", index, t[i].name);
		}
	ih_free(h);
}

static void test_interp_unknown_msrs_next_to_modelled_ones_raise_gp(void **state)
{
	static const uint32_t absent[] = { 0x178, 0x17c, 0x3ff, 0x414, 0x417, 0xc0010008, 0xc000ffff, 0xc0010011 };
	struct ih *h = ih_new();

	(void)state;
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		if (run_msr(h, msr_rd, IH_LEN(msr_rd), absent[i], 0, NULL) != VEC_GP)
			fail_msg("RDMSR 0x%x did not raise #GP", absent[i]);
		ih_expect_exception(h, VEC_GP);
		assert_int_equal(ih_frame(h, 0), 0); /* error code 0 */
		assert_int_equal(ih_frame(h, 1), IH_CODE);
		if (run_msr(h, msr_wr, IH_LEN(msr_wr), absent[i], 0, NULL) != VEC_GP)
			fail_msg("WRMSR 0x%x did not raise #GP", absent[i]);
	}
	ih_free(h);
}

static void test_interp_perf_counters_read_back_and_do_not_count(void **state)
{
	struct ih *h = ih_new();
	uint64_t v;

	(void)state;
	assert_int_equal(run_msr(h, msr_wr_rd, IH_LEN(msr_wr_rd), 0xc0010002, 0x30076, &v), -1);
	assert_int_equal(v, 0x30076);
	assert_int_equal(run_msr(h, msr_wr_rd, IH_LEN(msr_wr_rd), 0xc0010007, 0xffff0000deadbeefull, &v), -1);
	assert_int_equal(v, 0xdeadbeefull);
	assert_int_equal(run_msr(h, msr_wr, IH_LEN(msr_wr), 0xc0010001, 1ull << 21, NULL), VEC_GP);
	/* Enabled, the counter still holds what was written: the model does not count. */
	assert_int_equal(run_msr(h, count_loop, IH_LEN(count_loop), 0, 0, &v), -1);
	assert_int_equal(v, 0);
	ih_free(h);
}

static void test_interp_machine_check_msrs_as_with_no_errors(void **state)
{
	struct ih *h = ih_new();
	uint64_t v;

	(void)state;
	assert_int_equal(run_msr(h, msr_rd, IH_LEN(msr_rd), 0x179, 0, &v), -1);
	assert_int_equal(v, 0x105);
	assert_int_equal(run_msr(h, msr_wr, IH_LEN(msr_wr), 0x179, 0x105, NULL), VEC_GP);
	assert_int_equal(run_msr(h, msr_wr_rd, IH_LEN(msr_wr_rd), 0x17b, ~0ull, &v), -1);
	assert_int_equal(v, 0x1f);
	assert_int_equal(run_msr(h, msr_wr_rd, IH_LEN(msr_wr_rd), 0x410, ~0ull, &v), -1);
	assert_int_equal(v, ~0ull);
	assert_int_equal(run_msr(h, msr_wr_rd, IH_LEN(msr_wr_rd), 0x411, 0, &v), -1);
	assert_int_equal(v, 0);
	assert_int_equal(run_msr(h, msr_wr, IH_LEN(msr_wr), 0x411, 1, NULL), VEC_GP);
	ih_free(h);
}

/* The stored MSRs belong to struct vcpu_state, so a state taken from one vCPU
 * carries them to another (and to another engine). */
static void test_interp_stored_msrs_travel_in_the_vcpu_state(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state saved;
	uint64_t v;

	(void)state;
	assert_int_equal(run_msr(h, msr_wr, IH_LEN(msr_wr), 0xc0010005, 0x4242, NULL), -1);
	saved = *ih_sync(h);
	assert_int_equal(saved.msr.stored.v[MSR_SLOT_PERF_CTR + 1], 0x4242);
	saved.gpr[GPR_RCX] = 0xc0010005;
	saved.rip = IH_CODE;
	ih_load(h, msr_rd, IH_LEN(msr_rd));
	assert_int_equal(h->ops->set_state(h->vcpu, &saved), 0);
	ih_run(h);
	v = ih_expect_end(h)->gpr[GPR_RAX];
	assert_int_equal(v, 0x4242);
	ih_free(h);
}

IH_ASM(set_cr4_mce, "mov rax, cr4\n or rax, 0x40\n mov cr4, rax\n mov rax, cr4\n");

/* CPUID reports MCE, so CR4.MCE (bit 6) can be set (SDM Vol. 3A, 2.5). */
static void test_interp_cr4_mce_can_be_set(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	assert_int_equal(run_msr(h, set_cr4_mce, IH_LEN(set_cr4_mce), 0, 0, NULL), -1);
	assert_true(h->state.gpr[GPR_RAX] & 0x40);
	ih_free(h);
}

/* The state after RESET holds every stored MSR at its reset value. */
static void test_vcpu_state_reset_holds_the_msr_reset_values(void **state)
{
	struct vcpu_state s;

	(void)state;
	memset(&s, 0xa5, sizeof(s));
	vcpu_state_reset(&s);
	for (unsigned k = 0; k < MSR_STORED_COUNT; k++)
		assert_int_equal(s.msr.stored.v[k], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msr_table_entries_do_not_overlap_and_slots_fit),
		cmocka_unit_test(test_msr_unknown_indexes_next_to_modelled_ones_are_not_msrs),
		cmocka_unit_test(test_msr_mcg_cap_reports_five_banks_and_mcg_ctl_and_is_read_only),
		cmocka_unit_test(test_msr_mcg_status_reads_zero_keeps_bits_2_0_and_gps_on_reserved_bits),
		cmocka_unit_test(test_msr_mcg_ctl_keeps_one_enable_bit_per_bank),
		cmocka_unit_test(test_msr_every_bank_reads_as_without_errors),
		cmocka_unit_test(test_msr_perf_ctl_keeps_its_fields_and_gps_on_reserved_bits),
		cmocka_unit_test(test_msr_perf_ctr_is_48_bits_wide_and_reads_back),
		cmocka_unit_test(test_msr_mtrrs_are_stored_and_mtrrcap_is_read_only),
		cmocka_unit_test(test_msr_syscfg_and_hwcr_read_zero_and_ignore_writes),
		cmocka_unit_test(test_msr_engine_msrs_are_left_to_the_engine),
		cmocka_unit_test(test_interp_every_modelled_msr_reads_without_gp),
		cmocka_unit_test(test_interp_unknown_msrs_next_to_modelled_ones_raise_gp),
		cmocka_unit_test(test_interp_perf_counters_read_back_and_do_not_count),
		cmocka_unit_test(test_interp_machine_check_msrs_as_with_no_errors),
		cmocka_unit_test(test_interp_stored_msrs_travel_in_the_vcpu_state),
		cmocka_unit_test(test_interp_cr4_mce_can_be_set),
		cmocka_unit_test(test_vcpu_state_reset_holds_the_msr_reset_values),
	};

	return cmocka_run_group_tests_name("msr_model", tests, NULL, NULL);
}
