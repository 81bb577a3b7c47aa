/* Ringvisor hypercalls (docs/guest-abi.md): `out 0xe8, al` with RAX = number,
 * RBX/RCX/RDX/RSI = arguments, result in RAX. In 32-bit guests the same code
 * uses the low halves of those registers, as the ABI says. */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#define HC_ABI_VERSION 0
#define HC_CONSOLE_WRITE 1
#define HC_EXIT 2
#define HC_CLOCK_MONOTONIC 3

#define HC_EFAULT (-14L)
#define HC_ENOSYS (-1000L)

static inline long hypercall(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2, unsigned long a3)
{
	long ret;

	/* "memory": console_write reads guest memory behind the compiler's back. */
	__asm__ volatile("outb %%al, $0xe8" : "=a"(ret) : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3) : "memory");
	return ret;
}

static inline long hc_abi_version(void)
{
	return hypercall(HC_ABI_VERSION, 0, 0, 0, 0);
}

static inline long hc_console_write(unsigned long gpa, unsigned long len)
{
	return hypercall(HC_CONSOLE_WRITE, gpa, len, 0, 0);
}

static inline long hc_clock_monotonic(void)
{
	return hypercall(HC_CLOCK_MONOTONIC, 0, 0, 0, 0);
}

static inline void hc_exit(unsigned long status)
{
	hypercall(HC_EXIT, status, 0, 0, 0);
}

#endif
