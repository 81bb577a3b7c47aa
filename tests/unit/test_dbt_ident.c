/* Which instructions dbt runs as themselves (engine/dbt/ident.h), and what it
 * is told they read and write, memory operands included. Each expectation is the SDM's (vol. 2, the
 * instruction's page: operands, implicit registers, "Flags Affected"). */
#include "softcpu_harness.h"

#include "engine/dbt/host_flags.h"
#include "engine/dbt/ident.h"
#include "engine/softcpu/decode.h"
#include "x86/cpu_model.h"

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
	/* Flags the SDM leaves undefined, which count as read unless this host
	 * computes them from the operands alone (host_flags.h; its own test
	 * checks that claim on the CPU). */
	uint16_t undefined;
	ZydisMnemonic mnemonic;
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
IH_ASM(nop_mem, "nop word ptr cs:[rax + rax * 1 + 0]"); /* never accessed */
IH_ASM(cqo_, "cqo");
IH_ASM(cmpxchg_rr, "cmpxchg r12, r13");
IH_ASM(mov_ri, "mov r15, 0x1234567890");
/* With a memory operand, through the probe: */
IH_ASM(mov_load, "mov rax, [rbx]");
IH_ASM(add_store, "lock add qword ptr fs:[rsi + r8 * 4 - 0x80], rdx");
IH_ASM(cmp_rsp, "cmp byte ptr [rsp + 0x10], 7");
IH_ASM(movzx_rip, "movzx ecx, word ptr [rip + 0x1234]");
IH_ASM(xchg_mem, "xchg [rsi], rax");
IH_ASM(setz_mem, "setz byte ptr [rdi]");
/* Never as themselves: */
IH_ASM(add_rsp, "add rsp, 8");
IH_ASM(lea_rip, "lea rax, [rip + 16]");
IH_ASM(div_r, "div rcx");
IH_ASM(push_r, "push rax");
IH_ASM(pop_r12, "pop r12");
IH_ASM(push_rsp, "push rsp");
IH_ASM(pop_rsp, "pop rsp");
IH_ASM(push_mem, "push qword ptr [rax]");
IH_ASM(push_16, "push ax");
IH_ASM(cpuid_, "cpuid");
IH_ASM(jnz_, "jnz .+16");
IH_ASM(cld_, "cld");
IH_ASM(lahf_, "lahf");
IH_ASM(rep_stos, "rep stosb");
IH_ASM(lzcnt_, "lzcnt rax, rbx");    /* BSR with F3 on the baseline model */
IH_ASM(bt_mem_reg, "bt [rdi], rax"); /* the bit offset reaches beyond the operand */
IH_ASM(mov_a32, "mov eax, [ebx]");   /* 32-bit addressing */

#define CASE(name, id, ...)                                                                                            \
	{                                                                                                              \
		.what = #name, .code = name, .end = name##_end, .ident = id, .use = __VA_ARGS__                        \
	}
/* A case whose instruction leaves the flags undefined leaves undefined. */
#define CASE_UNDEFINED(name, id, undefined_flags, mn, ...)                                                             \
	{                                                                                                              \
		.what = #name, .code = name, .end = name##_end, .ident = id, .use = __VA_ARGS__,                       \
		.undefined = undefined_flags, .mnemonic = mn                                                           \
	}

