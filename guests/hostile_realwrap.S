/* Hostile guest, issue 11 class 7 (real-mode IP wrap), a flat binary
 * entered in real mode at 0000:7c00. A 3-byte instruction (MOV AX, imm16)
 * at 1000:fffe crosses offset 0xffff, the real-mode CS limit: on the 386
 * and later that is a limit violation, interrupt 13 (#GP) with CS:IP at the
 * instruction (SDM vol. 3, "Segment Wraparound" in the IA-32 compatibility
 * chapter: the 8086 wrapped, later processors raise exception 13; vol. 2,
 * "Real-Address Mode Exceptions": #GP beyond the CS limit). Neither
 * continuation may run: not the byte at 1000:0000 (an 8086 wrap) nor the
 * one at linear 0x20000 (no limit at all); each is followed by a far jump
 * to a FAIL line that tells which one the MOV took. Prints on COM1; value 0 to the debug exit when all passed
 * (status 1), else 1. Before the fix, interp fetched the third byte from
 * linear 0x20000 and ran on. */
#define IVT_GP (13 * 4)
#define CODE_SEG 0x1000
#define AT_END 0xfffe

	.code16
	.section .text, "ax"
	.globl	_start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %ss
	movw	$0x7c00, %sp
	cld
	movw	$on_gp, IVT_GP
	movw	$0, IVT_GP + 2
	movw	$banner, %si
	call	puts
	/* 1000:fffe: B8 11, then the third byte and a far jump at both
	 * places it could wrongly come from. */
	movw	$CODE_SEG, %ax
	movw	%ax, %es
	movb	$0xb8, %es:AT_END
	movb	$0x11, %es:AT_END + 1
	movb	$0x22, %dl
	call	put_farjmp
	movw	$0x2000, %ax
	movw	%ax, %es
	movb	$0x33, %dl
	call	put_farjmp
	movw	$0xdead, %ax
	ljmp	$CODE_SEG, $AT_END

/* ES:0000 = DL EA <ran_on> 00 00: a third byte for the MOV, then a far
 * jump to 0000:ran_on. */
put_farjmp:
	movb	%dl, %es:0
	movb	$0xea, %es:1
	movw	$ran_on, %es:2
	movw	$0, %es:4
	ret

on_gp:
	popw	%bx		/* IP */
	popw	%cx		/* CS */
	popw	%dx		/* FLAGS */
	movw	$msg_gp, %si
	call	puts
	movw	$msg_ip, %si
	cmpw	$AT_END, %bx
	call	check
	movw	$msg_cs, %si
	cmpw	$CODE_SEG, %cx
	call	check
	movw	$msg_ax, %si
	cmpw	$0xdead, %ax
	call	check
	jmp	done

/* The MOV ran: AX tells where its last byte came from. */
ran_on:
	xorw	%dx, %dx
	movw	%dx, %ds
	movw	%dx, %ss
	movw	$0x7c00, %sp
	movw	$msg_wrapped, %si
	cmpw	$0x2211, %ax
	je	1f
	movw	$msg_linear, %si
1:	call	puts
	incw	failures

done:
	movb	$0, %al
	cmpw	$0, failures
	je	1f
	movb	$1, %al
1:	outb	%al, $0xf4
	cli
	hlt

/* "PASS: <SI>" if ZF is set, else "FAIL: <SI>" and one failure more. */
check:
	pushw	%si
	movw	$pass, %si
	jz	1f
	movw	$fail, %si
	incw	failures
1:	call	puts
	popw	%si
	call	puts
	movw	$newline, %si
	call	puts
	ret

/* The NUL-terminated string at SI to COM1. */
puts:
	pushw	%ax
	pushw	%dx
1:	lodsb
	testb	%al, %al
	jz	3f
	movb	%al, %ah
	movw	$0x3fd, %dx
2:	inb	%dx, %al
	testb	$0x20, %al
	jz	2b
	movb	%ah, %al
	movw	$0x3f8, %dx
	outb	%al, %dx
	jmp	1b
3:	popw	%dx
	popw	%ax
	ret

failures:	.word 0
banner:		.asciz "hostile: an instruction across the real-mode CS limit\n"
msg_gp:		.asciz "interrupt 13 for MOV AX, imm16 at 1000:fffe\n"
msg_ip:		.asciz "  ... pushed IP is 0xfffe"
msg_cs:		.asciz "  ... pushed CS is 0x1000"
msg_ax:		.asciz "  ... the MOV did not run"
msg_wrapped:	.asciz "FAIL: MOV AX, imm16 at 1000:fffe ran with its last byte from 1000:0000\n"
msg_linear:	.asciz "FAIL: MOV AX, imm16 at 1000:fffe ran with its last byte from linear 0x20000\n"
pass:		.asciz "PASS: "
fail:		.asciz "FAIL: "
newline:	.asciz "\n"

	.section .note.GNU-stack, "", @progbits
