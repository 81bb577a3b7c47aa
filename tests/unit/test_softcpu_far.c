/* Far pointers and far transfers on the engine RINGVISOR_ENGINE names: LFS,
 * LGS, LSS (and LDS, LES outside 64-bit mode), far JMP and CALL through
 * memory, RETF to another ring, and where a #PF of a save area (FXSAVE,
 * FNSAVE, XSAVE and their loads) puts CR2.
 *
 * Every expected value that the manuals leave open is what the AMD EPYC
 * (Zen 3) development host did natively for the same instruction, from CPL 3
 * in a Linux process (docs/cpu-model.md, "Far pointers, far returns and save
 * areas: what the AMD host does"); the rest is the SDM's (Vol. 2, LDS/LES/
 * LFS/LGS/LSS, JMP, CALL, RET; Vol. 3, 5.4-5.8). */
#include "softcpu_harness.h"
#include "x86/xsave_area.h"

#define DB 1
#define NP 11
#define SS_FAULT 12
#define GP 13
#define PF 14
#define TOP (1ull << 47)

/* The boot GDT (BOOT_GDT_ADDR: null, 0x08 code64, 0x10 data, 0x18 code32)
 * with more descriptors for these tests. */
#define SEL_DATA_BASE 0x20 /* data RW, DPL 0, base DATA_BASE */
#define SEL_UDATA 0x28	   /* data RW, DPL 3 */
#define SEL_UCODE 0x30	   /* code64 RX, DPL 3 */
#define SEL_DATA_RO 0x38   /* data RO, DPL 0 */
#define SEL_TSS 0x40	   /* 64-bit TSS, 16 bytes */
#define SEL_DATA_NP 0x50   /* data RW, DPL 0, not present */
#define SEL_CODE_XO 0x58   /* code execute-only, DPL 0 */
#define SEL_CODE_RX 0x60   /* code readable, DPL 0 */
#define SEL_DATA_DPL3 0x68 /* data RW, DPL 3 (as SEL_UDATA) */
#define GDT_LIMIT 0x6f
#define DATA_BASE 0x12345000ull

#define TSS_ADDR (IH_DATA + 0x8000)
#define KSTACK_TOP (IH_DATA + 0xa000)
/* The 2 MiB page from UNMAPPED on is not present (PD entry 2 cleared), so
 * the page just below it is the last mapped one. */
#define UNMAPPED 0x400000ull
#define BOOT_PD (BOOT_PML4_ADDR + 0x2000)

static void put_descriptor(struct ih *h, uint16_t sel, uint8_t type, uint8_t dpl, int db, int l, uint64_t base,
			   bool present)
{
	struct x86_segment s;

	x86_segment_flat(&s, sel, type, db, l);
	s.dpl = dpl;
	s.base = base;
	s.present = present;
	ih_put(h, BOOT_GDT_ADDR + sel, x86_descriptor_encode(&s), 8);
}

static struct ih *far_ih(const char *model)
{
	struct ih *h = ih_new_model(model);
	struct x86_segment tss = { .base = TSS_ADDR, .limit = 0x67, .type = SEG_TYPE_TSS_BUSY, .present = 1 };

	put_descriptor(h, SEL_DATA_BASE, SEG_TYPE_DATA_RW_ACCESSED, 0, 1, 0, DATA_BASE, true);
	put_descriptor(h, SEL_UDATA, SEG_TYPE_DATA_RW_ACCESSED, 3, 1, 0, 0, true);
	put_descriptor(h, SEL_UCODE, SEG_TYPE_CODE_RX_ACCESSED, 3, 0, 1, 0, true);
	put_descriptor(h, SEL_DATA_RO, 0x1, 0, 1, 0, 0, true);
	put_descriptor(h, SEL_DATA_NP, SEG_TYPE_DATA_RW_ACCESSED, 0, 1, 0, 0, false);
	put_descriptor(h, SEL_CODE_XO, 0x9, 0, 0, 1, 0, true);
	put_descriptor(h, SEL_CODE_RX, SEG_TYPE_CODE_RX_ACCESSED, 0, 0, 1, 0, true);
	put_descriptor(h, SEL_DATA_DPL3, SEG_TYPE_DATA_RW_ACCESSED, 3, 1, 0, 0, true);
	ih_put(h, BOOT_GDT_ADDR + SEL_TSS, x86_descriptor_encode(&tss), 8);
	ih_put(h, BOOT_GDT_ADDR + SEL_TSS + 8, 0, 8);
	ih_put(h, TSS_ADDR + 4, KSTACK_TOP, 8); /* RSP0 */
	ih_put(h, BOOT_PD + 2 * 8, 0, 8);
	h->entry.gdtr.limit = GDT_LIMIT;
	h->entry.tr = tss;
	h->entry.tr.selector = SEL_TSS;
	h->state = h->entry;
	return h;
}