static const struct ident_case cases[] = {
	CASE(add_rr, true,
	     { .gpr_read = R(RAX) | R(RBX), .gpr_written = R(RAX), .flags_read = 0, .flags_written = ALL }),
	CASE(adc_ri, true, { .gpr_read = R(RCX), .gpr_written = R(RCX), .flags_read = CF, .flags_written = ALL }),
	CASE(inc_r, true, { .gpr_read = R(RDX), .gpr_written = R(RDX), .flags_read = 0, .flags_written = ALL & ~CF }),
	/* Undefined flags count as read where the host may pass them through. */
	CASE_UNDEFINED(mul_r, true, SF | ZF | AF | PF, ZYDIS_MNEMONIC_MUL,
		       { .gpr_read = R(RAX) | R(RSI),
			 .gpr_written = R(RAX) | R(RDX),
			 .flags_read = SF | ZF | AF | PF,
			 .flags_written = ALL }),
	CASE(shl_cl, true,
	     { .gpr_read = R(R9) | R(RCX), .gpr_written = R(R9), .flags_read = ALL, .flags_written = ALL }),
	CASE(shl_3, true, { .gpr_read = R(R9), .gpr_written = R(R9), .flags_read = AF | OF, .flags_written = ALL },
	     AF | OF, ZYDIS_MNEMONIC_SHL), /* OF: count > 1 */
	CASE(shl_64, true, { .gpr_read = R(R9), .gpr_written = R(R9), .flags_read = ALL, .flags_written = ALL }),
	CASE(cmovz_rr, true,
	     { .gpr_read = R(R10) | R(R11),
	       .gpr_written = R(R10),
	       .flags_read = ZF,
	       .flags_written = 0 }), /* R10 kept when ZF = 0 */
	CASE(lea_bi, true, { .gpr_read = R(RDI) | R(RBP), .gpr_written = R(R8), .flags_read = 0, .flags_written = 0 }),
	CASE(setb_ah, true,
	     { .gpr_read = R(RAX),
	       .gpr_written = R(RAX),
	       .flags_read = CF,
	       .flags_written = 0 }), /* the rest of RAX is kept */
	CASE(nop_mem, true, { .gpr_read = 0, .gpr_written = 0, .flags_read = 0, .flags_written = 0 }),
	CASE(cqo_, true, { .gpr_read = R(RAX), .gpr_written = R(RDX), .flags_read = 0, .flags_written = 0 }),
	CASE(cmpxchg_rr, true,
	     { .gpr_read = R(RAX) | R(R12) | R(R13),
	       .gpr_written = R(RAX) | R(R12),
	       .flags_read = 0,
	       .flags_written = ALL }),
	CASE(mov_ri, true, { .gpr_read = 0, .gpr_written = R(R15), .flags_read = 0, .flags_written = 0 }),
	CASE(mov_load, true,
	     { .gpr_read = R(RBX),
	       .gpr_written = R(RAX),
	       .mem = true,
	       .mem_size = 8,
	       .mem_seg = SREG_DS,
	       .mem_base = GPR_RBX,
	       .mem_index = NOREG }),
	CASE(add_store, true,
	     { .gpr_read = R(RSI) | R(R8) | R(RDX),
	       .flags_written = ALL,
	       .mem = true,
	       .mem_write = true,
	       .mem_size = 8,
	       .mem_seg = SREG_FS,
	       .mem_base = GPR_RSI,
	       .mem_index = GPR_R8,
	       .mem_scale = 2,
	       .mem_disp = -0x80 }),
	CASE(cmp_rsp, true,
	     { .flags_written = ALL,
	       .mem = true,
	       .mem_size = 1,
	       .mem_seg = SREG_SS,
	       .mem_base = GPR_RSP,
	       .mem_index = NOREG,
	       .mem_disp = 0x10 }),
	CASE(movzx_rip, true,
	     { .gpr_written = R(RCX),
	       .mem = true,
	       .mem_size = 2,
	       .mem_seg = SREG_DS,
	       .mem_base = REG_RIP,
	       .mem_index = NOREG,
	       .mem_disp = 0x1234 }),
	CASE(xchg_mem, true,
	     { .gpr_read = R(RSI) | R(RAX),
	       .gpr_written = R(RAX),
	       .mem = true,
	       .mem_write = true,
	       .mem_size = 8,
	       .mem_seg = SREG_DS,
	       .mem_base = GPR_RSI,
	       .mem_index = NOREG }),
	CASE(setz_mem, true,
	     { .gpr_read = R(RDI),
	       .flags_read = ZF,
	       .mem = true,
	       .mem_write = true,
	       .mem_size = 1,
	       .mem_seg = SREG_DS,
	       .mem_base = GPR_RDI,
	       .mem_index = NOREG }),
	/* RSP as a register: renamed to a scratch register (rsp_reg), which no
	 * guest register mask shows. */
	CASE(add_rsp, true, { .gpr_read = 0, .gpr_written = 0, .flags_read = 0, .flags_written = ALL }),
	/* LEA from RIP: computed, not copied (lea_base); nothing accessed. */
	CASE(lea_rip, true, { .gpr_read = 0, .gpr_written = R(RAX), .flags_read = 0, .flags_written = 0 }),
	CASE(div_r, false, { .gpr_read = 0, .gpr_written = 0, .flags_read = 0, .flags_written = 0 }),
	CASE(push_r, true,
	     { .gpr_read = R(RAX),
	       .mem = true,
	       .mem_write = true,
	       .mem_size = 8,
	       .mem_seg = SREG_SS,
	       .mem_base = GPR_RSP,
	       .mem_index = NOREG,
	       .mem_disp = -8,
	       .stack = 1,
	       .stack_reg = GPR_RAX }),
	CASE(pop_r12, true,
	     { .gpr_written = R(R12),
	       .mem = true,
	       .mem_size = 8,
	       .mem_seg = SREG_SS,
	       .mem_base = GPR_RSP,
	       .mem_index = NOREG,
	       .stack = -1,
	       .stack_reg = GPR_R12 }),
	CASE(push_rsp, false, { .gpr_read = 0 }),
	CASE(pop_rsp, false, { .gpr_read = 0 }),
	CASE(push_mem, false, { .gpr_read = 0 }),
	CASE(push_16, false, { .gpr_read = 0 }),
	CASE(cpuid_, false, { .gpr_read = 0, .gpr_written = 0, .flags_read = 0, .flags_written = 0 }),
	CASE(jnz_, false, { .gpr_read = 0, .gpr_written = 0, .flags_read = 0, .flags_written = 0 }),
	CASE(cld_, false, { .gpr_read = 0, .gpr_written = 0, .flags_read = 0, .flags_written = 0 }),
	CASE(lahf_, false, { .gpr_read = 0, .gpr_written = 0, .flags_read = 0, .flags_written = 0 }),
	CASE(rep_stos, false, { .gpr_read = 0, .gpr_written = 0, .flags_read = 0, .flags_written = 0 }),
	CASE(lzcnt_, false, { .gpr_read = 0, .gpr_written = 0, .flags_read = 0, .flags_written = 0 }),
	CASE(bt_mem_reg, false, { .gpr_read = 0 }),
	CASE(mov_a32, false, { .gpr_read = 0 }),
};

