/* The guest CPU models, shared by every engine (docs/cpu-model.md).
 *
 * A model is chosen per VM (--cpu) and fixed for its life. Each advertises only
 * what every engine that runs it implements, so a guest sees the same CPU on
 * interp, dbt and kvm and can move between them. The levels are the x86-64
 * psABI's: baseline (x86-64-v1), v2, v3; `max` is v3 and every extension
 * beyond it that the software engines implement; `host` is the host's CPU as
 * KVM gives it, for the kvm engine only. */
#ifndef RV_X86_CPU_MODEL_H
#define RV_X86_CPU_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cpuid_result {
	uint32_t eax, ebx, ecx, edx;
};

/* One CPUID leaf as the model defines it; `index` is the sub-leaf (ECX) and is
 * significant only when `indexed` is set. */
struct cpuid_leaf {
	uint32_t function;
	uint32_t index;
	int indexed;
	struct cpuid_result r;
};

/* The CPUID registers that hold feature flags. */
enum cpuid_word {
	CPUID_1_ECX,
	CPUID_1_EDX,
	CPUID_7_EBX, /* leaf 7, sub-leaf 0 */
	CPUID_7_ECX,
	CPUID_80000001_ECX,
	CPUID_80000001_EDX,
	CPUID_WORDS,
};

/* The bits of CPUID.80000001h:EDX that mirror the same bits of CPUID.1:EDX on
 * AMD processors (APM Vol. 3, E.4.2: FPU to APIC, MTRR to PSE36, MMX, FXSR);
 * Intel processors leave them clear (SDM Vol. 2A, CPUID leaf 80000001H), and
 * so does KVM's supported table on an Intel host. */
#define CPUID_81_EDX_MIRRORS_1_EDX 0x0183f3ffu

/* Where a feature's flag is: its register (enum cpuid_word) times 32 plus its
 * bit, a constant usable in tables. */
typedef unsigned cpuid_feature;
#define CPUID_FEATURE(word, bit) ((cpuid_feature)(word)*32u + (bit))
#define CPUID_FEATURE_WORD(f) ((f) / 32u)
#define CPUID_FEATURE_MASK(f) (1u << ((f) % 32u))

/* The feature flags the levels add (Intel SDM Vol. 2A, CPUID, tables 3-10 and
 * 3-11 and leaf 07H; AMD APM Vol. 3, appendix E.4.2). */
#define CPUID_F_SSE3 CPUID_FEATURE(CPUID_1_ECX, 0)
#define CPUID_F_SSSE3 CPUID_FEATURE(CPUID_1_ECX, 9)
#define CPUID_F_FMA CPUID_FEATURE(CPUID_1_ECX, 12)
#define CPUID_F_CX16 CPUID_FEATURE(CPUID_1_ECX, 13)
#define CPUID_F_SSE41 CPUID_FEATURE(CPUID_1_ECX, 19)
#define CPUID_F_SSE42 CPUID_FEATURE(CPUID_1_ECX, 20)
#define CPUID_F_MOVBE CPUID_FEATURE(CPUID_1_ECX, 22)
#define CPUID_F_POPCNT CPUID_FEATURE(CPUID_1_ECX, 23)
#define CPUID_F_XSAVE CPUID_FEATURE(CPUID_1_ECX, 26)
#define CPUID_F_AVX CPUID_FEATURE(CPUID_1_ECX, 28)
#define CPUID_F_F16C CPUID_FEATURE(CPUID_1_ECX, 29)
#define CPUID_F_BMI1 CPUID_FEATURE(CPUID_7_EBX, 3)
#define CPUID_F_AVX2 CPUID_FEATURE(CPUID_7_EBX, 5)
#define CPUID_F_BMI2 CPUID_FEATURE(CPUID_7_EBX, 8)
#define CPUID_F_LAHF_LM CPUID_FEATURE(CPUID_80000001_ECX, 0)
#define CPUID_F_LZCNT CPUID_FEATURE(CPUID_80000001_ECX, 5)
/* Beyond x86-64-v3 (same sources): which model has them is the models'
 * business (cpu_model.c); the soft CPU implements them. */
