/* Interrupt entry for ELF64 guests (see kernel64.h) and the CPL 3 round trip
 * of user_call().
 *
 * One 16-byte stub per vector. Vectors for which the CPU pushes an error
 * code (SDM vol. 3A, table 6-1: 8, 10-14, 17, 21, 29, 30) push only the
 * vector; the others push a 0 first, so every frame looks the same: 15
 * registers, vector, error code, then the CPU's RIP, CS, RFLAGS, RSP, SS. */
#define SEL_KDATA 0x10
#define USER_CS 0x33
#define USER_SS 0x2b

	.code64
	.text

	.balign 16
	.globl trap_stubs
trap_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$vec
	jmp	trap_common
	.set vec, vec + 1
	.endr

trap_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	/* The CPU aligned RSP to 16 before its frame, and 17 more quadwords
	 * keep the call below aligned as the ABI wants. */
	movq	%rsp, %rdi
	/* Delivery leaves DF as the trapped code had it; C expects it clear. */
	cld
	call	trap_dispatch
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp
	iretq

/* uint64_t user_call(uint64_t (*fn)(uint64_t), uint64_t arg) */
	.globl user_call
user_call:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, user_kernel_rsp(%rip)
	pushq	$USER_SS
	pushq	$user_stack_top
	pushq	user_rflags(%rip)
	pushq	$USER_CS
	pushq	$user_trampoline
	/* DPL 3 data in DS and ES by default: IRETQ would null DPL 0 ones. */
	movzwl	user_ds(%rip), %eax
	movl	%eax, %ds
	movl	%eax, %es
	iretq

/* CPL 3 from here: call fn(arg), then back to CPL 0 through the #UD of
 * user_exit_ud2, which trap_dispatch() sends to user_exit(). Not an INT n:
 * on this project's nested development host (PVM) every INT n at CPL 3,
 * whatever its gate, is delivered as #UD. */
user_trampoline:
	movq	%rdi, %rax
	movq	%rsi, %rdi
	call	*%rax
	.globl user_exit_ud2
user_exit_ud2:
	ud2

/* void user_exit(uint64_t result), on the RSP0 stack: drop the trap frame
 * and return `result` from user_call() on the stack it was called on. The
 * CPU loaded a null SS on the way in (64-bit mode does that on a privilege
 * change). */
	.globl user_exit
user_exit:
	movq	%rdi, %rax
	movq	user_kernel_rsp(%rip), %rsp
	movl	$SEL_KDATA, %ecx
	movl	%ecx, %ss
	movl	%ecx, %ds
	movl	%ecx, %es
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret

	.section .bss
	.balign 8
	.globl user_kernel_rsp
user_kernel_rsp:
	.skip	8
	.balign 16
user_stack:
	.skip	16384
	.globl user_stack_top
user_stack_top:

	.section .note.GNU-stack, "", @progbits
