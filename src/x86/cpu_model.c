#include "x86/cpu_model.h"

#include <string.h>

#include "x86/pvclock.h"

/* CPUID.1:EDX feature bits (Intel SDM Vol. 2A, table 3-11). */
enum {
	F1D_FPU = 1u << 0,
	F1D_DE = 1u << 2,
	F1D_PSE = 1u << 3,
	F1D_TSC = 1u << 4,
	F1D_MSR = 1u << 5,
	F1D_PAE = 1u << 6,
	F1D_MCE = 1u << 7,
	F1D_CX8 = 1u << 8,
	F1D_APIC = 1u << 9,
	F1D_SEP = 1u << 11,
	F1D_MTRR = 1u << 12,
	F1D_PGE = 1u << 13,
	F1D_MCA = 1u << 14,
	F1D_CMOV = 1u << 15,
	F1D_PAT = 1u << 16,
	F1D_CLFSH = 1u << 19,
	F1D_MMX = 1u << 23,
	F1D_FXSR = 1u << 24,
	F1D_SSE = 1u << 25,
	F1D_SSE2 = 1u << 26,
};
#define F1C_HYPERVISOR (1u << 31)

/* CPUID.80000001h:EDX (AMD APM Vol. 3, E.4.2). */
#define F81D_SYSCALL (1u << 11)
#define F81D_NX (1u << 20)
#define F81D_LM (1u << 29)
/* Bits of 80000001h:EDX that mirror CPUID.1:EDX on AMD processors. */
#define F81D_MIRROR_MASK 0x0183f3ffu

/* The x86-64 baseline of DESIGN.md, "Guest CPU model", plus PSE (4 MiB pages, which
 * the page walker implements anyway), MTRR (stored values), CLFLUSH (a no-op), DE
 * (CR4.DE: I/O breakpoints, DR4/DR5 #UD; interp/debug.c), and MCE/MCA: the
 * machine-check MSRs of x86/msr_model.h, with no errors to report. */
#define MODEL_F1_EDX                                                                                                   \
	(F1D_FPU | F1D_DE | F1D_PSE | F1D_TSC | F1D_MSR | F1D_PAE | F1D_MCE | F1D_CX8 | F1D_APIC | F1D_SEP |           \
	 F1D_MTRR | F1D_PGE | F1D_MCA | F1D_CMOV | F1D_PAT | F1D_CLFSH | F1D_MMX | F1D_FXSR | F1D_SSE | F1D_SSE2)

/* Family 15, model 6, stepping 1: an AMD family with no model-specific quirks that
 * Linux would act on. AMD because out-of-range leaves then read as zero, which is
 * the simplest rule for every engine to follow. */

#define MODEL_MAX_BASIC 0x1u
#define MODEL_MAX_EXTENDED 0x80000008u
#define MODEL_MAX_HYPERVISOR 0x40000001u

static const char vendor[12] = "AuthenticAMD";
/* KVM's signature, so that Linux's KVM guest code (kvmclock) applies on every
 * engine; the features leaf offers only what every engine implements. */
static const char hypervisor_signature[12] = "KVMKVMKVM\0\0\0";
static const char brand[48] = "Ringvisor virtual CPU";

static void put_string12(const char s[12], uint32_t *ebx, uint32_t *edx, uint32_t *ecx)
{
	memcpy(ebx, s, 4);
	memcpy(edx, s + 4, 4);
	memcpy(ecx, s + 8, 4);
}

void cpu_model_cpuid(uint32_t function, uint32_t index, uint32_t apic_id, struct cpuid_result *r)
{
	(void)index; /* no leaf of the model has sub-leaves yet */
	memset(r, 0, sizeof(*r));
	switch (function) {
	case 0:
		r->eax = MODEL_MAX_BASIC;
		put_string12(vendor, &r->ebx, &r->edx, &r->ecx);
		break;
	case 1:
		r->eax = CPU_MODEL_SIGNATURE;
		/* APIC ID, one logical processor per package, CLFLUSH line of 8 quadwords. */
		r->ebx = (apic_id << 24) | (1u << 16) | (8u << 8);
		r->ecx = F1C_HYPERVISOR;
		r->edx = MODEL_F1_EDX;
		break;
	case 0x40000000:
		r->eax = MODEL_MAX_HYPERVISOR;
		/* The hypervisor leaves spell the signature in EBX, ECX, EDX order. */
		memcpy(&r->ebx, hypervisor_signature, 4);
		memcpy(&r->ecx, hypervisor_signature + 4, 4);
		memcpy(&r->edx, hypervisor_signature + 8, 4);
		break;
	case 0x40000001:
		r->eax = KVM_FEATURE_CLOCKSOURCE2 | KVM_FEATURE_CLOCKSOURCE_STABLE_BIT;
		break;
	case 0x80000000:
		r->eax = MODEL_MAX_EXTENDED;
		put_string12(vendor, &r->ebx, &r->edx, &r->ecx);
		break;
	case 0x80000001:
		r->eax = CPU_MODEL_SIGNATURE;
		r->edx = (MODEL_F1_EDX & F81D_MIRROR_MASK) | F81D_SYSCALL | F81D_NX | F81D_LM;
		break;
	case 0x80000002:
	case 0x80000003:
	case 0x80000004:
		memcpy(r, brand + 16 * (function - 0x80000002), 16);
		break;
	case 0x80000008:
		r->eax = CPU_MODEL_PHYS_BITS | (CPU_MODEL_VIRT_BITS << 8);
		break;
	default:
		break;
	}
}

size_t cpu_model_leaves(uint32_t apic_id, struct cpuid_leaf *out, size_t max)
{
	static const uint32_t ranges[][2] = {
		{ 0, MODEL_MAX_BASIC },
		{ 0x40000000, MODEL_MAX_HYPERVISOR },
		{ 0x80000000, MODEL_MAX_EXTENDED },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		for (uint32_t f = ranges[i][0]; f <= ranges[i][1] && n < max; f++) {
			out[n].function = f;
			out[n].index = 0;
			out[n].indexed = 0;
			cpu_model_cpuid(f, 0, apic_id, &out[n].r);
			n++;
		}
	}
	return n;
}
