#include "x86/cpu_model.h"

#include <stdio.h>
#include <string.h>

#include "x86/pvclock.h"
#include "x86/xsave_area.h"

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
#define F1C_OSXSAVE (1u << 27)
#define F1C_HYPERVISOR (1u << 31)

/* CPUID.80000001h:EDX (AMD APM Vol. 3, E.4.2). */
#define F81D_SYSCALL (1u << 11)
#define F81D_NX (1u << 20)
#define F81D_LM (1u << 29)

/* The x86-64 baseline of DESIGN.md, "Guest CPU model", plus PSE (4 MiB pages, which
 * the page walker implements anyway), MTRR (stored values), CLFLUSH (a no-op), DE
 * (CR4.DE: I/O breakpoints, DR4/DR5 #UD; interp/debug.c), and MCE/MCA: the
 * machine-check MSRs of x86/msr_model.h, with no errors to report. */
#define MODEL_F1_EDX                                                                                                   \
	(F1D_FPU | F1D_DE | F1D_PSE | F1D_TSC | F1D_MSR | F1D_PAE | F1D_MCE | F1D_CX8 | F1D_APIC | F1D_SEP |           \
	 F1D_MTRR | F1D_PGE | F1D_MCA | F1D_CMOV | F1D_PAT | F1D_CLFSH | F1D_MMX | F1D_FXSR | F1D_SSE | F1D_SSE2)

/* Family 15, model 6, stepping 1: an AMD family with no model-specific quirks that
 * Linux would act on. AMD because out-of-range leaves then read as zero, which is
 * the simplest rule for every engine to follow. Every level keeps it, so that a
 * guest's idea of the processor does not change with the level. */

#define MODEL_MAX_EXTENDED 0x80000008u

#define BIT(f) CPUID_FEATURE_MASK(f)

/* x86-64-v2 over the baseline (the psABI's table of levels): CMPXCHG16B,
 * LAHF-SAHF, POPCNT, SSE3, SSE4_1, SSE4_2, SSSE3. */
#define V2_1_ECX                                                                                                       \
	(BIT(CPUID_F_SSE3) | BIT(CPUID_F_SSSE3) | BIT(CPUID_F_CX16) | BIT(CPUID_F_SSE41) | BIT(CPUID_F_SSE42) |        \
	 BIT(CPUID_F_POPCNT))
#define V2_81_ECX BIT(CPUID_F_LAHF_LM)
/* x86-64-v3 over v2: AVX, AVX2, BMI1, BMI2, F16C, FMA, LZCNT, MOVBE, and XSAVE
 * (OSXSAVE, which the psABI names, is CR4.OSXSAVE reflected, not a model bit). */
#define V3_1_ECX                                                                                                       \
	(V2_1_ECX | BIT(CPUID_F_FMA) | BIT(CPUID_F_MOVBE) | BIT(CPUID_F_XSAVE) | BIT(CPUID_F_AVX) | BIT(CPUID_F_F16C))
#define V3_7_EBX (BIT(CPUID_F_BMI1) | BIT(CPUID_F_AVX2) | BIT(CPUID_F_BMI2))
#define V3_81_ECX (V2_81_ECX | BIT(CPUID_F_LZCNT))

/* max over v3: what the software engines implement beyond the psABI levels
 * (docs/cpu-model.md). */
#define MAX_1_ECX (BIT(CPUID_F_PCLMULQDQ) | BIT(CPUID_F_AES) | BIT(CPUID_F_RDRAND))
#define MAX_7_EBX (BIT(CPUID_F_FSGSBASE) | BIT(CPUID_F_RDSEED) | BIT(CPUID_F_ADX) | BIT(CPUID_F_SHA))
#define MAX_7_ECX BIT(CPUID_F_RDPID)
#define MAX_81_EDX BIT(CPUID_F_RDTSCP)

#define BASE_81_EDX ((MODEL_F1_EDX & CPUID_81_EDX_MIRRORS_1_EDX) | F81D_SYSCALL | F81D_NX | F81D_LM)

