/* Hostile guest, a class found while writing issue 11's suite: an IDT
 * entry with bit 44 (S, "code or data") set is no gate, whatever its type
 * nibble says. The type the CPU checks is 5 bits, S included (SDM vol. 3A,
 * table 3-2 lists the system types with S = 0; the INT n pseudo-code, vol.
 * 2A: "IF descriptor type is not a 64-bit interrupt or trap gate THEN
 * #GP(error_code(vector, 1, EXT))"). An all-ones gate, as read from MMIO,
 * has S set. Cases: INT 0x40 through such an entry is #GP(0x40 * 8 + 2)
 * at the INT; #UD through one is #GP(6 * 8 + 2 + 1) at the UD2 (EXT: a
 * hardware exception was being delivered).
 * Before the fix, interp looked at the low 4 bits only and delivered
 * through the entry. QEMU 7.2 raises the #GP but with error code
 * vector * 16 + 2 and no EXT (0x402, 0x62). */
#include <stdint.h>

#include "kernel64.h"
#include "test.h"

#define VEC_SOFT 0x40
#define NOT_A_GATE (ACC_P | ACC_S | ACC_INT_GATE)

int main(void)
{
	uint64_t at;

	printf("hostile: IDT entries that are not gates\n");
	kernel64_init();
	gate64_set(&idt[VEC_SOFT], (uintptr_t)(trap_stubs + 16 * VEC_SOFT), SEL_KCODE, 0, NOT_A_GATE);
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "leaq 2f(%%rip), %0\n"
					   "2:\tint $0x40\n1:"
			 : "=r"(at)
			 :
			 : "memory");
	expect_trap("INT 0x40 through an entry with S set: #GP(0x202)", VEC_GP, VEC_SOFT * 8 + 2, at);
	gate64_set(&idt[VEC_UD], (uintptr_t)(trap_stubs + 16 * VEC_UD), SEL_KCODE, 0, NOT_A_GATE);
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "leaq 2f(%%rip), %0\n"
					   "2:\tud2\n1:"
			 : "=r"(at)
			 :
			 : "memory");
	trap_set_gate(VEC_UD, 0, 0, ACC_INT_GATE);
	expect_trap("#UD through an entry with S set: #GP(0x33)", VEC_GP, VEC_UD * 8 + 3, at);
	test_done();
}
