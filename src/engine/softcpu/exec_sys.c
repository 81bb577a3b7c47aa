/* System instructions: port I/O and hypercalls, CPUID, RDTSC, MSRs, control and
 * debug registers, descriptor-table registers, HLT, CLI/STI, PUSHF/POPF,
 * SYSCALL/SYSRET, SYSENTER/SYSEXIT, SWAPGS, cache and TLB maintenance. */
#include <string.h>

#include "engine/hypercall_abi.h"
#include "engine/softcpu/debug.h"
#include "engine/softcpu/handlers.h"
#include "engine/softcpu/flags.h"
#include "engine/softcpu/segment.h"
#include "engine/softcpu/io.h"
#include "engine/softcpu/mem.h"
#include "engine/softcpu/kvmclock.h"
#include "engine/softcpu/stack.h"
#include "x86/arch.h"
#include "x86/cpu_model.h"
#include "x86/descriptor.h"
#include "x86/msr_model.h"

static void require_cpl0(struct soft_cpu *cpu)
{
	if (cpu->cpl != 0)
		cpu_raise(cpu, EXC_GP, true, 0);
}

/* ---- port I/O ------------------------------------------------------------------- */

static uint16_t io_port_of(struct soft_cpu *cpu, const struct operand *o)
{
	return o->kind == OK_IMM ? (uint16_t)o->imm : (uint16_t)cpu->gpr[GPR_RDX];
}

static void h_in(struct soft_cpu *cpu, const struct insn *in)
{
	uint16_t port = io_port_of(cpu, &in->op[1]);
	unsigned size = in->op[0].size;

	io_check_permission(cpu, port, size);
	reg_write(cpu, GPR_RAX, size, io_port_read(cpu, port, size));
}

/* A hypercall (docs/guest-abi.md): exits once; when run() resumes, the result is
 * already in RAX and the OUT retires. */
static void hypercall(struct soft_cpu *cpu)
{
	uint64_t mask = cpu->mode == MODE_LONG64 ? ~0ull : 0xffffffffull;
	struct replay_entry *e;

	if (cpu->replay_pos < cpu->replay_count && cpu->replay[cpu->replay_pos].done) {
		cpu->replay_pos++;
		return;
	}
	e = &cpu->replay[0];
	cpu->replay_count = 1;
	cpu->replay_pos = 0;
	*e = (struct replay_entry){ .kind = REPLAY_OUT, .size = 1, .addr = HC_PORT };
	memset(&cpu->exit, 0, sizeof(cpu->exit));
	cpu->exit.reason = EXIT_HYPERCALL;
	cpu->exit.rip = cpu->rip;
	cpu->exit.hypercall.nr = cpu->gpr[GPR_RAX] & mask;
	cpu->exit.hypercall.args[0] = cpu->gpr[GPR_RBX] & mask;
	cpu->exit.hypercall.args[1] = cpu->gpr[GPR_RCX] & mask;
	cpu->exit.hypercall.args[2] = cpu->gpr[GPR_RDX] & mask;
	cpu->exit.hypercall.args[3] = cpu->gpr[GPR_RSI] & mask;
	cpu->hypercall_pending = true;
	cpu_exit_and_replay(cpu);
}

static void h_out(struct soft_cpu *cpu, const struct insn *in)
{
	uint16_t port = io_port_of(cpu, &in->op[0]);
	unsigned size = in->op[1].size;

	io_check_permission(cpu, port, size);
	if (port == HC_PORT)
		hypercall(cpu);
	else
		io_port_write(cpu, port, size, cpu->gpr[GPR_RAX]);
}

/* ---- identification and time ---------------------------------------------------- */

static void h_cpuid(struct soft_cpu *cpu, const struct insn *in)
{
	uint32_t function = (uint32_t)cpu->gpr[GPR_RAX], index = (uint32_t)cpu->gpr[GPR_RCX];
	struct cpuid_result r;

	(void)in;
	cpu_model_cpuid(cpu->model, function, index, (uint32_t)cpu->index, &r);
	cpu_model_cpuid_runtime(cpu->model, function, index, (cpu->cr4 & CR4_OSXSAVE) != 0, cpu->xcr0, &r);
	reg_write(cpu, GPR_RAX, 4, r.eax);
	reg_write(cpu, GPR_RBX, 4, r.ebx);
	reg_write(cpu, GPR_RCX, 4, r.ecx);
	reg_write(cpu, GPR_RDX, 4, r.edx);
}

static void h_rdtsc(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t t;

	(void)in;
	if ((cpu->cr4 & (1ull << 2)) && cpu->cpl != 0) /* CR4.TSD */
		cpu_raise(cpu, EXC_GP, true, 0);
	t = cpu_read_tsc(cpu);
	reg_write(cpu, GPR_RAX, 4, t & 0xffffffff);
	reg_write(cpu, GPR_RDX, 4, t >> 32);
}

/* RDTSCP: RDTSC's answer, and IA32_TSC_AUX[31:0] in ECX (RCX's upper half
 * cleared); RDPID: IA32_TSC_AUX in a register, with no CR4.TSD check (SDM
 * Vol. 2, RDTSCP and RDPID). */