static const struct cpu_model models[] = {
	{
	    .name = "baseline",
	    .summary = "x86-64-v1: x87, MMX, SSE, SSE2, CMPXCHG8B, CMOV, SYSCALL",
	    .soft_cpu_implements = true,
	    .kvm_implements = true,
	    .level = 1,
	    .max_basic_leaf = 1,
	    .features = { [CPUID_1_ECX] = F1C_HYPERVISOR,
			  [CPUID_1_EDX] = MODEL_F1_EDX,
			  [CPUID_80000001_EDX] = BASE_81_EDX },
	},
	{
	    .name = "v2",
	    .summary = "x86-64-v2: baseline + SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT, CMPXCHG16B, LAHF/SAHF",
	    .soft_cpu_implements = true,
	    .kvm_implements = true,
	    .level = 2,
	    .max_basic_leaf = 1,
	    .features = { [CPUID_1_ECX] = F1C_HYPERVISOR | V2_1_ECX,
			  [CPUID_1_EDX] = MODEL_F1_EDX,
			  [CPUID_80000001_ECX] = V2_81_ECX,
			  [CPUID_80000001_EDX] = BASE_81_EDX },
	},
	{
	    .name = "v3",
	    .summary = "x86-64-v3: v2 + AVX, AVX2, FMA, F16C, BMI1, BMI2, LZCNT, MOVBE, XSAVE",
	    .soft_cpu_implements = true,
	    .kvm_implements = true,
	    .level = 3,
	    .max_basic_leaf = 0xd, /* leaf 0xD: the XSAVE state; leaves 8-0xC read as zero */
	    .features = { [CPUID_1_ECX] = F1C_HYPERVISOR | V3_1_ECX,
			  [CPUID_1_EDX] = MODEL_F1_EDX,
			  [CPUID_7_EBX] = V3_7_EBX,
			  [CPUID_80000001_ECX] = V3_81_ECX,
			  [CPUID_80000001_EDX] = BASE_81_EDX },
	},
	{
	    .name = "max",
	    .summary = "v3 + AES-NI, PCLMULQDQ, SHA, ADX, FSGSBASE, RDRAND, RDSEED, RDTSCP, RDPID",
	    .soft_cpu_implements = true,
	    .kvm_implements = true,
	    /* Not a psABI level: never the default, which a VM moved to another
	     * host should find there too; asked for by name. */
	    .level = 0,
	    .max_basic_leaf = 0xd,
	    .features = { [CPUID_1_ECX] = F1C_HYPERVISOR | V3_1_ECX | MAX_1_ECX,
			  [CPUID_1_EDX] = MODEL_F1_EDX,
			  [CPUID_7_EBX] = V3_7_EBX | MAX_7_EBX,
			  [CPUID_7_ECX] = MAX_7_ECX,
			  [CPUID_80000001_ECX] = V3_81_ECX,
			  [CPUID_80000001_EDX] = BASE_81_EDX | MAX_81_EDX },
	},
	{
	    .name = "host",
	    .summary = "the host CPU as KVM passes it through (kvm only)",
	    .kvm_implements = true,
	    .host_passthrough = true,
	    .level = -1,
	},
};

#define NMODELS (sizeof(models) / sizeof(models[0]))

static const char vendor[12] = "AuthenticAMD";
/* KVM's signature, so that Linux's KVM guest code (kvmclock) applies on every
 * engine; the features leaf offers only what every engine implements. */
static const char hypervisor_signature[12] = "KVMKVMKVM\0\0\0";
static const char brand[48] = "Ringvisor virtual CPU";

bool cpu_model_host_is_same_vendor(char host[13], char model[13])
{
	unsigned a = 0, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	memcpy(host, &b, 4);
	memcpy(host + 4, &d, 4);
	memcpy(host + 8, &c, 4);
	host[12] = 0;
	memcpy(model, vendor, 12);
	model[12] = 0;
	return memcmp(host, vendor, 12) == 0;
}

const struct cpu_model *cpu_model_list(size_t *count)
{
	*count = NMODELS;
	return models;
}

const struct cpu_model *cpu_model_find(const char *name)
{
	for (size_t i = 0; i < NMODELS; i++)
		if (strcmp(models[i].name, name) == 0)
			return &models[i];
	return NULL;
}

const char *cpu_model_names(void)
{
	return "baseline, v2, v3, max or host";
}

