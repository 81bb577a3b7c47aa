/* The dbt engine's translation (engine/dbt/translate.h): host code that calls
 * the core's handlers, or runs instructions as themselves, leaves the soft CPU
 * exactly as the core's own step does, stops where the core asks to leave, and
 * unwinds by longjmp through the translated code when a handler raises, with
 * the registers ident code changed already in the soft CPU. */
#include <asm/prctl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "softcpu_harness.h"

#include "engine/dbt/code_cache.h"
#include "engine/dbt/ident_simd.h"
#include "engine/soft_clock.h"
#include "engine/dbt/translate.h"
#include "engine/softcpu/decode.h"
#include "x86/cpu_model.h"
#include "engine/softcpu/flags.h"
#include "engine/softcpu/step.h"

IH_ASM(alu_run, "mov eax, 5\n add rax, rbx\n inc rcx\n shl rax, 3\n sub rdx, rax\n imul rdx, rcx\n setc bl");
IH_ASM(hlt_run, "inc rax\n hlt\n inc rax");
IH_ASM(ud2_run, "inc rax\n ud2\n inc rax");
/* Every flag a reader reads was defined by its writer (SDM vol. 2 per
 * instruction), and the last writer (CMP) defines them all: host and core
 * must agree on everything. */
/* Destinations written whole first need no load; an 8/16-bit write and BSF
 * of zero (the destination kept: AMD APM vol. 3, BSF) read the old value. */
IH_ASM(overwrite_run, "mov eax, 5\n mov bx, 7\n xor ecx, ecx\n bsf rsi, rcx\n mov r8d, r9d\n"
		      "movzx r10d, r11b\n bsr rdi, rcx\n");
/* Two pages whose numbers agree in the low 8 bits: one soft-TLB index. */
IH_ASM(same_index_run, "mov rax, [rbx]\n add rax, [rdx]\n mov [rbx + 8], rax\n mov [rdx + 8], rax\n");
/* Every register but RSP live, so the probes borrow scratch registers. */
IH_ASM(crowded_run, "add rax, rcx\n add rdx, rbp\n add r8, r9\n add r10, r11\n add r12, r13\n add r14, r15\n"
		    "xor rsi, rdi\n mov rax, [rbx]\n add rax, r8\n mov [rbx + 8], r14\n mov rcx, [rbx + 16]\n"
		    "add rcx, r12\n");
IH_ASM(defined_run, "mov eax, 5\n add rax, rbx\n inc rcx\n adc rdx, rax\n sub rdx, rcx\n setc bl\n"
		    " cmovz rsi, rdx\n xor r8, r8\n sbb r9, r10\n rcl r12, 1\n seto dil\n neg r13\n"
		    " setnz bpl\n lea r11, [rax + rdx * 4 + 9]\n movzx r15d, bl\n bswap r14\n cmp r14, r15");
/* Reads the flags the core left lazily, and a shift by CL = 0 passes on the
 * flags it finds after a callout (CLD). */
IH_ASM(lazy_run, "adc rax, 0\n setnz cl\n cld\n shl rdx, cl\n setc bl\n sets bh");
IH_ASM(cmp_insn, "cmp rsi, rdi");
IH_ASM(ident_ud2_run, "inc rax\n add rbx, rax\n ud2\n inc rax");
/* Memory operands through the probe: loads, stores, read-modify-write, LOCK,
 * flags read from and into memory instructions. */
IH_ASM(memory_run, "mov rax, [rbx]\n add rax, 5\n mov [rbx + 8], rax\n adc rcx, [rbx + 16]\n"
		   " lock xadd [rbx + 24], rcx\n cmp byte ptr [rbx + rsi], 3\n setz byte ptr [rbx + 40]\n"
		   " inc dword ptr [rbx + rsi * 4 + 48]\n");
/* A fault on a memory operand after a partial flag writer: STC sets CF, CLD
 * (a callout) ends the run, INC sets all but CF, so the run that faults must
 * have brought CF in from the core, though its last instruction (ADD) writes
 * every flag. */
IH_ASM(fault_run, "stc\n cld\n inc rax\n mov rdx, [rcx]\n add rax, 1");

struct run {
	struct insn insns[32];
	unsigned count;
};