#define CPUID_F_PCLMULQDQ CPUID_FEATURE(CPUID_1_ECX, 1)
#define CPUID_F_AES CPUID_FEATURE(CPUID_1_ECX, 25)
#define CPUID_F_RDRAND CPUID_FEATURE(CPUID_1_ECX, 30)
#define CPUID_F_FSGSBASE CPUID_FEATURE(CPUID_7_EBX, 0)
#define CPUID_F_RDSEED CPUID_FEATURE(CPUID_7_EBX, 18)
#define CPUID_F_ADX CPUID_FEATURE(CPUID_7_EBX, 19)
#define CPUID_F_SHA CPUID_FEATURE(CPUID_7_EBX, 29)
#define CPUID_F_VAES CPUID_FEATURE(CPUID_7_ECX, 9)
#define CPUID_F_VPCLMULQDQ CPUID_FEATURE(CPUID_7_ECX, 10)
#define CPUID_F_RDPID CPUID_FEATURE(CPUID_7_ECX, 22)
#define CPUID_F_RDTSCP CPUID_FEATURE(CPUID_80000001_EDX, 27)

/* One guest CPU model. */
struct cpu_model {
	const char *name;    /* what --cpu takes */
	const char *summary; /* one line for --help and `ringvisor engines` */
	/* Which engines implement it. The software engines (interp and dbt, one
	 * soft-CPU core) implement a level once every instruction it advertises has
	 * a handler; this is the one field to flip when a level's instructions land. */
	bool soft_cpu_implements;
	/* kvm implements it where the host's KVM_GET_SUPPORTED_CPUID has every one
	 * of its feature flags (the engine checks). */
	bool kvm_implements;
	/* The host's CPUID as the kvm engine reads it from KVM, not the fields
	 * below (which are then unused). */
	bool host_passthrough;
	/* A level of the psABI, ordered: the default is the highest one every
	 * available engine implements. 0 for max, -1 for host: never the default. */
	int level;
	uint32_t max_basic_leaf;
	uint32_t features[CPUID_WORDS];
};

/* The models: the levels in order, then `max`, `host` last; *count gets how
 * many. */
const struct cpu_model *cpu_model_list(size_t *count);
/* The model of that name, or NULL. */
const struct cpu_model *cpu_model_find(const char *name);
/* "baseline, v2, v3, max or host", for messages. */
const char *cpu_model_names(void);

/* The feature's name ("SSE4.2"), or where it is ("CPUID.1:EDX[9]"), in buf. */
void cpu_model_feature_name(cpuid_feature f, char *buf, size_t len);

/* Whether the model advertises the feature. */
bool cpu_model_has(const struct cpu_model *m, cpuid_feature f);

/* The answer to CPUID(function, index) on the vCPU with this APIC ID. Leaves the
 * model does not define read as zero, as on AMD processors. Not for host. */
void cpu_model_cpuid(const struct cpu_model *m, uint32_t function, uint32_t index, uint32_t apic_id,
		     struct cpuid_result *out);

/* The parts of a CPUID answer that follow the vCPU's state, applied to
 * cpu_model_cpuid's by an engine that answers CPUID itself (KVM does the same
 * to the table it is given): CPUID.1:ECX.OSXSAVE is CR4.OSXSAVE, and leaf 0xD
 * sub-leaves 0 and 1 give in EBX the XSAVE area's size for the XCR0 enabled
 * (SDM Vol. 2A, CPUID). cpu_model_cpuid answers as for XCR0 = 1, CR4 = 0. */
void cpu_model_cpuid_runtime(const struct cpu_model *m, uint32_t function, uint32_t index, bool osxsave, uint64_t xcr0,
			     struct cpuid_result *r);

/* Every leaf the model defines, for engines that upload a table (KVM_SET_CPUID2).
 * Returns the number written, at most max. Not for host. */
size_t cpu_model_leaves(const struct cpu_model *m, uint32_t apic_id, struct cpuid_leaf *out, size_t max);

/* The hypervisor leaves 0x40000000 and 0x40000001 that every model has, host
 * included (the kvm engine puts them over KVM's own). */
void cpu_model_hypervisor_leaf(uint32_t function, struct cpuid_result *out);

/* Whether the host CPU's vendor (CPUID leaf 0) is the models' own (every
 * model is an AMD one); host and model get the two strings. Where it is not,
 * what the manuals leave to each implementation (undefined flags, XSAVE's
 * tracking of the state in use, which fault comes first) differs between
 * the host and the soft CPU, and the tests that compare them with the host
 * leave it out. */
bool cpu_model_host_is_same_vendor(char host[13], char model[13]);
#define CPU_MODEL_HYPERVISOR_FIRST 0x40000000u
#define CPU_MODEL_HYPERVISOR_LAST 0x40000001u

/* Family 15, model 6, stepping 1 (CPUID.1:EAX), also in EDX after reset. */
#define CPU_MODEL_SIGNATURE 0x00000f61u

/* Guest physical and linear address widths (CPUID 0x80000008). */
#define CPU_MODEL_PHYS_BITS 40
#define CPU_MODEL_VIRT_BITS 48

#endif