/* CPL 3: user code and data, user pages (U set in the boot tables' entries
 * of the first GiB), IOPL 3 for the code's final OUT. */
static void enter_user(struct ih *h)
{
	ih_put(h, BOOT_PML4_ADDR, ih_read(h, BOOT_PML4_ADDR, 8) | PTE_U, 8);
	ih_put(h, BOOT_PML4_ADDR + 0x1000, ih_read(h, BOOT_PML4_ADDR + 0x1000, 8) | PTE_U, 8);
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = ih_read(h, BOOT_PD + 8 * i, 8);

		if (e & PTE_P)
			ih_put(h, BOOT_PD + 8 * i, e | PTE_U, 8);
	}
	x86_segment_flat(&h->state.seg[SREG_CS], SEL_UCODE | 3, SEG_TYPE_CODE_RX_ACCESSED, 0, 1);
	h->state.seg[SREG_CS].dpl = 3;
	x86_segment_flat(&h->state.seg[SREG_SS], SEL_UDATA | 3, SEG_TYPE_DATA_RW_ACCESSED, 1, 0);
	h->state.seg[SREG_SS].dpl = 3;
	h->state.rflags |= RFLAGS_IOPL_MASK;
}

/* Runs body; expects `vector` at code offset rip_off, with `error`. */
static struct vcpu_state *expect_fault(struct ih *h, const uint8_t *body, size_t len, uint8_t vector, uint64_t error,
				       uint64_t rip_off)
{
	struct vcpu_state *s;

	ih_load(h, body, len);
	ih_start(h);
	ih_run(h);
	s = ih_expect_exception(h, vector);
	assert_int_equal(ih_frame(h, 0), error);
	assert_int_equal(ih_frame(h, 1), IH_CODE + rip_off);
	return s;
}

#define EXPECT_FAULT(h, body, vector, error, rip_off) expect_fault(h, body, IH_LEN(body), vector, error, rip_off)

/* The far pointer at IH_DATA: offset (4 bytes, or 2 at 16 bits), selector. */
static void put_pointer(struct ih *h, uint64_t off, unsigned osz, uint16_t sel)
{
	ih_put(h, IH_DATA, off, osz);
	ih_put(h, IH_DATA + osz, sel, 2);
}

/* ---- LFS, LGS, LSS ---------------------------------------------------------------- */

IH_ASM(lfs_eax, "lfs eax, [rdi]");
IH_ASM(lfs_ax, "lfs ax, [rdi]");
IH_ASM(lfs_rax, ".byte 0x48, 0x0f, 0xb4, 0x07"); /* lfs rax, [rdi]: REX.W */
IH_ASM(lgs_ecx, "lgs ecx, [rdi]");
IH_ASM(lgs_rcx, ".byte 0x48, 0x0f, 0xb5, 0x0f");
IH_ASM(lss_edx, "lss edx, [rdi]");
IH_ASM(lss_rdx, ".byte 0x48, 0x0f, 0xb2, 0x17");
IH_ASM(lss_sp, "lss sp, [rdi]");

static void test_far_lfs_loads_offset_and_segment_at_each_size(void **state)
{
	struct ih *h = far_ih(IH_MODEL);
	struct vcpu_state *s;

	(void)state;
	h->state.gpr[GPR_RDI] = IH_DATA;
	h->state.gpr[GPR_RAX] = ~0ull;
	put_pointer(h, 0x89abcdef, 4, SEL_DATA_BASE);
	s = ih_exec(h, lfs_eax, IH_LEN(lfs_eax));
	assert_int_equal(s->gpr[GPR_RAX], 0x89abcdef);
	assert_int_equal(s->seg[SREG_FS].selector, SEL_DATA_BASE);
	assert_int_equal(s->seg[SREG_FS].base, DATA_BASE);

	h->state = h->entry;
	h->state.gpr[GPR_RDI] = IH_DATA;
	h->state.gpr[GPR_RAX] = ~0ull;
	put_pointer(h, 0x1234, 2, SEL_DATA_DPL3 | 1);
	s = ih_exec(h, lfs_ax, IH_LEN(lfs_ax));
	assert_int_equal(s->gpr[GPR_RAX], 0xffffffffffff1234ull);
	assert_int_equal(s->seg[SREG_FS].selector, SEL_DATA_DPL3 | 1);
	assert_int_equal(s->seg[SREG_FS].base, 0);
	ih_free(h);
}

/* REX.W: m16:32 as on the AMD host (the selector at +4, not +8), the offset
 * zero-extended into the 64-bit register. */