/* Decodes every instruction of code (64-bit mode), straight through. */
static void decode_all(const uint8_t *code, size_t len, struct run *r)
{
	size_t off = 0;

	r->count = 0;
	while (off < len) {
		bool ends;

		assert_true(r->count < sizeof(r->insns) / sizeof(r->insns[0]));
		assert_int_equal(decode_insn(cpu_model_find("baseline"), MODE_LONG64, code + off, len - off,
					     &r->insns[r->count], &ends),
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

/* Ident translation needs GS at the soft CPU, as the engine sets it.
 * Translated for a block that runs at linear address lin (and starts as far
 * into its page). */
static const uint8_t *translate_ident_at(struct code_cache *cc, struct icpu *h, const struct run *r,
					 const uint8_t *code, unsigned *ident, uint64_t lin)
{
	const struct translate_env env = {
		.ctx = h->cpu,
		.callout = callout_step,
		.code = { { .lin = lin, .host = code } },
		.ncode = 1,
		.cpu = h->cpu,
		.lin = lin,
	};
	const uint8_t *entry;

	assert_int_equal(syscall(SYS_arch_prctl, ARCH_SET_GS, h->cpu), 0);
	entry = translate_run(cc, &env, r->insns, r->count, ident);
	assert_non_null(entry);
	code_cache_serialize(cc);
	return entry;
}

static const uint8_t *translate_ident(struct code_cache *cc, struct icpu *h, const struct run *r, const uint8_t *code,
				      unsigned *ident)
{
	return translate_ident_at(cc, h, r, code, ident, 0x1000);
}

static void set_registers(struct icpu *h)
{
	for (unsigned i = 0; i < 16; i++)
		h->cpu->gpr[i] = 0x0123456789abcdefull * (i + 1) ^ (i << 7);
	h->cpu->gpr[GPR_RSP] = 0x8000;
}

static void test_ident_run_leaves_the_cpu_as_stepping_does(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(defined_run, IH_LEN(defined_run), &r);
	set_registers(a);
	set_registers(b);
	translate_enter(translate_ident(&cc, a, &r, defined_run, &ident));
	assert_int_equal(ident, r.count); /* every one ran as itself */
	for (unsigned i = 0; i < r.count; i++)
		assert_true(softcpu_step(b->cpu, &r.insns[i]));
	assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
	assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
	assert_int_equal(a->cpu->rip, 0x1000 + IH_LEN(defined_run));
	assert_int_equal(a->cpu->icount, r.count);
	assert_int_equal(a->cpu->rflags & (RFLAGS_TF | RFLAGS_DF | RFLAGS_AC), 0);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

static void test_registers_overwritten_first_keep_what_they_must(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(overwrite_run, IH_LEN(overwrite_run), &r);
	set_registers(a);
	set_registers(b);
	translate_enter(translate_ident(&cc, a, &r, overwrite_run, &ident));
	assert_int_equal(ident, r.count);
	for (unsigned i = 0; i < r.count; i++)
		assert_true(softcpu_step(b->cpu, &r.insns[i]));
	assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
	assert_int_equal(a->cpu->gpr[GPR_RAX], 5);
	assert_int_equal(a->cpu->gpr[GPR_RBX], ((0x0123456789abcdefull * 4 ^ (3u << 7)) & ~0xffffull) | 7);
	assert_int_equal(a->cpu->gpr[GPR_RSI], 0x0123456789abcdefull * 7 ^ (6u << 7));
	assert_int_equal(a->cpu->gpr[GPR_RDI], 0x0123456789abcdefull * 8 ^ (7u << 7));
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

static void test_ident_reads_lazy_flags_and_a_zero_shift_keeps_them(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct insn cmp;
	struct code_cache cc;
	unsigned ident = 0;
	struct run r;
	char why[128];
	bool ends;

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	assert_int_equal(decode_insn(cpu_model_find("baseline"), MODE_LONG64, cmp_insn, IH_LEN(cmp_insn), &cmp, &ends),
			 DECODE_INSN);
	decode_all(lazy_run, IH_LEN(lazy_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		(*p)->cpu->gpr[GPR_RAX] = 0xffffffffffffffffull;
		(*p)->cpu->gpr[GPR_RSI] = 1;
		(*p)->cpu->gpr[GPR_RDI] = 2; /* 1 - 2: CF = SF = 1, ZF = 0 */
		(*p)->cpu->gpr[GPR_RDX] = 0x55;
		assert_true(softcpu_step((*p)->cpu, &cmp));
		(*p)->cpu->rip = 0x1000;
		(*p)->cpu->icount = 0;
		assert_int_not_equal((*p)->cpu->lf.op, LF_NONE); /* the core holds them lazily */
	}
	translate_enter(translate_ident(&cc, a, &r, lazy_run, &ident));
	assert_int_equal(ident, r.count - 1);
	for (unsigned i = 0; i < r.count; i++)
		assert_true(softcpu_step(b->cpu, &r.insns[i]));
	assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
	assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
	/* By the SDM: ~0 + 0 + CF(1) = 0 with CF = ZF = 1, SF = 0; SETNZ gives CL = 0;
	 * SHL by 0 changes neither RDX nor a flag: SETC 1, SETS 0. */
	assert_int_equal(a->cpu->gpr[GPR_RAX], 0);
	assert_int_equal(a->cpu->gpr[GPR_RDX], 0x55);
	assert_int_equal(a->cpu->gpr[GPR_RBX] & 0xffff, 0x0001);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

static void test_a_fault_after_ident_code_finds_its_registers(void **state)
{
	struct icpu *h = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(ident_ud2_run, IH_LEN(ident_ud2_run), &r);
	h->cpu->gpr[GPR_RBX] = 10;
	entry = translate_ident(&cc, h, &r, ident_ud2_run, &ident);
	assert_int_equal(ident, 3); /* INC, ADD, and the INC after UD2 */
	if (setjmp(h->cpu->unwind) == 0) {
		translate_enter(entry);
		fail_msg("UD2 did not raise");
	}
	assert_int_equal(h->cpu->exc_vector, EXC_UD);
	assert_int_equal(h->cpu->gpr[GPR_RAX], 1);
	assert_int_equal(h->cpu->gpr[GPR_RBX], 11);
	assert_int_equal(h->cpu->rip, 0x1000 + 3 + 3); /* at the UD2 */
	assert_int_equal(h->cpu->icount, 2);
	assert_int_equal(h->cpu->lf.op, LF_HOST);		    /* ADD's flags were stored: */
	assert_int_equal(flags_get(h->cpu) & RFLAGS_ARITH_MASK, 0); /* 11: no CF, ZF, SF, OF; PF odd; AF: 0xa+1 */
	code_cache_destroy(&cc);
	icpu_free(h);
}

/* Runs the translation on a and steps r on b, each to a fault of vector:
 * the same RIP, registers and flags. */
static void both_fault_alike(struct icpu *a, struct icpu *b, const uint8_t *entry, const struct run *r, uint8_t vector)
{
	if (setjmp(a->cpu->unwind) == 0) {
		translate_enter(entry);
		fail_msg("the translation did not fault");
	}
	if (setjmp(b->cpu->unwind) == 0) {
		for (unsigned i = 0; i < r->count; i++)
			softcpu_step(b->cpu, &r->insns[i]);
		fail_msg("stepping did not fault");
	}
	assert_int_equal(a->cpu->exc_vector, vector);
	assert_int_equal(b->cpu->exc_vector, vector);
	assert_int_equal(a->cpu->rip, b->cpu->rip);
	assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
	assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
}

/* A guest-physical range two runs are compared on. */
struct span {
	uint64_t gpa, len;
};

/* Runs the translation of r at RIP 0x1000 on a and steps it on b, twice:
 * the same registers, flags, count and bytes of each span every time, and
 * the second time every access hits the soft TLB and runs inline. */
static void run_twice_as_stepping(struct icpu *a, struct icpu *b, const uint8_t *entry, const struct run *r,
				  const struct span *spans, unsigned nspans)
{
	for (unsigned round = 0; round < 2; round++) {
		uint64_t misses = a->cpu->tlb.misses;

		a->cpu->rip = b->cpu->rip = 0x1000;
		translate_enter(entry);
		for (unsigned i = 0; i < r->count; i++)
			assert_true(softcpu_step(b->cpu, &r->insns[i]));
		assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
		assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
		assert_int_equal(a->cpu->icount, b->cpu->icount);
		for (unsigned k = 0; k < nspans; k++)
			assert_memory_equal(icpu_ptr(a, spans[k].gpa, spans[k].len),
					    icpu_ptr(b, spans[k].gpa, spans[k].len), spans[k].len);
		if (round == 1)
			assert_int_equal(a->cpu->tlb.misses, misses);
	}
}

static void test_memory_operands_run_as_stepping_does_on_hits_and_misses(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(memory_run, IH_LEN(memory_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		uint64_t init[8] = { 0x1122334455667788ull, 0, 0xffffffffffffff00ull, 40, 3, 0, 0, 0 };

		memcpy(icpu_ptr(*p, 0x200000, sizeof(init)), init, sizeof(init));
		(*p)->cpu->gpr[GPR_RBX] = 0x200000;
		(*p)->cpu->gpr[GPR_RCX] = 0x100;
		(*p)->cpu->gpr[GPR_RSI] = 32; /* [rbx + 32] = 3: ZF */
	}
	entry = translate_ident(&cc, a, &r, memory_run, &ident);
	assert_int_equal(ident, r.count);
	run_twice_as_stepping(a, b, entry, &r, (const struct span[]){ { 0x200000, 256 } }, 1);
	assert_int_equal(*(uint8_t *)icpu_ptr(a, 0x200000 + 40, 1), 1); /* SETZ after CMP 3, 3 */
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* Pages that share a TLB index (0x100000 and 0x200000) both stay: the second
 * run misses nothing, where a one-way TLB evicted each by the other on every
 * access. */
static void test_two_pages_of_one_tlb_index_both_run_inline(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(same_index_run, IH_LEN(same_index_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		*(uint64_t *)icpu_ptr(*p, 0x100000, 8) = 40;
		*(uint64_t *)icpu_ptr(*p, 0x200000, 8) = 2;
		(*p)->cpu->gpr[GPR_RBX] = 0x100000;
		(*p)->cpu->gpr[GPR_RDX] = 0x200000;
	}
	entry = translate_ident(&cc, a, &r, same_index_run, &ident);
	assert_int_equal(ident, r.count);
	run_twice_as_stepping(a, b, entry, &r, (const struct span[]){ { 0x100000, 16 }, { 0x200000, 16 } }, 2);
	assert_int_equal(*(uint64_t *)icpu_ptr(a, 0x200000 + 8, 8), 42);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* A run that holds a guest value in every register: its probes borrow three
 * and give them back, on a hit, through the slow path (the first round
 * misses) and at a fault, where the state must be the stepped one. */
static void test_a_run_using_every_register_borrows_scratch(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(crowded_run, IH_LEN(crowded_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		set_registers(*p);
		(*p)->cpu->gpr[GPR_RBX] = 0x200000;
		*(uint64_t *)icpu_ptr(*p, 0x200000, 8) = 0x1000;
		*(uint64_t *)icpu_ptr(*p, 0x200010, 8) = 0x2000;
	}
	entry = translate_ident(&cc, a, &r, crowded_run, &ident);
	assert_int_equal(ident, r.count);
	run_twice_as_stepping(a, b, entry, &r, (const struct span[]){ { 0x200000, 32 } }, 1);
	/* The first load faults (#GP: not canonical), after seven adds. */
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		set_registers(*p);
		(*p)->cpu->gpr[GPR_RBX] = 0x8000000000000000ull;
		(*p)->cpu->rip = 0x1000;
	}
	both_fault_alike(a, b, entry, &r, EXC_GP);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* Flags kept around probes (cpu->saved_flags): CMP sets all six, a load's
 * probe clobbers host RFLAGS with nothing reading them after it, INC then
 * rewrites all but CF, and the second load faults: its flags must be INC's
 * with CMP's CF, put together from the saved copy and host RFLAGS. */
IH_ASM(saved_flags_run, "cmp rax, rbx\n mov rdx, [rsi]\n inc rdi\n mov r8, [rcx]\n add rax, 1");

static void test_flags_saved_around_probes_reach_a_later_fault(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(saved_flags_run, IH_LEN(saved_flags_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		(*p)->cpu->gpr[GPR_RAX] = 1;
		(*p)->cpu->gpr[GPR_RBX] = 2;			 /* 1 - 2 borrows: CF */
		(*p)->cpu->gpr[GPR_RSI] = 0x300000;		 /* RAM */
		(*p)->cpu->gpr[GPR_RDI] = 0x7fffffffffffffffull; /* INC: OF, SF */
		(*p)->cpu->gpr[GPR_RCX] = 0x8000000000000000ull; /* not canonical: #GP(0) */
	}
	entry = translate_ident(&cc, a, &r, saved_flags_run, &ident);
	assert_int_equal(ident, r.count);
	for (unsigned round = 0; round < 2; round++) { /* a TLB miss on the first load, then a hit */
		a->cpu->rip = b->cpu->rip = 0x1000;
		a->cpu->gpr[GPR_RDI] = b->cpu->gpr[GPR_RDI] = 0x7fffffffffffffffull;
		both_fault_alike(a, b, entry, &r, EXC_GP);
		/* By the SDM: CF from CMP (1 < 2); INC of 0x7fff...f: OF, SF, AF, and
		 * PF (the low byte 0x00 has even parity); not ZF. */
		assert_int_equal(flags_get(a->cpu) & RFLAGS_ARITH_MASK,
				 RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF);
	}
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

static void test_a_memory_fault_finds_the_flags_before_it(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(fault_run, IH_LEN(fault_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		(*p)->cpu->gpr[GPR_RAX] = 0x7f;
		(*p)->cpu->gpr[GPR_RCX] = 0x8000000000000000ull; /* not canonical: #GP(0) */
	}
	entry = translate_ident(&cc, a, &r, fault_run, &ident);
	assert_int_equal(ident, r.count - 1);
	both_fault_alike(a, b, entry, &r, EXC_GP);
	assert_int_equal(a->cpu->rip, 0x1000 + 1 + 1 + 3); /* at the load */
	assert_int_equal(a->cpu->icount, 3);
	/* By the SDM: CF from STC survives INC; 0x7f + 1 = 0x80 in 64 bits: AF only
	 * (no sign, no overflow, one bit set: odd parity). */
	assert_int_equal(flags_get(a->cpu) & RFLAGS_ARITH_MASK, RFLAGS_CF | RFLAGS_AF);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* A block that branches back to itself loops inside host code, its
 * registers and flags kept in host registers round the loop; another branch
 * leaves with RIP at its target. The loops: the plain one; one carrying CF
 * round the loop (the flags loaded at its start); one whose RSI is read only
 * at its start, so a probe later in the body must not take it for scratch;
 * and one that uses every register but RSP, leaving none to keep RAX in. */
IH_ASM(loop_body, "1: add rax, 3\n mov [rbx + rax * 8], rcx\n dec ecx\n jnz 1b");
IH_ASM(loop_carry, "1: adc rax, rdx\n mov [rbx + rcx * 8], rax\n dec rcx\n jnz 1b");
IH_ASM(loop_dead_early, "1: mov rdx, rsi\n add rax, rdx\n mov [rbx + rcx * 8], rax\n dec ecx\n jnz 1b");
IH_ASM(loop_crowded, "1: add rax, rdx\n add rsi, rdi\n add r8, r9\n add r10, r11\n add r12, r13\n add r14, r15\n"
		     " add rbp, rax\n mov [rbx + rcx * 8], rbp\n dec ecx\n jnz 1b");
IH_ASM(jcc_run, "cmp rax, 5\n jb .+0x40");

static void check_loop(const uint8_t *code, size_t len)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	unsigned ident = 0;
	struct run r;
	char why[128];

	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(code, len, &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		set_registers(*p);
		(*p)->cpu->gpr[GPR_RAX] = 0xfffffffffffffff0ull;
		(*p)->cpu->gpr[GPR_RDX] = 7;
		(*p)->cpu->gpr[GPR_RSI] = 0x1234;
		/* Every store lands in the span compared below: RAX runs from -13
		 * to 8 in loop_body, RCX from 8 to 1. */
		(*p)->cpu->gpr[GPR_RBX] = 0x200200;
		(*p)->cpu->gpr[GPR_RCX] = 8;
		flags_set_arith((*p)->cpu, RFLAGS_CF);
	}
	translate_enter(translate_ident(&cc, a, &r, code, &ident));
	assert_int_equal(ident, r.count);
	/* Stepped: the loop body eight times, then the fall-through. */
	for (unsigned k = 0; k < 8; k++) {
		b->cpu->rip = 0x1000;
		for (unsigned i = 0; i < r.count; i++)
			softcpu_step(b->cpu, &r.insns[i]);
	}
	assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
	assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
	assert_memory_equal(icpu_ptr(a, 0x200000, 0x400), icpu_ptr(b, 0x200000, 0x400), 0x400);
	assert_int_equal(a->cpu->rip, 0x1000 + len); /* fell through */
	assert_int_equal(a->cpu->icount, 8 * r.count);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

static void test_a_block_looping_to_itself_runs_as_stepping_does(void **state)
{
	(void)state;
	check_loop(loop_body, IH_LEN(loop_body));
	check_loop(loop_carry, IH_LEN(loop_carry));
	check_loop(loop_dead_early, IH_LEN(loop_dead_early));
	check_loop(loop_crowded, IH_LEN(loop_crowded));
}

static void test_a_taken_branch_leaves_with_rip_at_its_target(void **state)
{
	struct icpu *a = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(jcc_run, IH_LEN(jcc_run), &r);
	entry = translate_ident(&cc, a, &r, jcc_run, &ident);
	assert_int_equal(ident, 2);
	a->cpu->gpr[GPR_RAX] = 4;
	translate_enter(entry);
	assert_int_equal(a->cpu->rip, 0x1000 + 4 + 0x40);
	a->cpu->rip = 0x1000;
	a->cpu->gpr[GPR_RAX] = 5;
	translate_enter(entry);
	assert_int_equal(a->cpu->rip, 0x1000 + IH_LEN(jcc_run));
	/* Near the top of the lower canonical half, the target is not canonical:
	 * #GP at the Jcc (translated for where it runs: blocks are keyed by
	 * their physical address, whose page offset is RIP's). */
	entry = translate_ident_at(&cc, a, &r, jcc_run, &ident, 0x00007fffffffffc0ull);
	a->cpu->rip = 0x00007fffffffffc0ull;
	a->cpu->gpr[GPR_RAX] = 4;
	if (setjmp(a->cpu->unwind) == 0) {
		translate_enter(entry);
		fail_msg("no #GP");
	}
	assert_int_equal(a->cpu->exc_vector, EXC_GP);
	assert_int_equal(a->cpu->rip, 0x00007fffffffffc0ull + 4);
	assert_int_equal(a->cpu->icount, 2 + 2 + 1);
	code_cache_destroy(&cc);
	icpu_free(a);
}

/* Two Jcc inside one block (side exits: decode_run marks them so), with
 * memory and flag writes before, between and after: each way out stores what
 * the run held, and the way on keeps it. */
IH_ASM(side_exit_run, "add rax, rbx\n mov [rcx], rax\n jz .+0x20\n inc rdx\n mov [rcx + 8], rdx\n"
		      " jc .+0x30\n add rax, 7\n mov [rcx + 16], rax\n");

/* Steps r on b as the core runs a block: until an instruction leaves it. */
static void step_block(struct icpu *b, const struct run *r)
{
	for (unsigned i = 0; i < r->count; i++)
		if (!softcpu_step(b->cpu, &r->insns[i]))
			break;
	b->cpu->leave_block = false;
}

static void test_side_exits_leave_or_go_on_as_stepping_does(void **state)
{
	/* RAX + RBX: zero (the first exit taken), not zero without a carry
	 * (none taken), and with a carry that INC of RDX keeps (the second
	 * taken). */
	static const uint64_t cases[][3] = { { 5, (uint64_t)-5, 1 }, { 5, 6, 1 }, { (uint64_t)-1, 3, (uint64_t)-1 } };
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(side_exit_run, IH_LEN(side_exit_run), &r);
	r.insns[2].flags |= INSN_SIDE_EXIT;
	r.insns[5].flags |= INSN_SIDE_EXIT;
	entry = translate_ident(&cc, a, &r, side_exit_run, &ident);
	assert_int_equal(ident, r.count);
	for (unsigned c = 0; c < 3; c++) {
		/* ".+n": n from the Jcc's first byte. */
		unsigned at2 = r.insns[0].len + r.insns[1].len;
		unsigned at5 = at2 + r.insns[2].len + r.insns[3].len + r.insns[4].len;
		uint64_t targets[3] = { 0x1000 + at2 + 0x20, 0x1000 + IH_LEN(side_exit_run), 0x1000 + at5 + 0x30 };

		for (unsigned round = 0; round < 2; round++) {
			for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
				set_registers(*p);
				(*p)->cpu->gpr[GPR_RAX] = cases[c][0];
				(*p)->cpu->gpr[GPR_RBX] = cases[c][1];
				(*p)->cpu->gpr[GPR_RDX] = cases[c][2];
				(*p)->cpu->gpr[GPR_RCX] = 0x200000;
				(*p)->cpu->rip = 0x1000;
				(*p)->cpu->icount = 0;
				flags_set_arith((*p)->cpu, 0);
				memset(icpu_ptr(*p, 0x200000, 32), 0xee, 32);
			}
			translate_enter(entry);
			step_block(b, &r);
			assert_int_equal(a->cpu->rip, targets[c]);
			assert_int_equal(b->cpu->rip, targets[c]);
			assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
			assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
			assert_int_equal(a->cpu->icount, b->cpu->icount);
			assert_int_equal(a->cpu->icount, c == 0 ? 3 : c == 2 ? 6 : r.count);
			assert_memory_equal(icpu_ptr(a, 0x200000, 32), icpu_ptr(b, 0x200000, 32), 32);
		}
	}
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* A side exit taken after a partial flag writer (INC leaves CF) in a run
 * that writes every flag by its end (IMUL): the way out stores INC's flags
 * with the CF the run began with, not whatever cpu->saved_flags held (the
 * differential test's case seed 0xbc00fe50ecd3636b). */
IH_ASM(partial_exit_run, "inc r15\n jnz .+6\n imul r12d, ecx\n");

static void test_a_side_exit_after_a_partial_flag_write_keeps_the_rest(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(partial_exit_run, IH_LEN(partial_exit_run), &r);
	r.insns[1].flags |= INSN_SIDE_EXIT;
	entry = translate_ident(&cc, a, &r, partial_exit_run, &ident);
	assert_int_equal(ident, r.count);
	for (unsigned cf = 0; cf < 2; cf++) {
		for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
			(*p)->cpu->gpr[GPR_R15] = 0; /* INC: 1, not zero: the exit is taken */
			(*p)->cpu->rip = 0x1000;
			(*p)->cpu->icount = 0;
			flags_set_arith((*p)->cpu, cf ? RFLAGS_CF : 0);
		}
		a->cpu->saved_flags = cf ? 0 : 0xffff; /* left over: the other CF */
		translate_enter(entry);
		step_block(b, &r);
		assert_int_equal(a->cpu->rip, 0x1000 + 3 + 2 + 4);
		assert_int_equal(flags_get(a->cpu) & RFLAGS_CF, cf ? RFLAGS_CF : 0); /* SDM: INC leaves CF */
		assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
	}
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* Where decode_run ends a block around Jcc: not at one going elsewhere nor at
 * one back to the block's first instruction (side exits both), and at the
 * third of a row (two side exits at most). */
IH_ASM(loop_with_exit, "cmp rax, 1\n jz .+0x10\n inc rax\n jnz .-9\n nop\n jmp .-0x10");
IH_ASM(three_exits, "jz .+0x10\n jc .+0x10\n jo .+0x10\n nop");

static void test_blocks_go_on_past_jcc_but_end_at_a_jmp(void **state)
{
	struct icpu *a = long_mode_cpu();
	struct insn insns[8];
	struct decoded_run run;
	const struct decode_limits limits = { .max_insns = 8, .side_exits = 2 };

	(void)state;
	memcpy(icpu_ptr(a, 0x3000, IH_LEN(loop_with_exit)), loop_with_exit, IH_LEN(loop_with_exit));
	decode_run(a->cpu, 0x3000, 0x3000, insns, &limits, &run);
	assert_int_equal(run.count, 6);
	assert_true(insns[1].flags & INSN_SIDE_EXIT);
	assert_true(insns[3].flags & INSN_SIDE_EXIT);
	assert_false(insns[5].flags & INSN_SIDE_EXIT);
	memcpy(icpu_ptr(a, 0x3000, IH_LEN(three_exits)), three_exits, IH_LEN(three_exits));
	decode_run(a->cpu, 0x3000, 0x3000, insns, &limits, &run);
	assert_int_equal(run.count, 3);
	assert_true((insns[0].flags & insns[1].flags) & INSN_SIDE_EXIT);
	assert_false(insns[2].flags & INSN_SIDE_EXIT);
	icpu_free(a);
}

/* Loops whose way back is a Jcc the block goes on past (decode_run makes it
 * a side exit), run in host code without storing their registers each round:
 * one with code after its last way back that writes registers the loop does
 * not use (the way out must not store them before they are written) and
 * reads memory with every other register busy; one with two ways back and a
 * way out between them. Each from several starting RCX values, against the
 * core stepping the same instructions wherever RIP goes; then kicked, which
 * leaves after one round with RIP at the loop's start. */
IH_ASM(loop_then_tail, "1: add rax, rdx\n mov [rbx + rcx * 8], rax\n dec rcx\n jnz 1b\n mov r8, [rbx + 8]\n"
		       " add r9, r8\n mov r10, 7\n add r11, r12\n add r13, r14\n add r15, rsi\n"
		       " mov [rbx + 16], r10\n add rdi, rbp\n nop");
IH_ASM(loop_two_ways, "1: add rax, rdx\n mov [rbx + rcx * 8], rax\n dec rcx\n jz 2f\n test al, 1\n jnz 1b\n"
		      " add rsi, rax\n mov [rbx + 8], rsi\n jmp 1b\n 2: nop");
/* A loop with its way out first, before any flag is written in the round:
 * taken, it leaves with the flags the round before left in host RFLAGS. */
IH_ASM(loop_exit_first, "1: jz 2f\n dec rcx\n jmp 1b\n 2:");

/* Steps b through the instructions of r (at 0x1000 on) wherever RIP goes,
 * until it leaves them, or (one_round) comes back to the first. */
static void step_while_inside(struct icpu *b, const struct run *r, bool one_round)
{
	for (unsigned steps = 0; steps < 1000 && !(one_round && steps && b->cpu->rip == 0x1000); steps++) {
		uint64_t at = 0x1000;
		unsigned i = 0;

		while (i < r->count && at != b->cpu->rip)
			at += r->insns[i++].len;
		if (i == r->count)
			return;
		softcpu_step(b->cpu, &r->insns[i]);
		b->cpu->leave_block = false;
	}
}

/* One entry into the loop's translation on a, the core stepping b the same,
 * from RCX = rcx; kicked: one round. */
static void enter_loop_both(struct icpu *a, struct icpu *b, const uint8_t *entry, const struct run *r, uint64_t rcx,
			    bool kicked)
{
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		set_registers(*p);
		(*p)->cpu->gpr[GPR_RAX] = 3;
		(*p)->cpu->gpr[GPR_RDX] = 5;
		(*p)->cpu->gpr[GPR_RBX] = 0x200200;
		(*p)->cpu->gpr[GPR_RCX] = rcx;
		(*p)->cpu->rip = 0x1000;
		(*p)->cpu->icount = 0;
		flags_set_arith((*p)->cpu, RFLAGS_CF);
		memset(icpu_ptr(*p, 0x200200, 64), 0xee, 64);
	}
	a->cpu->kicked = kicked;
	translate_enter(entry);
	a->cpu->kicked = false;
	/* Kicked: one round (RCX is not 1: the loop goes round). */
	step_while_inside(b, r, kicked);
	assert_int_equal(a->cpu->rip, b->cpu->rip);
	assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
	assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
	assert_int_equal(a->cpu->icount, b->cpu->icount);
	assert_memory_equal(icpu_ptr(a, 0x200200, 64), icpu_ptr(b, 0x200200, 64), 64);
}

/* Whether the translation at entry has a loop's flag-free way back (its JMP
 * through GS:[index * 8 + loop_way]: 65, REX.W, FF /4 with a SIB and no
 * base) within its first bytes. */
static bool has_flag_free_way_back(const uint8_t *entry)
{
	for (unsigned k = 0; k < 4096; k++)
		if (entry[k] == 0x65 && (entry[k + 1] & 0xfd) == 0x48 && entry[k + 2] == 0xff && entry[k + 3] == 0x24 &&
		    (entry[k + 4] & 0xc7) == 0xc5)
			return true;
	return false;
}

/* back: the way back, a Jcc the block goes on past, or ~0u where it is the
 * block's last instruction. */
static void check_loop_way_back_inside(const uint8_t *code, size_t len, unsigned back)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(code, len, &r);
	if (back != ~0u)
		r.insns[back].flags |= INSN_SIDE_EXIT;
	if (code == loop_exit_first)
		r.insns[0].flags |= INSN_SIDE_EXIT;
	if (code == loop_two_ways) {
		r.insns[3].flags |= INSN_SIDE_EXIT;
		r.count--; /* the NOP the way out goes to is not the block's */
	}
	entry = translate_ident(&cc, a, &r, code, &ident);
	assert_int_equal(ident, r.count);
	for (uint64_t rcx = 1; rcx < 6; rcx++)
		enter_loop_both(a, b, entry, &r, rcx, false);
	/* The soft TLB has the page now: no slow path reloads the registers
	 * before the kick is seen. */
	enter_loop_both(a, b, entry, &r, 3, true);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

static void test_loops_with_a_way_back_inside_run_as_stepping_does(void **state)
{
	(void)state;
	check_loop_way_back_inside(loop_then_tail, IH_LEN(loop_then_tail), 3);
	check_loop_way_back_inside(loop_two_ways, IH_LEN(loop_two_ways), 5);
}

/* Loops whose way back leaves the flags in host RFLAGS (plan_way_back): a
 * CMP before it sets all six. One writes them all before anything reads
 * them; one carries CF in (the flags loaded at its start); one probes
 * memory first, before any flag is written (the flags loaded at its start,
 * that probe saving them each round); one goes round through a Jcc the
 * block goes on past. Each from several RCX values and kicked, against the
 * core stepping the same, and each translated with the flag-free way back. */
IH_ASM(loop_cmp_back, "1: add rax, rdx\n mov [rbx + rcx * 8], rax\n inc rcx\n cmp rcx, 6\n jne 1b");
IH_ASM(loop_cmp_carry, "1: adc rax, rdx\n mov [rbx + rcx * 8], rax\n inc rcx\n cmp rcx, 6\n jne 1b");
IH_ASM(loop_probe_first, "1: mov r8, [rbx + rcx * 8]\n add rax, r8\n inc rcx\n cmp rcx, 6\n jne 1b");
IH_ASM(loop_cmp_inside, "1: add rax, rdx\n mov [rbx + rcx * 8], rax\n inc rcx\n cmp rcx, 6\n jne 1b\n add rax, 1");

static void test_loops_ending_with_all_flags_in_host_rflags_go_round_without_them(void **state)
{
	const struct {
		const uint8_t *code;
		size_t len;
		unsigned back;
	} loops[] = {
		{ loop_cmp_back, IH_LEN(loop_cmp_back), ~0u },	     { loop_cmp_carry, IH_LEN(loop_cmp_carry), ~0u },
		{ loop_probe_first, IH_LEN(loop_probe_first), ~0u }, { loop_cmp_inside, IH_LEN(loop_cmp_inside), 4 },
		{ loop_exit_first, IH_LEN(loop_exit_first), ~0u },
	};

	(void)state;
	for (unsigned k = 0; k < sizeof(loops) / sizeof(loops[0]); k++) {
		struct icpu *a = long_mode_cpu();
		struct code_cache cc;
		unsigned ident = 0;
		struct run r;
		char why[128];

		assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
		decode_all(loops[k].code, loops[k].len, &r);
		if (loops[k].back != ~0u)
			r.insns[loops[k].back].flags |= INSN_SIDE_EXIT;
		if (loops[k].code == loop_exit_first)
			r.insns[0].flags |= INSN_SIDE_EXIT;
		assert_true(has_flag_free_way_back(translate_ident(&cc, a, &r, loops[k].code, &ident)));
		code_cache_destroy(&cc);
		icpu_free(a);
		check_loop_way_back_inside(loops[k].code, loops[k].len, loops[k].back);
	}
}

/* A loop following a chain of pointers, its first instruction a load off
 * the last one read (the one probe before the flags are all written): the
 * third round's pointer is not canonical, and the #GP there finds the
 * flags the second round's CMP left, which only host RFLAGS carried round
 * and that probe saved. */
IH_ASM(loop_chase, "1: mov r8, [rdi]\n mov rdi, r8\n add rax, r8\n cmp rax, rdx\n jne 1b");

static void test_a_fault_at_a_later_rounds_first_probe_finds_the_flags_carried_round(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(loop_chase, IH_LEN(loop_chase), &r);
	entry = translate_ident(&cc, a, &r, loop_chase, &ident);
	assert_true(has_flag_free_way_back(entry));
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		set_registers(*p);
		(*p)->cpu->rip = 0x1000;
		(*p)->cpu->gpr[GPR_RDI] = 0x200000;
		(*p)->cpu->gpr[GPR_RAX] = 0;
		(*p)->cpu->gpr[GPR_RDX] = 1;
		*(uint64_t *)icpu_ptr(*p, 0x200000, 8) = 0x200100;
		*(uint64_t *)icpu_ptr(*p, 0x200100, 8) = 0x8000000000000000ull;
		flags_set_arith((*p)->cpu, RFLAGS_ZF | RFLAGS_AF);
	}
	if (setjmp(a->cpu->unwind) == 0) {
		translate_enter(entry);
		fail_msg("the translation did not fault");
	}
	if (setjmp(b->cpu->unwind) == 0) {
		step_while_inside(b, &r, false);
		fail_msg("stepping did not fault");
	}
	assert_int_equal(a->cpu->exc_vector, EXC_GP);
	assert_int_equal(b->cpu->exc_vector, EXC_GP);
	assert_int_equal(a->cpu->rip, 0x1000);
	assert_int_equal(b->cpu->rip, 0x1000);
	assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
	/* The second round's CMP (SDM Vol. 1, appendix A): 0x8000000000200100
	 * less 1 is 0x80000000002000ff: negative (SF), no borrow out (CF clear)
	 * nor signed overflow, a borrow from bit 4 (AF), eight ones in the low
	 * byte (PF). */
	assert_int_equal(flags_get(b->cpu) & RFLAGS_ARITH_MASK, RFLAGS_SF | RFLAGS_PF | RFLAGS_AF);
	assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
	assert_int_equal(a->cpu->icount, b->cpu->icount);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* PUSH and POP of registers through the probe; the second round hits the TLB. */
IH_ASM(stack_run, "push rax\n push rbx\n add rax, rbx\n pop rcx\n add rcx, 1\n pop rdx\n push r12\n pop r13");

static void test_push_and_pop_run_as_stepping_does(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(stack_run, IH_LEN(stack_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		(*p)->cpu->gpr[GPR_RAX] = 0x1111;
		(*p)->cpu->gpr[GPR_RBX] = 0x2222;
		(*p)->cpu->gpr[GPR_R12] = 0x3333;
		(*p)->cpu->gpr[GPR_RSP] = 0x300000;
	}
	entry = translate_ident(&cc, a, &r, stack_run, &ident);
	assert_int_equal(ident, r.count);
	run_twice_as_stepping(a, b, entry, &r, (const struct span[]){ { 0x300000 - 64, 64 } }, 1);
	/* By the SDM: POP RCX takes the last PUSH (RBX), POP RDX the first (RAX). */
	assert_int_equal(a->cpu->gpr[GPR_RCX], 0x2223);
	assert_int_equal(a->cpu->gpr[GPR_R13], 0x3333);
	assert_int_equal(a->cpu->gpr[GPR_RSP], 0x300000);
	/* A push to a non-canonical stack faults with RSP and memory unchanged. */
	a->cpu->gpr[GPR_RSP] = 0x0000800000000004ull;
	a->cpu->rip = 0x1000;
	if (setjmp(a->cpu->unwind) == 0) {
		translate_enter(entry);
		fail_msg("the push did not fault");
	}
	assert_int_equal(a->cpu->exc_vector, EXC_SS);
	assert_int_equal(a->cpu->gpr[GPR_RSP], 0x0000800000000004ull);
	assert_int_equal(a->cpu->rip, 0x1000);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* Probe groups: accesses off RBX a few bytes apart — loads, a
 * read-modify-write, stores, a compare, SETcc — probed once, with a load off
 * another base (RDX) among them; the last member loads RBX itself, so the
 * load after it, off the new RBX, is not the group's (RBX is set back for
 * the next run). */
IH_ASM(group_run, "mov rax, [rbx]\n add rax, [rbx + 16]\n mov rcx, [rdx]\n add [rbx + 8], rax\n"
		  " mov [rbx + 24], rcx\n cmp qword ptr [rbx + 16], 7\n setz byte ptr [rbx + 32]\n"
		  " mov rbx, [rbx + 40]\n mov rsi, [rbx]\n mov ebx, 0x200000\n");

/* Points linear page lin's entries of access kind `kind` in a's soft TLB at
 * the frame of RAM at host page `to` instead. */
static void tlb_misdirect(struct icpu *a, uint64_t lin, unsigned kind, uint64_t to)
{
	struct tlb_entry *e = a->cpu->tlb.e[0][kind][(lin >> 12) & (TLB_SIZE - 1)];

	for (unsigned w = 0; w < TLB_WAYS; w++)
		if (e[w].tag == lin)
			e[w].host_minus_linear = (uintptr_t)icpu_ptr(a, to, 4096) - lin;
}

/* Runs entry on a with the read entry of page 0x200000 in its soft TLB
 * pointed at a frame of zeros, and r stepped on b: the same registers show
 * that a's loads there went through a write probe (a group's, for writing
 * when a member writes). */
static void run_misdirected_as_stepping(struct icpu *a, struct icpu *b, const uint8_t *entry, const struct run *r)
{
	tlb_misdirect(a, 0x200000, ACC_READ, 0x280000);
	a->cpu->rip = b->cpu->rip = 0x1000;
	translate_enter(entry);
	for (unsigned i = 0; i < r->count; i++)
		assert_true(softcpu_step(b->cpu, &r->insns[i]));
	assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
}

static void test_probe_groups_run_as_stepping_does(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(group_run, IH_LEN(group_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		uint64_t fields[6] = { 5, 100, 7, 0, 0, 0x300000 };
		uint64_t root = pt_alloc(*p);

		/* The pointer's page maps elsewhere than its neighbours: a load
		 * through the fields' page would read gpa 0x700000 (zero). */
		pt_map(*p, PT_4LEVEL, root, 0x200000, 0x200000, 1, PTE_P | PTE_W);
		pt_map(*p, PT_4LEVEL, root, 0x210000, 0x210000, 1, PTE_P | PTE_W);
		pt_map(*p, PT_4LEVEL, root, 0x300000, 0x500000, 1, PTE_P | PTE_W);
		icpu_paging(*p, PT_4LEVEL, root, false);
		memcpy(icpu_ptr(*p, 0x200000, sizeof(fields)), fields, sizeof(fields));
		icpu_set(*p, 0x210000, 0x42, 8);
		icpu_set(*p, 0x500000, 0x99, 8);
		(*p)->cpu->gpr[GPR_RDX] = 0x210000;
		(*p)->cpu->gpr[GPR_RBX] = 0x200000;
	}
	entry = translate_ident(&cc, a, &r, group_run, &ident);
	assert_int_equal(ident, r.count);
	/* The first run misses (the core runs the group), the second hits. */
	run_twice_as_stepping(a, b, entry, &r, (const struct span[]){ { 0x200000, 64 } }, 1);
	/* By the SDM: RAX = 5 + 7; [rbx + 8] = 100 + 12 twice; [rbx + 24] =
	 * 0x42; CMP 7, 7 sets ZF: SETZ stores 1; RSI is what the loaded pointer
	 * points at. */
	assert_int_equal(a->cpu->gpr[GPR_RAX], 12);
	assert_int_equal(icpu_get(a, 0x200008, 8), 124);
	assert_int_equal(icpu_get(a, 0x200018, 8), 0x42);
	assert_int_equal(icpu_get(a, 0x200020, 1), 1);
	assert_int_equal(a->cpu->gpr[GPR_RSI], 0x99);
	/* The group's loads go through its one probe for writing: with the read
	 * entry of the fields' page pointed at another frame (0x280000, zeros),
	 * they still read the fields. Accesses probed one by one read zeros. */
	run_misdirected_as_stepping(a, b, entry, &r);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* An array walk: RDX moves by ADD, LEA, INC and SUB of constants between
 * the accesses off it, which still make one group (offsets 0 to 0x30 from
 * RDX at the first). */
IH_ASM(walk_run, "mov eax, [rdx + 0x38]\n mov ecx, [rdx + 4]\n add rdx, 4\n add eax, [rdx - 4]\n"
		 " lea rdx, [rdx + 8]\n add eax, [rdx + 0x10]\n inc rdx\n mov [rdx + 0x1f], eax\n sub rdx, 13\n");

static void test_a_probe_group_follows_its_moving_base(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(walk_run, IH_LEN(walk_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		for (uint32_t k = 0; k < 16; k++)
			icpu_set(*p, 0x200100 + 4 * k, k * 3 + 1, 4);
		(*p)->cpu->gpr[GPR_RDX] = 0x200100;
	}
	entry = translate_ident(&cc, a, &r, walk_run, &ident);
	assert_int_equal(ident, r.count);
	run_twice_as_stepping(a, b, entry, &r, (const struct span[]){ { 0x200100, 64 } }, 1);
	/* By the SDM, from dwords 3k + 1 at k: ECX = dword 1 = 4; the second
	 * round's EAX = dword 14 (43) + dword 0 (1) + dword 7 (22), stored at
	 * dword 11 (the first round stored 66 there too). */
	assert_int_equal(a->cpu->gpr[GPR_RCX], 4);
	assert_int_equal(a->cpu->gpr[GPR_RAX], 66);
	assert_int_equal(icpu_get(a, 0x200100 + 44, 4), 66);
	assert_int_equal(a->cpu->gpr[GPR_RDX], 0x200100);
	/* One probe, for writing: with the read entry of the page pointed at
	 * another frame (zeros), the loads still read the array. */
	run_misdirected_as_stepping(a, b, entry, &r);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* An array element read, changed and written back, off a base and a scaled
 * index (gzip's hash-table slide): one group, probed once for writing. The
 * store after the index moves is not the group's. */
IH_ASM(element_run, "movzx eax, word ptr [rsi + rcx * 2 + 0x100]\n cmp ax, di\n cmovb eax, edi\n"
		    " add ax, 0x100\n mov [rsi + rcx * 2 + 0x100], ax\n add rcx, 1\n"
		    " mov [rsi + rcx * 2 + 0x100], ax\n");

static void test_an_element_read_and_written_back_is_one_probe(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(element_run, IH_LEN(element_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		icpu_set(*p, 0x200106, 0x1234, 2);
		(*p)->cpu->gpr[GPR_RSI] = 0x200000;
		(*p)->cpu->gpr[GPR_RCX] = 3;
		(*p)->cpu->gpr[GPR_RDI] = 0x9000;
	}
	entry = translate_ident(&cc, a, &r, element_run, &ident);
	assert_int_equal(ident, r.count);
	run_twice_as_stepping(a, b, entry, &r, (const struct span[]){ { 0x200100, 16 } }, 1);
	/* By the SDM: round one, 0x1234 is below 0x9000, so EAX = 0x9000, plus
	 * 0x100, stored at words 3 and 4; round two (RCX 4), 0x9100 is not
	 * below: 0x9200 at words 4 and 5. */
	assert_int_equal(icpu_get(a, 0x200106, 2), 0x9100);
	assert_int_equal(icpu_get(a, 0x200108, 2), 0x9200);
	assert_int_equal(icpu_get(a, 0x20010a, 2), 0x9200);
	assert_int_equal(a->cpu->gpr[GPR_RCX], 5);
	/* The load goes through the group's write probe: with the page's read
	 * entry pointed at zeros it still reads 0x9200 (and EAX ends 0x9300);
	 * a probe of its own would read 0 (EAX 0x9100). */
	run_misdirected_as_stepping(a, b, entry, &r);
	assert_int_equal(a->cpu->gpr[GPR_RAX], 0x9300);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* A probe group in a run that uses every register: its delta goes in one the
 * run writes only later (R15 here). A load off another base between its
 * members misses the soft TLB on a fresh page each round: that slow path must
 * leave the delta alone (not reload R15's guest value) for the member after
 * it. */
IH_ASM(crowded_group_run, "mov eax, [rdx]\n mov ecx, [rsi]\n add eax, [rdx + 8]\n mov [rdx + 16], eax\n"
			  " mov rbx, 1\n mov rbp, 2\n mov rdi, 3\n mov r8, 4\n mov r9, 5\n mov r10, 6\n"
			  " mov r11, 7\n mov r12, 8\n mov r13, 9\n mov r14, 10\n mov r15, 11\n");

static void test_a_group_delta_in_a_crowded_run_survives_a_slow_path(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(crowded_group_run, IH_LEN(crowded_group_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		set_registers(*p);
		(*p)->cpu->gpr[GPR_RDX] = 0x200000;
		icpu_set(*p, 0x200000, 5, 4);
		icpu_set(*p, 0x200008, 37, 4);
		for (unsigned k = 0; k < 4; k++)
			icpu_set(*p, 0x210000 + 0x1000 * k, 100 + k, 4);
	}
	entry = translate_ident(&cc, a, &r, crowded_group_run, &ident);
	assert_int_equal(ident, r.count);
	for (unsigned round = 0; round < 4; round++) {
		uint64_t misses = a->cpu->tlb.misses;

		for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
			(*p)->cpu->rip = 0x1000;
			(*p)->cpu->gpr[GPR_RSI] = 0x210000 + 0x1000 * round;
			(*p)->cpu->gpr[GPR_R15] = 0x7777000000000000ull; /* no address */
		}
		translate_enter(entry);
		for (unsigned i = 0; i < r.count; i++)
			assert_true(softcpu_step(b->cpu, &r.insns[i]));
		assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
		assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
		assert_int_equal(icpu_get(a, 0x200010, 4), icpu_get(b, 0x200010, 4));
		if (round)
			assert_int_equal(a->cpu->tlb.misses, misses + 1); /* RSI's page only */
	}
	/* By the SDM: 5 + 37 stored; RCX from the last page. */
	assert_int_equal(icpu_get(a, 0x200010, 4), 42);
	assert_int_equal(a->cpu->gpr[GPR_RCX], 103);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* Memory operands at addresses the translation knows: RIP-relative (the first,
 * 7 bytes at 0x1000, reads 0x200010) and absolute, one of them crossing into
 * the next page (always the slow path). */
IH_ASM(known_address_run, "mov rax, [rip + 0x1ff009]\n mov rcx, qword ptr [0x200100]\n"
			  " add qword ptr [0x200108], rcx\n mov rdx, qword ptr [0x200ffc]\n");

/* Two pages of one TLB index (0x200000 and 0x300000) at known addresses:
 * after the first entry each sits in a way of its own, and the second entry
 * takes both inline (no miss); RIP-relative operands of code high in the
 * address space, whose pages do not fit an imm32, probe the same. */
IH_ASM(known_two_ways_run, "mov rax, qword ptr [0x200010]\n mov rcx, qword ptr [0x300020]\n add rax, rcx\n"
			   " mov qword ptr [0x200018], rax\n mov rdx, qword ptr [0x300028]\n");
IH_ASM(known_high_run, "mov rax, [rip + 0x1ff009]\n add [rip + 0x1ff00a], rax\n mov rcx, [rip + 0x2ff013]\n");

static void test_known_addresses_hit_in_either_way_and_high_up(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	const uint64_t high = 0x7f0000000000ull; /* the code runs at high + 0x1000 */
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(known_two_ways_run, IH_LEN(known_two_ways_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		icpu_set(*p, 0x200010, 0x1111, 8);
		icpu_set(*p, 0x300020, 0x2222, 8);
		icpu_set(*p, 0x300028, 0x3333, 8);
	}
	entry = translate_ident(&cc, a, &r, known_two_ways_run, &ident);
	run_twice_as_stepping(a, b, entry, &r, (const struct span[]){ { 0x200000, 64 }, { 0x300000, 64 } }, 2);
	assert_int_equal(icpu_get(a, 0x200018, 8), 0x3333);
	assert_int_equal(a->cpu->gpr[GPR_RDX], 0x3333);
	code_cache_destroy(&cc);
	/* High up: linear high + 0x200000 maps frame 0x200000, high + 0x300000
	 * frame 0x500000, so the two ways' entries hold different deltas. */
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(known_high_run, IH_LEN(known_high_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		uint64_t root = pt_alloc(*p);

		pt_map(*p, PT_4LEVEL, root, high + 0x200000, 0x200000, 1, PTE_P | PTE_W);
		pt_map(*p, PT_4LEVEL, root, high + 0x300000, 0x500000, 1, PTE_P | PTE_W);
		icpu_paging(*p, PT_4LEVEL, root, false);
		icpu_set(*p, 0x500028, 0x4444, 8);
		(*p)->cpu->gpr[GPR_RAX] = 0;
	}
	entry = translate_ident_at(&cc, a, &r, known_high_run, &ident, high + 0x1000);
	for (unsigned round = 0; round < 2; round++) {
		uint64_t misses = a->cpu->tlb.misses;

		a->cpu->rip = b->cpu->rip = high + 0x1000;
		translate_enter(entry);
		for (unsigned i = 0; i < r.count; i++)
			assert_true(softcpu_step(b->cpu, &r.insns[i]));
		assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
		assert_memory_equal(icpu_ptr(a, 0x200000, 64), icpu_ptr(b, 0x200000, 64), 64);
		if (round == 1)
			assert_int_equal(a->cpu->tlb.misses, misses);
	}
	/* [high + 0x200010] = 0x1111, added onto [high + 0x200018] twice;
	 * RCX from [high + 0x300028], frame 0x500000. */
	assert_int_equal(a->cpu->gpr[GPR_RAX], 0x1111);
	assert_int_equal(icpu_get(a, 0x200018, 8), 0x3333 + 2 * 0x1111);
	assert_int_equal(a->cpu->gpr[GPR_RCX], 0x4444);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

static void test_known_addresses_probe_as_stepping_does(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(known_address_run, IH_LEN(known_address_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		icpu_set(*p, 0x200010, 0x1111, 8);
		icpu_set(*p, 0x200100, 0x2222, 8);
		icpu_set(*p, 0x200108, 0x3333, 8);
		icpu_set(*p, 0x200ffc, 0x44444444, 4);
		icpu_set(*p, 0x201000, 0x55555555, 4);
	}
	entry = translate_ident(&cc, a, &r, known_address_run, &ident);
	assert_int_equal(ident, r.count);
	/* (Not run_twice_as_stepping: the core counts a TLB miss for each
	 * access that crosses a page.) */
	for (unsigned round = 0; round < 2; round++) {
		a->cpu->rip = b->cpu->rip = 0x1000;
		translate_enter(entry);
		for (unsigned i = 0; i < r.count; i++)
			assert_true(softcpu_step(b->cpu, &r.insns[i]));
		assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
		assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
		assert_memory_equal(icpu_ptr(a, 0x200000, 0x1010), icpu_ptr(b, 0x200000, 0x1010), 0x1010);
	}
	assert_int_equal(a->cpu->gpr[GPR_RAX], 0x1111);
	assert_int_equal(icpu_get(a, 0x200108, 8), 0x3333 + 2 * 0x2222);
	assert_int_equal(a->cpu->gpr[GPR_RDX], 0x5555555544444444ull);
	/* The loads in the page take the soft TLB's entry inline: with the
	 * page's read entry pointed at a frame of zeros, they read zeros; the
	 * crossing one goes through the core, which splits it at the page
	 * boundary: its first four bytes through that entry (zeros), the rest
	 * from the next page. Taken inline, all eight would be zeros. */
	tlb_misdirect(a, 0x200000, ACC_READ, 0x280000);
	a->cpu->rip = 0x1000;
	translate_enter(entry);
	assert_int_equal(a->cpu->gpr[GPR_RAX], 0);
	assert_int_equal(a->cpu->gpr[GPR_RCX], 0);
	assert_int_equal(a->cpu->gpr[GPR_RDX], 0x5555555500000000ull);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* A group whose span crosses into a read-only page, and one inside it: the
 * probe misses, and the core runs the group one instruction at a time, so
 * the load happens and the store faults (#PF, present and write: error 3)
 * at its own RIP with CR2 its address, as when stepped. */
IH_ASM(group_fault_run, "mov rax, [rbx]\n add rax, 1\n mov [rbx + 8], rax\n inc rcx");

/* A probe group whose accesses straddle two pages always misses, and its
 * slow path runs it in the core: after that it tells the engine
 * (group_straddled) with the leader and how many instructions the core ran,
 * and when the engine says it dropped the block, the code leaves with the
 * state as after the group. A leader in no_group leads no group (and the
 * hook is not called); a group within one page does not call it. */
IH_ASM(straddle_run, "mov rax, [rbx]\n add rax, [rbx + 16]\n mov [rbx + 8], rax\n inc rcx\n");

static struct {
	unsigned calls, index, count;
	bool answer;
} straddled;

static bool note_straddle(void *ctx, const struct insn *leader, unsigned count)
{
	(void)ctx;
	straddled.calls++;
	straddled.index = leader->index;
	straddled.count = count;
	return straddled.answer;
}

static const uint8_t *translate_straddle(struct code_cache *cc, struct icpu *h, const struct run *r, uint64_t no_group,
					 const uint8_t *code)
{
	const struct translate_env env = {
		.ctx = h->cpu,
		.callout = callout_step,
		.code = { { .lin = 0x1000, .host = code } },
		.ncode = 1,
		.cpu = h->cpu,
		.lin = 0x1000,
		.no_group = no_group,
		.group_straddled = note_straddle,
	};
	const uint8_t *entry;

	assert_int_equal(syscall(SYS_arch_prctl, ARCH_SET_GS, h->cpu), 0); /* the code finds h's CPU there */
	entry = translate_run(cc, &env, r->insns, r->count, &(unsigned){ 0 });
	assert_non_null(entry);
	code_cache_serialize(cc);
	return entry;
}

/* One entry with RBX = rbx, against the core stepping `steps` instructions. */
static void enter_straddle(struct icpu *a, struct icpu *b, const uint8_t *entry, const struct run *r, uint64_t rbx,
			   unsigned steps)
{
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		set_registers(*p);
		(*p)->cpu->gpr[GPR_RBX] = rbx;
		(*p)->cpu->rip = 0x1000;
		(*p)->cpu->icount = 0;
		icpu_set(*p, rbx, 0x11, 8);
		icpu_set(*p, rbx + 16, 0x22, 8);
	}
	translate_enter(entry);
	for (unsigned i = 0; i < steps; i++)
		assert_true(softcpu_step(b->cpu, &r->insns[i]));
	assert_int_equal(a->cpu->rip, b->cpu->rip);
	assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
	assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
	assert_int_equal(a->cpu->icount, b->cpu->icount);
	assert_int_equal(icpu_get(a, rbx + 8, 8), 0x11 + 0x22);
}

static void test_a_straddling_group_tells_the_engine_and_can_leave(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry, *ungrouped;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(straddle_run, IH_LEN(straddle_run), &r);
	entry = translate_straddle(&cc, a, &r, 0, straddle_run);
	/* [rbx + 16] on the next page: the engine is told, every entry. */
	straddled = (typeof(straddled)){ .answer = false };
	enter_straddle(a, b, entry, &r, 0x200ff0, r.count);
	enter_straddle(a, b, entry, &r, 0x200ff0, r.count);
	assert_int_equal(straddled.calls, 2);
	assert_int_equal(straddled.index, 0);
	assert_int_equal(straddled.count, 3);
	/* Within one page: a miss, then hits; never told. */
	straddled.calls = 0;
	enter_straddle(a, b, entry, &r, 0x200800, r.count);
	enter_straddle(a, b, entry, &r, 0x200800, r.count);
	assert_int_equal(straddled.calls, 0);
	/* The engine dropped the block: out after the group, INC not run. */
	straddled.answer = true;
	enter_straddle(a, b, entry, &r, 0x200ff0, 3);
	assert_int_equal(straddled.calls, 1);
	/* Translated with the group's instructions barred from leading one, as
	 * the engine bars them: no group, no call. */
	ungrouped = translate_straddle(&cc, a, &r, 0x7, straddle_run);
	straddled.calls = 0;
	enter_straddle(a, b, ungrouped, &r, 0x200ff0, r.count);
	enter_straddle(a, b, ungrouped, &r, 0x200ff0, r.count);
	assert_int_equal(straddled.calls, 0);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* The same off a base and an index: the span starts at RBX + RDX * 8, so
 * the engine is told only where that, not RBX, lies near a page's end. */
IH_ASM(indexed_straddle_run, "mov rax, [rbx + rdx * 8]\n add rax, [rbx + rdx * 8 + 16]\n"
			     " mov [rbx + rdx * 8 + 8], rax\n inc rcx\n");

static void test_an_indexed_group_is_told_where_its_elements_straddle(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(indexed_straddle_run, IH_LEN(indexed_straddle_run), &r);
	entry = translate_straddle(&cc, a, &r, 0, indexed_straddle_run);
	straddled = (typeof(straddled)){ .answer = false };
	for (unsigned k = 0; k < 2; k++) {
		/* RBX within a page, the elements at 0x200ff0: across. Then RBX
		 * near a page's end, the elements within the next. */
		const uint64_t rbx = k ? 0x200ff8 : 0x200f00, rdx = k ? 0x101 : 0x1e, at = rbx + rdx * 8;

		for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
			set_registers(*p);
			(*p)->cpu->gpr[GPR_RBX] = rbx;
			(*p)->cpu->gpr[GPR_RDX] = rdx;
			(*p)->cpu->rip = 0x1000;
			(*p)->cpu->icount = 0;
			icpu_set(*p, at, 0x11, 8);
			icpu_set(*p, at + 16, 0x22, 8);
		}
		translate_enter(entry);
		for (unsigned i = 0; i < r.count; i++)
			assert_true(softcpu_step(b->cpu, &r.insns[i]));
		assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
		assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
		assert_int_equal(icpu_get(a, at + 8, 8), 0x33);
		assert_int_equal(straddled.calls, 1);
	}
	assert_int_equal(straddled.index, 0);
	assert_int_equal(straddled.count, 3);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

static void test_a_probe_group_faults_at_its_member(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(group_fault_run, IH_LEN(group_fault_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		uint64_t root = pt_alloc(*p);

		pt_map(*p, PT_4LEVEL, root, 0x400000, 0x400000, 1, PTE_P | PTE_W);
		pt_map(*p, PT_4LEVEL, root, 0x401000, 0x401000, 1, PTE_P);
		icpu_paging(*p, PT_4LEVEL, root, false);
		icpu_set(*p, 0x400ff8, 41, 8);
		icpu_set(*p, 0x401000, 9, 8);
	}
	entry = translate_ident(&cc, a, &r, group_fault_run, &ident);
	assert_int_equal(ident, r.count);
	for (unsigned c = 0; c < 2; c++) {
		uint64_t base = c == 0 ? 0x400ff8 : 0x401000;

		for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
			(*p)->cpu->gpr[GPR_RBX] = base;
			(*p)->cpu->gpr[GPR_RAX] = 0;
			(*p)->cpu->rip = 0x1000;
			(*p)->cpu->icount = 0;
		}
		both_fault_alike(a, b, entry, &r, EXC_PF);
		assert_int_equal(a->cpu->exc_error, PFEC_P | PFEC_W);
		assert_int_equal(a->cpu->cr2, base + 8);
		assert_int_equal(a->cpu->rip, 0x1000 + 3 + 4); /* at the store */
		assert_int_equal(a->cpu->icount, 2);
		assert_int_equal(a->cpu->gpr[GPR_RAX], (c == 0 ? 41 : 9) + 1);
	}
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* A compare of registers sets the flags a probe then clobbers: the probe's
 * slow path and the main line after it run the compare again instead of
 * saving the flags (flags_recipe). Every register is live, so the probe
 * borrows scratch registers: never the compare's (RCX, RDX), whose values
 * the slow path's compare needs. ADC reads the compare's CF after the load. */
IH_ASM(recipe_run, "add rax, r8\n add rbp, r9\n add r10, r11\n add r12, r13\n add r14, r15\n xor rsi, rdi\n"
		   " cmp rcx, rdx\n mov rax, [rbx]\n adc rax, rcx\n mov [rbx + 8], rdx\n add rcx, r12\n"
		   " add rdx, r14\n add rsi, r10\n add rbp, r8\n add r9, r11\n add r13, r15\n add rdi, rax\n");

static void test_a_compare_runs_again_where_a_probe_clobbers_its_flags(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(recipe_run, IH_LEN(recipe_run), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		uint64_t root = pt_alloc(*p);

		pt_map(*p, PT_4LEVEL, root, 0x400000, 0x400000, 1, PTE_P | PTE_W);
		icpu_paging(*p, PT_4LEVEL, root, false);
		icpu_set(*p, 0x400000, 40, 8);
	}
	entry = translate_ident(&cc, a, &r, recipe_run, &ident);
	assert_int_equal(ident, r.count);
	for (unsigned round = 0; round < 3; round++) {
		for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
			set_registers(*p);
			(*p)->cpu->gpr[GPR_RCX] = 1;
			(*p)->cpu->gpr[GPR_RDX] = 2;
			/* A miss, a hit, then a page that is not there. */
			(*p)->cpu->gpr[GPR_RBX] = round < 2 ? 0x400000 : 0x500000;
			(*p)->cpu->rip = 0x1000;
			(*p)->cpu->icount = 0;
		}
		if (round == 2) {
			both_fault_alike(a, b, entry, &r, EXC_PF);
			assert_int_equal(a->cpu->cr2, 0x500000);
			/* CMP 1, 2 (SDM): a borrow (CF), out of bit 4 too (AF),
			 * 0xff..ff: SF, and PF (eight ones); not ZF, not OF. */
			assert_int_equal(flags_get(a->cpu) & RFLAGS_ARITH_MASK,
					 RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_SF);
			break;
		}
		translate_enter(entry);
		for (unsigned i = 0; i < r.count; i++)
			assert_true(softcpu_step(b->cpu, &r.insns[i]));
		assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
		assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
		/* ADC 40 + RCX (1) + CF (1); RDX stored. */
		assert_int_equal(a->cpu->gpr[GPR_RAX], 42);
		assert_int_equal(icpu_get(a, 0x400008, 8), 2);
		assert_int_equal(a->cpu->gpr[GPR_RCX], 1 + a->cpu->gpr[GPR_R12]);
	}
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* A group leader's slow path runs every instruction up to its last member in
 * the core, so the probes of memory operands off other bases in between do
 * not run: the flags they would have saved must still reach what follows.
 * CMP sets CF, the leader's probe saves CMP's flags, INC rewrites all but CF,
 * the load in between (its own probe, the flags dead after it) keeps the
 * merged copy only in cpu->saved_flags, and the run's end and the last load
 * read them from there: INC's flags with CMP's CF, on a miss (the first
 * round) as on a hit. A stack group (PUSH ... POP) and a group off RBX. */
IH_ASM(stack_group_flags_run, "cmp rax, rbx\n push rax\n inc rdi\n mov rdx, [rsi]\n pop rcx\n mov r8, [r9]");
IH_ASM(group_flags_run, "cmp rax, rbx\n mov rdx, [rbx]\n inc rdi\n mov r10, [rsi]\n mov [rbx + 8], rdx\n"
			" mov r8, [r9]");

static void check_group_flags(const uint8_t *code, size_t len)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(code, len, &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		(*p)->cpu->gpr[GPR_RAX] = 1;
		(*p)->cpu->gpr[GPR_RBX] = 0x200000; /* 1 - 0x200000 borrows: CF */
		(*p)->cpu->gpr[GPR_RSI] = 0x210000;
		(*p)->cpu->gpr[GPR_R9] = 0x220000;
		(*p)->cpu->gpr[GPR_RSP] = 0x300000;
	}
	entry = translate_ident(&cc, a, &r, code, &ident);
	assert_int_equal(ident, r.count);
	for (unsigned round = 0; round < 2; round++) {
		a->cpu->gpr[GPR_RDI] = b->cpu->gpr[GPR_RDI] = 0x7fffffffffffffffull; /* INC: OF, SF */
		a->cpu->gpr[GPR_RSP] = b->cpu->gpr[GPR_RSP] = 0x300000;
		a->cpu->rip = b->cpu->rip = 0x1000;
		translate_enter(entry);
		for (unsigned i = 0; i < r.count; i++)
			assert_true(softcpu_step(b->cpu, &r.insns[i]));
		assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
		/* By the SDM: CF from CMP; INC of 0x7fff...f: OF, SF, AF, PF. */
		assert_int_equal(flags_get(a->cpu) & RFLAGS_ARITH_MASK,
				 RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF);
		assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
	}
	/* The last load faults (#GP: not canonical) after a miss of the leader:
	 * its slow path finds the same flags. */
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		tlb_flush((*p)->cpu, false);
		(*p)->cpu->gpr[GPR_RDI] = 0x7fffffffffffffffull;
		(*p)->cpu->gpr[GPR_RSP] = 0x300000;
		(*p)->cpu->gpr[GPR_R9] = 0x8000000000000000ull;
		(*p)->cpu->rip = 0x1000;
	}
	both_fault_alike(a, b, entry, &r, EXC_GP);
	assert_int_equal(flags_get(a->cpu) & RFLAGS_ARITH_MASK,
			 RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

static void test_flags_saved_between_a_group_leader_and_its_last_member_survive_its_slow_path(void **state)
{
	(void)state;
	check_group_flags(stack_group_flags_run, IH_LEN(stack_group_flags_run));
	check_group_flags(group_flags_run, IH_LEN(group_flags_run));
}

/* LEA from RSP and RIP at every operand size: computed, never accessed. */
IH_ASM(lea_run, "lea rax, [rsp + rbx * 2 + 8]\n lea ecx, [rip + 0x100]\n lea dx, [rsp - 4]\n lea r9, [rip - 7]");

static void test_lea_from_rsp_and_rip_runs_as_stepping_does(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(lea_run, IH_LEN(lea_run), &r);
	set_registers(a);
	set_registers(b);
	entry = translate_ident(&cc, a, &r, lea_run, &ident);
	assert_int_equal(ident, r.count);
	translate_enter(entry);
	for (unsigned i = 0; i < r.count; i++)
		assert_true(softcpu_step(b->cpu, &r.insns[i]));
	assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
	assert_int_equal(a->cpu->rip, b->cpu->rip);
	/* By the SDM: RSP 0x8000 + RBX * 2 + 8; RIP-relative from the end of each
	 * LEA (0x1000 + 5 + 6 and + 5 + 6 + 5 + 7), the 32-bit one zero-extended;
	 * the 16-bit one keeps RDX's upper 48 bits. */
	assert_int_equal(a->cpu->gpr[GPR_RAX], 0x8000 + b->cpu->gpr[GPR_RBX] * 2 + 8);
	assert_int_equal(a->cpu->gpr[GPR_RCX], 0x1000 + 5 + 6 + 0x100);
	assert_int_equal(a->cpu->gpr[GPR_RDX] & 0xffff, 0x8000 - 4);
	assert_int_equal(a->cpu->gpr[GPR_R9], 0x1000 + 5 + 6 + 5 + 7 - 7);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* RSP as a register operand, renamed to a scratch register: read, written,
 * both, at 64 and 32 bits, with the flags ADD, SUB and AND leave. */
IH_ASM(rsp_run, "sub rsp, 0x28\n mov rbp, rsp\n add rsp, rbx\n mov rax, rsp\n and rsp, -16\n"
		" setc cl\n mov esp, esp\n cmp rsp, rdx");

static void test_rsp_as_a_register_runs_as_stepping_does(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(rsp_run, IH_LEN(rsp_run), &r);
	set_registers(a);
	set_registers(b);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		(*p)->cpu->gpr[GPR_RSP] = 0xffff800000008008ull;
		(*p)->cpu->gpr[GPR_RBX] = 0x18;
	}
	entry = translate_ident(&cc, a, &r, rsp_run, &ident);
	assert_int_equal(ident, r.count);
	translate_enter(entry);
	for (unsigned i = 0; i < r.count; i++)
		assert_true(softcpu_step(b->cpu, &r.insns[i]));
	assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
	assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
	/* By the SDM: RBP = RSP - 0x28, RAX = that + 0x18; AND -16 clears CF;
	 * MOV ESP, ESP zero-extends the low half. */
	assert_int_equal(a->cpu->gpr[GPR_RBP], 0xffff800000008008ull - 0x28);
	assert_int_equal(a->cpu->gpr[GPR_RAX], 0xffff800000008008ull - 0x28 + 0x18);
	assert_int_equal(a->cpu->gpr[GPR_RCX] & 0xff, 0);
	assert_int_equal(a->cpu->gpr[GPR_RSP], (0xffff800000008008ull - 0x28 + 0x18) & ~15ull & 0xffffffffull);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* RSP held in a host register through a run (translate.c, plan_rsp): PUSHes
 * and POPs, an explicit [RSP + 8], RSP as a register operand, LEA from it; a
 * load off another base between them. The first round misses: the stack
 * group's slow path runs its members in the core, which moves RSP, and the
 * main line goes on from there (SUB RSP). The same with every other register
 * in use, where RSP stays in the soft CPU. */
IH_ASM(rsp_held_run, "push rax\n push rbx\n mov rcx, [rdx]\n add rcx, 1\n mov [rsp + 8], rcx\n pop rsi\n"
		     " sub rsp, 24\n push rcx\n mov rdi, rsp\n lea r8, [rsp + 8]\n mov r9, [rsp + 8]\n mov r10d, esp");
IH_ASM(rsp_crowded_run,
       "add r11, r12\n add r13, r14\n add r15, rbp\n add r8, r9\n add r10, rbx\n add rsi, rdi\n"
       "push rax\n push rbx\n mov rcx, [rdx]\n add rcx, 1\n mov [rsp + 8], rcx\n pop rsi\n"
       " sub rsp, 24\n push rcx\n mov rdi, rsp\n lea r8, [rsp + 8]\n mov r9, [rsp + 8]\n mov r10d, esp");

static void check_rsp_held(const uint8_t *code, size_t len)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(code, len, &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		(*p)->cpu->gpr[GPR_RAX] = 0x1111;
		(*p)->cpu->gpr[GPR_RBX] = 0x2222;
		(*p)->cpu->gpr[GPR_RDX] = 0x310000;
		icpu_set(*p, 0x310000, 0x4440, 8);
	}
	entry = translate_ident(&cc, a, &r, code, &ident);
	assert_int_equal(ident, r.count);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++)
		(*p)->cpu->gpr[GPR_RSP] = 0x300000;
	run_twice_as_stepping(a, b, entry, &r, (const struct span[]){ { 0x300000 - 128, 128 } }, 1);
	/* By the SDM, each round moves RSP by -8 -8 +8 -24 -8: 40 down. */
	assert_int_equal(a->cpu->gpr[GPR_RSP], 0x300000 - 2 * 40);
	assert_int_equal(a->cpu->gpr[GPR_RDI], 0x300000 - 2 * 40);
	assert_int_equal(a->cpu->gpr[GPR_R8], 0x300000 - 2 * 40 + 8);
	assert_int_equal(a->cpu->gpr[GPR_R10], 0x300000 - 2 * 40);
	/* A fault on the load off RDX, with the stack's page in the soft TLB:
	 * the CPU as at the load, RSP 16 below where the round began. */
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		(*p)->cpu->gpr[GPR_RSP] = 0x300000;
		(*p)->cpu->gpr[GPR_RDX] = 0x0000800000000000ull;
		(*p)->cpu->rip = 0x1000;
	}
	both_fault_alike(a, b, entry, &r, EXC_GP);
	assert_int_equal(a->cpu->gpr[GPR_RSP], 0x300000 - 16);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

static void test_rsp_held_in_a_host_register_survives_slow_paths_and_faults(void **state)
{
	(void)state;
	check_rsp_held(rsp_held_run, IH_LEN(rsp_held_run));
	check_rsp_held(rsp_crowded_run, IH_LEN(rsp_crowded_run));
}

/* A CALL and its RET followed inline (decode_run's INSN_FOLLOWED), the
 * callee adding RBX to its return address: 0 returns where the CALL was
 * predicted to, 4 past the ADD after it, elsewhere (emit_ret_elsewhere). */
static const uint8_t followed_code[] = {
	0xe8, 0x10, 0x00, 0x00, 0x00,			      // 0x1000 call 0x1015
	0x48, 0x83, 0xc0, 0x07,				      // 0x1005 add rax, 7
	0x48, 0xff, 0xc1,				      // 0x1009 inc rcx
	0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, // 0x100c
	0x48, 0x01, 0x1c, 0x24,				      // 0x1015 add [rsp], rbx
	0xc3,						      // 0x1019 ret
};

/* The trace decode_run makes of followed_code: CALL, the callee, RET, then
 * the two instructions after the CALL. */
static void decode_followed(struct run *r)
{
	static const unsigned at[] = { 0x00, 0x15, 0x19, 0x05, 0x09 };

	r->count = 0;
	for (unsigned k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		bool ends;

		assert_int_equal(decode_insn(cpu_model_find("baseline"), MODE_LONG64, followed_code + at[k],
					     sizeof(followed_code) - at[k], &r->insns[r->count], &ends),
				 DECODE_INSN);
		r->count++;
	}
	r->insns[0].flags |= INSN_FOLLOWED;
	r->insns[0].op[1].imm = 0x1015 - 0x1005;
	r->insns[2].flags |= INSN_FOLLOWED;
	r->insns[2].op[1].imm = (uint64_t)0x1005 - 0x101a;
}

static void test_a_followed_ret_goes_on_or_elsewhere_as_stepping_does(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_followed(&r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		(*p)->cpu->gpr[GPR_RSP] = 0x300000;
		(*p)->cpu->gpr[GPR_RBX] = 0;
	}
	entry = translate_ident(&cc, a, &r, followed_code, &ident);
	assert_int_equal(ident, r.count);
	/* Returning where predicted: the whole trace, a miss then a hit. */
	run_twice_as_stepping(a, b, entry, &r, (const struct span[]){ { 0x300000 - 64, 64 } }, 1);
	assert_int_equal(a->cpu->gpr[GPR_RAX], 14);
	assert_int_equal(a->cpu->gpr[GPR_RSP], 0x300000);
	/* Elsewhere (the TLB warm): RIP where the stack said, RSP past the
	 * return address, nothing after the RET run. */
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		(*p)->cpu->gpr[GPR_RBX] = 4;
		(*p)->cpu->rip = 0x1000;
	}
	translate_enter(entry);
	assert_true(softcpu_step(b->cpu, &r.insns[0]));
	assert_true(softcpu_step(b->cpu, &r.insns[1]));
	assert_false(softcpu_step(b->cpu, &r.insns[2])); /* the core's RET leaves: not where predicted */
	assert_int_equal(a->cpu->rip, 0x1009);
	assert_int_equal(b->cpu->rip, 0x1009);
	assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
	assert_int_equal(a->cpu->gpr[GPR_RAX], 14);
	assert_int_equal(a->cpu->gpr[GPR_RSP], 0x300000);
	assert_int_equal(a->cpu->icount, b->cpu->icount);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* A loop whose stack accesses sit at the same offsets from RSP every round
 * (translate.c, plan_hoisted_stack): probed once as the run starts. Where
 * that probe misses — the soft TLB cold, or the accesses across two pages
 * (RSP at 0x300000: 8 below it to 24 above) — the run's cold copy probes
 * every round; else each round runs inline, or one when kicked. */
IH_ASM(loop_stack, "1: push rcx\n mov rax, [rsp + 16]\n add rax, rcx\n pop rdx\n mov [rsp + 8], rax\n"
		   " mov [rbx + rcx * 8], rdx\n dec rcx\n jnz 1b");

static void enter_stack_loop_both(struct icpu *a, struct icpu *b, const uint8_t *entry, const struct run *r,
				  uint64_t rsp, bool kicked)
{
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		set_registers(*p);
		(*p)->cpu->gpr[GPR_RSP] = rsp;
		(*p)->cpu->gpr[GPR_RBX] = 0x200200;
		(*p)->cpu->gpr[GPR_RCX] = 5;
		(*p)->cpu->rip = 0x1000;
		(*p)->cpu->icount = 0;
		memset(icpu_ptr(*p, rsp - 64, 128), 0x11, 128);
		memset(icpu_ptr(*p, 0x200200, 64), 0xee, 64);
	}
	a->cpu->kicked = kicked;
	translate_enter(entry);
	a->cpu->kicked = false;
	step_while_inside(b, r, kicked);
	assert_int_equal(a->cpu->rip, b->cpu->rip);
	assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
	assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
	assert_int_equal(a->cpu->icount, b->cpu->icount);
	assert_memory_equal(icpu_ptr(a, rsp - 64, 128), icpu_ptr(b, rsp - 64, 128), 128);
	assert_memory_equal(icpu_ptr(a, 0x200200, 64), icpu_ptr(b, 0x200200, 64), 64);
	if (!kicked) {
		assert_int_equal(a->cpu->rip, 0x1000 + IH_LEN(loop_stack));
		assert_int_equal(a->cpu->gpr[GPR_RSP], rsp);
		assert_int_equal(a->cpu->icount, 5 * r->count);
		/* By the SDM: RDX is RCX pushed and popped, stored at RBX + RCX * 8. */
		assert_int_equal(icpu_get(a, 0x200200 + 8, 8), 1);
	}
}

static void test_a_loop_probes_its_stack_once(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(loop_stack, IH_LEN(loop_stack), &r);
	entry = translate_ident(&cc, a, &r, loop_stack, &ident);
	assert_int_equal(ident, r.count);
	enter_stack_loop_both(a, b, entry, &r, 0x300000, false); /* across two pages: the cold copy */
	enter_stack_loop_both(a, b, entry, &r, 0x300800, false); /* warm: once */
	enter_stack_loop_both(a, b, entry, &r, 0x300800, true);
	tlb_flush(a->cpu, false);
	enter_stack_loop_both(a, b, entry, &r, 0x300800, false); /* cold: the cold copy */
	enter_stack_loop_both(a, b, entry, &r, 0x300800, false);
	/* The stack's page in the soft TLB, the array's not: a slow path in
	 * the loop, the delta held across it. */
	tlb_flush_page(a->cpu, 0x200000);
	enter_stack_loop_both(a, b, entry, &r, 0x300800, false);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* A loop's table lookup off an unchanged base, its index a byte (a CRC):
 * probed once as the run starts, for all 256 entries (translate.c,
 * plan_hoisted_table). The table at TABLE_LIN in pages that map apart:
 * entries from TABLE_SPLIT on lie in another frame than the one after the
 * first page, so a probe that covered fewer entries than the index reaches
 * would read there wrongly; as it is, the probe misses and the run's cold
 * copy probes every round. */
IH_ASM(loop_table, "1: mov dil, [rsi]\n inc rsi\n xor edi, eax\n shr eax, 8\n movzx edi, dil\n"
		   " xor eax, [rcx + rdi * 4]\n dec rdx\n jnz 1b");
#define TABLE_LIN 0x400000ull
#define TABLE_SPLIT 0x401000ull

static uint32_t table_entry(unsigned k)
{
	return (uint32_t)(k * 0x9e3779b1u ^ 0x5a5a0000u);
}

static void enter_table_loop_both(struct icpu *a, struct icpu *b, const uint8_t *entry, const struct run *r,
				  uint64_t table, bool kicked)
{
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		set_registers(*p);
		(*p)->cpu->gpr[GPR_RAX] = 0xffffffff;
		(*p)->cpu->gpr[GPR_RCX] = table;
		(*p)->cpu->gpr[GPR_RSI] = 0x200ff8; /* the bytes cross a page: a slow path in the loop */
		(*p)->cpu->gpr[GPR_RDX] = 16;
		(*p)->cpu->rip = 0x1000;
		(*p)->cpu->icount = 0;
	}
	a->cpu->kicked = kicked;
	translate_enter(entry);
	a->cpu->kicked = false;
	step_while_inside(b, r, kicked);
	assert_int_equal(a->cpu->rip, b->cpu->rip);
	assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
	assert_int_equal(flags_get(a->cpu), flags_get(b->cpu));
	assert_int_equal(a->cpu->icount, b->cpu->icount);
	if (!kicked)
		assert_int_equal(a->cpu->gpr[GPR_RSI], 0x200ff8 + 16);
}

static void test_a_loop_probes_its_table_once(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *entry;
	unsigned ident = 0;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(loop_table, IH_LEN(loop_table), &r);
	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
		uint64_t root = pt_alloc(*p);

		pt_map(*p, PT_4LEVEL, root, 0x200000, 0x200000, 2, PTE_P | PTE_W);
		pt_map(*p, PT_4LEVEL, root, TABLE_LIN, TABLE_LIN, 1, PTE_P | PTE_W);
		pt_map(*p, PT_4LEVEL, root, TABLE_SPLIT, 0x600000, 1, PTE_P | PTE_W);
		icpu_paging(*p, PT_4LEVEL, root, false);
		for (unsigned k = 0; k < 32; k++)
			icpu_set(*p, 0x200ff8 + k, k * 37 + 11, 1);
		/* The table twice: in one page, and across the split. */
		for (unsigned k = 0; k < 256; k++) {
			uint64_t across = TABLE_SPLIT - 0x200 + 4 * k;

			icpu_set(*p, TABLE_LIN + 4 * k, table_entry(k), 4);
			icpu_set(*p, across < TABLE_SPLIT ? across : across - TABLE_SPLIT + 0x600000, table_entry(k),
				 4);
		}
	}
	entry = translate_ident(&cc, a, &r, loop_table, &ident);
	assert_int_equal(ident, r.count);
	enter_table_loop_both(a, b, entry, &r, TABLE_LIN, false); /* cold: the cold copy */
	enter_table_loop_both(a, b, entry, &r, TABLE_LIN, false); /* warm: probed once */
	enter_table_loop_both(a, b, entry, &r, TABLE_LIN, true);
	enter_table_loop_both(a, b, entry, &r, TABLE_SPLIT - 0x200, false); /* across: the cold copy */
	enter_table_loop_both(a, b, entry, &r, TABLE_SPLIT - 0x200, false);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* CALL rel32 and RET run inline on a TLB hit (translate.c, emit_call_ret_end). */
IH_ASM(call_run, "inc rax\n call .+0x40");
IH_ASM(ret_run, "add rbx, 1\n ret 16");

/* Runs the translation of r at RIP 0x1000 on a and steps it on b, twice (a
 * miss, then a hit): the same registers, RIP, count and stack. */
static void run_both_ways(struct icpu *a, struct icpu *b, const uint8_t *entry, const struct run *r)
{
	for (unsigned round = 0; round < 2; round++) {
		uint64_t misses = a->cpu->tlb.misses;

		for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++) {
			(*p)->cpu->rip = 0x1000;
			(*p)->cpu->gpr[GPR_RSP] = 0x300000;
			(*p)->cpu->icount = 0;
		}
		translate_enter(entry);
		for (unsigned i = 0; i < r->count; i++)
			assert_true(softcpu_step(b->cpu, &r->insns[i]));
		assert_memory_equal(a->cpu->gpr, b->cpu->gpr, sizeof(a->cpu->gpr));
		assert_int_equal(a->cpu->rip, b->cpu->rip);
		assert_int_equal(a->cpu->icount, b->cpu->icount);
		assert_memory_equal(icpu_ptr(a, 0x300000 - 64, 128), icpu_ptr(b, 0x300000 - 64, 128), 128);
		if (round == 1)
			assert_int_equal(a->cpu->tlb.misses, misses);
	}
}

static void test_call_and_ret_run_as_stepping_does(void **state)
{
	struct icpu *a = long_mode_cpu(), *b = long_mode_cpu();
	struct code_cache cc;
	const uint8_t *call, *ret;
	unsigned ident = 0;
	struct run rc, rr;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(call_run, IH_LEN(call_run), &rc);
	decode_all(ret_run, IH_LEN(ret_run), &rr);
	call = translate_ident(&cc, a, &rc, call_run, &ident);
	assert_int_equal(ident, rc.count);
	ret = translate_ident(&cc, a, &rr, ret_run, &ident);
	assert_int_equal(ident, rr.count);

	run_both_ways(a, b, call, &rc);
	/* By the SDM: the return address is the CALL's end (3 + 5 bytes on), the
	 * target that plus rel32 (0x40 - 5), RSP 8 lower. */
	assert_int_equal(a->cpu->rip, 0x1003 + 0x40);
	assert_int_equal(a->cpu->gpr[GPR_RSP], 0x300000 - 8);
	assert_int_equal(*(uint64_t *)icpu_ptr(a, 0x300000 - 8, 8), 0x1008);

	for (struct icpu **p = (struct icpu *[]){ a, b, NULL }; *p; p++)
		*(uint64_t *)icpu_ptr(*p, 0x300000, 8) = 0x7fffdeadbee0ull;
	run_both_ways(a, b, ret, &rr);
	/* RET 16 pops the return address, then 16 more bytes. */
	assert_int_equal(a->cpu->rip, 0x7fffdeadbee0ull);
	assert_int_equal(a->cpu->gpr[GPR_RSP], 0x300000 + 8 + 16);

	/* A return address that is not canonical: #GP(0) with the state as at
	 * the RET (its ADD done, RSP unchanged). */
	*(uint64_t *)icpu_ptr(a, 0x300000, 8) = 0x0000800000000000ull;
	a->cpu->rip = 0x1000;
	a->cpu->gpr[GPR_RSP] = 0x300000;
	if (setjmp(a->cpu->unwind) == 0) {
		translate_enter(ret);
		fail_msg("the RET did not fault");
	}
	assert_int_equal(a->cpu->exc_vector, EXC_GP);
	assert_int_equal(a->cpu->rip, 0x1004);
	assert_int_equal(a->cpu->gpr[GPR_RSP], 0x300000);
	/* A CALL whose push faults (#SS: RSP not canonical) leaves RSP and RIP. */
	a->cpu->rip = 0x1000;
	a->cpu->gpr[GPR_RSP] = 0x0000800000000004ull;
	if (setjmp(a->cpu->unwind) == 0) {
		translate_enter(call);
		fail_msg("the CALL did not fault");
	}
	assert_int_equal(a->cpu->exc_vector, EXC_SS);
	assert_int_equal(a->cpu->rip, 0x1003);
	assert_int_equal(a->cpu->gpr[GPR_RSP], 0x0000800000000004ull);
	code_cache_destroy(&cc);
	icpu_free(a);
	icpu_free(b);
}

/* Flags an instruction leaves undefined are whatever this host's CPU makes of
 * them, as when KVM runs the guest; never what host code left in RFLAGS. */
IH_ASM(undefined_run, "bt rbp, rax\n setnp dl\n sets dh\n imul rbx, rbp\n setp cl\n setz ch\n test rbp, rbp");

static void test_undefined_flags_are_the_host_cpus_not_leftovers(void **state)
{
	static const uint64_t flags_in[] = { 0x002, 0x8d7, 0x006, 0x082, 0x0c0 };
	struct code_cache cc;
	struct run r;
	char why[128];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	decode_all(undefined_run, IH_LEN(undefined_run), &r);
	for (size_t k = 0; k < sizeof(flags_in) / sizeof(flags_in[0]); k++) {
		struct icpu *a = long_mode_cpu();
		struct ih_regs n = { .rflags = RFLAGS_FIXED | flags_in[k] };
		unsigned ident = 0;

		n.gpr[GPR_RBP] = 0x40;
		n.gpr[GPR_RAX] = 3;
		n.gpr[GPR_RBX] = 7;
		memcpy(a->cpu->gpr, n.gpr, sizeof(n.gpr));
		a->cpu->gpr[GPR_RSP] = 0x8000;
		a->cpu->rflags = RFLAGS_FIXED | flags_in[k];
		ih_native_run(&n, undefined_run, IH_LEN(undefined_run));
		translate_enter(translate_ident(&cc, a, &r, undefined_run, &ident));
		assert_int_equal(ident, r.count);
		if ((a->cpu->gpr[GPR_RDX] & 0xffff) != (n.gpr[GPR_RDX] & 0xffff) ||
		    (a->cpu->gpr[GPR_RCX] & 0xffff) != (n.gpr[GPR_RCX] & 0xffff))
			fail_msg("flags in %#llx: dbt dx %#llx cx %#llx, this CPU dx %#llx cx %#llx",
				 (unsigned long long)flags_in[k], (unsigned long long)(a->cpu->gpr[GPR_RDX] & 0xffff),
				 (unsigned long long)(a->cpu->gpr[GPR_RCX] & 0xffff),
				 (unsigned long long)(n.gpr[GPR_RDX] & 0xffff),
				 (unsigned long long)(n.gpr[GPR_RCX] & 0xffff));
		icpu_free(a);
	}
	code_cache_destroy(&cc);
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

/* Guest code may change while it is translated: a device thread writes guest
 * RAM (a virtio-blk read into a code page) while the vCPU thread translates
 * it. What translated code copies must be what was classified: here another
 * thread flips an SSE instruction (PADDD, copied as itself) with SYSCALL;
 * UD2 of the same length, and no translation may hold SYSCALL's bytes. */
#define FLIP_INSNS 24
#define FLIP_BENIGN 0xc1fe0f66u	 /* 66 0f fe c1: paddd xmm0, xmm1 */
#define FLIP_HOSTILE 0x0b0f050fu /* 0f 05 0f 0b: syscall; ud2 */

struct flipper {
	uint32_t *word;
	volatile bool stop;
};

static void *flip(void *arg)
{
	struct flipper *f = arg;

	while (!f->stop) {
		__atomic_store_n(f->word, FLIP_HOSTILE, __ATOMIC_RELAXED);
		__atomic_store_n(f->word, FLIP_BENIGN, __ATOMIC_RELAXED);
	}
	return NULL;
}

static bool holds_hostile(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 2 <= n; i++)
		if (p[i] == 0x0f && p[i + 1] == 0x05)
			return true;
	return false;
}

static void test_code_changing_while_translated_is_copied_as_classified(void **state)
{
	static uint32_t code[FLIP_INSNS] __attribute__((aligned(64)));
	struct icpu *h = long_mode_cpu();
	struct code_cache cc;
	struct flipper f = { .word = &code[FLIP_INSNS / 2] };
	struct run r;
	pthread_t t;
	char why[128];
	unsigned found = 0, rounds = 0;
	const uint64_t deadline = soft_clock_ns() + 1000000000ull;

	(void)state;
	if (!__builtin_cpu_supports("sse2"))
		skip();
	for (unsigned i = 0; i < FLIP_INSNS; i++)
		code[i] = FLIP_BENIGN;
	decode_all((const uint8_t *)code, sizeof(code), &r);
	assert_int_equal(code_cache_init(&cc, 4, why, sizeof(why)), 0);
	assert_int_equal(syscall(SYS_arch_prctl, ARCH_SET_GS, h->cpu), 0);
	assert_int_equal(pthread_create(&t, NULL, flip, &f), 0);
	for (; rounds < 50000 && soft_clock_ns() < deadline && !found; rounds++) {
		const struct translate_env env = {
			.ctx = h->cpu,
			.callout = callout_step,
			.code = { { .lin = 0x1000, .host = (const uint8_t *)code } },
			.ncode = 1,
			.cpu = h->cpu,
			.lin = 0x1000,
			.simd = IDENT_SIMD_SSE,
		};
		const uint8_t *entry;

		code_cache_reset(&cc);
		entry = translate_run(&cc, &env, r.insns, r.count, &(unsigned){ 0 });
		assert_non_null(entry);
		found += holds_hostile(entry, translate_max_bytes(r.count));
	}
	f.stop = true;
	pthread_join(t, NULL);
	code_cache_destroy(&cc);
	icpu_free(h);
	if (found)
		fail_msg("a translation copied bytes the classification never saw (round %u)", rounds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translated_run_leaves_the_cpu_as_stepping_does),
		cmocka_unit_test(test_translated_run_stops_where_the_core_leaves),
		cmocka_unit_test(test_a_raising_handler_unwinds_through_translated_code),
		cmocka_unit_test(test_a_full_cache_is_reported_not_overrun),
		cmocka_unit_test(test_ident_run_leaves_the_cpu_as_stepping_does),
		cmocka_unit_test(test_registers_overwritten_first_keep_what_they_must),
		cmocka_unit_test(test_ident_reads_lazy_flags_and_a_zero_shift_keeps_them),
		cmocka_unit_test(test_a_fault_after_ident_code_finds_its_registers),
		cmocka_unit_test(test_memory_operands_run_as_stepping_does_on_hits_and_misses),
		cmocka_unit_test(test_two_pages_of_one_tlb_index_both_run_inline),
		cmocka_unit_test(test_a_run_using_every_register_borrows_scratch),
		cmocka_unit_test(test_a_memory_fault_finds_the_flags_before_it),
		cmocka_unit_test(test_a_block_looping_to_itself_runs_as_stepping_does),
		cmocka_unit_test(test_a_taken_branch_leaves_with_rip_at_its_target),
		cmocka_unit_test(test_side_exits_leave_or_go_on_as_stepping_does),
		cmocka_unit_test(test_blocks_go_on_past_jcc_but_end_at_a_jmp),
		cmocka_unit_test(test_loops_with_a_way_back_inside_run_as_stepping_does),
		cmocka_unit_test(test_loops_ending_with_all_flags_in_host_rflags_go_round_without_them),
		cmocka_unit_test(test_a_fault_at_a_later_rounds_first_probe_finds_the_flags_carried_round),
		cmocka_unit_test(test_a_side_exit_after_a_partial_flag_write_keeps_the_rest),
		cmocka_unit_test(test_undefined_flags_are_the_host_cpus_not_leftovers),
		cmocka_unit_test(test_push_and_pop_run_as_stepping_does),
		cmocka_unit_test(test_call_and_ret_run_as_stepping_does),
		cmocka_unit_test(test_lea_from_rsp_and_rip_runs_as_stepping_does),
		cmocka_unit_test(test_rsp_as_a_register_runs_as_stepping_does),
		cmocka_unit_test(test_rsp_held_in_a_host_register_survives_slow_paths_and_faults),
		cmocka_unit_test(test_a_followed_ret_goes_on_or_elsewhere_as_stepping_does),
		cmocka_unit_test(test_a_loop_probes_its_stack_once),
		cmocka_unit_test(test_a_loop_probes_its_table_once),
		cmocka_unit_test(test_flags_saved_around_probes_reach_a_later_fault),
		cmocka_unit_test(test_probe_groups_run_as_stepping_does),
		cmocka_unit_test(test_a_probe_group_follows_its_moving_base),
		cmocka_unit_test(test_an_element_read_and_written_back_is_one_probe),
		cmocka_unit_test(test_a_compare_runs_again_where_a_probe_clobbers_its_flags),
		cmocka_unit_test(test_known_addresses_probe_as_stepping_does),
		cmocka_unit_test(test_known_addresses_hit_in_either_way_and_high_up),
		cmocka_unit_test(test_a_group_delta_in_a_crowded_run_survives_a_slow_path),
		cmocka_unit_test(test_a_probe_group_faults_at_its_member),
		cmocka_unit_test(test_a_straddling_group_tells_the_engine_and_can_leave),
		cmocka_unit_test(test_an_indexed_group_is_told_where_its_elements_straddle),
		cmocka_unit_test(test_flags_saved_between_a_group_leader_and_its_last_member_survive_its_slow_path),
		cmocka_unit_test(test_code_changing_while_translated_is_copied_as_classified),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
