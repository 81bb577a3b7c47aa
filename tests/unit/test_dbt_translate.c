/* The dbt engine's stage-1 translation (engine/dbt/translate.h): host code that
 * calls the core's handlers leaves the soft CPU exactly as the core's own step
 * does, stops where the core asks to leave, and unwinds by longjmp through the
 * translated code when a handler raises. */
#include "softcpu_harness.h"

#include "engine/dbt/code_cache.h"
#include "engine/dbt/translate.h"
#include "engine/softcpu/decode.h"
#include "engine/softcpu/step.h"

IH_ASM(alu_run, "mov eax, 5\n add rax, rbx\n inc rcx\n shl rax, 3\n sub rdx, rax\n imul rdx, rcx\n setc bl");
IH_ASM(hlt_run, "inc rax\n hlt\n inc rax");
IH_ASM(ud2_run, "inc rax\n ud2\n inc rax");

struct run {
	struct insn insns[16];
	unsigned count;
};

/* Decodes every instruction of code (64-bit mode), straight through. */
static void decode_all(const uint8_t *code, size_t len, struct run *r)
{
	size_t off = 0;

	r->count = 0;
	while (off < len) {
		bool ends;

		assert_int_equal(decode_insn(MODE_LONG64, code + off, len - off, &r->insns[r->count], &ends),
				 DECODE_INSN);
		off += r->insns[r->count++].len;
	}
}

static struct icpu *long_mode_cpu(void)
{
	struct icpu *h = icpu_new();

	h->cpu->cr0 = CR0_PE | CR0_ET;
	h->cpu->efer = EFER_LME | EFER_LMA;
	h->cpu->seg[SREG_CS].l = 1;
	cpu_update_mode(h->cpu);
	assert_int_equal(h->cpu->mode, MODE_LONG64);
	h->cpu->rip = 0x1000;
	h->cpu->rflags = RFLAGS_FIXED;
	h->cpu->leave_block = false; /* the mode change asked to leave */
	return h;
}

static bool callout_step(void *ctx, const struct insn *in)
{
	return softcpu_step(ctx, in);
}

static const uint8_t *translate(struct code_cache *cc, struct icpu *h, const struct run *r)
{
	const uint8_t *entry = translate_callout_run(cc, h->cpu, r->insns, r->count, callout_step);

	assert_non_null(entry);
	code_cache_serialize(cc);
	return entry;
}

static void test_translated_run_leaves_the_cpu_as_stepping_does(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(alu_run, IH_LEN(alu_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		(*p)->cpu->gpr[GPR_RBX] = 7;
		(*p)->cpu->gpr[GPR_RCX] = 0xffffffffull;
		(*p)->cpu->gpr[GPR_RDX] = 1000;
	}
	translate_enter(translate(&cc, a, &r));
	for (unsigned i = 0; i < r.count; i++)
		assert_true(softcpu_step(b->cpu, &r.insns[i]));
	assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
	assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
	assert_int_equal(a->cpu->rip, 0x1000 + IH_LEN(alu_run));
	assert_int_equal(a->cpu->icount, r.count);
	assert_int_equal(a->cpu->gpr[GPR_RAX], (5 + 7) << 3); /* and the values are the SDM's */
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

static void test_translated_run_stops_where_the_core_leaves(void **state)
{
	struct icpu *h = long_mode_cpu();
	struct code_cache cc;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(hlt_run, IH_LEN(hlt_run), &r);
	translate_enter(translate(&cc, h, &r));
	assert_int_equal(h->cpu->gpr[GPR_RAX], 1); /* the INC after HLT did not run */
	assert_true(h->cpu->halted);
	assert_true(h->cpu->leave_block);
	assert_int_equal(h->cpu->icount, 2);
	code_cache_destroy(&cc);
	icpu_free(h);
}

static void test_a_raising_handler_unwinds_through_translated_code(void **state)
{
	struct icpu *h = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(ud2_run, IH_LEN(ud2_run), &r);
	entry = translate(&cc, h, &r);
	if (setjmp(h->cpu->unwind) == 0) {
		translate_enter(entry);
		fail_msg("UD2 did not raise");
	}
	assert_int_equal(h->cpu->exc_vector, EXC_UD);
	assert_int_equal(h->cpu->gpr[GPR_RAX], 1);
	assert_int_equal(h->cpu->rip, 0x1000 + 3); /* at the UD2: a fault */
	/* The host stack is whole: translated code runs again afterwards. */
	h->cpu->rip = 0x1000;
	h->cpu->icount = 0;
	decode_all(alu_run, IH_LEN(alu_run), &r);
	translate_enter(translate(&cc, h, &r));
	assert_int_equal(h->cpu->icount, r.count);
	code_cache_destroy(&cc);
	icpu_free(h);
}

static void test_a_full_cache_is_reported_not_overrun(void **state)
{
	struct icpu *h = long_mode_cpu();
	struct code_cache cc;
	struct run r;
	char why[128];
	unsigned n = 0;

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(alu_run, IH_LEN(alu_run), &r);
	while (translate_callout_run(&cc, h->cpu, r.insns, r.count, callout_step))
		n++;
	assert_true(n > 1000);
	assert_true(cc.used <= cc.size);
	code_cache_reset(&cc);
	assert_non_null(translate_callout_run(&cc, h->cpu, r.insns, r.count, callout_step));
	code_cache_destroy(&cc);
	icpu_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translated_run_leaves_the_cpu_as_stepping_does),
		cmocka_unit_test(test_translated_run_stops_where_the_core_leaves),
		cmocka_unit_test(test_a_raising_handler_unwinds_through_translated_code),
		cmocka_unit_test(test_a_full_cache_is_reported_not_overrun),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