static void test_far_rex_w_lfs_lgs_lss_read_m16_32(void **state)
{
	struct ih *h = far_ih(IH_MODEL);
	struct vcpu_state *s;

	(void)state;
	h->entry.gpr[GPR_RDI] = IH_DATA;
	h->entry.gpr[GPR_RAX] = h->entry.gpr[GPR_RCX] = h->entry.gpr[GPR_RDX] = ~0ull;
	h->state = h->entry;
	ih_put(h, IH_DATA, 0x1122334455667788ull, 8);
	ih_put(h, IH_DATA + 4, SEL_DATA_BASE, 2);
	ih_put(h, IH_DATA + 8, 0xfff8, 2); /* m16:64 would #GP for this one */
	s = ih_exec(h, lfs_rax, IH_LEN(lfs_rax));
	assert_int_equal(s->gpr[GPR_RAX], 0x55667788);
	assert_int_equal(s->seg[SREG_FS].selector, SEL_DATA_BASE);

	h->state = h->entry;
	s = ih_exec(h, lgs_rcx, IH_LEN(lgs_rcx));
	assert_int_equal(s->gpr[GPR_RCX], 0x55667788);
	assert_int_equal(s->seg[SREG_GS].selector, SEL_DATA_BASE);
	assert_int_equal(s->seg[SREG_GS].base, DATA_BASE);

	h->state = h->entry;
	ih_put(h, IH_DATA + 4, BOOT_SEL_DATA, 2);
	s = ih_exec(h, lss_rdx, IH_LEN(lss_rdx));
	assert_int_equal(s->gpr[GPR_RDX], 0x55667788);
	assert_int_equal(s->seg[SREG_SS].selector, BOOT_SEL_DATA);
	ih_free(h);
}

static void test_far_lss_switches_the_stack(void **state)
{
	struct ih *h = far_ih(IH_MODEL);
	struct vcpu_state *s;

	(void)state;
	h->state.gpr[GPR_RDI] = IH_DATA;
	put_pointer(h, 0x2345, 2, BOOT_SEL_DATA);
	s = ih_exec(h, lss_sp, IH_LEN(lss_sp));
	assert_int_equal(s->gpr[GPR_RSP], (IH_STACK_TOP & ~0xffffull) | 0x2345);
	h->state = h->entry;
	h->state.gpr[GPR_RDI] = IH_DATA;
	put_pointer(h, 0x1234567, 4, BOOT_SEL_DATA);
	s = ih_exec(h, lss_edx, IH_LEN(lss_edx));
	assert_int_equal(s->gpr[GPR_RDX], 0x1234567);
	ih_free(h);
}

/* #GP(selector) (type, privilege, table limit), #NP and #SS (not present),
 * the register left as it was. */
static void expect_load_fault(const uint8_t *body, size_t len, uint16_t sel, uint8_t vector, uint64_t error)
{
	struct ih *h = far_ih(IH_MODEL);
	struct vcpu_state *s;

	h->state.gpr[GPR_RDI] = IH_DATA;
	h->state.gpr[GPR_RAX] = h->state.gpr[GPR_RCX] = h->state.gpr[GPR_RDX] = 0x5555;
	put_pointer(h, 0x11223344, 4, sel);
	s = expect_fault(h, body, len, vector, error, 0);
	assert_int_equal(s->gpr[GPR_RAX], 0x5555);
	assert_int_equal(s->gpr[GPR_RCX], 0x5555);
	assert_int_equal(s->gpr[GPR_RDX], 0x5555);
	ih_free(h);
}

#define EXPECT_LOAD_FAULT(body, sel, vector, error) expect_load_fault(body, IH_LEN(body), sel, vector, error)

static void test_far_lfs_lgs_faults(void **state)
{
	(void)state;
	EXPECT_LOAD_FAULT(lfs_eax, SEL_DATA_NP, NP, SEL_DATA_NP);
	EXPECT_LOAD_FAULT(lgs_ecx, SEL_CODE_XO, GP, SEL_CODE_XO);
	EXPECT_LOAD_FAULT(lgs_ecx, SEL_TSS, GP, SEL_TSS);
	EXPECT_LOAD_FAULT(lfs_eax, GDT_LIMIT + 1, GP, GDT_LIMIT + 1);
	EXPECT_LOAD_FAULT(lfs_eax, 0x0c, GP, 0x0c); /* an LDT selector, no LDT */
}

static void test_far_lfs_lgs_take_readable_code_and_null(void **state)
{
	struct ih *h = far_ih(IH_MODEL);
	struct vcpu_state *s;

	(void)state;
	h->state.gpr[GPR_RDI] = IH_DATA;
	put_pointer(h, 0, 4, SEL_CODE_RX);
	s = ih_exec(h, lgs_ecx, IH_LEN(lgs_ecx));
	assert_int_equal(s->seg[SREG_GS].selector, SEL_CODE_RX);
	h->state = h->entry;
	h->state.gpr[GPR_RDI] = IH_DATA;
	h->state.seg[SREG_FS].base = 0x8000;
	put_pointer(h, 0, 4, 3);
	s = ih_exec(h, lfs_eax, IH_LEN(lfs_eax));
	assert_int_equal(s->seg[SREG_FS].selector, 3);
	assert_true(s->seg[SREG_FS].unusable);
	/* The AMD host clears the base too (a null MOV GS or LGS there leaves
	 * RDGSBASE at 0). */
	assert_int_equal(s->seg[SREG_FS].base, 0);
	ih_free(h);
}