static const struct {
	cpuid_feature f;
	const char *name;
} feature_names[] = {
	{ CPUID_F_SSE3, "SSE3" },
	{ CPUID_F_SSSE3, "SSSE3" },
	{ CPUID_F_FMA, "FMA" },
	{ CPUID_F_CX16, "CMPXCHG16B" },
	{ CPUID_F_SSE41, "SSE4.1" },
	{ CPUID_F_SSE42, "SSE4.2" },
	{ CPUID_F_MOVBE, "MOVBE" },
	{ CPUID_F_POPCNT, "POPCNT" },
	{ CPUID_F_XSAVE, "XSAVE" },
	{ CPUID_F_AVX, "AVX" },
	{ CPUID_F_F16C, "F16C" },
	{ CPUID_F_BMI1, "BMI1" },
	{ CPUID_F_AVX2, "AVX2" },
	{ CPUID_F_BMI2, "BMI2" },
	{ CPUID_F_LAHF_LM, "LAHF/SAHF in 64-bit mode" },
	{ CPUID_F_LZCNT, "LZCNT" },
	{ CPUID_F_AES, "AES-NI" },
	{ CPUID_F_PCLMULQDQ, "PCLMULQDQ" },
	{ CPUID_F_RDRAND, "RDRAND" },
	{ CPUID_F_FSGSBASE, "FSGSBASE" },
	{ CPUID_F_RDSEED, "RDSEED" },
	{ CPUID_F_ADX, "ADX" },
	{ CPUID_F_SHA, "SHA" },
	{ CPUID_F_RDPID, "RDPID" },
	{ CPUID_F_RDTSCP, "RDTSCP" },
};

void cpu_model_feature_name(cpuid_feature f, char *buf, size_t len)
{
	static const char *const words[CPUID_WORDS] = {
		[CPUID_1_ECX] = "1:ECX",
		[CPUID_1_EDX] = "1:EDX",
		[CPUID_7_EBX] = "7:EBX",
		[CPUID_7_ECX] = "7:ECX",
		[CPUID_80000001_ECX] = "80000001h:ECX",
		[CPUID_80000001_EDX] = "80000001h:EDX",
	};

	for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++) {
		if (feature_names[i].f == f) {
			snprintf(buf, len, "%s", feature_names[i].name);
			return;
		}
	}
	snprintf(buf, len, "CPUID.%s[%u]", CPUID_FEATURE_WORD(f) < CPUID_WORDS ? words[CPUID_FEATURE_WORD(f)] : "?",
		 f % 32u);
}

bool cpu_model_has(const struct cpu_model *m, cpuid_feature f)
{
	return CPUID_FEATURE_WORD(f) < CPUID_WORDS && (m->features[CPUID_FEATURE_WORD(f)] & CPUID_FEATURE_MASK(f));
}

static void put_string12(const char s[12], uint32_t *ebx, uint32_t *edx, uint32_t *ecx)
{
	memcpy(ebx, s, 4);
	memcpy(edx, s + 4, 4);
	memcpy(ecx, s + 8, 4);
}

void cpu_model_hypervisor_leaf(uint32_t function, struct cpuid_result *r)
{
	memset(r, 0, sizeof(*r));
	if (function == 0x40000000) {
		r->eax = CPU_MODEL_HYPERVISOR_LAST;
		/* The hypervisor leaves spell the signature in EBX, ECX, EDX order. */
		memcpy(&r->ebx, hypervisor_signature, 4);
		memcpy(&r->ecx, hypervisor_signature + 4, 4);
		memcpy(&r->edx, hypervisor_signature + 8, 4);
	} else if (function == 0x40000001) {
		r->eax = KVM_FEATURE_CLOCKSOURCE2 | KVM_FEATURE_CLOCKSOURCE_STABLE_BIT;
	}
}

/* CPUID leaf 0xD (SDM Vol. 2A, CPUID, and Vol. 1, 13.2) for the components of
 * XSAVE_MODEL_XCR0, with XCR0 as given. */
