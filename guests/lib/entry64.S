/* Entry of ELF64 guests. Ringvisor enters in long mode with identity paging
 * and RSP = 0 (docs/guest-abi.md), so the first job is a stack. */
	.code64
	.section .text.entry, "ax"
	.globl _start
_start:
	lea	stack_top(%rip), %rsp
	call	main
	/* main returned: halt with interrupts off, Ringvisor status 0. */
	cli
1:	hlt
	jmp	1b

	.section .bss
	.balign 16
stack:
	.skip	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
