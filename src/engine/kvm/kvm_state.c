/* struct vcpu_state <-> KVM's register structures. */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "engine/kvm/kvm_internal.h"
#include "x86/arch.h"
#include "x86/pvclock.h"

static const uint32_t state_msrs[] = {
	MSR_STAR,
	MSR_LSTAR,
	MSR_CSTAR,
	MSR_SFMASK,
	MSR_KERNEL_GS_BASE,
	MSR_SYSENTER_CS,
	MSR_SYSENTER_ESP,
	MSR_SYSENTER_EIP,
	MSR_TSC,
	MSR_PAT,
	MSR_MISC_ENABLE,
	MSR_TSC_AUX, /* host-initiated accesses work whatever the guest's CPUID says */
	MSR_KVM_SYSTEM_TIME_NEW,
	MSR_KVM_WALL_CLOCK_NEW,
};
#define NMSRS (sizeof(state_msrs) / sizeof(state_msrs[0]))

static uint64_t *msr_field(struct x86_msrs *m, uint32_t index)
{
	switch (index) {
	case MSR_STAR:
		return &m->star;
	case MSR_LSTAR:
		return &m->lstar;
	case MSR_CSTAR:
		return &m->cstar;
	case MSR_SFMASK:
		return &m->sfmask;
	case MSR_KERNEL_GS_BASE:
		return &m->kernel_gs_base;
	case MSR_SYSENTER_CS:
		return &m->sysenter_cs;
	case MSR_SYSENTER_ESP:
		return &m->sysenter_esp;
	case MSR_SYSENTER_EIP:
		return &m->sysenter_eip;
	case MSR_TSC:
		return &m->tsc;
	case MSR_PAT:
		return &m->pat;
	case MSR_TSC_AUX:
		return &m->tsc_aux;
	case MSR_KVM_SYSTEM_TIME_NEW:
		return &m->kvm_system_time;
	case MSR_KVM_WALL_CLOCK_NEW:
		return &m->kvm_wall_clock;
	default:
		return &m->misc_enable;
	}
}

static void seg_from_kvm(struct x86_segment *s, const struct kvm_segment *k)
{
	*s = (struct x86_segment){
		.base = k->base,
		.limit = k->limit,
		.selector = k->selector,
		.type = k->type,
		.s = k->s,
		.dpl = k->dpl,
		.present = k->present,
		.avl = k->avl,
		.l = k->l,
		.db = k->db,
		.g = k->g,
		.unusable = k->unusable,
	};
}

static void seg_to_kvm(struct kvm_segment *k, const struct x86_segment *s)
{
	*k = (struct kvm_segment){
		.base = s->base,
		.limit = s->limit,
		.selector = s->selector,
		.type = s->type,
		.present = s->present,
		.dpl = s->dpl,
		.db = s->db,
		.s = s->s,
		.l = s->l,
		.g = s->g,
		.avl = s->avl,
		.unusable = s->unusable,
	};
}

/* KVM's field for each register in the architectural order of enum x86_gpr. */
static __u64 *kvm_gpr(struct kvm_regs *r, int i)
{
	__u64 *slots[GPR_COUNT] = {
		&r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
		&r->r8,	 &r->r9,  &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};

	return slots[i];
}

static void regs_from_kvm(struct vcpu_state *s, struct kvm_regs *r)
{
	for (int i = 0; i < GPR_COUNT; i++)
		s->gpr[i] = *kvm_gpr(r, i);
	s->rip = r->rip;
	s->rflags = r->rflags;
}

static void regs_to_kvm(struct kvm_regs *r, const struct vcpu_state *s)
{
	for (int i = 0; i < GPR_COUNT; i++)
		*kvm_gpr(r, i) = s->gpr[i];
	r->rip = s->rip;
	r->rflags = s->rflags;
}

static struct kvm_segment *sreg_slot(struct kvm_sregs *k, int i)
{
	struct kvm_segment *slots[SREG_COUNT] = { &k->es, &k->cs, &k->ss, &k->ds, &k->fs, &k->gs };

	return slots[i];
}