static void h_rdtscp(struct soft_cpu *cpu, const struct insn *in)
{
	h_rdtsc(cpu, in);
	reg_write(cpu, GPR_RCX, 4, cpu->msr.tsc_aux & 0xffffffff);
}

static void h_rdpid(struct soft_cpu *cpu, const struct insn *in)
{
	reg_write(cpu, in->op[0].reg, in->op[0].size, cpu->msr.tsc_aux & 0xffffffff);
}

/* IA32_TSC_AUX is there where RDTSCP or RDPID is (SDM Vol. 4, table 2-2). */
static bool has_tsc_aux(const struct soft_cpu *cpu)
{
	return cpu_model_has(cpu->model, CPUID_F_RDTSCP) || cpu_model_has(cpu->model, CPUID_F_RDPID);
}

/* ---- MSRs -------------------------------------------------------------------------- */

static bool msr_read(struct soft_cpu *cpu, uint32_t index, uint64_t *v)
{
	if (kvmclock_msr_read(cpu, index, v))
		return true;

	switch (index) {
	case MSR_EFER:
		*v = cpu->efer;
		return true;
	case MSR_STAR:
		*v = cpu->msr.star;
		return true;
	case MSR_LSTAR:
		*v = cpu->msr.lstar;
		return true;
	case MSR_CSTAR:
		*v = cpu->msr.cstar;
		return true;
	case MSR_SFMASK:
		*v = cpu->msr.sfmask;
		return true;
	case MSR_FS_BASE:
		*v = cpu->seg[SREG_FS].base;
		return true;
	case MSR_GS_BASE:
		*v = cpu->seg[SREG_GS].base;
		return true;
	case MSR_KERNEL_GS_BASE:
		*v = cpu->msr.kernel_gs_base;
		return true;
	case MSR_SYSENTER_CS:
		*v = cpu->msr.sysenter_cs;
		return true;
	case MSR_SYSENTER_ESP:
		*v = cpu->msr.sysenter_esp;
		return true;
	case MSR_SYSENTER_EIP:
		*v = cpu->msr.sysenter_eip;
		return true;
	case MSR_TSC:
		*v = cpu_read_tsc(cpu);
		return true;
	case MSR_PAT:
		*v = cpu->msr.pat;
		return true;
	case MSR_MISC_ENABLE:
		*v = cpu->msr.misc_enable;
		return true;
	case MSR_APIC_BASE:
		*v = cpu->apic_base;
		return true;
	case MSR_TSC_AUX:
		*v = cpu->msr.tsc_aux;
		return has_tsc_aux(cpu);
	default:
		/* The model's plain registers, or #GP (x86/msr_model.h). */
		return msr_model_read(&cpu->msr.stored, index, v);
	}
}

static bool msr_write(struct soft_cpu *cpu, uint32_t index, uint64_t v)
{
	if (kvmclock_msr_write(cpu, index, v))
		return true;
	switch (index) {
	case MSR_EFER: {
		/* SCE, LME, NXE are writable; LMA is the processor's; LME cannot change
		 * while paging is on. */
		uint64_t allowed = EFER_SCE | EFER_LME | EFER_NXE;

		if (v & ~(allowed | EFER_LMA))
			return false;
		if ((cpu->cr0 & CR0_PG) && ((v ^ cpu->efer) & EFER_LME))
			return false;
		cpu->efer = (v & allowed) | (cpu->efer & EFER_LMA);
		cpu_paging_changed(cpu, false);
		return true;
	}
	case MSR_STAR:
		cpu->msr.star = v;
		return true;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_SYSENTER_ESP:
	case MSR_SYSENTER_EIP:
		/* Addresses must be canonical. */
		if (!is_canonical(v))
			return false;
		if (index == MSR_LSTAR)
			cpu->msr.lstar = v;
		else if (index == MSR_CSTAR)
			cpu->msr.cstar = v;
		else if (index == MSR_FS_BASE)
			cpu->seg[SREG_FS].base = v;
		else if (index == MSR_GS_BASE)
			cpu->seg[SREG_GS].base = v;
		else if (index == MSR_KERNEL_GS_BASE)
			cpu->msr.kernel_gs_base = v;
		else if (index == MSR_SYSENTER_ESP)
			cpu->msr.sysenter_esp = v;
		else
			cpu->msr.sysenter_eip = v;
		return true;
	case MSR_SFMASK:
		cpu->msr.sfmask = v & 0xffffffff;
		return true;
	case MSR_SYSENTER_CS:
		cpu->msr.sysenter_cs = v & 0xffff;
		return true;
	case MSR_TSC:
		cpu_write_tsc(cpu, v);
		kvmclock_tsc_changed(cpu);
		return true;
	case MSR_PAT:
		/* Each byte must name a memory type: 0, 1, 4, 5, 6 or 7. */
		for (int i = 0; i < 8; i++) {
			unsigned t = (unsigned)(v >> (8 * i)) & 0xff;

			if (t > 7 || t == 2 || t == 3)
				return false;
		}
		cpu->msr.pat = v;
		return true;
	case MSR_MISC_ENABLE:
		cpu->msr.misc_enable = v;
		return true;
	case MSR_APIC_BASE:
		cpu->apic_base = v;
		return true;
	case MSR_TSC_AUX:
		/* Bits 63:32 are reserved (#GP) on Intel; AMD processors ignore
		 * them and read them as zero, as the modelled one does. */
		if (!has_tsc_aux(cpu))
			return false;
		cpu->msr.tsc_aux = v & 0xffffffff;
		return true;
	default:
		return msr_model_write(&cpu->msr.stored, index, v);
	}
}

