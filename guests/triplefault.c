/* Triple fault on purpose: with an empty IDT (limit 0) the #UD from ud2
 * cannot be delivered, nor the #GP that follows, nor the #DF: the CPU shuts
 * down and Ringvisor exits with status 4. Nothing after the first line may
 * appear. */
#include <stdint.h>

#include "cpu.h"
#include "printf.h"

struct idtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

int main(void)
{
	static const struct idtr empty = { 0, 0 };

	printf("about to triple fault\n");
	__asm__ volatile("lidt %0; ud2" : : "m"(empty));
	printf("FAIL: triplefault: still running after ud2\n");
	halt_forever();
}
