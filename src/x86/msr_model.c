#include "x86/msr_model.h"

#include <string.h>

#include "x86/arch.h"
#include "x86/pvclock.h"

#define ALL_BITS (~0ull)
#define LOW_BITS(n) ((1ull << (n)) - 1)

/* PERF_CTLn (AMD APM Vol. 2, 13.2.1) on family 0Fh: event select 7:0, unit mask
 * 15:8, USR, OS, E, PC, INT (16-20), EN (22), INV (23), counter mask 31:24. Bit 21
 * and bits 63:32 are reserved (the event-select extension 35:32 and the host/guest
 * bits 41:40 came with later families); a write setting one raises #GP. */
#define PERF_CTL_RESERVED ((1ull << 21) | (ALL_BITS << 32))
/* PERF_CTRn: 48-bit counters; bits 63:48 are not kept. */
#define PERF_CTR_BITS LOW_BITS(48)
/* MCG_STATUS: RIPV, EIPV, MCIP; bits 63:3 reserved. */
#define MCG_STATUS_BITS LOW_BITS(3)

#define ENGINE(idx, n, nm)                                                                                             \
	{                                                                                                              \
		.first = (idx), .count = (n), .stride = 1, .kind = MSR_KIND_ENGINE, .name = (nm)                       \
	}

static const struct msr_def table[] = {
	ENGINE(MSR_TSC, 1, "TSC"),
	ENGINE(MSR_APIC_BASE, 1, "APIC_BASE"),
	{ .first = MSR_MTRRCAP,
	  .count = 1,
	  .stride = 1,
	  .kind = MSR_KIND_READ_ONLY,
	  .value = 0x508, /* 8 variable ranges, fixed ranges, write-combining */
	  .name = "MTRRCAP" },
	ENGINE(MSR_SYSENTER_CS, 3, "SYSENTER_CS/ESP/EIP"),
	{ .first = MSR_MCG_CAP,
	  .count = 1,
	  .stride = 1,
	  .kind = MSR_KIND_READ_ONLY,
	  .value = CPU_MODEL_MCG_CAP,
	  .name = "MCG_CAP" },
	{ .first = MSR_MCG_STATUS,
	  .count = 1,
	  .stride = 1,
	  .kind = MSR_KIND_STORED,
	  .slot = MSR_SLOT_MCG_STATUS,
	  .writable = MCG_STATUS_BITS,
	  .gp_bits = ~MCG_STATUS_BITS,
	  .name = "MCG_STATUS" },
	{ .first = MSR_MCG_CTL,
	  .count = 1,
	  .stride = 1,
	  .kind = MSR_KIND_STORED,
	  .slot = MSR_SLOT_MCG_CTL,
	  .writable = LOW_BITS(CPU_MODEL_MCA_BANKS), /* one enable bit per bank */
	  .name = "MCG_CTL" },
	ENGINE(MSR_MISC_ENABLE, 1, "MISC_ENABLE"),
	{ .first = MSR_MTRR_PHYS_BASE0,
	  .count = 16,
	  .stride = 1,
	  .kind = MSR_KIND_STORED,
	  .slot = MSR_SLOT_MTRR_VAR,
	  .writable = ALL_BITS,
	  .name = "MTRR_PHYS_BASE0/MASK0..7" },
	{ .first = 0x250,
	  .count = 1,
	  .stride = 1,
	  .kind = MSR_KIND_STORED,
	  .slot = MSR_SLOT_MTRR_FIX64K,
	  .writable = ALL_BITS,
	  .name = "MTRR_FIX64K_00000" },
	{ .first = 0x258,
	  .count = 2,
	  .stride = 1,
	  .kind = MSR_KIND_STORED,
	  .slot = MSR_SLOT_MTRR_FIX16K,
	  .writable = ALL_BITS,
	  .name = "MTRR_FIX16K_80000/A0000" },
	{ .first = 0x268,
	  .count = 8,
	  .stride = 1,
	  .kind = MSR_KIND_STORED,
	  .slot = MSR_SLOT_MTRR_FIX4K,
	  .writable = ALL_BITS,
	  .name = "MTRR_FIX4K_C0000..F8000" },
	ENGINE(MSR_PAT, 1, "PAT"),
	{ .first = MSR_MTRR_DEF_TYPE,
	  .count = 1,
	  .stride = 1,
	  .kind = MSR_KIND_STORED,
	  .slot = MSR_SLOT_MTRR_DEF_TYPE,
	  .writable = ALL_BITS,
	  .name = "MTRR_DEF_TYPE" },
	{ .first = MSR_MC0_CTL,
	  .count = CPU_MODEL_MCA_BANKS,
	  .stride = 4,
	  .kind = MSR_KIND_STORED,
	  .slot = MSR_SLOT_MC_CTL,
	  .writable = ALL_BITS,
	  .name = "MCi_CTL" },
	/* No errors: STATUS, ADDR and MISC read 0. Software clears STATUS by writing
	 * 0; a write of anything else raises #GP (SDM Vol. 3B, 16.3.2.2; family 0Fh
	 * has no HWCR.McStatusWrEn). ADDR and MISC follow the same rule. */
	{ .first = MSR_MC0_CTL + 1,
	  .count = CPU_MODEL_MCA_BANKS,
	  .stride = 4,
	  .kind = MSR_KIND_IGNORED,
	  .gp_bits = ALL_BITS,
	  .name = "MCi_STATUS" },
	{ .first = MSR_MC0_CTL + 2,
	  .count = CPU_MODEL_MCA_BANKS,
	  .stride = 4,
	  .kind = MSR_KIND_IGNORED,
	  .gp_bits = ALL_BITS,
	  .name = "MCi_ADDR" },
	{ .first = MSR_MC0_CTL + 3,
	  .count = CPU_MODEL_MCA_BANKS,
	  .stride = 4,
	  .kind = MSR_KIND_IGNORED,
	  .gp_bits = ALL_BITS,
	  .name = "MCi_MISC" },
	ENGINE(MSR_KVM_WALL_CLOCK_NEW, 1, "KVM_WALL_CLOCK_NEW"),
	ENGINE(MSR_KVM_SYSTEM_TIME_NEW, 1, "KVM_SYSTEM_TIME_NEW"),
	ENGINE(MSR_EFER, 1, "EFER"),
	ENGINE(MSR_STAR, 4, "STAR/LSTAR/CSTAR/SFMASK"),
	ENGINE(MSR_FS_BASE, 3, "FS_BASE/GS_BASE/KERNEL_GS_BASE"),
	{ .first = MSR_AMD_PERF_CTL0,
	  .count = MSR_AMD_PERF_COUNTERS,
	  .stride = 1,
	  .kind = MSR_KIND_STORED,
	  .slot = MSR_SLOT_PERF_CTL,
	  .writable = ~PERF_CTL_RESERVED,
	  .gp_bits = PERF_CTL_RESERVED,
	  .name = "PERF_CTL0..3" },
	{ .first = MSR_AMD_PERF_CTR0,
	  .count = MSR_AMD_PERF_COUNTERS,
	  .stride = 1,
	  .kind = MSR_KIND_STORED,
	  .slot = MSR_SLOT_PERF_CTR,
	  .writable = PERF_CTR_BITS,
	  .name = "PERF_CTR0..3" },
	/* Configuration registers Linux reads on an AMD model: nothing enabled, as
	 * KVM reports them; writes accepted and ignored, as KVM does. */
	{ .first = MSR_AMD_SYSCFG, .count = 1, .stride = 1, .kind = MSR_KIND_IGNORED, .name = "SYSCFG" },
	{ .first = MSR_AMD_HWCR, .count = 1, .stride = 1, .kind = MSR_KIND_IGNORED, .name = "HWCR" },
};

