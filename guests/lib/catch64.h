/* Catching a trap without a usable stack, for the hostile-guest tests of
 * 64-bit kernels (kernel64.h): the stack, the IDT or the TSS may lie in
 * MMIO or beyond RAM, where the CPU's frame is lost (writes ignored, reads
 * all ones). A catch stub uses no stack: it records what it can see in
 * `caught` and goes back to where catch_call() was called, on the stack
 * catch_call() was called on.
 *
 * catch_call(body, rsp, arg) runs the assembly routine `body` with RSP =
 * rsp and RDI = arg. The body ends with `jmp catch_done` if nothing trapped;
 * catch_call() then returns CATCH_NONE. If a trap reaches a catch stub
 * first, catch_call() returns its vector. Either way `caught` holds RAX,
 * RBX, RCX and RDX as they were at that point. */
#ifndef GUEST_CATCH64_H
#define GUEST_CATCH64_H

#include <stdint.h>

#define CATCH_NONE (~0ull)

struct catch_record {
	uint64_t count;	   /* catch stubs run since catch_clear() */
	uint64_t vector;   /* of the last one */
	uint64_t rsp;	   /* RSP in the stub: where the CPU put its frame */
	uint64_t cr2;	   /* CR2 in the stub */
	uint64_t frame[6]; /* the 6 quadwords at that RSP */
	uint64_t rax, rbx, rcx, rdx;
	uint64_t where; /* the address the stubs' common code ran at */
};

extern volatile struct catch_record caught;
extern char catch_stubs[]; /* stub of vector v at catch_stubs + 32 * v */
extern char catch_done[];

void catch_clear(void);
/* Points kernel64's IDT gate `vector` at its catch stub (interrupt gate,
 * DPL 0, this IST). */
void catch_gate(unsigned int vector, unsigned int ist);
uint64_t catch_call(void (*body)(void), uint64_t rsp, uint64_t arg);

#endif
