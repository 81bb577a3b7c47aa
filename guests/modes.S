/* Every mode and the switches between them, in one flat binary entered in
 * real mode at 0000:7c00 (ringvisor run --format flat):
 *
 *   real mode -> 16-bit protected -> 32-bit protected -> compatibility
 *   (paging and EFER.LME on: EFER.LMA = 1 with a 32-bit CS) -> 64-bit
 *   (far jump to an L=1 CS), a far CALL into compatibility mode and a far
 *   RET back, then down again: compatibility -> 32-bit protected (paging
 *   off, EFER.LMA = 0) -> 16-bit protected -> real mode.
 *
 * Facts from the Intel SDM vol. 3A, 9.9 (mode switching) and 9.8.5
 * (initializing IA-32e mode), vol. 2 for far CALL/RET/JMP. In each mode a
 * probe (MODE_PROBE) executes bytes that mean different instructions in
 * 16-, 32- and 64-bit code, so the result shows how the CPU decoded them.
 * Real mode also checks INT n, #DE, #UD and INT3 through the interrupt
 * vector table (SDM vol. 3A, 20.1.4): FLAGS, CS and IP pushed, IF cleared,
 * IRET restoring them; faults push the IP of the faulting instruction.
 *
 * Plain assembly: one print routine and one check routine per code size.
 * The 64-bit code addresses data RIP-relative: the object is ELF32.
 * Value 0 to the debug exit when every check passed (status 1), else 1. */

#define SEL_CODE16 0x08
#define SEL_DATA16 0x10
#define SEL_CODE32 0x18
#define SEL_DATA32 0x20
#define SEL_CODE64 0x28

#define STACK 0x7c00
/* Identity map of the first 2 MiB, one large page, built here. */
#define PML4 0x10000
#define PDPT 0x11000
#define PD 0x12000

#define MSR_EFER 0xc0000080
#define EFER_LME 0x100
#define EFER_LMA 0x400
#define CR0_PE 0x1
#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define EFLAGS_IF 0x200
#define VEC_TEST 0x40

/* EAX = 1 in 16-bit code, 0x90900001 in 32-bit code, 0x90900000 in 64-bit
 * code:
 *   31 c0           XOR (E)AX,(E)AX
 *   66 31 c0        16-bit: XOR EAX,EAX; 32/64: XOR AX,AX
 *   b8 00 00 90 90  16-bit: MOV AX,0; NOP; NOP; 32/64: MOV EAX,0x90900000
 *   40 90           16/32-bit: INC (E)AX; NOP; 64-bit: REX prefix, NOP */
.macro MODE_PROBE
	.byte	0x31, 0xc0
	.byte	0x66, 0x31, 0xc0
	.byte	0xb8, 0x00, 0x00, 0x90, 0x90
	.byte	0x40, 0x90
.endm
#define PROBE16 1
#define PROBE32 0x90900001
#define PROBE64 0x90900000

	.section .text, "ax"

/* === real mode ========================================================= */
	.code16
	.globl _start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$STACK, %sp
	cld
	movw	$msg_title, %si
	call	puts16

	smsw	%ax
	testw	$CR0_PE, %ax
	movw	$msg_rm_pe, %si
	call	report16
	MODE_PROBE
	cmpl	$PROBE16, %eax
	movw	$msg_rm_probe, %si
	call	report16
	call	check_real_int
	call	check_real_faults

	/* To 16-bit protected mode: a GDT, CR0.PE, a far jump to a D=0 code
	 * segment. */
	lgdt	gdt_ptr
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmp	$SEL_CODE16, $pm16

pm16:
	movw	$SEL_DATA16, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	smsw	%ax
	andw	$CR0_PE, %ax
	cmpw	$CR0_PE, %ax
	movw	$msg_pm16_pe, %si
	call	report16
	MODE_PROBE
	cmpl	$PROBE16, %eax
	movw	$msg_pm16_probe, %si
	call	report16
	/* To 32-bit protected mode: a far jump (32-bit offset) to D=1 code. */
	ljmpl	$SEL_CODE32, $pm32

/* === 32-bit protected mode, then compatibility mode ===================== */
	.code32
