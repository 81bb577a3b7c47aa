/* Accesses at the canonical boundary, on the engine RINGVISOR_ENGINE names.
 * Every expected vector, error code and CR2 is what the AMD EPYC (Zen 3)
 * host did natively for the same access from CPL 3 (tests/diff runs such
 * forms against it; U is clear here, the harness runs at CPL 0). Nothing is
 * mapped at the lower half's last page or the upper half's first, as in a
 * Linux process.
 *
 * The rule: an access is #GP(0), or #SS(0) through RSP or RBP, when any of
 * its bytes is non-canonical, checked before paging, locked or not; through
 * FS or GS the effective address must be canonical too; an instruction the
 * processor splits into several accesses checks them one at a time, so an
 * earlier access's #PF comes first (x87 m80: 8 then 2 bytes; the x87
 * environment: 4-byte fields; MASKMOVDQU: 8-byte halves; IRET: RFLAGS, CS,
 * RIP, SS, RSP; RETF: CS, RIP); an operand that must be aligned is #GP(0)
 * for misalignment before any canonical check (FXSAVE: after its first 4
 * bytes'). The manuals say nothing of accesses that cross the boundary. */
#include "softcpu_harness.h"

#define GP 13
#define SS_FAULT 12
#define PF 14
#define TOP (1ull << 47) /* the first non-canonical address of the lower half */

IH_ASM(lock_bts, "lock bts qword ptr [rax], 0");
IH_ASM(lock_add, "lock add [rax], rbx");
IH_ASM(lock_cmpxchg, "lock cmpxchg [rax], rbx");
IH_ASM(xchg_mem, "xchg [rax], rbx");
IH_ASM(add_mem, "add [rax], rbx");
IH_ASM(load8, "mov rbx, [rax]");
IH_ASM(load4, "mov ebx, [rax]");
IH_ASM(store8, "mov [rax], rbx");
IH_ASM(load_rbp, "mov rbx, [rbp]");
IH_ASM(load_fs, "mov rbx, fs:[rax]");
IH_ASM(cmpxchg8b_mem, "cmpxchg8b qword ptr [rax]");
IH_ASM(fld_m80, "fld tbyte ptr [rax]");
IH_ASM(fnstenv_mem, "fnstenv [rax]");
IH_ASM(maskmovdqu_all, "pcmpeqd xmm1, xmm1\nmov rdi, rax\nmaskmovdqu xmm0, xmm1");
IH_ASM(iretq_at, "mov rsp, rax\niretq");
IH_ASM(retfq_at, "mov rsp, rax\n.byte 0x48, 0xcb");
IH_ASM(movaps_rbp, "movaps xmm0, [rbp]");
IH_ASM(fxsave_rbp, "fxsave [rbp]");

/* #SS, #GP and #PF through IST 1 of a TSS at IST_TSS: the handler's frame
 * must not go to an RSP the test aims at unmapped memory (IRET, RETF). */
#define IST_TSS (IH_DATA + 0x1000)
#define IST_TOP (IH_DATA + 0x3000)

static void use_ist(struct ih *h)
{
	static const unsigned vectors[] = { SS_FAULT, GP, PF };

	ih_put(h, IST_TSS + 0x24, IST_TOP, 8);
	h->state.tr = (struct x86_segment){
		.selector = 0x40, .base = IST_TSS, .limit = 0x67, .type = SEG_TYPE_TSS_BUSY, .present = 1
	};
	for (unsigned i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		ih_put(h, IH_IDT + vectors[i] * 16, ih_read(h, IH_IDT + vectors[i] * 16, 8) | (1ull << 32), 8);
}

/* Runs body with RAX and RBP at `at` (FS base 0x80); expects `vector` with
 * `error` at the instruction after skip bytes of setup; a #PF also its CR2
 * unless cr2 is 1. */
static void expect_at(const uint8_t *body, size_t len, uint64_t at, unsigned skip, uint8_t vector, uint64_t error,
		      uint64_t cr2)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	h->state.gpr[GPR_RAX] = at;
	h->state.gpr[GPR_RBP] = at;
	h->state.gpr[GPR_RBX] = 0x1111;
	h->state.seg[SREG_FS].base = 0x80;
	h->state.cr4 |= CR4_OSFXSR;
	use_ist(h);
	ih_load(h, body, len);
	ih_start(h);
	ih_run(h);
	s = ih_expect_exception(h, vector);
	assert_int_equal(ih_frame(h, 0), error);
	assert_int_equal(ih_frame(h, 1), IH_CODE + skip);
	if (vector == PF && cr2 != 1)
		assert_int_equal(s->cr2, cr2);
	ih_free(h);
}

#define EXPECT(body, at, skip, vector, error, cr2) expect_at(body, IH_LEN(body), at, skip, vector, error, cr2)