IH_ASM(jnz_back, "jnz .-0x20");
IH_ASM(jmp_far_rel, "jmp .+0x12345678");
IH_ASM(jb_short, "jb .+5");
IH_ASM(jrcxz_, "jrcxz .+5");
IH_ASM(loop_, "loop .+5");
IH_ASM(loopne_, "loopne .+5");
IH_ASM(jmp_reg, "jmp rax");
IH_ASM(jnz_66, ".byte 0x66, 0x75, 0x10"); /* AMD: IP truncated to 16 bits */

static void test_branches_the_host_takes_itself(void **state)
{
	static const struct {
		const char *what;
		const uint8_t *code, *end;
		bool ok;
		uint8_t cc;
		int32_t rel;
		uint16_t flags_read;
	} b[] = {
		{ "jnz back", jnz_back, jnz_back_end, true, 5, -0x20 - 2, ZF },
		{ "jmp rel32", jmp_far_rel, jmp_far_rel_end, true, 0xff, 0x12345678 - 5, 0 },
		{ "jb", jb_short, jb_short_end, true, 2, 5 - 2, CF },
		{ "jrcxz", jrcxz_, jrcxz__end, false, 0, 0, 0 },
		{ "loop", loop_, loop__end, false, 0, 0, 0 },
		{ "loopne", loopne_, loopne__end, false, 0, 0, 0 },
		{ "jmp rax", jmp_reg, jmp_reg_end, false, 0, 0, 0 },
		{ "66 jnz", jnz_66, jnz_66_end, false, 0, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		struct ident_use use;
		struct insn in;
		bool ends, got;

		if (decode_insn(cpu_model_find("baseline"), MODE_LONG64, b[i].code, (size_t)(b[i].end - b[i].code), &in,
				&ends) != DECODE_INSN)
			fail_msg("%s: does not decode", b[i].what);
		got = ident_branch(&in, b[i].code, &use);
		if (got != b[i].ok)
			fail_msg("%s: %d, want %d", b[i].what, got, b[i].ok);
		if (got && (use.cc != b[i].cc || use.rel != b[i].rel || use.flags_read != b[i].flags_read))
			fail_msg("%s: cc %u rel %d flags %#x", b[i].what, use.cc, use.rel, use.flags_read);
	}
}

static void test_ident_classification_follows_the_sdm(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ident_case *c = &cases[i];
		struct ident_use use;
		struct insn in;
		uint16_t want_read;
		bool ends, got;

		if (decode_insn(cpu_model_find("baseline"), MODE_LONG64, c->code, (size_t)(c->end - c->code), &in,
				&ends) != DECODE_INSN)
			fail_msg("%s: does not decode", c->what);
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
		want_read = (uint16_t)(c->use.flags_read & ~(c->undefined & host_flags_independent(c->mnemonic)));
		if (use.flags_read != want_read || use.flags_written != c->use.flags_written)
			fail_msg("%s: flags read %#x written %#x, want %#x %#x", c->what, use.flags_read,
				 use.flags_written, want_read, c->use.flags_written);
		if (use.mem != c->use.mem ||
		    (use.mem && (use.mem_write != c->use.mem_write || use.mem_size != c->use.mem_size ||
				 use.mem_seg != c->use.mem_seg || use.mem_base != c->use.mem_base ||
				 use.mem_index != c->use.mem_index || use.mem_scale != c->use.mem_scale ||
				 use.mem_disp != c->use.mem_disp)))
			fail_msg("%s: memory operand %d w%d size %u seg %u base %u index %u scale %u disp %d", c->what,
				 use.mem, use.mem_write, use.mem_size, use.mem_seg, use.mem_base, use.mem_index,
				 use.mem_scale, use.mem_disp);
	}
}