pm32:
	movl	$SEL_DATA32, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movl	$STACK, %esp
	MODE_PROBE
	cmpl	$PROBE32, %eax
	movl	$msg_pm32_probe, %esi
	call	report32
	movl	%cr0, %eax
	andl	$(CR0_PE | CR0_PG), %eax
	cmpl	$CR0_PE, %eax
	movl	$msg_pm32_cr0, %esi
	call	report32

	/* SDM 9.8.5: PAE, CR3, EFER.LME, then CR0.PG activates IA-32e mode
	 * (compatibility mode, since CS is still a 32-bit segment). */
	movl	$PML4, %edi
	xorl	%eax, %eax
	movl	$(3 * 1024), %ecx
	rep stosl
	movl	$(PDPT | 3), PML4
	movl	$(PD | 3), PDPT
	movl	$0x83, PD		/* 2 MiB page at 0: P, W, PS */
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$PML4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$CR0_PG, %eax
	movl	%eax, %cr0
	jmp	compat

compat:
	movl	$MSR_EFER, %ecx
	rdmsr
	andl	$EFER_LMA, %eax
	cmpl	$EFER_LMA, %eax
	movl	$msg_compat_lma, %esi
	call	report32
	MODE_PROBE
	cmpl	$PROBE32, %eax
	movl	$msg_compat_probe, %esi
	call	report32
	/* To 64-bit mode: a far jump to an L=1 code segment. */
	ljmp	$SEL_CODE64, $lm64

/* === 64-bit mode ========================================================= */
	.code64
lm64:
	MODE_PROBE
	cmpl	$PROBE64, %eax
	movl	$msg_lm_probe, %esi
	call	report64
	movl	$MSR_EFER, %ecx
	rdmsr
	andl	$EFER_LMA, %eax
	cmpl	$EFER_LMA, %eax
	movl	$msg_lm_lma, %esi
	call	report64
	movw	%cs, %ax
	cmpw	$SEL_CODE64, %ax
	movl	$msg_lm_cs, %esi
	call	report64

	/* Far CALL through a 16:32 pointer into 32-bit code, and its far RET
	 * (32-bit operand size both ways) back here. */
	movl	$0, compat_probe(%rip)
	lcall	*compat_ptr(%rip)
	cmpl	$PROBE32, compat_probe(%rip)
	movl	$msg_lm_call, %esi
	call	report64
	MODE_PROBE
	cmpl	$PROBE64, %eax
	movl	$msg_lm_ret, %esi
	call	report64

	/* Long mode is left from compatibility mode. */
	ljmp	*back32_ptr(%rip)

/* === down again ========================================================== */
	.code32
compat_fn:
	MODE_PROBE
	movl	%eax, compat_probe
	lret

pm32_back:
	/* In compatibility mode: paging off deactivates IA-32e mode. */
	movl	%cr0, %eax
	andl	$~CR0_PG, %eax
	movl	%eax, %cr0
	jmp	pm32_legacy
pm32_legacy:
	movl	$MSR_EFER, %ecx
	rdmsr
	andl	$EFER_LMA, %eax
	cmpl	$0, %eax
	movl	$msg_back_lma, %esi
	call	report32
	movl	$MSR_EFER, %ecx
	rdmsr
	andl	$~EFER_LME, %eax
	wrmsr
	movl	%cr4, %eax
	andl	$~CR4_PAE, %eax
	movl	%eax, %cr4
	MODE_PROBE
	cmpl	$PROBE32, %eax
	movl	$msg_back_probe32, %esi
	call	report32
	ljmp	$SEL_CODE16, $pm16_back

	.code16
pm16_back:
	/* 64 KiB data segments, as real mode wants them, then PE off and a
	 * far jump to load a real-mode CS. */
	movw	$SEL_DATA16, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	MODE_PROBE
	cmpl	$PROBE16, %eax
	movw	$msg_back_probe16pm, %si
	call	report16
	movl	%cr0, %eax
	andl	$~CR0_PE, %eax
	movl	%eax, %cr0
	ljmp	$0, $rm_back

rm_back:
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$STACK, %sp
	smsw	%ax
	testw	$CR0_PE, %ax
	movw	$msg_back_pe, %si
	call	report16
	MODE_PROBE
	cmpl	$PROBE16, %eax
	movw	$msg_back_probe16, %si
	call	report16
	movw	$0, int_count
	int	$VEC_TEST
	cmpw	$1, int_count
	movw	$msg_back_int, %si
	call	report16

	/* Debug exit: value 0 if every check passed, else 1. */
	movb	failures, %al
	testb	%al, %al
	jz	1f
	movb	$1, %al
1:	outb	%al, $0xf4
	movw	$msg_no_exit, %si
	call	puts16
	cli
2:	hlt
	jmp	2b

/* === real-mode interrupts ================================================= */