static void test_far_lss_faults(void **state)
{
	(void)state;
	EXPECT_LOAD_FAULT(lss_edx, SEL_DATA_RO, GP, SEL_DATA_RO);
	EXPECT_LOAD_FAULT(lss_edx, SEL_CODE_RX, GP, SEL_CODE_RX);
	EXPECT_LOAD_FAULT(lss_edx, SEL_DATA_DPL3, GP, SEL_DATA_DPL3);	  /* DPL != CPL */
	EXPECT_LOAD_FAULT(lss_edx, BOOT_SEL_DATA | 3, GP, BOOT_SEL_DATA); /* RPL != CPL */
	EXPECT_LOAD_FAULT(lss_edx, SEL_DATA_NP, SS_FAULT, SEL_DATA_NP);
	EXPECT_LOAD_FAULT(lss_edx, 3, GP, 0); /* null, RPL != CPL */
}

/* In 64-bit mode a null SS is allowed below ring 3 with RPL = CPL; at CPL 3
 * it is #GP(0), as on the host, where LSS with 0, 1 or 3 is #GP(0) and with
 * its own SS selector loads. */
static void test_far_lss_null_at_cpl0_and_cpl3(void **state)
{
	struct ih *h = far_ih(IH_MODEL);
	struct vcpu_state *s;

	(void)state;
	h->state.gpr[GPR_RDI] = IH_DATA;
	put_pointer(h, 0x1000, 4, 0);
	s = ih_exec(h, lss_edx, IH_LEN(lss_edx));
	assert_true(s->seg[SREG_SS].unusable);
	assert_int_equal(s->seg[SREG_SS].selector, 0);
	ih_free(h);

	h = far_ih(IH_MODEL);
	enter_user(h);
	h->state.gpr[GPR_RDI] = IH_DATA;
	h->state.gpr[GPR_RDX] = 0x5555;
	put_pointer(h, 0x1000, 4, 3);
	s = EXPECT_FAULT(h, lss_edx, GP, 0, 0);
	assert_int_equal(s->gpr[GPR_RDX], 0x5555);
	h->state = h->entry;
	enter_user(h);
	h->state.gpr[GPR_RDI] = IH_DATA;
	put_pointer(h, 0x1000, 4, SEL_UDATA | 3);
	s = ih_exec(h, lss_edx, IH_LEN(lss_edx));
	assert_int_equal(s->gpr[GPR_RDX], 0x1000);
	assert_int_equal(s->seg[SREG_SS].selector, SEL_UDATA | 3);
	ih_free(h);
}

/* LSS holds back no trap for the next instruction (the host's TF trap comes
 * right after it); MOV SS does. */
IH_ASM(lss_then_nops, "lss edx, [rdi]\n nop\n nop");
IH_ASM(mov_ss_then_nops, "mov ss, [rdi + 4]\n nop\n nop");

static void test_far_lss_makes_no_interrupt_shadow(void **state)
{
	struct ih *h = far_ih(IH_MODEL);

	(void)state;
	h->state.gpr[GPR_RDI] = IH_DATA;
	h->state.rflags |= RFLAGS_TF;
	put_pointer(h, 0x5000, 4, BOOT_SEL_DATA);
	ih_load(h, lss_then_nops, IH_LEN(lss_then_nops));
	ih_start(h);
	ih_run(h);
	ih_expect_exception(h, DB);
	assert_int_equal(ih_frame(h, 0), IH_CODE + 3);

	h->state = h->entry;
	h->state.gpr[GPR_RDI] = IH_DATA;
	h->state.rflags |= RFLAGS_TF;
	ih_load(h, mov_ss_then_nops, IH_LEN(mov_ss_then_nops));
	ih_start(h);
	ih_run(h);
	ih_expect_exception(h, DB);
	assert_int_equal(ih_frame(h, 0), IH_CODE + 4);
	ih_free(h);
}

/* The offset is read before the selector, two accesses: at 2^47 - 4 the
 * offset's #PF comes before the selector's non-canonical #GP; at 2^47 - 2 the
 * offset itself crosses (#GP). */