static void sregs_from_kvm(struct vcpu_state *s, struct kvm_sregs *k)
{
	for (int i = 0; i < SREG_COUNT; i++)
		seg_from_kvm(&s->seg[i], sreg_slot(k, i));
	seg_from_kvm(&s->ldtr, &k->ldt);
	seg_from_kvm(&s->tr, &k->tr);
	s->gdtr = (struct x86_dtable){ .base = k->gdt.base, .limit = k->gdt.limit };
	s->idtr = (struct x86_dtable){ .base = k->idt.base, .limit = k->idt.limit };
	s->cr0 = k->cr0;
	s->cr2 = k->cr2;
	s->cr3 = k->cr3;
	s->cr4 = k->cr4;
	s->cr8 = k->cr8;
	s->efer = k->efer;
	s->apic_base = k->apic_base;
}

static void sregs_to_kvm(struct kvm_sregs *k, const struct vcpu_state *s)
{
	memset(k, 0, sizeof(*k));
	for (int i = 0; i < SREG_COUNT; i++)
		seg_to_kvm(sreg_slot(k, i), &s->seg[i]);
	seg_to_kvm(&k->ldt, &s->ldtr);
	seg_to_kvm(&k->tr, &s->tr);
	k->gdt.base = s->gdtr.base;
	k->gdt.limit = s->gdtr.limit;
	k->idt.base = s->idtr.base;
	k->idt.limit = s->idtr.limit;
	k->cr0 = s->cr0;
	k->cr2 = s->cr2;
	k->cr3 = s->cr3;
	k->cr4 = s->cr4;
	k->cr8 = s->cr8;
	k->efer = s->efer;
	k->apic_base = s->apic_base;
}

static void fpu_from_kvm(struct x86_fpu *f, const struct kvm_fpu *k)
{
	f->fcw = k->fcw;
	f->fsw = k->fsw;
	f->ftw = k->ftwx;
	f->fop = k->last_opcode;
	f->fip = k->last_ip;
	f->fdp = k->last_dp;
	f->mxcsr = k->mxcsr;
	memcpy(f->st, k->fpr, sizeof(f->st));
	memcpy(f->xmm, k->xmm, sizeof(f->xmm));
}

static void fpu_to_kvm(struct kvm_fpu *k, const struct x86_fpu *f)
{
	memset(k, 0, sizeof(*k));
	k->fcw = f->fcw;
	k->fsw = f->fsw;
	k->ftwx = f->ftw;
	k->last_opcode = f->fop;
	k->last_ip = f->fip;
	k->last_dp = f->fdp;
	k->mxcsr = f->mxcsr;
	memcpy(k->fpr, f->st, sizeof(k->fpr));
	memcpy(k->xmm, f->xmm, sizeof(k->xmm));
}

static void events_from_kvm(struct vcpu_state *s, const struct kvm_vcpu_events *ev)
{
	memset(&s->pending, 0, sizeof(s->pending));
	if (ev->exception.injected) {
		s->pending = (struct x86_event){ EVENT_EXCEPTION, ev->exception.nr, ev->exception.has_error_code,
						 ev->exception.error_code };
	} else if (ev->nmi.injected) {
		s->pending = (struct x86_event){ EVENT_NMI, 2, false, 0 };
	} else if (ev->interrupt.injected) {
		s->pending =
		    (struct x86_event){ ev->interrupt.soft ? EVENT_SOFTINT : EVENT_EXTINT, ev->interrupt.nr, false, 0 };
	}
	s->interrupt_shadow = ev->interrupt.shadow != 0;
	s->nmi_masked = ev->nmi.masked;
	s->nmi_pending = ev->nmi.pending;
}

static void events_to_kvm(struct kvm_vcpu_events *ev, const struct vcpu_state *s)
{
	memset(ev, 0, sizeof(*ev));
	switch (s->pending.type) {
	case EVENT_EXCEPTION:
		ev->exception.injected = 1;
		ev->exception.nr = s->pending.vector;
		ev->exception.has_error_code = s->pending.has_error_code;
		ev->exception.error_code = s->pending.error_code;
		break;
	case EVENT_NMI:
		ev->nmi.injected = 1;
		break;
	case EVENT_EXTINT:
	case EVENT_SOFTINT:
		ev->interrupt.injected = 1;
		ev->interrupt.nr = s->pending.vector;
		ev->interrupt.soft = s->pending.type == EVENT_SOFTINT;
		break;
	default:
		break;
	}
	ev->interrupt.shadow = s->interrupt_shadow ? KVM_X86_SHADOW_INT_MOV_SS : 0;
	ev->nmi.masked = s->nmi_masked;
	ev->nmi.pending = s->nmi_pending;
	ev->flags = KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_NMI_PENDING;
}