/* INT n through the IVT, with IF set before it to see INT clear it. */
check_real_int:
	movw	$int_handler, VEC_TEST * 4
	movw	$0, VEC_TEST * 4 + 2
	movw	$0, int_count
	movw	%sp, %bx
	sti
	int	$VEC_TEST
int_next:
	pushfw
	popw	int_flags_after
	cli
	cmpw	$1, int_count
	movw	$msg_rm_int, %si
	call	report16
	cmpw	$int_next, int_ip
	movw	$msg_rm_int_ip, %si
	call	report16
	cmpw	$0, int_cs
	movw	$msg_rm_int_cs, %si
	call	report16
	movw	int_flags, %ax
	andw	$EFLAGS_IF, %ax
	cmpw	$EFLAGS_IF, %ax
	movw	$msg_rm_int_flags, %si
	call	report16
	movw	int_flags_inside, %ax
	andw	$EFLAGS_IF, %ax
	movw	$msg_rm_int_if, %si
	call	report16
	movw	int_sp, %ax
	addw	$6, %ax
	cmpw	%bx, %ax
	movw	$msg_rm_int_sp, %si
	call	report16
	movw	int_flags_after, %ax
	andw	$EFLAGS_IF, %ax
	cmpw	$EFLAGS_IF, %ax
	movw	$msg_rm_iret, %si
	call	report16
	ret

/* Records what INT pushed: IP, CS, FLAGS (lowest address first). */
int_handler:
	pushfw
	popw	int_flags_inside
	movw	%sp, int_sp
	pushw	%bp
	movw	%sp, %bp
	movw	2(%bp), %ax
	movw	%ax, int_ip
	movw	4(%bp), %ax
	movw	%ax, int_cs
	movw	6(%bp), %ax
	movw	%ax, int_flags
	incw	int_count
	popw	%bp
	iret

/* #DE, #UD: faults (the IP of the instruction); INT3: a trap (after it). */
check_real_faults:
	movw	$skip2_handler, 0 * 4
	movw	$0, 0 * 4 + 2
	movw	$skip2_handler, 6 * 4
	movw	$0, 6 * 4 + 2
	movw	$record_handler, 3 * 4
	movw	$0, 3 * 4 + 2

	movw	$0, fault_ip
	movw	$0x1234, %ax
	xorb	%cl, %cl
de_insn:
	divb	%cl
	cmpw	$de_insn, fault_ip
	movw	$msg_rm_de, %si
	call	report16

	movw	$0, fault_ip
ud_insn:
	ud2
	cmpw	$ud_insn, fault_ip
	movw	$msg_rm_ud, %si
	call	report16

	movw	$0, fault_ip
	int3
bp_next:
	cmpw	$bp_next, fault_ip
	movw	$msg_rm_bp, %si
	call	report16
	ret

/* Records the pushed IP and returns past a 2-byte faulting instruction. */
skip2_handler:
	pushw	%bp
	movw	%sp, %bp
	movw	2(%bp), %ax
	movw	%ax, fault_ip
	addw	$2, 2(%bp)
	popw	%bp
	iret

record_handler:
	pushw	%bp
	movw	%sp, %bp
	movw	2(%bp), %ax
	movw	%ax, fault_ip
	popw	%bp
	iret

/* === output ============================================================== */

/* Each mode's puts: the NUL-terminated string at (E/R)SI to COM1. */
puts16:
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

/* "PASS: name" if ZF is set, else "FAIL: name: failed" and a failure
 * counted; SI = name. */
report16:
	pushw	%si
	jnz	1f
	movw	$str_pass, %si
	call	puts16
	popw	%si
	call	puts16
	movw	$str_newline, %si
	call	puts16
	ret
1:	incb	failures
	movw	$str_fail, %si
	call	puts16
	popw	%si
	call	puts16
	movw	$str_failed, %si
	call	puts16
	ret

	.code32
puts32:
	pushl	%eax
	pushl	%edx
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
3:	popl	%edx
	popl	%eax
	ret

report32:
	pushl	%esi
	jnz	1f
	movl	$str_pass, %esi
	call	puts32
	popl	%esi
	call	puts32
	movl	$str_newline, %esi
	call	puts32
	ret
1:	incb	failures
	movl	$str_fail, %esi
	call	puts32
	popl	%esi
	call	puts32
	movl	$str_failed, %esi
	call	puts32
	ret

	.code64
puts64:
	pushq	%rax
	pushq	%rdx
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
3:	popq	%rdx
	popq	%rax
	ret