static void test_far_pointer_offset_then_selector(void **state)
{
	struct ih *h = far_ih(IH_MODEL);
	struct vcpu_state *s;

	(void)state;
	h->state.gpr[GPR_RDI] = TOP - 4;
	s = EXPECT_FAULT(h, lgs_ecx, PF, 0, 0);
	assert_int_equal(s->cr2, TOP - 4);
	h->state = h->entry;
	h->state.gpr[GPR_RDI] = TOP - 2;
	EXPECT_FAULT(h, lgs_ecx, GP, 0, 0);
	ih_free(h);
}

/* LDS and LES, outside 64-bit mode (compatibility mode here). */
IH_ASM(lds_les_32, ".code32\n lds eax, [edi]\n les ecx, [edi + 6]\n .code64");

static void test_far_lds_les_in_compatibility_mode(void **state)
{
	struct ih *h = far_ih(IH_MODEL);
	struct vcpu_state *s;

	(void)state;
	x86_segment_flat(&h->state.seg[SREG_CS], BOOT_SEL_CODE32, SEG_TYPE_CODE_RX_ACCESSED, 1, 0);
	h->state.gpr[GPR_RDI] = IH_DATA;
	put_pointer(h, 0xabcdef, 4, SEL_DATA_DPL3 | 3);
	ih_put(h, IH_DATA + 6, 0x1234, 4);
	ih_put(h, IH_DATA + 10, SEL_DATA_BASE, 2);
	s = ih_exec(h, lds_les_32, IH_LEN(lds_les_32));
	assert_int_equal(s->gpr[GPR_RAX], 0xabcdef);
	assert_int_equal(s->seg[SREG_DS].selector, SEL_DATA_DPL3 | 3);
	assert_int_equal(s->gpr[GPR_RCX], 0x1234);
	assert_int_equal(s->seg[SREG_ES].selector, SEL_DATA_BASE);
	assert_int_equal(s->seg[SREG_ES].base, DATA_BASE);
	ih_free(h);
}

/* ---- far JMP and CALL through memory ------------------------------------------------ */

/* 12 bytes: the far transfer and padding, then the target: mov ebx, 1. */
IH_ASM(jmp_far_w, ".byte 0x48, 0xff, 0x2f\n .fill 9, 1, 0x90\n mov ebx, 1");
IH_ASM(call_far_w, ".byte 0x48, 0xff, 0x1f\n .fill 9, 1, 0x90\n mov ebx, 1");
IH_ASM(call_far_d, ".byte 0xff, 0x1f\n .fill 10, 1, 0x90\n mov ebx, 1");

static struct ih *far_target(const uint8_t *body, size_t len)
{
	struct ih *h = far_ih(IH_MODEL);

	h->state.gpr[GPR_RDI] = IH_DATA;
	ih_put(h, IH_DATA, 0x1111111100000000ull | (IH_CODE + 12), 8);
	ih_put(h, IH_DATA + 4, BOOT_SEL_CODE64, 2);
	ih_put(h, IH_DATA + 8, 0xfff8, 2); /* m16:64 would read this selector */
	ih_exec(h, body, len);
	assert_int_equal(h->state.gpr[GPR_RBX], 1);
	return h;
}

/* REX.W: m16:32 on the AMD host; the far CALL's pushes stay 8 bytes each. */
static void test_far_rex_w_jmp_and_call_read_m16_32(void **state)
{
	struct ih *h;

	(void)state;
	h = far_target(jmp_far_w, IH_LEN(jmp_far_w));
	assert_int_equal(h->state.gpr[GPR_RSP], IH_STACK_TOP);
	ih_free(h);
	h = far_target(call_far_w, IH_LEN(call_far_w));
	assert_int_equal(h->state.gpr[GPR_RSP], IH_STACK_TOP - 16);
	assert_int_equal(ih_read(h, IH_STACK_TOP - 16, 8), IH_CODE + 3);
	assert_int_equal(ih_read(h, IH_STACK_TOP - 8, 8), BOOT_SEL_CODE64);
	ih_free(h);
	/* Without REX.W: 4-byte pushes, as the host makes them. */
	h = far_target(call_far_d, IH_LEN(call_far_d));
	assert_int_equal(h->state.gpr[GPR_RSP], IH_STACK_TOP - 8);
	assert_int_equal(ih_read(h, IH_STACK_TOP - 8, 8), ((uint64_t)BOOT_SEL_CODE64 << 32) | (IH_CODE + 2));
	ih_free(h);
}

/* ---- RETF to another ring ----------------------------------------------------------- */

IH_ASM(retfq_at, "mov rsp, rax\n .byte 0x48, 0xcb");
IH_ASM(retfd_at, "mov rsp, rax\n .byte 0xcb");
IH_ASM(retfq_imm_at, "mov rsp, rax\n .byte 0x48, 0xca, 0x00, 0x01");

