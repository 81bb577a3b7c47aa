/* Which guest instructions the dbt engine runs as themselves ("ident", stage 2
 * of docs/dbt-design.md): in 64-bit mode, an allowlist of integer instructions
 * whose operands are all general registers (never RSP) or immediates, which
 * cannot fault, touch memory, read host state or change control flow, and which
 * the guest CPU model implements exactly as the host does. What they read and
 * write (registers, arithmetic flags) comes from Zydis's full decode of the same
 * bytes, implicit operands included. */
#ifndef RV_DBT_IDENT_H
#define RV_DBT_IDENT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/softcpu/insn.h"

struct ident_use {
	uint16_t gpr_read, gpr_written; /* bit n: guest GPR n (RAX = 0 ... R15 = 15) */
	uint16_t flags_read;		/* RFLAGS_ARITH_MASK bits the result depends on */
	uint16_t flags_written;		/* RFLAGS_ARITH_MASK bits it always sets */
};

/* True when `in`, decoded in 64-bit mode from the bytes at code (in->len of
 * them), can be copied into host code unchanged; *use says what it touches. */
bool ident_classify(const struct insn *in, const uint8_t *code, struct ident_use *use);

#endif