#define TABLE_LEN (sizeof(table) / sizeof(table[0]))

const struct msr_def *msr_model_table(size_t *count)
{
	*count = TABLE_LEN;
	return table;
}

/* The position of index within d, or -1 if d does not cover it. */
static int position_in(const struct msr_def *d, uint32_t index)
{
	uint32_t off;

	if (index < d->first)
		return -1;
	off = index - d->first;
	if (off % d->stride != 0 || off / d->stride >= d->count)
		return -1;
	return (int)(off / d->stride);
}

const struct msr_def *msr_model_find(uint32_t index)
{
	for (size_t i = 0; i < TABLE_LEN; i++)
		if (position_in(&table[i], index) >= 0)
			return &table[i];
	return NULL;
}

void msr_model_reset(struct msr_store *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < TABLE_LEN; i++)
		if (table[i].kind == MSR_KIND_STORED)
			for (unsigned j = 0; j < table[i].count; j++)
				s->v[table[i].slot + j] = table[i].value;
}

bool msr_model_read(const struct msr_store *s, uint32_t index, uint64_t *v)
{
	const struct msr_def *d = msr_model_find(index);

	if (!d)
		return false;
	switch (d->kind) {
	case MSR_KIND_STORED:
		*v = s->v[d->slot + position_in(d, index)];
		return true;
	case MSR_KIND_READ_ONLY:
	case MSR_KIND_IGNORED:
		*v = d->value;
		return true;
	default:
		return false;
	}
}

bool msr_model_write(struct msr_store *s, uint32_t index, uint64_t v)
{
	const struct msr_def *d = msr_model_find(index);
	uint64_t *slot;

	if (!d || (v & d->gp_bits))
		return false;
	switch (d->kind) {
	case MSR_KIND_STORED:
		slot = &s->v[d->slot + position_in(d, index)];
		*slot = (v & d->writable) | (*slot & ~d->writable);
		return true;
	case MSR_KIND_IGNORED:
		return true;
	default:
		return false;
	}
}