/* From CPL 3 with CS:RIP in the last mapped bytes: the host reads the SS slot
 * (then RSP's) whenever the popped CS's RPL is not 3, a null CS with RPL 0
 * included, so their #PF comes before the #GP; a CS with RPL 3 faults without
 * reading them. */
static void retf_from_user(const uint8_t *body, size_t len, unsigned sz, uint64_t rsp, uint16_t cs, uint8_t vector,
			   uint64_t error, uint64_t cr2)
{
	struct ih *h = far_ih(IH_MODEL);
	struct vcpu_state *s;

	enter_user(h);
	h->state.gpr[GPR_RAX] = rsp;
	ih_put(h, rsp, IH_CODE + 0x100, sz);
	ih_put(h, rsp + sz, cs, sz);
	s = expect_fault(h, body, len, vector, error, 3);
	if (vector == PF)
		assert_int_equal(s->cr2, cr2);
	ih_free(h);
}

#define PU 4 /* #PF error code: a user read of a page not present */

static void test_far_retf_to_an_inner_ring_reads_ss_and_rsp_first(void **state)
{
	const uint64_t p = UNMAPPED;

	(void)state;
	retf_from_user(retfq_at, IH_LEN(retfq_at), 8, p - 16, 0, PF, PU, p + 8);
	retf_from_user(retfq_at, IH_LEN(retfq_at), 8, p - 16, BOOT_SEL_CODE64, PF, PU, p + 8);
	retf_from_user(retfq_at, IH_LEN(retfq_at), 8, p - 16, SEL_UCODE, PF, PU, p + 8);
	retf_from_user(retfq_at, IH_LEN(retfq_at), 8, p - 24, 0, PF, PU, p);
	retf_from_user(retfd_at, IH_LEN(retfd_at), 4, p - 8, 0, PF, PU, p + 4);
	retf_from_user(retfq_imm_at, IH_LEN(retfq_imm_at), 8, p - 16 - 0x100, 0, PF, PU, p + 8);
	/* With the slots mapped: #GP(selector). */
	retf_from_user(retfq_at, IH_LEN(retfq_at), 8, p - 64, 0, GP, 0, 0);
	retf_from_user(retfq_at, IH_LEN(retfq_at), 8, p - 64, BOOT_SEL_CODE64, GP, BOOT_SEL_CODE64, 0);
	retf_from_user(retfq_at, IH_LEN(retfq_at), 8, p - 64, SEL_UCODE | 2, GP, SEL_UCODE, 0);
}

static void test_far_retf_with_rpl3_faults_without_reading_ss(void **state)
{
	const uint64_t p = UNMAPPED;

	(void)state;
	retf_from_user(retfq_at, IH_LEN(retfq_at), 8, p - 16, 3, GP, 0, 0);
	retf_from_user(retfq_at, IH_LEN(retfq_at), 8, p - 16, BOOT_SEL_CODE64 | 3, GP, BOOT_SEL_CODE64, 0);
	retf_from_user(retfq_at, IH_LEN(retfq_at), 8, p - 16, SEL_UDATA | 3, GP, SEL_UDATA, 0);
	retf_from_user(retfq_at, IH_LEN(retfq_at), 8, p - 16, 0x83, GP, 0x80, 0);
}

/* ---- CR2 of a save area's #PF -------------------------------------------------------- */

IH_ASM(fxsave_rdi, "fxsave [rdi]");
IH_ASM(fxrstor_rdi, "fxrstor [rdi]");
IH_ASM(fnsave_rdi, "fnsave [rdi]");
IH_ASM(frstor_rdi, "frstor [rdi]");
IH_ASM(fnstenv_rdi, "fnstenv [rdi]");
IH_ASM(fldenv_rdi, "fldenv [rdi]");
IH_ASM(fnsave16_rdi, "data16 fnsave [rdi]");
IH_ASM(xsave_rdi, "xsave [rdi]");
IH_ASM(xsavec_rdi, "xsavec [rdi]");
IH_ASM(xrstor_rdi, "xrstor [rdi]");

/* The area at `at`; a #PF with CR2 `cr2` (W for a store). */
static void expect_area_pf(const uint8_t *body, size_t len, uint64_t at, uint64_t rfbm, bool write, uint64_t cr2)
{
	struct ih *h = far_ih("v3");
	struct vcpu_state *s;

	h->state.cr4 |= CR4_OSFXSR | CR4_OSXSAVE;
	h->state.xcr0 = XSAVE_MODEL_XCR0;
	h->state.fpu.mxcsr = 0x1f80;
	h->state.gpr[GPR_RDI] = at;
	h->state.gpr[GPR_RAX] = rfbm;
	h->state.gpr[GPR_RDX] = 0;
	s = expect_fault(h, body, len, PF, write ? PFEC_W : 0, 0);
	assert_int_equal(s->cr2, cr2);
	ih_free(h);
}

