/* Which handler executes which instruction: an explicit table from Zydis
 * mnemonics to handlers (dispatch.c), filled by the exec_*.c files' lists. */
#ifndef RV_INTERP_DISPATCH_H
#define RV_INTERP_DISPATCH_H

#include <Zydis/Zydis.h>

#include "engine/interp/insn.h"

struct dispatch_entry {
	uint16_t mnemonic; /* ZydisMnemonic */
	insn_fn fn;
	uint8_t flags; /* INSN_END_BLOCK when the instruction may change control flow or mode */
};

/* The handler for a mnemonic, or NULL if the interpreter does not implement it. */
const struct dispatch_entry *dispatch_find(ZydisMnemonic m);

/* The same for a decoded instruction: also tells apart mnemonics Zydis gives to two
 * different instructions (MOVSD, CMPSD: string or SSE2). */
const struct dispatch_entry *dispatch_find_decoded(const ZydisDecodedInstruction *zi);

/* Each exec_*.c file exports its part of the table. */
extern const struct dispatch_entry exec_int_table[];
extern const struct dispatch_entry exec_muldiv_table[];
extern const struct dispatch_entry exec_flow_table[];
extern const struct dispatch_entry exec_string_table[];
extern const struct dispatch_entry exec_sys_table[];
extern const struct dispatch_entry exec_int2_table[];
extern const struct dispatch_entry exec_sse_table[];
extern const struct dispatch_entry exec_sse_string_alias_table[]; /* SSE2 MOVSD, CMPSD */
extern const struct dispatch_entry exec_x87_table[];

/* MOV to or from a control or debug register (exec_sys.c). */
void h_mov_special(struct interp_cpu *cpu, const struct insn *in);

/* Memory operands wider than 8 bytes (exec_sse.c): seg:ea to seg:ea+len-1, checked
 * whole before any byte moves, so a fault leaves memory and registers unchanged.
 * align (0 or a power of two) is the alignment whose violation raises #GP(0). */
void mem_read_block(struct interp_cpu *cpu, unsigned sreg, uint64_t ea, void *buf, unsigned len, unsigned align);
void mem_write_block(struct interp_cpu *cpu, unsigned sreg, uint64_t ea, const void *buf, unsigned len, unsigned align);

/* Raises #UD: invalid encodings and instructions not implemented. */
void h_ud(struct interp_cpu *cpu, const struct insn *in);
/* Raises #GP(0): an instruction longer than 15 bytes. */
void h_gp0(struct interp_cpu *cpu, const struct insn *in);

#endif
