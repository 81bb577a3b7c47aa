#include "engine/softcpu/isa_gate.h"

#include "engine/softcpu/cpu.h"
#include "x86/cpu_model.h"

/* Zydis's instruction sets and the CPUID flag each needs (Intel SDM Vol. 2, each
 * instruction's "CPUID Feature Flag" column; AMD APM Vol. 3, appendix D), stored
 * plus one so that 0 means "the baseline: always there". Sets whose flag lies in
 * a leaf no model defines (XSAVEOPT, XSAVEC, XSAVES: leaf 0xD; AVX-512 and the
 * rest) are left out: they have no handler, so they raise #UD anyway. */
#define NEEDS(f) ((f) + 1u)
static const uint16_t needs[ZYDIS_ISA_SET_MAX_VALUE + 1] = {
	/* x86-64-v2 */
	[ZYDIS_ISA_SET_SSE3] = NEEDS(CPUID_F_SSE3),
	[ZYDIS_ISA_SET_SSE3X87] = NEEDS(CPUID_F_SSE3), /* FISTTP */
	[ZYDIS_ISA_SET_SSSE3] = NEEDS(CPUID_F_SSSE3),
	[ZYDIS_ISA_SET_SSSE3MMX] = NEEDS(CPUID_F_SSSE3),
	[ZYDIS_ISA_SET_SSE4] = NEEDS(CPUID_F_SSE41),
	[ZYDIS_ISA_SET_SSE42] = NEEDS(CPUID_F_SSE42), /* CRC32 and PCMPGTQ too */
	[ZYDIS_ISA_SET_POPCNT] = NEEDS(CPUID_F_POPCNT),
	[ZYDIS_ISA_SET_CMPXCHG16B] = NEEDS(CPUID_F_CX16),
	[ZYDIS_ISA_SET_LAHF] = NEEDS(CPUID_F_LAHF_LM), /* in 64-bit mode only: below */
	/* x86-64-v3 */
	[ZYDIS_ISA_SET_AVX] = NEEDS(CPUID_F_AVX),
	[ZYDIS_ISA_SET_AVX2] = NEEDS(CPUID_F_AVX2),
	[ZYDIS_ISA_SET_AVX2GATHER] = NEEDS(CPUID_F_AVX2),
	[ZYDIS_ISA_SET_FMA] = NEEDS(CPUID_F_FMA),
	[ZYDIS_ISA_SET_F16C] = NEEDS(CPUID_F_F16C),
	[ZYDIS_ISA_SET_BMI1] = NEEDS(CPUID_F_BMI1),
	[ZYDIS_ISA_SET_BMI2] = NEEDS(CPUID_F_BMI2),
	[ZYDIS_ISA_SET_LZCNT] = NEEDS(CPUID_F_LZCNT),
	[ZYDIS_ISA_SET_MOVBE] = NEEDS(CPUID_F_MOVBE),
	[ZYDIS_ISA_SET_XSAVE] = NEEDS(CPUID_F_XSAVE), /* XSAVE, XRSTOR, XGETBV, XSETBV */
	/* Beyond v3: no model has them yet. */
	[ZYDIS_ISA_SET_MONITOR] = NEEDS(CPUID_FEATURE(CPUID_1_ECX, 3)),
	[ZYDIS_ISA_SET_PCLMULQDQ] = NEEDS(CPUID_FEATURE(CPUID_1_ECX, 1)),
	[ZYDIS_ISA_SET_AES] = NEEDS(CPUID_FEATURE(CPUID_1_ECX, 25)),
	[ZYDIS_ISA_SET_RDRAND] = NEEDS(CPUID_FEATURE(CPUID_1_ECX, 30)),
	[ZYDIS_ISA_SET_RDWRFSGS] = NEEDS(CPUID_FEATURE(CPUID_7_EBX, 0)),
	[ZYDIS_ISA_SET_RDSEED] = NEEDS(CPUID_FEATURE(CPUID_7_EBX, 18)),
	[ZYDIS_ISA_SET_ADOX_ADCX] = NEEDS(CPUID_FEATURE(CPUID_7_EBX, 19)),
	[ZYDIS_ISA_SET_SHA] = NEEDS(CPUID_FEATURE(CPUID_7_EBX, 29)),
	[ZYDIS_ISA_SET_RDPID] = NEEDS(CPUID_FEATURE(CPUID_7_ECX, 22)),
	[ZYDIS_ISA_SET_SSE4A] = NEEDS(CPUID_FEATURE(CPUID_80000001_ECX, 6)),
	[ZYDIS_ISA_SET_RDTSCP] = NEEDS(CPUID_FEATURE(CPUID_80000001_EDX, 27)),
	/* The VEX.128 forms of AES (and AVX, below); the VEX.256 forms of AES
	 * and PCLMULQDQ, which the soft CPU does not implement. */
	[ZYDIS_ISA_SET_AVXAES] = NEEDS(CPUID_F_AES),
	[ZYDIS_ISA_SET_VAES] = NEEDS(CPUID_F_VAES),
	[ZYDIS_ISA_SET_VPCLMULQDQ] = NEEDS(CPUID_F_VPCLMULQDQ),
};

bool isa_gate_refuses(const struct cpu_model *model, uint8_t mode, const ZydisDecodedInstruction *zi)
{
	unsigned need = (unsigned)zi->meta.isa_set <= ZYDIS_ISA_SET_MAX_VALUE ? needs[zi->meta.isa_set] : 0;

	/* VAES* (xmm) and VPCLMULQDQ (xmm) need two flags: AES or PCLMULQDQ,
	 * and AVX (SDM Vol. 2, their CPUID Feature Flag columns). Zydis files
	 * the first under AVXAES, the second under AVX. */
	if (zi->meta.isa_set == ZYDIS_ISA_SET_AVXAES && !cpu_model_has(model, CPUID_F_AVX))
		return true;
	if (zi->mnemonic == ZYDIS_MNEMONIC_VPCLMULQDQ && !cpu_model_has(model, CPUID_F_PCLMULQDQ))
		return true;
	if (!need || cpu_model_has(model, need - 1))
		return false;
	/* LAHF and SAHF are in every processor outside 64-bit mode; the flag says
	 * whether 64-bit mode has them (SDM Vol. 2, LAHF: #UD "if CPUID.80000001H:
	 * ECX.LAHF-SAHF[bit 0] = 0" in 64-bit mode only). */
	if (zi->meta.isa_set == ZYDIS_ISA_SET_LAHF)
		return mode == MODE_LONG64;
	/* F3 0F BC and F3 0F BD are TZCNT and LZCNT where the flag is set, and
	 * BSF and BSR with an ignored prefix where it is not (SDM Vol. 2, TZCNT and
	 * LZCNT); their handlers (exec_bmi.c) run them as BSF and BSR there. */
	if (zi->mnemonic == ZYDIS_MNEMONIC_TZCNT || zi->mnemonic == ZYDIS_MNEMONIC_LZCNT)
		return false;
	return true;
}
