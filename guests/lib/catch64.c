#include "catch64.h"

#include "kernel64.h"

volatile struct catch_record caught;

void catch_clear(void)
{
	caught.count = 0;
	caught.vector = CATCH_NONE;
	caught.rsp = caught.cr2 = 0;
	for (unsigned int i = 0; i < 6; i++)
		caught.frame[i] = 0;
}

void catch_gate(unsigned int vector, unsigned int ist)
{
	gate64_set(&idt[vector & 255], (uintptr_t)(catch_stubs + 32 * (vector & 255)), SEL_KCODE, (uint8_t)ist,
		   ACC_P | ACC_INT_GATE);
}
