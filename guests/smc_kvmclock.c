/* Code written by the VMM, not by the guest: kvmclock's time record (KVM's
 * paravirtual clock, Linux Documentation/virt/kvm/x86/msr.rst,
 * MSR_KVM_SYSTEM_TIME_NEW) is written into guest RAM by the hypervisor when
 * the guest enables it, and the processor fetches what memory holds after
 * such a write (Intel SDM vol. 3A, 8.1.3), so a translating engine must drop
 * what it made of the bytes the record replaced. No device of this machine
 * writes guest RAM while the guest runs, and the loaders write it only before
 * it starts: kvmclock is the VMM's one write to guest RAM at run time.
 *
 * The record is 32 bytes; its last three (offsets 29-31) are the flags (bit 0
 * TSC stable, bit 1 guest stopped) and two bytes of zero padding. kc_fn starts
 * at offset 29 of where the record goes, so the record replaces its first
 * three bytes:
 *   before:  jmp +8 (to mov eax, 1; ret)           returns 1
 *   after:   op [rax] (flags 0-3 followed by 0 is ADD between a register
 *            and [rax]); add cl, cl (0, then kc_fn's own C9); mov eax, 2;
 *            ret                                     returns 2
 * Cases, 2000 times each, the guest putting the old bytes back with its own
 * stores in between (after turning the record off, so that nothing writes it
 * again):
 *   - kc_fn, called, then the record turned on by WRMSR, then kc_fn called
 *     again: it runs as the record left it;
 *   - kc_fn called, then kc_write, whose WRMSR turns the record on and which
 *     runs on into kc_fn in one straight line: the record rewrites the code
 *     right after the writing instruction, and what follows the WRMSR runs as
 *     rewritten (whether or not an engine ends its block at WRMSR, as the
 *     software engines do).
 * Status 1 through the debug exit if every check passed. */
#include <stdint.h>

#include "kernel64.h"
#include "sysreg.h"
#include "test.h"

#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01u
#define KVM_SYSTEM_TIME_ENABLE 1u
#define KVM_CPUID_SIGNATURE 0x40000000u
#define KVM_CPUID_FEATURES 0x40000001u
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define RECORD_SIZE 32
#define ROUNDS 2000

/* Code the record overwrites, in a writable section (identity mapped, no NX). */
__asm__(".pushsection .kvmclock_code, \"awx\", @progbits\n"
	".balign 64\n"
	".globl kc_record, kc_write, kc_fn\n"
	"kc_record:\n"
	".fill 18, 1, 0xcc\n"
	/* uint32_t kc_write(uint64_t msr): WRMSR, then on into kc_fn. */
	"kc_write:\n"
	"movl $0x4b564d01, %ecx\n"
	"movl %edi, %eax\n"
	"xorl %edx, %edx\n"
	"wrmsr\n"
	/* uint32_t kc_fn(void), with RAX pointing at 4 writable bytes. */
	"kc_fn:\n"
	".byte 0xeb, 8\n" /* jmp kc_fn_old, short, as bytes so that .if below can measure */
	"nop\n"
	".byte 0xc9\n"
	"movl $2, %eax\n"
	"ret\n"
	"kc_fn_old:\n"
	"movl $1, %eax\n"
	"ret\n"
	".if kc_fn - kc_record != 29 || kc_fn_old - kc_fn != 10\n"
	".error \"kc_fn must start at offset 29 of the record and jump 8 bytes\"\n"
	".endif\n"
	".balign 64\n"
	".popsection\n");

extern uint8_t kc_record[];
uint32_t kc_write(uint64_t msr);

static uint8_t original[RECORD_SIZE];
static volatile uint32_t scratch; /* what the new kc_fn's first instruction touches */

static uint32_t call_fn(void)
{
	uint64_t rax = (uint64_t)(uintptr_t)&scratch;

	__asm__ volatile("call kc_fn" : "+a"(rax) : : "rcx", "cc", "memory");
	return (uint32_t)rax;
}

/* The guest's own stores put the bytes under the record back. */
static void restore(void)
{
	for (unsigned i = 0; i < RECORD_SIZE; i++)
		((volatile uint8_t *)kc_record)[i] = original[i];
}

static void record_off(void)
{
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)(uintptr_t)kc_record);
}

static bool kvmclock_offered(void)
{
	uint32_t a = KVM_CPUID_SIGNATURE, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	/* "KVMKVMKVM\0\0\0" in EBX, ECX, EDX. */
	if (b != 0x4b4d564b || c != 0x564b4d56 || d != 0x4d)
		return false;
	a = KVM_CPUID_FEATURES;
	c = 0;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return (a & KVM_FEATURE_CLOCKSOURCE2) != 0;
}

int main(void)
{
	uint64_t on = (uint64_t)(uintptr_t)kc_record | KVM_SYSTEM_TIME_ENABLE;
	unsigned wrong_old = 0, wrong_between = 0, wrong_after = 0;

	kernel64_init();
	printf("kvmclock writing over code tests\n");
	if (!expect_eq("kvmclock is offered (CPUID 0x40000001 EAX bit 3)", kvmclock_offered(), 1))
		test_done();
	for (unsigned i = 0; i < RECORD_SIZE; i++)
		original[i] = kc_record[i];
	for (unsigned i = 0; i < ROUNDS; i++) {
		restore();
		wrong_old += call_fn() != 1;
		wrmsr(MSR_KVM_SYSTEM_TIME_NEW, on);
		wrong_between += call_fn() != 2;
		record_off();

		restore();
		wrong_old += call_fn() != 1;
		wrong_after += kc_write(on) != 2;
		record_off();
	}
	expect_eq("the function runs as the guest put it back", wrong_old, 0);
	expect_eq("a function the record overwrote between two calls runs as overwritten", wrong_between, 0);
	expect_eq("the record overwriting the code right after WRMSR: it runs as overwritten", wrong_after, 0);
	test_done();
}