/* Which vector memory operands the inline probe checks for alignment (the
 * host's #GP(0) otherwise): legacy 16-byte operands but the unaligned moves
 * and PCMPxSTRx (SDM Vol. 2B: "does not cause #GP if the memory operand is
 * not aligned"; the host agrees), VEX only the aligned moves. */
IH_ASM(al_movdqa, "movdqa xmm1, [rax]");
IH_ASM(al_paddb, "paddb xmm1, [rax]");
IH_ASM(al_movdqu, "movdqu xmm1, [rax]");
IH_ASM(al_movq, "movq xmm1, [rax]");
IH_ASM(al_pcmpistri, "pcmpistri xmm1, [rax], 0x0c");
IH_ASM(al_pcmpestrm, "pcmpestrm xmm1, [rax], 0x40");
IH_ASM(al_pcmpistrm, "pcmpistrm xmm1, [rax], 0x40");
IH_ASM(al_pcmpestri, "pcmpestri xmm1, [rax], 0x0c");
IH_ASM(al_vmovdqa, "vmovdqa ymm1, [rax]");
IH_ASM(al_vpaddb, "vpaddb ymm1, ymm2, [rax]");

static void test_vector_alignment_follows_the_sdm(void **state)
{
	static const struct {
		const char *what;
		const uint8_t *code, *end;
		uint8_t align;
	} forms[] = {
		{ "movdqa", al_movdqa, al_movdqa_end, 16 },	    { "paddb", al_paddb, al_paddb_end, 16 },
		{ "movdqu", al_movdqu, al_movdqu_end, 0 },	    { "movq m64", al_movq, al_movq_end, 0 },
		{ "pcmpistri", al_pcmpistri, al_pcmpistri_end, 0 }, { "pcmpestrm", al_pcmpestrm, al_pcmpestrm_end, 0 },
		{ "pcmpistrm", al_pcmpistrm, al_pcmpistrm_end, 0 }, { "pcmpestri", al_pcmpestri, al_pcmpestri_end, 0 },
		{ "vmovdqa ymm", al_vmovdqa, al_vmovdqa_end, 32 },  { "vpaddb ymm", al_vpaddb, al_vpaddb_end, 0 },
	};

	(void)state;
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("sse4.2"))
		skip();
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct ident_use use;
		struct insn in;
		bool ends;

		if (decode_insn(cpu_model_find("max"), MODE_LONG64, forms[i].code,
				(size_t)(forms[i].end - forms[i].code), &in, &ends) != DECODE_INSN)
			fail_msg("%s: does not decode", forms[i].what);
		if (!ident_classify(&in, forms[i].code, &use) || !use.simd || !use.mem)
			fail_msg("%s: not a vector memory instruction dbt copies", forms[i].what);
		if (use.mem_align != forms[i].align)
			fail_msg("%s: alignment %u, want %u", forms[i].what, use.mem_align, forms[i].align);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ident_classification_follows_the_sdm),
		cmocka_unit_test(test_branches_the_host_takes_itself),
		cmocka_unit_test(test_vector_alignment_follows_the_sdm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
