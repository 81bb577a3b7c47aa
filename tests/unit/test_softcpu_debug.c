/* The interp engine's debug architecture (src/engine/softcpu/debug.c): the finer
 * points the guest tests (guests/singlestep.c, guests/debugregs.c) do not reach.
 * Facts from the Intel SDM Vol. 3, chapter 17, and the AMD APM Vol. 2, chapter 13. */
#include "softcpu_harness.h"

#define DR6_INIT 0xffff0ff0ull
#define DR6_BS (1ull << 14)
#define DR7_INIT 0x400ull
/* DR7 for breakpoint n: local enable, R/W, LEN (00: 1 byte, 01: 2, 11: 4, 10: 8). */
#define DR7_BP(n, rw, len)                                                                                             \
	((1ull << (2 * (n))) | ((uint64_t)(rw) << (16 + 4 * (n))) | ((uint64_t)(len) << (18 + 4 * (n))))

static struct vcpu_state *run_to_vector(struct ih *h, const uint8_t *body, size_t len, uint8_t vector)
{
	ih_load(h, body, len);
	ih_start(h);
	ih_run(h);
	return ih_expect_exception(h, vector);
}

/* A state load normalises DR6 and DR7: their fixed bits read as the SDM says. */
static void test_debug_state_load_sets_fixed_bits(void **state)
{
	struct ih *h = ih_new();
	IH_ASM(dbg_nop, "nop");
	struct vcpu_state *s;

	(void)state;
	h->state.dr[6] = 0;
	h->state.dr[7] = 0;
	s = ih_exec(h, dbg_nop, IH_LEN(dbg_nop));
	assert_int_equal(s->dr[6], DR6_INIT);
	assert_int_equal(s->dr[7], DR7_INIT);
	ih_free(h);
}

/* A write breakpoint armed after the page entered the soft TLB still fires: arming
 * it drops the page from the TLB. The trap's RIP is after the store. */
IH_ASM(dbg_tlb_then_arm, "mov dword ptr [0x200000], eax\n"
			 "mov rax, 0x200008\n"
			 "mov dr0, rax\n"
			 "mov rax, 0xd0001\n" /* L0, R/W 01, LEN 11 */
			 "mov dr7, rax\n"
			 "mov dword ptr [0x200008], eax\n"
			 "dbg_tlb_then_arm_after:\n"
			 "nop");
static void test_debug_write_breakpoint_on_a_page_in_the_tlb(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	s = run_to_vector(h, dbg_tlb_then_arm, IH_LEN(dbg_tlb_then_arm), 1);
	assert_int_equal(ih_frame(h, 0), IH_CODE + IH_LEN(dbg_tlb_then_arm) - 1);
	assert_int_equal(s->dr[6], DR6_INIT | 1);
	ih_free(h);
}

/* An access that crosses into the watched page hits the breakpoint there. */
IH_ASM(dbg_cross, "mov dword ptr [0x200ffe], eax\n"
		  "nop");
static void test_debug_page_crossing_write_hits_breakpoint_on_second_page(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	h->state.dr[2] = 0x201000;
	h->state.dr[7] = DR7_BP(2, 1, 0);
	s = run_to_vector(h, dbg_cross, IH_LEN(dbg_cross), 1);
	assert_int_equal(ih_frame(h, 0), IH_CODE + IH_LEN(dbg_cross) - 1);
	assert_int_equal(s->dr[6], DR6_INIT | 4);
	ih_free(h);
}

/* Single-step and a data breakpoint met by one instruction: one #DB with BS and B0. */
IH_ASM(dbg_step_and_write, "mov dword ptr [0x200000], eax\n"
			   "nop");
static void test_debug_single_step_and_breakpoint_in_one_db(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	h->state.rflags |= 0x100;
	h->state.dr[0] = 0x200000;
	h->state.dr[7] = DR7_BP(0, 3, 3);
	s = run_to_vector(h, dbg_step_and_write, IH_LEN(dbg_step_and_write), 1);
	assert_int_equal(ih_frame(h, 0), IH_CODE + IH_LEN(dbg_step_and_write) - 1);
	assert_int_equal(s->dr[6], DR6_INIT | DR6_BS | 1);
	assert_true(ih_frame(h, 2) & 0x100); /* TF in the pushed image */
	ih_free(h);
}

/* RF set when execution starts suppresses the instruction breakpoint on the first
 * instruction once; without RF the breakpoint faults there, RIP at it. */