static struct kvm_msrs *msr_list(void)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + NMSRS * sizeof(struct kvm_msr_entry));

	if (!m)
		return NULL;
	m->nmsrs = NMSRS;
	for (size_t i = 0; i < NMSRS; i++)
		m->entries[i].index = state_msrs[i];
	return m;
}

int kvm_get_state(struct engine_vcpu *v, struct vcpu_state *s)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_vcpu_events ev;
	struct kvm_debugregs dr;
	struct kvm_mp_state mp;
	struct kvm_msrs *msrs = msr_list();
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (!msrs || ioctl(v->fd, KVM_GET_REGS, &regs) || ioctl(v->fd, KVM_GET_SREGS, &sregs) ||
	    ioctl(v->fd, KVM_GET_FPU, &fpu) || ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) ||
	    ioctl(v->fd, KVM_GET_DEBUGREGS, &dr) || ioctl(v->fd, KVM_GET_MP_STATE, &mp) ||
	    ioctl(v->fd, KVM_GET_MSRS, msrs) != (int)NMSRS)
		goto out;
	if (kvm_xstate_get(v, s))
		goto out;
	regs_from_kvm(s, &regs);
	sregs_from_kvm(s, &sregs);
	fpu_from_kvm(&s->fpu, &fpu);
	events_from_kvm(s, &ev);
	for (int i = 0; i < 4; i++)
		s->dr[i] = dr.db[i];
	s->dr[6] = dr.dr6;
	s->dr[7] = dr.dr7;
	/* Without KVM's own LAPIC a HLT leaves KVM_RUN: the CPU is halted
	 * until the VMM's next run(). */
	s->halted = mp.mp_state == KVM_MP_STATE_HALTED || v->last == EXIT_HLT || v->resume_halted;
	for (size_t i = 0; i < NMSRS; i++)
		*msr_field(&s->msr, msrs->entries[i].index) = msrs->entries[i].data;
	rc = 0;
out:
	free(msrs);
	return rc;
}

int kvm_set_state(struct engine_vcpu *v, const struct vcpu_state *s)
{
	struct kvm_regs regs = { 0 };
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_vcpu_events ev;
	struct kvm_debugregs dr = { 0 };
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE }; /* halted: resume_halted */
	struct kvm_msrs *msrs = msr_list();
	struct x86_msrs copy = s->msr;
	int rc = -1;

	if (!msrs)
		return -1;
	for (size_t i = 0; i < NMSRS; i++)
		msrs->entries[i].data = *msr_field(&copy, state_msrs[i]);
	regs_to_kvm(&regs, s);
	sregs_to_kvm(&sregs, s);
	fpu_to_kvm(&fpu, &s->fpu);
	events_to_kvm(&ev, s);
	for (int i = 0; i < 4; i++)
		dr.db[i] = s->dr[i];
	dr.dr6 = s->dr[6];
	dr.dr7 = s->dr[7];
	/* Special registers first: KVM checks EFER against the CPUID already set. */
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) || ioctl(v->fd, KVM_SET_REGS, &regs) ||
	    ioctl(v->fd, KVM_SET_FPU, &fpu) || ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) ||
	    ioctl(v->fd, KVM_SET_DEBUGREGS, &dr) || ioctl(v->fd, KVM_SET_MP_STATE, &mp) ||
	    ioctl(v->fd, KVM_SET_MSRS, msrs) != (int)NMSRS || kvm_xstate_set(v, s))
		goto out;
	/* The registers just written replace whatever a pending completion held. */
	v->run->kvm_dirty_regs = 0;
	v->last = EXIT_NONE;
	/* A CPU halted with an event being delivered is waking: the software
	 * engines save that (an interrupt injected into a halted CPU, delivered
	 * at its next run). Reported halted here, the first run() would return
	 * the HLT without entering KVM, which alone delivers the injected
	 * event, while the PIC holds the interrupt in service: the guest would
	 * sleep for ever (seen once in a clean-clone run, a dbt snapshot
	 * restored on kvm printing nothing). */
	v->resume_halted = s->halted && s->pending.type == EVENT_NONE;
	rc = 0;
out:
	free(msrs);
	return rc;
}
