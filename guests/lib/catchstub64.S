/* Catch stubs and catch_call() (catch64.h). Nothing here touches the stack
 * between the switch to the body's RSP and the switch back. */
	.code64
	.text

	.balign 32
	.globl catch_stubs
catch_stubs:
	.set vec, 0
	.rept 256
	.balign 32
	movq	$vec, caught+8(%rip)
	jmp	catch_common
	.set vec, vec + 1
	.endr

/* caught: count 0, vector 8, rsp 16, cr2 24, frame 32-79, rax 80, rbx 88,
 * rcx 96, rdx 104, where 112. */
catch_common:
	movq	%rax, caught+80(%rip)
	movq	%rbx, caught+88(%rip)
	movq	%rcx, caught+96(%rip)
	movq	%rdx, caught+104(%rip)
	movq	%rsp, caught+16(%rip)
	leaq	catch_common(%rip), %rax
	movq	%rax, caught+112(%rip)
	movq	%cr2, %rax
	movq	%rax, caught+24(%rip)
	leaq	caught(%rip), %rdx
	xorl	%ecx, %ecx
1:	movq	(%rsp,%rcx,8), %rax
	movq	%rax, 32(%rdx,%rcx,8)
	incl	%ecx
	cmpl	$6, %ecx
	jne	1b
	incq	caught(%rip)
	movq	caught+8(%rip), %rax
	jmp	catch_return

/* uint64_t catch_call(void (*body)(void), uint64_t rsp, uint64_t arg) */
	.globl catch_call
catch_call:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, catch_saved_rsp(%rip)
	movq	%rdi, %rax
	movq	%rsi, %rsp
	movq	%rdx, %rdi
	jmp	*%rax

	.globl catch_done
catch_done:
	movq	%rax, caught+80(%rip)
	movq	%rbx, caught+88(%rip)
	movq	%rcx, caught+96(%rip)
	movq	%rdx, caught+104(%rip)
	movq	$-1, %rax
catch_return:
	movq	catch_saved_rsp(%rip), %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	cld
	ret

	.section .bss
	.balign 8
catch_saved_rsp:
	.skip	8

	.section .note.GNU-stack, "", @progbits