static void test_canonical_locked_rmw_across_the_boundary_is_gp_not_pf(void **state)
{
	(void)state;
	EXPECT(lock_bts, TOP - 4, 0, GP, 0, 0);
	EXPECT(lock_add, TOP - 1, 0, GP, 0, 0);
	EXPECT(lock_cmpxchg, TOP - 7, 0, GP, 0, 0);
	EXPECT(xchg_mem, TOP - 4, 0, GP, 0, 0);
}

static void test_canonical_plain_access_across_the_boundary_is_gp(void **state)
{
	(void)state;
	EXPECT(add_mem, TOP - 4, 0, GP, 0, 0);
	EXPECT(load8, TOP - 4, 0, GP, 0, 0);
	EXPECT(store8, TOP - 2, 0, GP, 0, 0);
	EXPECT(load8, 0xffff800000000000ull - 4, 0, GP, 0, 0);
}

static void test_canonical_access_ending_at_the_boundary_is_pf_of_its_page(void **state)
{
	(void)state;
	EXPECT(load4, TOP - 4, 0, PF, 0, TOP - 4);
	EXPECT(lock_bts, TOP - 8, 0, PF, PFEC_W, TOP - 8);
	/* Wrapping at 2^64 crosses no boundary. */
	EXPECT(load8, 0xfffffffffffffffcull, 0, PF, 0, 0xfffffffffffffffcull);
}

static void test_canonical_rbp_base_across_the_boundary_is_ss(void **state)
{
	(void)state;
	EXPECT(load_rbp, TOP - 4, 0, SS_FAULT, 0, 0);
}

static void test_canonical_fs_wants_a_canonical_effective_address(void **state)
{
	(void)state;
	/* 0xffff7ffffffffffa + 0x80 is canonical; the offset is not. */
	EXPECT(load_fs, 0xffff7ffffffffffaull, 0, GP, 0, 0);
	EXPECT(load_fs, 0xffff800000000000ull, 0, PF, 0, 0xffff800000000080ull);
}

static void test_canonical_cmpxchg8b_pf_is_a_write(void **state)
{
	(void)state;
	EXPECT(cmpxchg8b_mem, TOP - 8, 0, PF, PFEC_W, TOP - 8);
	EXPECT(cmpxchg8b_mem, TOP - 4, 0, GP, 0, 0);
}

static void test_canonical_x87_pieces_fault_on_the_first_page_first(void **state)
{
	(void)state;
	/* An m80 is 8 bytes, then 2. */
	EXPECT(fld_m80, TOP - 8, 0, PF, 0, TOP - 8);
	EXPECT(fld_m80, TOP - 7, 0, GP, 0, 0);
	/* The environment's first field is 4 bytes. */
	EXPECT(fnstenv_mem, TOP - 4, 0, PF, PFEC_W, 1);
	EXPECT(fnstenv_mem, TOP - 3, 0, GP, 0, 0);
}

static void test_canonical_maskmovdqu_halves(void **state)
{
	(void)state;
	EXPECT(maskmovdqu_all, TOP - 8, 7, PF, PFEC_W, 1);
	EXPECT(maskmovdqu_all, TOP - 7, 7, GP, 0, 0);
}

static void test_canonical_iret_and_retf_read_their_slots_in_order(void **state)
{
	(void)state;
	/* IRET reads RFLAGS first, RETF CS. */
	EXPECT(iretq_at, TOP - 0x100, 3, PF, 0, TOP - 0x100 + 16);
	EXPECT(iretq_at, TOP - 24, 3, PF, 0, TOP - 8);
	EXPECT(iretq_at, TOP - 23, 3, SS_FAULT, 0, 0);
	EXPECT(retfq_at, TOP - 0x100, 3, PF, 0, TOP - 0x100 + 8);
	EXPECT(retfq_at, TOP - 9, 3, SS_FAULT, 0, 0);
}

static void test_canonical_alignment_comes_first(void **state)
{
	(void)state;
	EXPECT(movaps_rbp, TOP - 8, 0, GP, 0, 0);
	EXPECT(movaps_rbp, TOP - 16, 0, PF, 0, TOP - 16);
	/* FXSAVE: its first 4 bytes' canonical form, then the alignment. */
	EXPECT(fxsave_rbp, TOP - 8, 0, GP, 0, 0);
	EXPECT(fxsave_rbp, TOP - 3, 0, SS_FAULT, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_locked_rmw_across_the_boundary_is_gp_not_pf),
		cmocka_unit_test(test_canonical_plain_access_across_the_boundary_is_gp),
		cmocka_unit_test(test_canonical_access_ending_at_the_boundary_is_pf_of_its_page),
		cmocka_unit_test(test_canonical_rbp_base_across_the_boundary_is_ss),
		cmocka_unit_test(test_canonical_fs_wants_a_canonical_effective_address),
		cmocka_unit_test(test_canonical_cmpxchg8b_pf_is_a_write),
		cmocka_unit_test(test_canonical_x87_pieces_fault_on_the_first_page_first),
		cmocka_unit_test(test_canonical_maskmovdqu_halves),
		cmocka_unit_test(test_canonical_iret_and_retf_read_their_slots_in_order),
		cmocka_unit_test(test_canonical_alignment_comes_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