report64:
	pushq	%rsi
	jnz	1f
	movl	$str_pass, %esi
	call	puts64
	popq	%rsi
	call	puts64
	movl	$str_newline, %esi
	call	puts64
	ret
1:	incb	failures(%rip)
	movl	$str_fail, %esi
	call	puts64
	popq	%rsi
	call	puts64
	movl	$str_failed, %esi
	call	puts64
	ret

/* === data ================================================================= */

	.section .data, "aw"
	.balign 8
gdt:
	.quad	0
	.quad	0x00009a000000ffff	/* 0x08: 16-bit code, 64 KiB */
	.quad	0x000092000000ffff	/* 0x10: 16-bit data, 64 KiB */
	.quad	0x00cf9a000000ffff	/* 0x18: 32-bit code, 4 GiB */
	.quad	0x00cf92000000ffff	/* 0x20: 32-bit data, 4 GiB */
	.quad	0x00af9a000000ffff	/* 0x28: 64-bit code (L=1) */
gdt_end:
gdt_ptr:
	.word	gdt_end - gdt - 1
	.long	gdt
/* 16:32 far pointers: offset, then selector. */
compat_ptr:
	.long	compat_fn
	.word	SEL_CODE32
back32_ptr:
	.long	pm32_back
	.word	SEL_CODE32

	.balign 4
compat_probe:	.long	0
int_count:	.word	0
int_ip:		.word	0
int_cs:		.word	0
int_flags:	.word	0
int_flags_inside: .word	0
int_flags_after: .word	0
int_sp:		.word	0
fault_ip:	.word	0
failures:	.byte	0

	.section .rodata, "a"
str_pass:	.asciz	"PASS: "
str_fail:	.asciz	"FAIL: "
str_failed:	.asciz	": failed\n"
str_newline:	.asciz	"\n"
msg_title:	.asciz	"Mode switch tests\n"
msg_rm_pe:	.asciz	"real mode: CR0.PE clear"
msg_rm_probe:	.asciz	"real mode: 16-bit decoding"
msg_rm_int:	.asciz	"real mode: INT 0x40 through the IVT"
msg_rm_int_ip:	.asciz	"real mode INT: pushed IP is the next instruction"
msg_rm_int_cs:	.asciz	"real mode INT: pushed CS"
msg_rm_int_flags: .asciz "real mode INT: pushed FLAGS has IF set"
msg_rm_int_if:	.asciz	"real mode INT: clears IF"
msg_rm_int_sp:	.asciz	"real mode INT: pushes 6 bytes"
msg_rm_iret:	.asciz	"real mode IRET: restores IF"
msg_rm_de:	.asciz	"real mode #DE through IVT vector 0: IP of the DIV"
msg_rm_ud:	.asciz	"real mode #UD through IVT vector 6: IP of the UD2"
msg_rm_bp:	.asciz	"real mode INT3 through IVT vector 3: IP after it"
msg_pm16_pe:	.asciz	"16-bit protected mode: CR0.PE set"
msg_pm16_probe:	.asciz	"16-bit protected mode: 16-bit decoding"
msg_pm32_probe:	.asciz	"32-bit protected mode: 32-bit decoding"
msg_pm32_cr0:	.asciz	"32-bit protected mode: CR0.PE set, CR0.PG clear"
msg_compat_lma:	.asciz	"CR0.PG with EFER.LME: EFER.LMA set"
msg_compat_probe: .asciz "compatibility mode: 32-bit decoding"
msg_lm_probe:	.asciz	"far jump to an L=1 segment: 64-bit decoding"
msg_lm_lma:	.asciz	"64-bit mode: EFER.LMA set"
msg_lm_cs:	.asciz	"64-bit mode: CS is the L=1 segment"
msg_lm_call:	.asciz	"far CALL from 64-bit into compatibility mode"
msg_lm_ret:	.asciz	"far RET from compatibility back to 64-bit mode"
msg_back_lma:	.asciz	"CR0.PG off in compatibility mode: EFER.LMA clear"
msg_back_probe32: .asciz "back in 32-bit protected mode: 32-bit decoding"
msg_back_probe16pm: .asciz "back in 16-bit protected mode: 16-bit decoding"
msg_back_pe:	.asciz	"back in real mode: CR0.PE clear"
msg_back_probe16: .asciz "back in real mode: 16-bit decoding"
msg_back_int:	.asciz	"back in real mode: INT through the IVT"
msg_no_exit:	.asciz	"FAIL: debug exit did not end the run\n"

	.section .note.GNU-stack, "", @progbits
