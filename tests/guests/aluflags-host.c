/* Prints what guests/aluflags.c should print, computed natively on the host
 * processor with the very same operations (guests/aluflags.h), so that the
 * expected checksums come from real hardware, not from Ringvisor:
 *
 *   gcc -O2 -Wall -Wextra -Iguests -o /tmp/aluflags-host \
 *       tests/guests/aluflags-host.c
 *   /tmp/aluflags-host > tests/guests/aluflags.stdout
 *
 * Run it on an x86-64 host (Intel or AMD: the flags aluflags.h hashes are
 * the ones the SDM defines, the same on both). */
#include <stdio.h>

#include "aluflags.h"

int main(void)
{
	printf("ALU flags checksums (run at CPL 3)\n");
	for (unsigned int i = 0; i < ALU_NOPS; i++)
		printf("%s: %016llx\n", alu_ops[i].name, (unsigned long long)alu_checksum(&alu_ops[i]));
	return 0;
}