#define EXPECT_AREA_PF(body, at, rfbm, write, cr2) expect_area_pf(body, IH_LEN(body), at, rfbm, write, cr2)

static void test_far_fxsave_pf_reports_the_last_byte(void **state)
{
	const uint64_t p = UNMAPPED;

	(void)state;
	EXPECT_AREA_PF(fxsave_rdi, p - 16, 0, true, p - 16 + 511);
	EXPECT_AREA_PF(fxsave_rdi, p - 496, 0, true, p - 496 + 511);
	EXPECT_AREA_PF(fxrstor_rdi, p - 256, 0, false, p - 256 + 511);
}

static void test_far_fnsave_pf_reports_the_last_byte_or_the_first_field(void **state)
{
	const uint64_t p = UNMAPPED;

	(void)state;
	EXPECT_AREA_PF(fnsave_rdi, p - 4, 0, true, p - 4 + 107);
	EXPECT_AREA_PF(fnsave_rdi, p - 100, 0, true, p - 100 + 107);
	EXPECT_AREA_PF(frstor_rdi, p - 50, 0, false, p - 50 + 107);
	EXPECT_AREA_PF(fnstenv_rdi, p - 10, 0, true, p - 10 + 27);
	EXPECT_AREA_PF(fldenv_rdi, p - 4, 0, false, p - 4 + 27);
	/* A first field that crosses into the page: its first byte. */
	EXPECT_AREA_PF(fnsave_rdi, p - 2, 0, true, p);
	EXPECT_AREA_PF(fnstenv_rdi, p - 3, 0, true, p);
	/* The 16-bit image: 94 bytes, 2-byte fields. */
	EXPECT_AREA_PF(fnsave16_rdi, p - 2, 0, true, p - 2 + 93);
}

static void test_far_xsave_pf_reports_the_last_byte_of_the_requested_area(void **state)
{
	const uint64_t p = UNMAPPED;

	(void)state;
	EXPECT_AREA_PF(xsave_rdi, p - 64, 1, true, p - 64 + 575);
	EXPECT_AREA_PF(xsave_rdi, p - 512, 0, true, p - 512 + 575);
	EXPECT_AREA_PF(xsave_rdi, p - 64, 7, true, p - 64 + 831);
	EXPECT_AREA_PF(xsave_rdi, p - 768, 4, true, p - 768 + 831);
	EXPECT_AREA_PF(xsavec_rdi, p - 128, 7, true, p - 128 + 831);
}

/* XRSTOR: the first bytes, then the header (CR2 its first byte), its #GP,
 * the last byte of the requested area, then MXCSR's #GP. */
static void test_far_xrstor_probes_the_header_then_the_last_byte(void **state)
{
	const uint64_t p = UNMAPPED;
	struct ih *h;
	struct vcpu_state *s;

	(void)state;
	EXPECT_AREA_PF(xrstor_rdi, p - 64, 7, false, p - 64 + 512);
	EXPECT_AREA_PF(xrstor_rdi, p - 512, 1, false, p);

	h = far_ih("v3");
	h->state.cr4 |= CR4_OSFXSR | CR4_OSXSAVE;
	h->state.xcr0 = XSAVE_MODEL_XCR0;
	h->state.gpr[GPR_RDI] = p - 576;
	h->state.gpr[GPR_RAX] = 7;
	h->state.gpr[GPR_RDX] = 0;
	for (unsigned i = 0; i < 576; i += 8)
		ih_put(h, p - 576 + i, 0, 8);
	ih_put(h, p - 576 + 24, 0xffffffffu, 4); /* MXCSR with reserved bits */
	s = EXPECT_FAULT(h, xrstor_rdi, PF, 0, 0);
	assert_int_equal(s->cr2, p - 576 + 831);
	h->state = h->entry;
	h->state.cr4 |= CR4_OSFXSR | CR4_OSXSAVE;
	h->state.xcr0 = XSAVE_MODEL_XCR0;
	h->state.gpr[GPR_RDI] = p - 576;
	h->state.gpr[GPR_RAX] = 7;
	ih_put(h, p - 576 + 24, 0x1f80, 4);
	ih_put(h, p - 576 + 512, 1ull << 63, 8); /* XSTATE_BV beyond XCR0: #GP first */
	EXPECT_FAULT(h, xrstor_rdi, GP, 0, 0);
	ih_free(h);
}

/* The new CS is checked (#GP) before the pushes, and both pushes before
 * either is written (the host: a null or kernel CS is #GP with nothing
 * pushed; a good one with RSP at a page after an unmapped one is #PF, W, with
 * CR2 at CS's 4-byte slot). */
IH_ASM(call_far_rdi, ".byte 0xff, 0x1f");

