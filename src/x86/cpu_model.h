/* The one guest CPU model, shared by every engine (docs/cpu-model.md).
 *
 * It advertises only what every engine implements, so a guest sees the same CPU on
 * interp, dbt and kvm and can move between them. */
#ifndef RV_X86_CPU_MODEL_H
#define RV_X86_CPU_MODEL_H

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

/* The answer to CPUID(function, index) on the vCPU with this APIC ID. Leaves the
 * model does not define read as zero, as on AMD processors. */
void cpu_model_cpuid(uint32_t function, uint32_t index, uint32_t apic_id, struct cpuid_result *out);

/* Every leaf the model defines, for engines that upload a table (KVM_SET_CPUID2).
 * Returns the number written, at most max. */
size_t cpu_model_leaves(uint32_t apic_id, struct cpuid_leaf *out, size_t max);

/* Family 15, model 6, stepping 1 (CPUID.1:EAX), also in EDX after reset. */
#define CPU_MODEL_SIGNATURE 0x00000f61u

/* Guest physical and linear address widths (CPUID 0x80000008). */
#define CPU_MODEL_PHYS_BITS 40
#define CPU_MODEL_VIRT_BITS 48

#endif
