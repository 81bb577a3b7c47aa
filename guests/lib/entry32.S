/* Entry of plain ELF32 guests (no Multiboot header): 32-bit protected mode,
 * paging off, no stack. The registers are saved untouched in boot_regs
 * first, so that a guest can check the entry state the ABI promises. */
	.code32
	.section .text.entry, "ax"
	.globl _start
_start:
	movl	%eax, boot_regs + 0
	movl	%ebx, boot_regs + 4
	movl	%ecx, boot_regs + 8
	movl	%edx, boot_regs + 12
	movl	%esi, boot_regs + 16
	movl	%edi, boot_regs + 20
	movl	%ebp, boot_regs + 24
	movl	%esp, boot_regs + 28
	movl	$stack_top, %esp
	/* MOVs leave the flags alone, so this is still the entry EFLAGS. */
	pushfl
	popl	boot_regs + 32
	call	main
	cli
1:	hlt
	jmp	1b

	.section .bss
	.balign 16
	.globl boot_regs
boot_regs:
	.skip	36
	.balign 16
stack:
	.skip	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
