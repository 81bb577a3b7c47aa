/* The legacy region of the FXSAVE and XSAVE images (Intel SDM Vol. 1, table
 * 10-2 and 13.4.1), written and read by exec_x87_state.c's FXSAVE/FXRSTOR and
 * exec_xsave.c's XSAVE family: the x87 state in bytes 0-23 and 32-159, MXCSR
 * and MXCSR_MASK in bytes 24-31, the XMM registers from byte 160. */
#ifndef RV_SOFTCPU_LEGACY_REGION_H
#define RV_SOFTCPU_LEGACY_REGION_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/softcpu/cpu.h"

#define LEGACY_MXCSR_OFFSET 24u
#define LEGACY_XMM_OFFSET 160u

/* The x87 part (bytes 0-23 and 32-159, reserved bytes zero). wide: the 64-bit
 * form (REX.W), with 64-bit FIP and FDP; else 32-bit offsets and selectors. */
void legacy_x87_store(const struct soft_cpu *cpu, uint8_t *img, bool wide);
void legacy_x87_load(struct soft_cpu *cpu, const uint8_t *img, bool wide);
/* The x87 state's initial configuration (SDM Vol. 1, 13.6): as after FNINIT,
 * with FOP, FIP, FDP and every register zero. XRSTOR puts it there for a
 * component its header marks as not saved. */
void legacy_x87_init(struct soft_cpu *cpu);
bool legacy_x87_is_init(const struct soft_cpu *cpu);
/* MXCSR and MXCSR_MASK (bytes 24-31). */
void legacy_mxcsr_store(const struct soft_cpu *cpu, uint8_t *img);
/* The image's MXCSR, and whether loading it would set a reserved bit (#GP). */
uint32_t legacy_mxcsr(const uint8_t *img);
bool legacy_mxcsr_reserved(uint32_t mxcsr);

#endif
