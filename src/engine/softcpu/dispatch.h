/* Which handler executes which instruction: an explicit table from Zydis
 * mnemonics to handlers (dispatch.c), filled by the exec_*.c files' lists. */
#ifndef RV_SOFTCPU_DISPATCH_H
#define RV_SOFTCPU_DISPATCH_H

#include <Zydis/Zydis.h>

#include "engine/softcpu/handlers.h"

/* The handler for a mnemonic, or NULL if the interpreter does not implement it. */
const struct dispatch_entry *dispatch_find(ZydisMnemonic m);

/* The same for a decoded instruction: also tells apart mnemonics Zydis gives to two
 * different instructions (MOVSD, CMPSD: string or SSE2; MOVD, PEXTRW, ...: on
 * an MMX register or not). */
const struct dispatch_entry *dispatch_find_decoded(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *zops);

/* Raises #UD: invalid encodings and instructions not implemented. */
void h_ud(struct soft_cpu *cpu, const struct insn *in);
/* Raises #GP(0): an instruction longer than 15 bytes. */
void h_gp0(struct soft_cpu *cpu, const struct insn *in);

#endif