IH_ASM(dbg_two_nops, "nop\n"
		     "nop");
static void test_debug_rf_suppresses_instruction_breakpoint_once(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	h->state.dr[1] = IH_CODE;
	h->state.dr[7] = DR7_BP(1, 0, 0);
	h->state.rflags |= 1ull << 16;
	s = ih_exec(h, dbg_two_nops, IH_LEN(dbg_two_nops));
	assert_false(s->rflags & (1ull << 16)); /* cleared after the instruction */

	h->state = h->entry;
	h->state.dr[1] = IH_CODE;
	h->state.dr[7] = DR7_BP(1, 0, 0);
	s = run_to_vector(h, dbg_two_nops, IH_LEN(dbg_two_nops), 1);
	assert_int_equal(ih_frame(h, 0), IH_CODE);
	assert_int_equal(s->dr[6], DR6_INIT | 2);
	assert_false(ih_frame(h, 2) & (1ull << 16));
	ih_free(h);
}

/* An I/O breakpoint on OUTSB: the port access exits to the VMM first; after the
 * VMM answered, the instruction completes and traps, RIP after it. */
IH_ASM(dbg_outsb, "mov dx, 0x80\n"
		  "mov rsi, 0x200000\n"
		  "outsb\n"
		  "nop");
static void test_debug_io_breakpoint_on_outs_traps_after_the_exit(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	h->state.cr4 |= 1ull << 3; /* DE */
	h->state.dr[3] = 0x80;
	h->state.dr[7] = DR7_BP(3, 2, 0);
	ih_load(h, dbg_outsb, IH_LEN(dbg_outsb));
	ih_start(h);
	ih_run(h);
	assert_true(ih_exit_is_out(h, 0x80));
	ih_run(h);
	s = ih_expect_exception(h, 1);
	assert_int_equal(ih_frame(h, 0), IH_CODE + IH_LEN(dbg_outsb) - 1);
	assert_int_equal(s->dr[6], DR6_INIT | 8);
	ih_free(h);
}

/* Without CR4.DE, R/W 10 arms nothing (the SDM leaves it undefined). */
static void test_debug_io_breakpoint_needs_cr4_de(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	h->state.dr[3] = 0x80;
	h->state.dr[7] = DR7_BP(3, 2, 0);
	ih_load(h, dbg_outsb, IH_LEN(dbg_outsb));
	ih_start(h);
	ih_run(h);
	assert_true(ih_exit_is_out(h, 0x80));
	ih_run(h);
	ih_expect_end(h);
	ih_free(h);
}

/* A read/write breakpoint on the source of REP MOVSB: the trap comes after the
 * iteration that read it, with RCX counting what is left and RF = 1 pushed. */
IH_ASM(dbg_rep_movsb, "mov rsi, 0x200000\n"
		      "mov rdi, 0x210000\n"
		      "mov ecx, 8\n"
		      "rep movsb\n"
		      "nop");
static void test_debug_read_breakpoint_in_rep_movs(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	h->state.dr[0] = 0x200002;
	h->state.dr[7] = DR7_BP(0, 3, 0);
	s = run_to_vector(h, dbg_rep_movsb, IH_LEN(dbg_rep_movsb), 1);
	assert_int_equal(ih_frame(h, 0), IH_CODE + IH_LEN(dbg_rep_movsb) - 3); /* the REP MOVSB */
	assert_true(ih_frame(h, 2) & (1ull << 16));
	assert_int_equal(s->gpr[GPR_RCX], 5);
	assert_int_equal(s->dr[6], DR6_INIT | 1);
	ih_free(h);
}

/* POP SS (32-bit protected mode; invalid in 64-bit mode) holds the single-step
 * trap back like MOV SS: POPFD sets TF, POP SS runs without a trap, the NOP after
 * it traps with BS, EIP after that NOP. */
IH_ASM(dbg_pop_ss32, ".code32\n"
		     "push ss\n"
		     "pushfd\n"
		     "or dword ptr [esp], 0x100\n"
		     "popfd\n"
		     "pop ss\n"
		     "nop\n"
		     "dbg_pop_ss32_trap:\n"
		     "nop\n"
		     ".code64");
