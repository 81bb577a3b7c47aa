/* Result and defined flags of ADD ADC SUB SBB CMP AND OR XOR INC DEC NEG SHL
 * SHR SAR ROL ROR RCL RCR MUL IMUL at 8, 16, 32 and 64 bits on edge operands
 * (the operations, operands and flag rules are in aluflags.h), run at CPL 3
 * (on the kvm engine: natively on the processor), one checksum line per
 * operation and size. The expected lines come from running the same
 * aluflags.h natively on the host: tests/guests/aluflags-host.c. Status 1
 * through the debug exit (the lines themselves are what is checked). */
#include <stdint.h>

#include "aluflags.h"
#include "kernel64.h"
#include "test.h"

static uint64_t sums[ALU_NOPS];

static uint64_t compute_sums(uint64_t arg)
{
	(void)arg;
	for (unsigned int i = 0; i < ALU_NOPS; i++)
		sums[i] = alu_checksum(&alu_ops[i]);
	return 0;
}

int main(void)
{
	kernel64_init();
	printf("ALU flags checksums (run at CPL 3)\n");
	user_call(compute_sums, 0);
	for (unsigned int i = 0; i < ALU_NOPS; i++)
		printf("%s: %016llx\n", alu_ops[i].name, (unsigned long long)sums[i]);
	test_done();
}
