/* Entering a test sequence natively and coming back (native.c).
 *
 * diff_native_enter(ctl) saves the callee-saved registers and RSP, sets the FS
 * and GS bases the guest image uses (raw syscalls: from here until the landing
 * pad, FS no longer points at the C library's thread data; each also makes the
 * selector null again, which an LFS or LGS of the last test may have changed
 * along with the base), loads RFLAGS and the sixteen
 * GPRs from ctl (struct native_ctl: gpr[16] in encoding order, then rflags) and
 * jumps to the code. The exception that ends the test arrives as a signal on the
 * alternate stack; diff_native_record (native.c) records the state and points
 * the signal frame at diff_native_landing with the saved RSP, so that sigreturn
 * lands there: it restores the FS base and returns from diff_native_enter.
 *
 * The x87 status and tags start as FNINIT leaves them, and MXCSR as 0x1f80
 * (every exception masked, round to nearest, no flags), as in the guest's
 * initial state (an earlier test may have left the MMX state, every tag
 * valid, or stopped in a unit that loads MXCSR before it set it back, or in
 * an #XM under its own MXCSR); the registers' contents are not reset, so
 * tests load what they read.
 *
 * diff_native_on_signal clears AC before any C runs: the test may have set it
 * with POPF, Linux runs with CR0.AM = 1 and does not clear AC for a handler. */
#include <asm/prctl.h>
#include <asm/unistd_64.h>

	.text
	.globl diff_native_enter
	.type diff_native_enter, @function
diff_native_enter:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, diff_native_saved_rsp(%rip)
	mov %rdi, %r12
	mov $ARCH_SET_FS, %edi
	mov diff_native_test_fs(%rip), %rsi
	mov $__NR_arch_prctl, %eax
	syscall
	mov $ARCH_SET_GS, %edi
	mov diff_native_test_gs(%rip), %rsi
	mov $__NR_arch_prctl, %eax
	syscall
	mov %r12, %rdi
	fninit
	ldmxcsr diff_native_initial_mxcsr(%rip)
	push 128(%rdi)
	popfq
	mov 0(%rdi), %rax
	mov 8(%rdi), %rcx
	mov 16(%rdi), %rdx
	mov 24(%rdi), %rbx
	mov 40(%rdi), %rbp
	mov 48(%rdi), %rsi
	mov 64(%rdi), %r8
	mov 72(%rdi), %r9
	mov 80(%rdi), %r10
	mov 88(%rdi), %r11
	mov 96(%rdi), %r12
	mov 104(%rdi), %r13
	mov 112(%rdi), %r14
	mov 120(%rdi), %r15
	mov 32(%rdi), %rsp
	mov 56(%rdi), %rdi
	jmp *diff_native_code(%rip)
	.size diff_native_enter, . - diff_native_enter

	.section .rodata
	.balign 4
diff_native_initial_mxcsr:
	.long 0x1f80
	.text

	.globl diff_native_landing
	.type diff_native_landing, @function
diff_native_landing:
	mov $ARCH_SET_FS, %edi
	mov diff_native_host_fs(%rip), %rsi
	mov $__NR_arch_prctl, %eax
	syscall
	fninit
	ldmxcsr diff_native_initial_mxcsr(%rip)
	mov diff_native_saved_rsp(%rip), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
	.size diff_native_landing, . - diff_native_landing

	.globl diff_native_on_signal
	.type diff_native_on_signal, @function
diff_native_on_signal:
	pushfq
	andq $~0x40000, (%rsp)
	popfq
	jmp diff_native_record
	.size diff_native_on_signal, . - diff_native_on_signal

	.section .note.GNU-stack, "", @progbits