static void test_far_call_checks_cs_before_its_pushes(void **state)
{
	struct ih *h = far_ih(IH_MODEL);
	struct vcpu_state *s;

	(void)state;
	enter_user(h);
	h->entry = h->state;
	h->state.gpr[GPR_RDI] = IH_DATA;
	ih_put(h, IH_STACK_TOP - 8, 0x1111111111111111ull, 8);
	put_pointer(h, IH_CODE + 2, 4, BOOT_SEL_CODE64);
	s = EXPECT_FAULT(h, call_far_rdi, GP, BOOT_SEL_CODE64, 0);
	assert_int_equal(ih_frame(h, 4), IH_STACK_TOP); /* the frame's RSP */
	assert_int_equal(ih_read(h, IH_STACK_TOP - 8, 8), 0x1111111111111111ull);
	(void)s;

	h->state = h->entry;
	h->state.gpr[GPR_RDI] = IH_DATA;
	h->state.gpr[GPR_RSP] = UNMAPPED + 0x200000; /* the first byte after the hole */
	put_pointer(h, IH_CODE + 2, 4, SEL_UCODE | 3);
	s = EXPECT_FAULT(h, call_far_rdi, PF, PFEC_W | PU, 0);
	assert_int_equal(s->cr2, UNMAPPED + 0x200000 - 4);
	ih_free(h);
}

/* The x87 environment and FSAVE image under alignment checking (CPL 3, CR0.AM,
 * RFLAGS.AC): #AC unless aligned to their fields, 4 bytes or 2 in the 16-bit
 * format, before a #PF; as the host does. */
IH_ASM(fnstenv16_rdi, "data16 fnstenv [rdi]");

static void expect_x87_image_ac(const uint8_t *body, size_t len, uint64_t at, bool ac)
{
	struct ih *h = far_ih(IH_MODEL);

	enter_user(h);
	h->state.cr0 |= CR0_AM;
	h->state.rflags |= RFLAGS_AC;
	h->state.gpr[GPR_RDI] = at;
	if (ac) {
		expect_fault(h, body, len, 17, 0, 0);
	} else {
		ih_exec(h, body, len);
	}
	ih_free(h);
}

#define EXPECT_X87_IMAGE_AC(body, at, ac) expect_x87_image_ac(body, IH_LEN(body), at, ac)

static void test_far_x87_images_are_alignment_checked_by_field(void **state)
{
	(void)state;
	EXPECT_X87_IMAGE_AC(fnstenv_rdi, IH_DATA + 4, false);
	EXPECT_X87_IMAGE_AC(fnstenv_rdi, IH_DATA + 2, true);
	EXPECT_X87_IMAGE_AC(fnstenv_rdi, IH_DATA + 1, true);
	EXPECT_X87_IMAGE_AC(fnsave_rdi, IH_DATA + 12, false);
	EXPECT_X87_IMAGE_AC(fnsave_rdi, IH_DATA + 7, true);
	EXPECT_X87_IMAGE_AC(fldenv_rdi, IH_DATA + 3, true);
	EXPECT_X87_IMAGE_AC(fnstenv16_rdi, IH_DATA + 2, false);
	EXPECT_X87_IMAGE_AC(fnstenv16_rdi, IH_DATA + 1, true);
	EXPECT_X87_IMAGE_AC(fnsave_rdi, UNMAPPED - 6, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_far_lfs_loads_offset_and_segment_at_each_size),
		cmocka_unit_test(test_far_rex_w_lfs_lgs_lss_read_m16_32),
		cmocka_unit_test(test_far_lss_switches_the_stack),
		cmocka_unit_test(test_far_lfs_lgs_faults),
		cmocka_unit_test(test_far_lfs_lgs_take_readable_code_and_null),
		cmocka_unit_test(test_far_lss_faults),
		cmocka_unit_test(test_far_lss_null_at_cpl0_and_cpl3),
		cmocka_unit_test(test_far_lss_makes_no_interrupt_shadow),
		cmocka_unit_test(test_far_pointer_offset_then_selector),
		cmocka_unit_test(test_far_lds_les_in_compatibility_mode),
		cmocka_unit_test(test_far_rex_w_jmp_and_call_read_m16_32),
		cmocka_unit_test(test_far_retf_to_an_inner_ring_reads_ss_and_rsp_first),
		cmocka_unit_test(test_far_retf_with_rpl3_faults_without_reading_ss),
		cmocka_unit_test(test_far_fxsave_pf_reports_the_last_byte),
		cmocka_unit_test(test_far_fnsave_pf_reports_the_last_byte_or_the_first_field),
		cmocka_unit_test(test_far_xsave_pf_reports_the_last_byte_of_the_requested_area),
		cmocka_unit_test(test_far_xrstor_probes_the_header_then_the_last_byte),
		cmocka_unit_test(test_far_call_checks_cs_before_its_pushes),
		cmocka_unit_test(test_far_x87_images_are_alignment_checked_by_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