extern const uint8_t dbg_pop_ss32_trap[];
#define IDT32 0x12000ull
static void test_debug_pop_ss_holds_single_step_back(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;
	/* A 32-bit interrupt gate for #DB to the harness's stub of vector 1. */
	uint64_t off = IH_STUBS + 16, gate = (off & 0xffff) | ((uint64_t)BOOT_SEL_CODE32 << 16) | (0x8eull << 40) |
					     ((off & 0xffff0000ull) << 32);

	(void)state;
	ih_put(h, IDT32 + 8, gate, 8);
	boot_state_prot32(&h->state, IH_CODE);
	h->state.gpr[GPR_RSP] = IH_STACK_TOP;
	h->state.idtr.base = IDT32;
	h->state.idtr.limit = 256 * 8 - 1;
	s = run_to_vector(h, dbg_pop_ss32, IH_LEN(dbg_pop_ss32), 1);
	assert_int_equal(ih_read(h, s->gpr[GPR_RSP], 4), IH_CODE + (uint64_t)(dbg_pop_ss32_trap - dbg_pop_ss32));
	assert_int_equal(s->dr[6], DR6_INIT | DR6_BS);
	ih_free(h);
}

/* An interrupt taken after an iteration of a REP string instruction but the last
 * pushes RF = 1 and RIP at the instruction (SDM 17.3.1.1). The interrupt is
 * pending from the start, held back by an interrupt shadow over the REP STOSB,
 * which then runs one batch of iterations (far fewer than RCX) before events are
 * looked at. */
IH_ASM(dbg_long_rep, "rep stosb\n"
		     "nop");
static void test_debug_interrupt_after_rep_iteration_pushes_rf(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	h->state.rflags |= 1ull << 9; /* IF */
	h->state.interrupt_shadow = true;
	h->state.pending = (struct x86_event){ EVENT_EXTINT, 0x20, false, 0 };
	h->state.gpr[GPR_RCX] = 1u << 20;
	h->state.gpr[GPR_RDI] = IH_DATA;
	s = run_to_vector(h, dbg_long_rep, IH_LEN(dbg_long_rep), 0x20);
	assert_int_equal(ih_frame(h, 0), IH_CODE);
	assert_true(ih_frame(h, 2) & (1ull << 16));
	assert_true(s->gpr[GPR_RCX] > 0 && s->gpr[GPR_RCX] < (1u << 20));
	ih_free(h);
}

/* MOV DR7 arming an instruction breakpoint on an instruction of the same decoded
 * block: the breakpoint is checked before every instruction (SDM 17.3.1.1), so the
 * #DB fault comes at that instruction, RIP at it, with B0. */
IH_ASM(dbg_arm_in_block, "lea rax, [rip + dbg_arm_in_block_bp]\n"
			 "mov dr0, rax\n"
			 "mov eax, 1\n" /* L0, R/W 00, LEN 00 */
			 "mov dr7, rax\n"
			 "nop\n"
			 "dbg_arm_in_block_bp:\n"
			 "nop\n"
			 "nop");
extern const uint8_t dbg_arm_in_block_bp[];
static void test_debug_instruction_breakpoint_armed_in_the_same_block(void **state)
{
	struct ih *h = ih_new();
	struct vcpu_state *s;

	(void)state;
	s = run_to_vector(h, dbg_arm_in_block, IH_LEN(dbg_arm_in_block), 1);
	assert_int_equal(ih_frame(h, 0), IH_CODE + (uint64_t)(dbg_arm_in_block_bp - dbg_arm_in_block));
	assert_int_equal(s->dr[6], DR6_INIT | 1);
	ih_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debug_state_load_sets_fixed_bits),
		cmocka_unit_test(test_debug_write_breakpoint_on_a_page_in_the_tlb),
		cmocka_unit_test(test_debug_page_crossing_write_hits_breakpoint_on_second_page),
		cmocka_unit_test(test_debug_single_step_and_breakpoint_in_one_db),
		cmocka_unit_test(test_debug_rf_suppresses_instruction_breakpoint_once),
		cmocka_unit_test(test_debug_io_breakpoint_on_outs_traps_after_the_exit),
		cmocka_unit_test(test_debug_io_breakpoint_needs_cr4_de),
		cmocka_unit_test(test_debug_read_breakpoint_in_rep_movs),
		cmocka_unit_test(test_debug_pop_ss_holds_single_step_back),
		cmocka_unit_test(test_debug_interrupt_after_rep_iteration_pushes_rf),
		cmocka_unit_test(test_debug_instruction_breakpoint_armed_in_the_same_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
