/* The MSRs of the guest CPU model (docs/cpu-model.md, "Model-specific registers"),
 * shared by the software engines.
 *
 * One table lists every MSR the modelled processor (AMD family 0Fh) has. Most
 * are plain registers whose value changes nothing the engines model: performance
 * counters that do not count, machine-check banks with no errors, MTRRs. This
 * file reads and writes those itself, from a block of stored values that travels
 * in struct vcpu_state. The rest (EFER, STAR, FS.base, TSC, ...) hold state the
 * engine acts on; the table names them, and the engine handles them before
 * asking here. An index in no entry is not an MSR of the model: RDMSR and WRMSR
 * raise #GP. */
#ifndef RV_X86_MSR_MODEL_H
#define RV_X86_MSR_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* AMD legacy performance counters (AMD APM Vol. 2, 13.2): PERF_CTLn at
 * 0xc0010000 + n, PERF_CTRn at 0xc0010004 + n, four of each. */
#define MSR_AMD_PERF_CTL0 0xc0010000u
#define MSR_AMD_PERF_CTR0 0xc0010004u
#define MSR_AMD_PERF_COUNTERS 4
#define MSR_AMD_SYSCFG 0xc0010010u
#define MSR_AMD_HWCR 0xc0010015u

/* Machine-check architecture (AMD APM Vol. 2, 9.3; Intel SDM Vol. 3B, 16.3). */
#define MSR_MCG_CAP 0x179u
#define MSR_MCG_STATUS 0x17au
#define MSR_MCG_CTL 0x17bu
#define MSR_MC0_CTL 0x400u /* bank i: CTL, STATUS, ADDR, MISC at 0x400 + 4i + 0..3 */
#define MCG_CAP_CTL_P (1ull << 8)
/* Five banks (data cache, instruction cache, bus unit, load/store, northbridge)
 * and MCG_CTL present, as on AMD family 0Fh processors. */
#define CPU_MODEL_MCA_BANKS 5
#define CPU_MODEL_MCG_CAP (MCG_CAP_CTL_P | CPU_MODEL_MCA_BANKS)

#define MSR_MTRRCAP 0xfeu
#define MSR_MTRR_PHYS_BASE0 0x200u
#define MSR_MTRR_DEF_TYPE 0x2ffu

/* How an MSR behaves. */
enum msr_kind {
	MSR_KIND_ENGINE,    /* state the engine keeps and acts on; handled by the engine */
	MSR_KIND_STORED,    /* reads back what was written (the writable bits) */
	MSR_KIND_READ_ONLY, /* reads its value; every write raises #GP */
	MSR_KIND_IGNORED,   /* reads its value; writes are accepted and have no effect */
};

/* One entry: `count` MSRs at first, first + stride, ... */
struct msr_def {
	uint32_t first;
	uint16_t count;
	uint16_t stride;
	uint8_t kind;	   /* enum msr_kind */
	uint16_t slot;	   /* MSR_KIND_STORED: the first one's index in struct msr_store */
	uint64_t value;	   /* the value after reset (and the constant of READ_ONLY / IGNORED) */
	uint64_t writable; /* STORED: bits a write changes; the others keep their value */
	uint64_t gp_bits;  /* a write with any of these bits set raises #GP */
	const char *name;  /* of the first, for messages and docs */
};

/* Slots of the stored MSRs. */
enum {
	MSR_SLOT_MTRR_VAR = 0,				  /* 0x200-0x20f */
	MSR_SLOT_MTRR_FIX64K = MSR_SLOT_MTRR_VAR + 16,	  /* 0x250 */
	MSR_SLOT_MTRR_FIX16K = MSR_SLOT_MTRR_FIX64K + 1,  /* 0x258, 0x259 */
	MSR_SLOT_MTRR_FIX4K = MSR_SLOT_MTRR_FIX16K + 2,	  /* 0x268-0x26f */
	MSR_SLOT_MTRR_DEF_TYPE = MSR_SLOT_MTRR_FIX4K + 8, /* 0x2ff */
	MSR_SLOT_PERF_CTL = MSR_SLOT_MTRR_DEF_TYPE + 1,	  /* 0xc0010000-3 */
	MSR_SLOT_PERF_CTR = MSR_SLOT_PERF_CTL + 4,	  /* 0xc0010004-7 */
	MSR_SLOT_MCG_STATUS = MSR_SLOT_PERF_CTR + 4,	  /* 0x17a */
	MSR_SLOT_MCG_CTL = MSR_SLOT_MCG_STATUS + 1,	  /* 0x17b */
	MSR_SLOT_MC_CTL = MSR_SLOT_MCG_CTL + 1,		  /* 0x400 + 4i */
	MSR_STORED_COUNT = MSR_SLOT_MC_CTL + CPU_MODEL_MCA_BANKS,
};

/* The values of the stored MSRs, by slot. */
struct msr_store {
	uint64_t v[MSR_STORED_COUNT];
};

/* The entry that covers index, or NULL if the model has no such MSR. */
const struct msr_def *msr_model_find(uint32_t index);

/* Every entry, for tests and listings; *count receives their number. */
const struct msr_def *msr_model_table(size_t *count);

/* The stored MSRs as after RESET. */
void msr_model_reset(struct msr_store *s);

/* RDMSR of a modelled MSR that is not the engine's: true with *v, or false if
 * the model has no such MSR (#GP) or the engine must answer it. */
bool msr_model_read(const struct msr_store *s, uint32_t index, uint64_t *v);

/* WRMSR of a modelled MSR that is not the engine's: true if done, false if it
 * raises #GP (no such MSR, a read-only one, or a bit of gp_bits set) or the
 * engine must do it. */
bool msr_model_write(struct msr_store *s, uint32_t index, uint64_t v);

#endif
