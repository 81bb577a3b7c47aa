/* Families that change control: forward branches, and instructions that fault
 * at CPL 3 or read system registers. */
#include "gen_internal.h"

/* Forward branches over 0-4 instructions (the target is fixed at layout). */
bool fam_branch(struct gen *g)
{
	static const ZydisMnemonic loops[] = { ZYDIS_MNEMONIC_LOOP, ZYDIS_MNEMONIC_LOOPE, ZYDIS_MNEMONIC_LOOPNE,
					       ZYDIS_MNEMONIC_JRCXZ, ZYDIS_MNEMONIC_JECXZ };
	unsigned kind = rng_below(&g->r, 8), cc = rng_below(&g->r, 16);
	bool near = rng_chance(&g->r, 1, 3);
	ZydisEncoderRequest q;
	struct item *it;
	uint16_t rd = 0;

	if (kind < 4) {
		gen_req_init(&q, gen_jcc[cc]);
		rd = gen_cc_reads(cc);
	} else if (kind < 6) {
		gen_req_init(&q, kind == 4 ? ZYDIS_MNEMONIC_JMP : ZYDIS_MNEMONIC_CALL);
		near |= kind == 5;
	} else {
		gen_req_init(&q, PICK(g, loops));
		near = false;
		if (q.mnemonic == ZYDIS_MNEMONIC_LOOPE || q.mnemonic == ZYDIS_MNEMONIC_LOOPNE)
			rd = F_ZF;
		if (q.mnemonic != ZYDIS_MNEMONIC_JECXZ && q.mnemonic != ZYDIS_MNEMONIC_JRCXZ && rng_chance(&g->r, 1, 4))
			q.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_32;
	}
	q.branch_type = near ? ZYDIS_BRANCH_TYPE_NEAR : ZYDIS_BRANCH_TYPE_SHORT;
	q.branch_width = near ? ZYDIS_BRANCH_WIDTH_32 : ZYDIS_BRANCH_WIDTH_8;
	gen_add_imm(&q, (int64_t)GI_CODE);
	if (!(it = gen_append(g, &q, rd, 0, 0)))
		return false;
	it->kind = ITEM_BRANCH;
	it->skip = (uint8_t)rng_below(&g->r, 5);
	it->fallthru = q.mnemonic != ZYDIS_MNEMONIC_JMP && q.mnemonic != ZYDIS_MNEMONIC_CALL;
	return true;
}
/* Instructions that fault at CPL 3 in 64-bit mode: privileged ones (#GP(0)) and
 * ones invalid in 64-bit mode (#UD). Each ends its sequence.
 *
 * Left out because on the nested development host they show the host instead of
 * the guest (user code runs natively there): INT n (the host answers #UD), SYSCALL
 * and SYSRET (the host's EFER.SCE), XGETBV (the host's CR4.OSXSAVE), segment
 * register loads and reads, LAR, LSL, VERR, VERW (the host's GDT and selectors);
 * and instructions the CPU model does not advertise but silicon executes anyway
 * (RDTSCP, RDRAND, RDPID, MONITOR). SYSENTER differs between vendors in 64-bit
 * mode. */
