/* Which instructions the vCPU's CPU model lets run: an instruction of an
 * extension whose CPUID flag the model does not advertise raises #UD, as on a
 * processor without it. Asked once per instruction when it is decoded (decode.c),
 * so the decoded blocks both software engines run carry the answer. */
#ifndef RV_SOFTCPU_ISA_GATE_H
#define RV_SOFTCPU_ISA_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include <Zydis/Zydis.h>

struct cpu_model;

/* True when the decoded instruction zi, in CPU mode (enum cpu_mode), needs a
 * CPUID flag that model does not advertise. */
bool isa_gate_refuses(const struct cpu_model *model, uint8_t mode, const ZydisDecodedInstruction *zi);

#endif
