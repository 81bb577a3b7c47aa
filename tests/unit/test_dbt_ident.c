/* Which instructions dbt runs as themselves (engine/dbt/ident.h), and what it
 * is told they read and write. Each expectation is the SDM's (vol. 2, the
 * instruction's page: operands, implicit registers, "Flags Affected"). */
#include "softcpu_harness.h"

#include "engine/dbt/ident.h"
#include "engine/softcpu/decode.h"

#define R(n) (1u << GPR_##n)
#define CF 0x001
#define PF 0x004
#define AF 0x010
#define ZF 0x040
#define SF 0x080
#define OF 0x800
#define ALL (CF | PF | AF | ZF | SF | OF)

struct ident_case {
	const char *what;
	const uint8_t *code, *end;
	bool ident;
	struct ident_use use;
};

IH_ASM(add_rr, "add rax, rbx");
IH_ASM(adc_ri, "adc ecx, 5");
IH_ASM(inc_r, "inc edx");
IH_ASM(mul_r, "mul rsi");
IH_ASM(shl_cl, "shl r9, cl");
IH_ASM(shl_3, "shl r9, 3");
IH_ASM(shl_64, "shl r9d, 32"); /* masked to 0: the flags pass through */
IH_ASM(cmovz_rr, "cmovz r10, r11");
IH_ASM(lea_bi, "lea r8, [rdi + rbp * 8 + 16]");
IH_ASM(setb_ah, "setb ah");
IH_ASM(cqo_, "cqo");
IH_ASM(cmpxchg_rr, "cmpxchg r12, r13");
IH_ASM(mov_ri, "mov r15, 0x1234567890");
/* Never as themselves: */
IH_ASM(add_rsp, "add rsp, 8");
IH_ASM(mov_load, "mov rax, [rbx]");
IH_ASM(lea_rip, "lea rax, [rip + 16]");
IH_ASM(div_r, "div rcx");
IH_ASM(push_r, "push rax");
IH_ASM(cpuid_, "cpuid");
IH_ASM(jnz_, "jnz .+16");
IH_ASM(cld_, "cld");
IH_ASM(lahf_, "lahf");
IH_ASM(rep_stos, "rep stosb");
IH_ASM(xchg_mem, "xchg [rsi], rax");
IH_ASM(lzcnt_, "lzcnt rax, rbx"); /* BSR with F3 on the baseline model */

#define CASE(name, id, ...)                                                                                            \
	{                                                                                                              \
#name, name, name##_end, id, __VA_ARGS__                                                               \
	}

static const struct ident_case cases[] = {
	CASE(add_rr, true, { R(RAX) | R(RBX), R(RAX), 0, ALL }),
	CASE(adc_ri, true, { R(RCX), R(RCX), CF, ALL }),
	CASE(inc_r, true, { R(RDX), R(RDX), 0, ALL & ~CF }),
	CASE(mul_r, true, { R(RAX) | R(RSI), R(RAX) | R(RDX), 0, ALL }),
	CASE(shl_cl, true, { R(R9) | R(RCX), R(R9), ALL, ALL }),
	CASE(shl_3, true, { R(R9), R(R9), 0, ALL }),
	CASE(shl_64, true, { R(R9), R(R9), ALL, ALL }),
	CASE(cmovz_rr, true, { R(R10) | R(R11), R(R10), ZF, 0 }), /* R10 kept when ZF = 0 */
	CASE(lea_bi, true, { R(RDI) | R(RBP), R(R8), 0, 0 }),
	CASE(setb_ah, true, { R(RAX), R(RAX), CF, 0 }), /* the rest of RAX is kept */
	CASE(cqo_, true, { R(RAX), R(RDX), 0, 0 }),
	CASE(cmpxchg_rr, true, { R(RAX) | R(R12) | R(R13), R(RAX) | R(R12), 0, ALL }),
	CASE(mov_ri, true, { 0, R(R15), 0, 0 }),
	CASE(add_rsp, false, { 0, 0, 0, 0 }),
	CASE(mov_load, false, { 0, 0, 0, 0 }),
	CASE(lea_rip, false, { 0, 0, 0, 0 }),
	CASE(div_r, false, { 0, 0, 0, 0 }),
	CASE(push_r, false, { 0, 0, 0, 0 }),
	CASE(cpuid_, false, { 0, 0, 0, 0 }),
	CASE(jnz_, false, { 0, 0, 0, 0 }),
	CASE(cld_, false, { 0, 0, 0, 0 }),
	CASE(lahf_, false, { 0, 0, 0, 0 }),
	CASE(rep_stos, false, { 0, 0, 0, 0 }),
	CASE(xchg_mem, false, { 0, 0, 0, 0 }),
	CASE(lzcnt_, false, { 0, 0, 0, 0 }),
};

static void test_ident_classification_follows_the_sdm(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ident_case *c = &cases[i];
		struct ident_use use;
		struct insn in;
		bool ends, got;

		assert_int_equal(decode_insn(MODE_LONG64, c->code, (size_t)(c->end - c->code), &in, &ends),
				 DECODE_INSN);
		got = ident_classify(&in, c->code, &use);
		if (got != c->ident)
			fail_msg("%s: ident %d, want %d", c->what, got, c->ident);
		if (!got)
			continue;
		/* Reading more than needed is safe (an extra load), so only what is
		 * wanted is required of reads. */
		if ((use.gpr_read & c->use.gpr_read) != c->use.gpr_read || use.gpr_written != c->use.gpr_written)
			fail_msg("%s: reads %#x writes %#x, want reads %#x writes %#x", c->what, use.gpr_read,
				 use.gpr_written, c->use.gpr_read, c->use.gpr_written);
		if (use.flags_read != c->use.flags_read || use.flags_written != c->use.flags_written)
			fail_msg("%s: flags read %#x written %#x, want %#x %#x", c->what, use.flags_read,
				 use.flags_written, c->use.flags_read, c->use.flags_written);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ident_classification_follows_the_sdm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