static void xsave_leaf(uint32_t index, uint64_t xcr0, struct cpuid_result *r)
{
	switch (index) {
	case 0:
		r->eax = (uint32_t)XSAVE_MODEL_XCR0; /* EDX: XCR0 bits 32-63, none */
		r->ebx = xsave_area_size(xcr0);
		r->ecx = xsave_area_size(XSAVE_MODEL_XCR0);
		break;
	case 1:
		/* XSAVEOPT (bit 0) and XSAVEC (bit 1); not XGETBV with ECX = 1 (bit 2)
		 * nor XSAVES (bit 3). EBX: the size for XCR0 | IA32_XSS, and the model
		 * has no IA32_XSS. */
		r->eax = 3;
		r->ebx = xsave_area_size(xcr0);
		break;
	case 2:
		r->eax = XSAVE_AVX_SIZE;
		r->ebx = XSAVE_AVX_OFFSET;
		break;
	default:
		break;
	}
}

void cpu_model_cpuid_runtime(const struct cpu_model *m, uint32_t function, uint32_t index, bool osxsave, uint64_t xcr0,
			     struct cpuid_result *r)
{
	if (function > m->max_basic_leaf || !cpu_model_has(m, CPUID_F_XSAVE))
		return;
	if (function == 1)
		r->ecx = (r->ecx & ~F1C_OSXSAVE) | (osxsave ? F1C_OSXSAVE : 0);
	else if (function == 0xd && index <= 1)
		r->ebx = xsave_area_size(xcr0);
}

void cpu_model_cpuid(const struct cpu_model *m, uint32_t function, uint32_t index, uint32_t apic_id,
		     struct cpuid_result *r)
{
	memset(r, 0, sizeof(*r));
	if (function <= 0x3fffffff && function > m->max_basic_leaf)
		return;
	switch (function) {
	case 0:
		r->eax = m->max_basic_leaf;
		put_string12(vendor, &r->ebx, &r->edx, &r->ecx);
		break;
	case 1:
		r->eax = CPU_MODEL_SIGNATURE;
		/* APIC ID, one logical processor per package, CLFLUSH line of 8 quadwords. */
		r->ebx = (apic_id << 24) | (1u << 16) | (8u << 8);
		r->ecx = m->features[CPUID_1_ECX];
		r->edx = m->features[CPUID_1_EDX];
		break;
	case 7:
		/* Sub-leaf 0: EAX the highest sub-leaf (0); the others read zero. */
		if (index == 0) {
			r->ebx = m->features[CPUID_7_EBX];
			r->ecx = m->features[CPUID_7_ECX];
		}
		break;
	case 0xd:
		if (cpu_model_has(m, CPUID_F_XSAVE))
			xsave_leaf(index, XCR0_X87, r);
		break;
	case 0x40000000:
	case 0x40000001:
		cpu_model_hypervisor_leaf(function, r);
		break;
	case 0x80000000:
		r->eax = MODEL_MAX_EXTENDED;
		put_string12(vendor, &r->ebx, &r->edx, &r->ecx);
		break;
	case 0x80000001:
		r->eax = CPU_MODEL_SIGNATURE;
		r->ecx = m->features[CPUID_80000001_ECX];
		r->edx = m->features[CPUID_80000001_EDX];
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

size_t cpu_model_leaves(const struct cpu_model *m, uint32_t apic_id, struct cpuid_leaf *out, size_t max)
{
	const uint32_t ranges[][2] = {
		{ 0, m->max_basic_leaf },
		{ CPU_MODEL_HYPERVISOR_FIRST, CPU_MODEL_HYPERVISOR_LAST },
		{ 0x80000000, MODEL_MAX_EXTENDED },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		for (uint32_t f = ranges[i][0]; f <= ranges[i][1] && n < max; f++) {
			out[n].function = f;
			out[n].index = 0;
			/* Leaves 7 and 0xD have sub-leaves: KVM must match ECX. */
			out[n].indexed = f == 7 || f == 0xd;
			cpu_model_cpuid(m, f, 0, apic_id, &out[n].r);
			n++;
		}
	}
	/* Leaf 0xD's sub-leaves 1 (XSAVEOPT, XSAVEC) and 2 (AVX); KVM works out
	 * the sizes in EBX from XCR0 itself. */
	for (uint32_t index = 1; index <= 2 && cpu_model_has(m, CPUID_F_XSAVE) && n < max; index++) {
		out[n] = (struct cpuid_leaf){ .function = 0xd, .index = index, .indexed = 1 };
		cpu_model_cpuid(m, 0xd, index, apic_id, &out[n].r);
		n++;
	}
	return n;
}
