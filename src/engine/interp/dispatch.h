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

/* Each exec_*.c file exports its part of the table. */
extern const struct dispatch_entry exec_int_table[];
extern const struct dispatch_entry exec_muldiv_table[];
extern const struct dispatch_entry exec_flow_table[];
extern const struct dispatch_entry exec_string_table[];
extern const struct dispatch_entry exec_sys_table[];

/* MOV to or from a control or debug register (exec_sys.c). */
void h_mov_special(struct interp_cpu *cpu, const struct insn *in);

/* Raises #UD: invalid encodings and instructions not implemented. */
void h_ud(struct interp_cpu *cpu, const struct insn *in);

#endif
