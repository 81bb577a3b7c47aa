/* The smallest Ringvisor guest: print one line on COM1, then halt with
 * interrupts off, which ends the run with status 0.
 *
 * Entered in 64-bit long mode at _start (docs/guest-abi.md); it needs no
 * stack, so it leaves RSP = 0 alone. */
	.code64
	.section .text.entry, "ax"
	.globl _start
_start:
	lea	msg(%rip), %rsi
	mov	$msg_len, %ecx
next_char:
	mov	$0x3fd, %dx		/* line status register */
wait_thr:
	in	%dx, %al
	test	$0x20, %al		/* transmit holding register empty? */
	jz	wait_thr
	lodsb
	mov	$0x3f8, %dx		/* transmit holding register */
	out	%al, %dx
	loop	next_char
	cli
halt:
	hlt
	jmp	halt

	.section .rodata
msg:
	.ascii	"Hello from a Ringvisor guest!\n"
	.set	msg_len, . - msg

	.section .note.GNU-stack, "", @progbits