bool fam_faulting(struct gen *g)
{
	static const struct {
		uint8_t len, bytes[8];
	} insns[] = {
		{ 1, { 0xf4 } },		      /* hlt */
		{ 1, { 0xfa } },		      /* cli (IOPL 0) */
		{ 1, { 0xfb } },		      /* sti */
		{ 3, { 0x0f, 0x01, 0xf8 } },	      /* swapgs */
		{ 2, { 0x0f, 0x32 } },		      /* rdmsr */
		{ 2, { 0x0f, 0x30 } },		      /* wrmsr */
		{ 3, { 0x0f, 0x20, 0xc0 } },	      /* mov rax, cr0 */
		{ 3, { 0x0f, 0x22, 0xd8 } },	      /* mov cr3, rax */
		{ 3, { 0x0f, 0x21, 0xc0 } },	      /* mov rax, dr0 */
		{ 2, { 0x0f, 0x06 } },		      /* clts */
		{ 2, { 0x0f, 0x09 } },		      /* wbinvd */
		{ 2, { 0x0f, 0x08 } },		      /* invd */
		{ 3, { 0x0f, 0x01, 0x38 } },	      /* invlpg [rax] */
		{ 3, { 0x0f, 0x01, 0x10 } },	      /* lgdt [rax] */
		{ 3, { 0x0f, 0x01, 0x18 } },	      /* lidt [rax] */
		{ 3, { 0x0f, 0x01, 0xf0 } },	      /* lmsw ax */
		{ 3, { 0x0f, 0x01, 0x30 } },	      /* lmsw [rax] */
		{ 3, { 0x0f, 0x00, 0xd8 } },	      /* ltr ax */
		{ 3, { 0x0f, 0x00, 0x18 } },	      /* ltr [rax] */
		{ 3, { 0x0f, 0x00, 0xd0 } },	      /* lldt ax */
		{ 3, { 0x0f, 0x00, 0x10 } },	      /* lldt [rax] */
		{ 2, { 0xe4, 0x80 } },		      /* in al, 0x80 (IOPL 0, no bitmap) */
		{ 2, { 0xe6, 0x80 } },		      /* out 0x80, al */
		{ 1, { 0xec } },		      /* in al, dx */
		{ 1, { 0xef } },		      /* out dx, eax */
		{ 1, { 0x6c } },		      /* insb */
		{ 1, { 0x6f } },		      /* outsd */
		{ 2, { 0x0f, 0x33 } },		      /* rdpmc (CR4.PCE = 0) */
		{ 2, { 0x0f, 0x0b } },		      /* ud2 */
		{ 3, { 0x0f, 0xb9, 0xc0 } },	      /* ud1 */
		{ 3, { 0x0f, 0xff, 0xc0 } },	      /* ud0 */
		{ 1, { 0x06 } },		      /* push es: invalid in 64-bit mode */
		{ 1, { 0x1f } },		      /* pop ds */
		{ 1, { 0x27 } },		      /* daa */
		{ 1, { 0x37 } },		      /* aaa */
		{ 1, { 0x60 } },		      /* pusha */
		{ 1, { 0xce } },		      /* into */
		{ 2, { 0xd4, 0x0a } },		      /* aam */
		{ 1, { 0xd6 } },		      /* salc */
		{ 7, { 0xea, 0, 0, 1, 0, 0x23, 0 } }, /* jmp far ptr16:32 */
		{ 3, { 0xf0, 0x01, 0xc0 } },	      /* lock add eax, eax */
		{ 3, { 0xf0, 0x0f, 0x0b } },	      /* lock ud2 */
		{ 3, { 0x0f, 0x01, 0xca } },	      /* clac (no SMAP) */
	};
	unsigned k = rng_below(&g->r, ARRAY_LEN(insns));
	/* RDPMC at CPL 3 depends on the host kernel's CR4.PCE. */
	bool host_state = insns[k].bytes[0] == 0x0f && insns[k].bytes[1] == 0x33;

	if (host_state && !gen_host_state_allowed)
		return false;
	if (!gen_emit_raw(g, insns[k].bytes, insns[k].len))
		return false;
	g->s->it[g->s->n - 1].host_state = host_state;
	return true;
}

/* SGDT, SIDT, SMSW to memory and SLDT, STR, SMSW to a register: allowed at
 * CPL 3 without UMIP, and they report the guest's tables. */
bool fam_system_read(struct gen *g)
{
	static const uint8_t insns[][3] = {
		{ 0x0f, 0x01, 0x00 }, /* sgdt [rax] */
		{ 0x0f, 0x01, 0x08 }, /* sidt [rax] */
		{ 0x0f, 0x01, 0x20 }, /* smsw [rax] */
		{ 0x0f, 0x00, 0xc0 }, /* sldt eax */
		{ 0x0f, 0x00, 0xc8 }, /* str eax */
		{ 0x0f, 0x01, 0xe0 }, /* smsw eax */
	};

	if (!gen_emit_setup(g, RAX_N, rng_range(&g->r, ADDR_LO, ADDR_HI)) ||
	    !gen_emit_raw(g, insns[rng_below(&g->r, ARRAY_LEN(insns))], 3))
		return false;
	g->s->it[g->s->n - 1].host_state = 1;
	return true;
}
