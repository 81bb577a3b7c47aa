/* Machine code written by test guests at run time (self-modifying and
 * remapped code), and calls into it. Byte stores are volatile: the compiler
 * must neither merge nor drop a store to code. */
#ifndef GUEST_CODEGEN_H
#define GUEST_CODEGEN_H

#include <stdint.h>

/* A little-endian 32-bit value at `at`. */
static inline void put32(uint8_t *at, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++)
		((volatile uint8_t *)at)[i] = (uint8_t)(v >> (8 * i));
}

/* MOV EAX, imm32; RET */
static inline void put_ret_value(uint8_t *at, uint32_t v)
{
	((volatile uint8_t *)at)[0] = 0xb8;
	put32(at + 1, v);
	((volatile uint8_t *)at)[5] = 0xc3;
}

/* JMP rel32 at `at` (in a page placed at linear `from`) to linear `to`. */
static inline void put_jmp(uint8_t *at, uint64_t from, uint64_t to)
{
	((volatile uint8_t *)at)[0] = 0xe9;
	put32(at + 1, (uint32_t)(to - (from + 5)));
}

/* CALL the code at linear `lin`, which returns a value in RAX and may clobber
 * the SysV caller-saved registers. */
static inline uint64_t call_at(uint64_t lin)
{
	uint64_t r;

	__asm__ volatile("call *%1"
			 : "=a"(r)
			 : "r"(lin)
			 : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
	return r;
}

#endif
