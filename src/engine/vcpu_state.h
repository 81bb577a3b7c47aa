/* The architectural state of one x86-64 vCPU: the common language of all engines.
 *
 * The layout is Ringvisor's own and is the same for every engine, so a state read
 * from one engine can be written into another (snapshots, engine migration). It
 * holds what the VMCS guest-state area holds, plus x87/SSE state and the event
 * being delivered. */
#ifndef RV_VCPU_STATE_H
#define RV_VCPU_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "x86/msr_model.h"
#include "x86/segment.h"

enum x86_gpr {
	GPR_RAX,
	GPR_RCX,
	GPR_RDX,
	GPR_RBX,
	GPR_RSP,
	GPR_RBP,
	GPR_RSI,
	GPR_RDI,
	GPR_R8,
	GPR_R9,
	GPR_R10,
	GPR_R11,
	GPR_R12,
	GPR_R13,
	GPR_R14,
	GPR_R15,
	GPR_COUNT
};

/* x87 and SSE state in the FXSAVE image's terms (Intel SDM Vol. 1, 10.5.1). */
struct x86_fpu {
	uint16_t fcw;
	uint16_t fsw;
	uint8_t ftw; /* abridged tag word, one bit per register */
	uint16_t fop;
	uint64_t fip;
	uint64_t fdp;
	uint32_t mxcsr;
	uint8_t st[8][16]; /* 80-bit values in the low 10 bytes */
	uint8_t xmm[16][16];
	/* Bits 128-255 of YMM0-15 (the XSAVE AVX component, SDM Vol. 1, 13.5.3):
	 * a VEX.128 write zeroes them, a legacy SSE write leaves them. */
	uint8_t ymm_hi[16][16];
};

enum x86_event_type {
	EVENT_NONE,
	EVENT_EXTINT, /* external interrupt */
	EVENT_NMI,
	EVENT_EXCEPTION,
	EVENT_SOFTINT, /* INT n */
};

/* An event that was being delivered when the vCPU stopped (the VMCS IDT-vectoring
 * information), or that the VMM asks the engine to deliver. */
struct x86_event {
	uint8_t type; /* enum x86_event_type */
	uint8_t vector;
	bool has_error_code;
	uint32_t error_code;
};

/* MSRs carried in the state, beyond those with their own field (EFER, APIC base). */
struct x86_msrs {
	uint64_t star;
	uint64_t lstar;
	uint64_t cstar;
	uint64_t sfmask;
	uint64_t kernel_gs_base;
	uint64_t sysenter_cs;
	uint64_t sysenter_esp;
	uint64_t sysenter_eip;
	uint64_t tsc;
	uint64_t pat;
	uint64_t misc_enable;
	uint64_t tsc_aux;	  /* IA32_TSC_AUX, which RDTSCP and RDPID read (bits 31:0) */
	uint64_t kvm_system_time; /* kvmclock (x86/pvclock.h) */
	uint64_t kvm_wall_clock;
	/* The model's plain registers (x86/msr_model.h): MTRRs, performance
	 * counters, machine-check controls. The software engines keep them here;
	 * KVM keeps its own. */
	struct msr_store stored;
};

struct vcpu_state {
	uint64_t gpr[GPR_COUNT];
	uint64_t rip;
	uint64_t rflags;

	struct x86_segment seg[SREG_COUNT];
	struct x86_segment ldtr;
	struct x86_segment tr;
	struct x86_dtable gdtr;
	struct x86_dtable idtr;

	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t xcr0; /* XFEATURE_ENABLED_MASK (XSETBV); bit 0 (x87) always set */
	uint64_t efer;
	uint64_t apic_base;
	uint64_t dr[8]; /* DR4/DR5 unused */
	struct x86_msrs msr;
	struct x86_fpu fpu;

	struct x86_event pending; /* being delivered; type EVENT_NONE if nothing */
	bool interrupt_shadow;	  /* after STI or MOV SS: no interrupt before the next instruction */
	bool nmi_masked;
	bool nmi_pending; /* an NMI latched, not yet delivered (KVM's nmi.pending) */
	/* #DB conditions held back by MOV SS / POP SS until the next instruction has
	 * run, as the VMCS "pending debug exceptions" field holds them: B0-B3 in
	 * bits 0-3, BS in bit 14; 0 if none. The kvm engine keeps these inside KVM
	 * and reports 0. */
	uint32_t pending_debug;
	bool halted; /* in HLT, waiting for an interrupt */
};

/* The state after RESET (Intel SDM Vol. 3, 10.1.1, table 10-1), with RIP, CS and the
 * rest set as a BIOS would leave them for the loaders to adjust. */
void vcpu_state_reset(struct vcpu_state *s);

#endif
