/* Flat 16-bit real-mode guest, loaded and entered at 0000:7c00
 * (ringvisor run --format flat). Prints a greeting, proves it runs in real
 * mode, and ends through the debug-exit port: value 0 when every check
 * passed (status 1), 1 otherwise (status 3). No library: plain .code16. */
	.code16
	.section .text, "ax"
	.globl _start
_start:
	/* The ABI zeroes every general-purpose register: OR them all (32-bit
	 * wide, SP included) before touching any, and keep the result. */
	orl	%ebx, %eax
	orl	%ecx, %eax
	orl	%edx, %eax
	orl	%esi, %eax
	orl	%edi, %eax
	orl	%ebp, %eax
	orl	%esp, %eax
	movl	%eax, %cs:entry_regs_or
	/* CS and IP as entered: the CALL pushes the IP of the next label. */
	movw	%cs, %cs:entry_cs
	call	entry_ip_mark
entry_ip_mark:
	popw	%cs:entry_ip

	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7c00, %sp		/* grows down, below the image */
	cld

	movw	$msg_hello, %si
	call	puts

	/* Real mode: CR0.PE (bit 0 of the machine status word) is clear. */
	smsw	%ax
	testw	$1, %ax
	jnz	1f
	movw	$msg_pass_pe, %si
	call	puts
	jmp	2f
1:	movw	$msg_fail_pe, %si
	call	fail
2:
	/* Entered at 0000:7c00, i.e. the code really runs at its link address. */
	cmpw	$0, entry_cs
	jne	1f
	cmpw	$entry_ip_mark, entry_ip
	jne	1f
	movw	$msg_pass_csip, %si
	call	puts
	jmp	2f
1:	movw	$msg_fail_csip, %si
	call	fail
2:
	cmpl	$0, entry_regs_or
	jne	1f
	movw	$msg_pass_regs, %si
	call	puts
	jmp	2f
1:	movw	$msg_fail_regs, %si
	call	fail
2:
	/* Debug exit: value 0 if every check passed, else 1. */
	movb	failures, %al
	testb	%al, %al
	jz	1f
	movb	$1, %al
1:	outb	%al, $0xf4
	/* Only reached if the debug-exit device is missing. */
	movw	$msg_no_exit, %si
	call	puts
	cli
3:	hlt
	jmp	3b

/* Print the NUL-terminated string at DS:SI on COM1. */
puts:
	pushw	%ax
	pushw	%dx
4:	lodsb
	testb	%al, %al
	jz	6f
	movb	%al, %ah
	movw	$0x3fd, %dx
5:	inb	%dx, %al
	testb	$0x20, %al
	jz	5b
	movb	%ah, %al
	movw	$0x3f8, %dx
	outb	%al, %dx
	jmp	4b
6:	popw	%dx
	popw	%ax
	ret

/* Count a failed check and print its line (string at DS:SI). */
fail:
	incb	failures
	jmp	puts

	.section .data, "aw"
entry_regs_or:	.long	0
entry_cs:	.word	0
entry_ip:	.word	0
failures:	.byte	0

	.section .rodata, "a"
msg_hello:	.asciz	"Hello from real mode\n"
msg_pass_pe:	.asciz	"PASS: real mode (CR0.PE clear)\n"
msg_fail_pe:	.asciz	"FAIL: real mode (CR0.PE clear): CR0.PE is set\n"
msg_pass_csip:	.asciz	"PASS: entered at 0000:7c00\n"
msg_fail_csip:	.asciz	"FAIL: entered at 0000:7c00: CS or IP differ\n"
msg_pass_regs:	.asciz	"PASS: general-purpose registers zero at entry\n"
msg_fail_regs:	.asciz	"FAIL: general-purpose registers zero at entry: some were not\n"
msg_no_exit:	.asciz	"FAIL: debug exit did not end the run\n"

	.section .note.GNU-stack, "", @progbits
