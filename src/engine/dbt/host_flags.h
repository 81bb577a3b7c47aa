/* Which flags this host's CPU leaves as a function of an instruction's
 * operands alone, for the instructions whose flags the SDM leaves undefined
 * (AND/OR/XOR/TEST's AF, the shifts' and rotates' AF and OF, MUL/IMUL's SF
 * ZF AF PF, BT*'s, BSF/BSR's). Where the host computes an undefined flag
 * without looking at its old value, ident code needs no guest flags loaded
 * for it (ident.c): the guest gets the host's answer either way, as under KVM.
 * Where it passes the old value through (AMD does for some), the guest's
 * flags must be in host RFLAGS first. Probed once, by running each
 * instruction here on corner-case operands with the incoming arithmetic
 * flags all clear and all set: never assumed from a vendor's name. */
#ifndef RV_DBT_HOST_FLAGS_H
#define RV_DBT_HOST_FLAGS_H

#include <stdint.h>

#include <Zydis/Zydis.h>

/* The arithmetic flags (RFLAGS bits) that mnemonic's 64-bit register form
 * leaves the same whatever they were before it, on this host; 0 for an
 * instruction not probed. */
uint16_t host_flags_independent(ZydisMnemonic mnemonic);

/* RFLAGS after mnemonic's 64-bit register form ran here on RAX = a and RCX
 * = b (shifts: CL = b) with RFLAGS in_flags before it (for tests). */
uint64_t host_flags_run(ZydisMnemonic mnemonic, uint64_t a, uint64_t b, uint64_t in_flags);

#endif