static void h_rdmsr(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t v;

	(void)in;
	require_cpl0(cpu);
	if (!msr_read(cpu, (uint32_t)cpu->gpr[GPR_RCX], &v))
		cpu_raise(cpu, EXC_GP, true, 0);
	reg_write(cpu, GPR_RAX, 4, v & 0xffffffff);
	reg_write(cpu, GPR_RDX, 4, v >> 32);
}

static void h_wrmsr(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t v = (cpu->gpr[GPR_RDX] << 32) | (cpu->gpr[GPR_RAX] & 0xffffffff);

	(void)in;
	require_cpl0(cpu);
	if (!msr_write(cpu, (uint32_t)cpu->gpr[GPR_RCX], v))
		cpu_raise(cpu, EXC_GP, true, 0);
}

/* ---- control registers -------------------------------------------------------------- */

static void write_cr0(struct soft_cpu *cpu, uint64_t v)
{
	uint64_t changed;

	v |= CR0_ET;
	if ((v >> 32) || ((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
		cpu_raise(cpu, EXC_GP, true, 0);
	/* Turning paging on with EFER.LME activates long mode, which needs PAE. */
	if ((v & CR0_PG) && !(cpu->cr0 & CR0_PG) && (cpu->efer & EFER_LME)) {
		if (!(cpu->cr4 & CR4_PAE))
			cpu_raise(cpu, EXC_GP, true, 0);
		cpu->efer |= EFER_LMA;
	}
	if (!(v & CR0_PG) && (cpu->cr0 & CR0_PG) && (cpu->efer & EFER_LMA)) {
		if (cpu->mode == MODE_LONG64)
			cpu_raise(cpu, EXC_GP, true, 0);
		cpu->efer &= ~EFER_LMA;
	}
	/* Entering PAE paging loads the PDPTEs (and may fault before anything changes). */
	if (mmu_pae_paging(cpu, v, cpu->cr4) && !mmu_pae_paging(cpu, cpu->cr0, cpu->cr4))
		mmu_load_pdptes(cpu, cpu->cr3);
	changed = cpu->cr0 ^ v;
	cpu->cr0 = v;
	if (changed & (CR0_PG | CR0_WP | CR0_PE))
		cpu_paging_changed(cpu, false);
	cpu_update_mode(cpu);
	cpu->leave_block = true;
}

static void write_cr4(struct soft_cpu *cpu, uint64_t v)
{
	/* Bits the CPU model implements: VME/PVI/TSD/DE are not modelled beyond TSD. */
	uint64_t allowed = (1ull << 2) | CR4_PSE | CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT | (1ull << 3);

	/* MCE: machine-check exceptions enabled; the model never raises one. */
	allowed |= CR4_MCE;
	/* OSXSAVE where the model has XSAVE; otherwise reserved (SDM Vol. 3A, 2.5). */
	if (cpu_model_has(cpu->model, CPUID_F_XSAVE))
		allowed |= CR4_OSXSAVE;
	/* FSGSBASE: RDFSBASE and the rest (exec_fsgsbase.c), where the model has them. */
	if (cpu_model_has(cpu->model, CPUID_F_FSGSBASE))
		allowed |= CR4_FSGSBASE;
	if (v & ~allowed)
		cpu_raise(cpu, EXC_GP, true, 0);
	if ((cpu->efer & EFER_LMA) && !(v & CR4_PAE))
		cpu_raise(cpu, EXC_GP, true, 0);
	/* In PAE paging, changing PAE, PGE or PSE reloads the PDPTEs (SDM 4.4.1). */
	if (mmu_pae_paging(cpu, cpu->cr0, v) && ((cpu->cr4 ^ v) & (CR4_PSE | CR4_PAE | CR4_PGE)))
		mmu_load_pdptes(cpu, cpu->cr3);
	if ((cpu->cr4 ^ v) & (CR4_PSE | CR4_PAE | CR4_PGE))
		cpu_paging_changed(cpu, false);
	if ((cpu->cr4 ^ v) & CR4_DE) {
		cpu->cr4 = v;
		debug_update(cpu); /* DE turns I/O breakpoints on or off */
	}
	/* OSFXSR and OSXSAVE decide which vector instructions fault: a
	 * translating engine copies them only while they do not. */
	if ((cpu->cr4 ^ v) & (CR4_OSFXSR | CR4_OSXSAVE))
		cpu->leave_block = true;
	cpu->cr4 = v;
}

static void h_mov_cr(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *d = &in->op[0], *s = &in->op[1];

	require_cpl0(cpu);
	if (d->kind == OK_CR) {
		uint64_t v = reg_read(cpu, s->reg, in->op[1].size);

		switch (d->reg) {
		case 0:
			write_cr0(cpu, v);
			break;
		case 2:
			cpu->cr2 = v;
			break;
		case 3:
			if (mmu_pae_paging(cpu, cpu->cr0, cpu->cr4))
				mmu_load_pdptes(cpu, v); /* #GP(0) for reserved bits, CR3 unchanged */
			cpu->cr3 = v;
			cpu_paging_changed(cpu, true); /* global pages stay */
			break;
		case 4:
			write_cr4(cpu, v);
			break;
		case 8:
			cpu->cr8 = v & 0xf;
			break;
		default:
			cpu_raise_ud(cpu);
		}
		return;
	}
	switch (s->reg) {
	case 0:
		reg_write(cpu, d->reg, d->size, cpu->cr0);
		break;
	case 2:
		reg_write(cpu, d->reg, d->size, cpu->cr2);
		break;
	case 3:
		reg_write(cpu, d->reg, d->size, cpu->cr3);
		break;
	case 4:
		reg_write(cpu, d->reg, d->size, cpu->cr4);
		break;
	case 8:
		reg_write(cpu, d->reg, d->size, cpu->cr8);
		break;
	default:
		cpu_raise_ud(cpu);
	}
}

void h_mov_special(struct soft_cpu *cpu, const struct insn *in)
{
	if (in->op[0].kind == OK_DR || in->op[1].kind == OK_DR)
		debug_mov_dr(cpu, in);
	else
		h_mov_cr(cpu, in);
}

/* The stores of SGDT, SIDT and SMSW: AMD processors do not alignment-check them. */
static void store_unaligned_ok(struct soft_cpu *cpu, unsigned sreg, uint64_t off, unsigned size, uint64_t v)
{
	unsigned acc = ACC_WRITE | ACC_NO_ALIGN;

	mem_write_lin(cpu, seg_lin(cpu, sreg, off, size, acc), size, v, acc);
}

static void h_clts(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	require_cpl0(cpu);
	cpu->cr0 &= ~CR0_TS;
}

static void h_lmsw(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t v;

	require_cpl0(cpu);
	v = op_read(cpu, in, &in->op[0]);
	/* LMSW sets PE (it cannot clear it) and writes MP, EM, TS. */
	write_cr0(cpu, (cpu->cr0 & ~0xeull) | (v & 0xf) | (cpu->cr0 & CR0_PE));
}

static void h_smsw(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *o = &in->op[0];

	if (o->kind == OK_MEM)
		store_unaligned_ok(cpu, o->seg, insn_ea(cpu, in, o), o->size, cpu->cr0);
	else
		op_write(cpu, in, o, cpu->cr0);
}

/* ---- descriptor tables ------------------------------------------------------------- */

static void load_dtable(struct soft_cpu *cpu, const struct insn *in, struct x86_dtable *t)
{
	const struct operand *o = &in->op[0];
	uint64_t ea, base;
	uint16_t limit;

	/* Privilege first: at CPL > 0 the operand is never read (#GP, not #PF). */
	require_cpl0(cpu);
	ea = insn_ea(cpu, in, o);
	limit = (uint16_t)mem_read(cpu, o->seg, ea, 2);
	base = mem_read(cpu, o->seg, (ea + 2) & size_mask(in->addrsize), cpu->mode == MODE_LONG64 ? 8 : 4);
	/* With a 16-bit operand size only 24 bits of the base are used. */
	if (cpu->mode != MODE_LONG64)
		base &= in->opsize == 2 ? 0xffffff : 0xffffffff;
	t->limit = limit;
	t->base = base;
}

static void store_dtable(struct soft_cpu *cpu, const struct insn *in, const struct x86_dtable *t)
{
	const struct operand *o = &in->op[0];
	uint64_t ea = insn_ea(cpu, in, o), ea2 = (ea + 2) & size_mask(in->addrsize);
	unsigned bsize = cpu->mode == MODE_LONG64 ? 8 : 4;

	store_unaligned_ok(cpu, o->seg, ea, 2, t->limit);
	store_unaligned_ok(cpu, o->seg, ea2, bsize, t->base);
}

static void h_lgdt(struct soft_cpu *cpu, const struct insn *in)
{
	load_dtable(cpu, in, &cpu->gdtr);
}
static void h_lidt(struct soft_cpu *cpu, const struct insn *in)
{
	load_dtable(cpu, in, &cpu->idtr);
}
static void h_sgdt(struct soft_cpu *cpu, const struct insn *in)
{
	store_dtable(cpu, in, &cpu->gdtr);
}
static void h_sidt(struct soft_cpu *cpu, const struct insn *in)
{
	store_dtable(cpu, in, &cpu->idtr);
}

/* LLDT/LTR: a system descriptor from the GDT (16 bytes in long mode). */
static void load_system_segment(struct soft_cpu *cpu, const struct insn *in, bool tss)
{
	struct x86_segment *dst = tss ? &cpu->tr : &cpu->ldtr;
	struct x86_segment s;
	uint16_t sel;
	uint64_t d;

	if (cpu->mode == MODE_REAL)
		cpu_raise_ud(cpu);
	require_cpl0(cpu);
	sel = (uint16_t)op_read(cpu, in, &in->op[0]);
	if ((sel & 0xfffc) == 0) {
		if (tss)
			cpu_raise(cpu, EXC_GP, true, 0);
		memset(dst, 0, sizeof(*dst));
		dst->unusable = 1;
		return;
	}
	if (sel & 4) /* must be in the GDT */
		cpu_raise(cpu, EXC_GP, true, sel & 0xfffc);
	d = segment_descriptor(cpu, sel, EXC_GP);
	x86_descriptor_decode(d, sel, &s);
	if (s.s || (tss ? (s.type != 0x9 && s.type != 0x1) : s.type != 0x2))
		cpu_raise(cpu, EXC_GP, true, sel & 0xfffc);
	if (!s.present)
		cpu_raise(cpu, EXC_NP, true, sel & 0xfffc);
	if (cpu->efer & EFER_LMA)
		s.base |= mem_read_lin(cpu, cpu->gdtr.base + (sel & 0xfff8) + 8, 4, ACC_READ | ACC_SYSTEM) << 32;
	if (tss) {
		/* Mark it busy in the descriptor and in the register. */
		s.type |= 0x2;
		mem_write_lin(cpu, cpu->gdtr.base + (sel & 0xfff8), 8, d | (1ull << 41), ACC_WRITE | ACC_SYSTEM);
	}
	*dst = s;
}

static void h_lldt(struct soft_cpu *cpu, const struct insn *in)
{
	load_system_segment(cpu, in, false);
}
static void h_ltr(struct soft_cpu *cpu, const struct insn *in)
{
	load_system_segment(cpu, in, true);
}
static void h_sldt(struct soft_cpu *cpu, const struct insn *in)
{
	op_write(cpu, in, &in->op[0], cpu->ldtr.selector);
}
static void h_str(struct soft_cpu *cpu, const struct insn *in)
{
	op_write(cpu, in, &in->op[0], cpu->tr.selector);
}

/* ---- interrupts and halting ---------------------------------------------------------- */

static void h_hlt(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	require_cpl0(cpu);
	cpu->halted = true;
	cpu->leave_block = true;
}

static void h_cli(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	if (cpu->mode != MODE_REAL && cpu->cpl > cpu_iopl(cpu))
		cpu_raise(cpu, EXC_GP, true, 0);
	cpu->rflags &= ~RFLAGS_IF;
}

static void h_sti(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	if (cpu->mode != MODE_REAL && cpu->cpl > cpu_iopl(cpu))
		cpu_raise(cpu, EXC_GP, true, 0);
	/* Interrupts stay blocked for one more instruction, only if they were off. */
	if (!(cpu->rflags & RFLAGS_IF))
		cpu->interrupt_shadow = true;
	cpu->rflags |= RFLAGS_IF;
	cpu->leave_block = true;
}

static void h_pushf(struct soft_cpu *cpu, const struct insn *in)
{
	/* VM and RF read as zero in the pushed image. */
	stack_push(cpu, in->opsize, flags_get(cpu) & ~(RFLAGS_VM | RFLAGS_RF));
}

static void h_popf(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t v = stack_peek(cpu, in->opsize, 0), keep = RFLAGS_VM | RFLAGS_VIP | RFLAGS_VIF | RFLAGS_RF;
	uint64_t old = flags_get(cpu);

	/* IOPL changes only at CPL 0, IF only when CPL <= IOPL (real mode: both). */
	if (cpu->mode != MODE_REAL) {
		if (cpu->cpl > 0)
			keep |= RFLAGS_IOPL_MASK;
		if (cpu->cpl > cpu_iopl(cpu))
			keep |= RFLAGS_IF;
	}
	if (in->opsize == 2)
		v = (old & ~0xffffull) | (v & 0xffff);
	v = (v & ~keep) | (old & keep);
	stack_set_sp(cpu, cpu->gpr[GPR_RSP] + in->opsize);
	cpu->rflags = (v & 0x3f7fd7ull) | 0x2;
	cpu->lf.op = LF_NONE;
	cpu_update_mode(cpu);	 /* AC may have changed alignment checking */
	cpu->leave_block = true; /* IF may have changed: look at events */
}

/* ---- fast system calls --------------------------------------------------------------- */

static void flat_code(struct x86_segment *s, uint16_t sel, bool l, unsigned dpl)
{
	x86_segment_flat(s, sel, 0xb, l ? 0 : 1, l);
	s->dpl = (uint8_t)dpl;
}

static void flat_stack(struct x86_segment *s, uint16_t sel, unsigned dpl)
{
	x86_segment_flat(s, sel, 0x3, 1, 0);
	s->dpl = (uint8_t)dpl;
}

static void h_syscall(struct soft_cpu *cpu, const struct insn *in)
{
	uint16_t sel = (uint16_t)(cpu->msr.star >> 32);

	(void)in;
	if (!(cpu->efer & EFER_SCE) || cpu->mode == MODE_REAL)
		cpu_raise_ud(cpu);
	flags_materialize(cpu);
	if (cpu->efer & EFER_LMA) {
		cpu->gpr[GPR_RCX] = cpu->rip_next;
		cpu->gpr[GPR_R11] = cpu->rflags & ~RFLAGS_RF;
		cpu->rflags &= ~(cpu->msr.sfmask | RFLAGS_RF);
		cpu->rip_next = cpu->mode == MODE_LONG64 ? cpu->msr.lstar : cpu->msr.cstar;
		flat_code(&cpu->seg[SREG_CS], sel & 0xfffc, true, 0);
	} else {
		cpu->gpr[GPR_RCX] = cpu->rip_next & 0xffffffff;
		cpu->rflags &= ~(RFLAGS_VM | RFLAGS_IF | RFLAGS_RF);
		cpu->rip_next = cpu->msr.star & 0xffffffff;
		flat_code(&cpu->seg[SREG_CS], sel & 0xfffc, false, 0);
	}
	flat_stack(&cpu->seg[SREG_SS], (uint16_t)((sel + 8) & 0xfffc), 0);
	cpu_update_mode(cpu);
}

static void h_sysret(struct soft_cpu *cpu, const struct insn *in)
{
	uint16_t sel = (uint16_t)(cpu->msr.star >> 48);

	if (!(cpu->efer & EFER_SCE) || cpu->mode == MODE_REAL)
		cpu_raise_ud(cpu);
	require_cpl0(cpu);
	if (!(cpu->efer & EFER_LMA))
		cpu_raise(cpu, EXC_GP, true, 0); /* legacy-mode SYSRET is not modelled */
	if (in->opsize == 8) {
		if (!is_canonical(cpu->gpr[GPR_RCX]))
			cpu_raise(cpu, EXC_GP, true, 0);
		flat_code(&cpu->seg[SREG_CS], (uint16_t)((sel + 16) | 3), true, 3);
		cpu->rip_next = cpu->gpr[GPR_RCX];
	} else {
		flat_code(&cpu->seg[SREG_CS], (uint16_t)(sel | 3), false, 3);
		cpu->rip_next = cpu->gpr[GPR_RCX] & 0xffffffff;
	}
	cpu->rflags = (cpu->gpr[GPR_R11] & 0x3c7fd7ull) | 0x2;
	cpu->lf.op = LF_NONE;
	/* SS gets the selector with RPL 3; its cache keeps the flat attributes. */
	flat_stack(&cpu->seg[SREG_SS], (uint16_t)((sel + 8) | 3), 3);
	cpu_update_mode(cpu);
	/* A SYSRET that restores TF traps at once (debug.c): leave the block for that. */
	if (cpu->rflags & RFLAGS_TF)
		cpu->leave_block = true;
}

static void h_sysenter(struct soft_cpu *cpu, const struct insn *in)
{
	uint16_t cs = (uint16_t)cpu->msr.sysenter_cs;

	(void)in;
	/* The CPU model is AMD's: SYSENTER is #UD in long mode. */
	if (cpu->mode == MODE_REAL || (cpu->efer & EFER_LMA))
		cpu_raise_ud(cpu);
	if ((cs & 0xfffc) == 0)
		cpu_raise(cpu, EXC_GP, true, 0);
	flags_materialize(cpu);
	cpu->rflags &= ~(RFLAGS_VM | RFLAGS_IF | RFLAGS_RF);
	flat_code(&cpu->seg[SREG_CS], cs & 0xfffc, false, 0);
	flat_stack(&cpu->seg[SREG_SS], (uint16_t)((cs + 8) & 0xfffc), 0);
	cpu->gpr[GPR_RSP] = cpu->msr.sysenter_esp & 0xffffffff;
	cpu->rip_next = cpu->msr.sysenter_eip & 0xffffffff;
	cpu_update_mode(cpu);
}

static void h_sysexit(struct soft_cpu *cpu, const struct insn *in)
{
	uint16_t cs = (uint16_t)cpu->msr.sysenter_cs;

	(void)in;
	if (cpu->mode == MODE_REAL || (cpu->efer & EFER_LMA))
		cpu_raise_ud(cpu);
	require_cpl0(cpu);
	if ((cs & 0xfffc) == 0)
		cpu_raise(cpu, EXC_GP, true, 0);
	flat_code(&cpu->seg[SREG_CS], (uint16_t)((cs + 16) | 3), false, 3);
	flat_stack(&cpu->seg[SREG_SS], (uint16_t)((cs + 24) | 3), 3);
	cpu->gpr[GPR_RSP] = cpu->gpr[GPR_RCX] & 0xffffffff;
	cpu->rip_next = cpu->gpr[GPR_RDX] & 0xffffffff;
	cpu_update_mode(cpu);
}

static void h_swapgs(struct soft_cpu *cpu, const struct insn *in)
{
	uint64_t t = cpu->seg[SREG_GS].base;

	(void)in;
	if (cpu->mode != MODE_LONG64)
		cpu_raise_ud(cpu);
	require_cpl0(cpu);
	cpu->seg[SREG_GS].base = cpu->msr.kernel_gs_base;
	cpu->msr.kernel_gs_base = t;
}

/* ---- caches, TLB, fences ------------------------------------------------------------ */

static void h_invlpg(struct soft_cpu *cpu, const struct insn *in)
{
	const struct operand *o = &in->op[0];
	uint64_t lin;

	require_cpl0(cpu);
	lin = cpu->mode == MODE_LONG64
		  ? insn_ea(cpu, in, o) + ((o->seg == SREG_FS || o->seg == SREG_GS) ? cpu->seg[o->seg].base : 0)
		  : (cpu->seg[o->seg].base + insn_ea(cpu, in, o)) & 0xffffffff;
	tlb_flush_page(cpu, lin);
}

static void h_privileged_nop(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	require_cpl0(cpu); /* WBINVD, INVD: no caches to write back */
}

static void h_fence(struct soft_cpu *cpu, const struct insn *in)
{
	(void)cpu;
	(void)in; /* one vCPU, in order: CLFLUSH and prefetches have nothing to do */
}

/* SFENCE and MFENCE order the guest's stores as seen by the device threads,
 * which read guest RAM: dbt runs MOVNT* as themselves (weakly ordered host
 * stores), so a guest that fences before publishing a flag must get a real
 * fence. LFENCE orders nothing another thread sees. */
static void h_store_fence(struct soft_cpu *cpu, const struct insn *in)
{
	(void)cpu;
	(void)in;
	__asm__ volatile("mfence" ::: "memory");
}

/* ---- LAR, LSL, VERR, VERW ------------------------------------------------------ */

/* The descriptor of a selector for the checking instructions, or false (ZF = 0)
 * when it is null or outside its table: they report, never fault on it. */
static bool check_descriptor(struct soft_cpu *cpu, uint16_t sel, struct x86_segment *s, uint64_t *raw)
{
	const struct x86_segment *ldt = &cpu->ldtr;
	uint64_t base = (sel & 4) ? ldt->base : cpu->gdtr.base;
	uint64_t limit = (sel & 4) ? ldt->limit : cpu->gdtr.limit;

	if ((sel & 0xfffc) == 0 || ((sel & 4) && (ldt->unusable || !ldt->present)) || (sel & 0xfff8u) + 7 > limit)
		return false;
	*raw = mem_read_lin(cpu, base + (sel & 0xfff8u), 8, ACC_READ | ACC_SYSTEM);
	x86_descriptor_decode(*raw, sel, s);
	return true;
}

/* Non-conforming segments are visible only from a privilege at least as high as
 * both CPL and RPL. */
static bool visible(const struct soft_cpu *cpu, const struct x86_segment *s, uint16_t sel)
{
	bool conforming_code = s->s && (s->type & 0xc) == 0xc;

	return conforming_code || (s->dpl >= cpu->cpl && s->dpl >= (sel & 3));
}

/* System descriptor types LAR (lar = true) and LSL accept (SDM Vol. 2A, LAR/LSL). */
static bool system_type_ok(const struct soft_cpu *cpu, unsigned type, bool lar)
{
	if (cpu->efer & EFER_LMA) /* LDT, available and busy 64-bit TSS; LAR also call gates */
		return type == 0x2 || type == 0x9 || type == 0xb || (lar && type == 0xc);
	switch (type) {
	case 0x1:
	case 0x2:
	case 0x3:
	case 0x9:
	case 0xb:
		return true;
	case 0x4:
	case 0x5:
	case 0xc:
		return lar; /* call and task gates have access rights but no limit */
	default:
		return false;
	}
}

static void set_zf(struct soft_cpu *cpu, bool zf)
{
	flags_set_arith(cpu, (flags_arith(cpu) & ~RFLAGS_ZF) | (zf ? RFLAGS_ZF : 0));
}

static void lar_lsl(struct soft_cpu *cpu, const struct insn *in, bool lar)
{
	uint16_t sel = (uint16_t)op_read(cpu, in, &in->op[1]);
	struct x86_segment s;
	uint64_t raw;
	bool ok;

	if (cpu->mode == MODE_REAL)
		cpu_raise_ud(cpu);
	ok = check_descriptor(cpu, sel, &s, &raw) && (s.s || system_type_ok(cpu, s.type, lar)) && visible(cpu, &s, sel);
	if (ok) {
		/* LAR: the attribute bits of the descriptor's high word (23:20 and
		 * 15:8; the limit bits 19:16 read as zero here). LSL: the byte limit. */
		uint64_t v = lar ? (raw >> 32) & 0x00f0ff00 : s.limit;

		reg_write(cpu, in->op[0].reg, in->op[0].size, v & size_mask(in->op[0].size));
	}
	set_zf(cpu, ok);
}

static void h_lar(struct soft_cpu *cpu, const struct insn *in)
{
	lar_lsl(cpu, in, true);
}

static void h_lsl(struct soft_cpu *cpu, const struct insn *in)
{
	lar_lsl(cpu, in, false);
}

static void verify(struct soft_cpu *cpu, const struct insn *in, bool write)
{
	uint16_t sel = (uint16_t)op_read(cpu, in, &in->op[0]);
	struct x86_segment s;
	uint64_t raw;
	bool ok;

	if (cpu->mode == MODE_REAL)
		cpu_raise_ud(cpu);
	ok = check_descriptor(cpu, sel, &s, &raw) && s.s && visible(cpu, &s, sel);
	if (ok && write)
		ok = !(s.type & 0x8) && (s.type & 0x2); /* writable data */
	else if (ok)
		ok = !(s.type & 0x8) || (s.type & 0x2); /* data, or readable code */
	set_zf(cpu, ok);
}

static void h_verr(struct soft_cpu *cpu, const struct insn *in)
{
	verify(cpu, in, false);
}

static void h_verw(struct soft_cpu *cpu, const struct insn *in)
{
	verify(cpu, in, true);
}

/* No performance counters in the CPU model: every counter ECX can name is
 * unsupported, which is #GP(0) (and so is CPL > 0 with CR4.PCE clear). */
static void h_rdpmc(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	cpu_raise(cpu, EXC_GP, true, 0);
}

static void h_ud2(struct soft_cpu *cpu, const struct insn *in)
{
	(void)in;
	cpu_raise_ud(cpu);
}

const struct dispatch_entry exec_sys_table[] = {
	{ ZYDIS_MNEMONIC_IN, h_in, 0 },
	{ ZYDIS_MNEMONIC_OUT, h_out, 0 },
	{ ZYDIS_MNEMONIC_CPUID, h_cpuid, 0 },
	{ ZYDIS_MNEMONIC_RDTSC, h_rdtsc, 0 },
	{ ZYDIS_MNEMONIC_RDTSCP, h_rdtscp, 0 },
	{ ZYDIS_MNEMONIC_RDPID, h_rdpid, 0 },
	{ ZYDIS_MNEMONIC_RDMSR, h_rdmsr, 0 },
	{ ZYDIS_MNEMONIC_WRMSR, h_wrmsr, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_CLTS, h_clts, 0 },
	{ ZYDIS_MNEMONIC_LMSW, h_lmsw, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_SMSW, h_smsw, 0 },
	{ ZYDIS_MNEMONIC_LGDT, h_lgdt, 0 },
	{ ZYDIS_MNEMONIC_LIDT, h_lidt, 0 },
	{ ZYDIS_MNEMONIC_SGDT, h_sgdt, 0 },
	{ ZYDIS_MNEMONIC_SIDT, h_sidt, 0 },
	{ ZYDIS_MNEMONIC_LLDT, h_lldt, 0 },
	{ ZYDIS_MNEMONIC_LTR, h_ltr, 0 },
	{ ZYDIS_MNEMONIC_SLDT, h_sldt, 0 },
	{ ZYDIS_MNEMONIC_STR, h_str, 0 },
	{ ZYDIS_MNEMONIC_HLT, h_hlt, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_CLI, h_cli, 0 },
	{ ZYDIS_MNEMONIC_STI, h_sti, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_PUSHF, h_pushf, 0 },
	{ ZYDIS_MNEMONIC_PUSHFD, h_pushf, 0 },
	{ ZYDIS_MNEMONIC_PUSHFQ, h_pushf, 0 },
	{ ZYDIS_MNEMONIC_POPF, h_popf, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_POPFD, h_popf, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_POPFQ, h_popf, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_SYSCALL, h_syscall, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_SYSRET, h_sysret, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_SYSENTER, h_sysenter, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_SYSEXIT, h_sysexit, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_SWAPGS, h_swapgs, 0 },
	{ ZYDIS_MNEMONIC_INVLPG, h_invlpg, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_WBINVD, h_privileged_nop, 0 },
	{ ZYDIS_MNEMONIC_INVD, h_privileged_nop, 0 },
	{ ZYDIS_MNEMONIC_LFENCE, h_fence, 0 },
	{ ZYDIS_MNEMONIC_MFENCE, h_store_fence, 0 },
	{ ZYDIS_MNEMONIC_SFENCE, h_store_fence, 0 },
	{ ZYDIS_MNEMONIC_CLFLUSH, h_fence, 0 },
	{ ZYDIS_MNEMONIC_PREFETCHNTA, h_fence, 0 },
	{ ZYDIS_MNEMONIC_PREFETCHT0, h_fence, 0 },
	{ ZYDIS_MNEMONIC_PREFETCHT1, h_fence, 0 },
	{ ZYDIS_MNEMONIC_PREFETCHT2, h_fence, 0 },
	{ ZYDIS_MNEMONIC_PREFETCH, h_fence, 0 },
	{ ZYDIS_MNEMONIC_PREFETCHW, h_fence, 0 },
	{ ZYDIS_MNEMONIC_UD2, h_ud2, INSN_END_BLOCK },
	{ ZYDIS_MNEMONIC_RDPMC, h_rdpmc, 0 },
	{ ZYDIS_MNEMONIC_LAR, h_lar, 0 },
	{ ZYDIS_MNEMONIC_LSL, h_lsl, 0 },
	{ ZYDIS_MNEMONIC_VERR, h_verr, 0 },
	{ ZYDIS_MNEMONIC_VERW, h_verw, 0 },
	{ 0, NULL, 0 },
};
