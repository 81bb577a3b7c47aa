/* SSE2 throughput benchmark, the vector counterpart of intloop.S: a pass over
 * a 64 KiB buffer 16 bytes at a time, with the loads, compares, mask moves,
 * shuffles, lane arithmetic and aligned stores of a string function or a
 * vectorised loop. SSE2 is in every CPU model, so it runs on each (--cpu
 * baseline included). Entered in 64-bit long mode at CPL 0 (docs/guest-abi.md);
 * turns SSE on (CR4.OSFXSR, CR0.EM and TS clear: SDM Vol. 3A, 13.1); ends by
 * writing 0 to the debug-exit port. Instructions executed: 13 per inner
 * iteration, 4096 inner iterations per pass, PASSES passes, plus a few dozen. */
	.set	PASSES, 4096
	.code64
	.section .text.entry, "ax"
	.globl	_start
_start:
	mov	%cr4, %rax
	or	$0x600, %rax			/* OSFXSR, OSXMMEXCPT */
	mov	%rax, %cr4
	mov	%cr0, %rax
	and	$~0xc, %rax			/* EM, TS */
	or	$2, %rax			/* MP */
	mov	%rax, %cr0
	lea	buffer(%rip), %rdi
	pcmpeqb	%xmm6, %xmm6			/* the byte compared with: 0xff */
	pxor	%xmm1, %xmm1
	pxor	%xmm3, %xmm3
	xor	%edx, %edx
	mov	$PASSES, %r8d
pass:
	xor	%ecx, %ecx
inner:
	movdqu	(%rdi,%rcx), %xmm0		/* 1 load */
	paddb	%xmm0, %xmm1			/* 2 */
	pcmpeqb	%xmm6, %xmm0			/* 3 */
	pmovmskb %xmm0, %eax			/* 4 */
	add	%eax, %edx			/* 5 */
	pshufd	$0x1b, %xmm1, %xmm2		/* 6 */
	pxor	%xmm2, %xmm3			/* 7 */
	psrlq	$7, %xmm3			/* 8 */
	paddq	%xmm1, %xmm3			/* 9 */
	movdqa	%xmm3, (%rdi,%rcx)		/* 10 store */
	add	$16, %ecx			/* 11 */
	cmp	$65536, %ecx			/* 12 */
	jne	inner				/* 13 */
	dec	%r8d
	jnz	pass
	mov	%edx, %ebx
	xor	%eax, %eax
	out	%al, $0xf4
	cli
	hlt

	.section .bss
	.balign	4096
buffer:
	.skip	65536

	.section .note.GNU-stack, "", @progbits
