/* Integer throughput benchmark: a hash over a 64 KiB buffer, iterated, with the
 * loads, stores, ALU operations, shifts and branches of ordinary compiled code.
 * Entered in 64-bit long mode (ELF64, docs/guest-abi.md); ends by writing 0 to
 * the debug-exit port (status 1). Instructions executed: 16 per inner iteration,
 * 8192 inner iterations per pass, PASSES passes, plus a few dozen. */
	.set	PASSES, 2048
	.code64
	.section .text.entry, "ax"
	.globl	_start
_start:
	lea	buffer(%rip), %rdi
	mov	$0x9e3779b97f4a7c15, %rax	/* hash state */
	mov	$PASSES, %r8d
pass:
	xor	%ecx, %ecx
inner:
	mov	(%rdi,%rcx,8), %rdx		/* 1 load */
	add	%rdx, %rax			/* 2 */
	xor	%rcx, %rax			/* 3 */
	mov	%rax, %rsi			/* 4 */
	shr	$17, %rsi			/* 5 */
	xor	%rsi, %rax			/* 6 */
	lea	1(%rax,%rdx,2), %r9		/* 7 */
	imul	$31, %r9, %r9			/* 8 */
	rol	$13, %rax			/* 9 */
	sub	%r9, %rax			/* 10 */
	and	$0xffff, %r9d			/* 11 */
	or	%r9, %rdx			/* 12 */
	mov	%rdx, (%rdi,%rcx,8)		/* 13 store */
	inc	%ecx				/* 14 */
	cmp	$8192, %ecx			/* 15 */
	jne	inner				/* 16 */
	dec	%r8d
	jnz	pass
	mov	%eax, %ebx
	xor	%eax, %eax
	out	%al, $0xf4
	cli
	hlt

	.section .bss
	.balign	4096
buffer:
	.skip	65536

	.section .note.GNU-stack, "", @progbits
