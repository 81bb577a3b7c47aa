/* Interrupt entry for ELF32 guests (see kernel32.h) and the CPL 3 round
 * trip of user_call().
 *
 * One 16-byte stub per vector; the vectors for which the CPU pushes an
 * error code (SDM vol. 3A, table 6-1: 8, 10-14, 17, 21) push only the
 * vector, the others a 0 first, so every frame looks the same.
 *
 * No IRET: on the nested kvm host of this project, code outside long mode
 * is run by the host's instruction emulator, which has no protected-mode
 * IRET (nor far returns to an outer privilege level). So a trap returns to
 * CPL 0 with POPF and a far return, and to CPL 3 with SYSEXIT to a CPL 3
 * trampoline that reloads ECX and EDX (SYSEXIT's operands) and jumps to
 * the saved EIP. Nothing else of the trapped state differs from an IRET. */
#define SEL_KDATA 0x10
#define USER_CS 0x1b
#define USER_SS 0x23

	.code32
	.text

	.balign 16
	.globl trap_stubs
trap_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21)
	.else
	pushl	$0
	.endif
	pushl	$vec
	jmp	trap_common
	.set vec, vec + 1
	.endr

/* The registers in PUSHA's order, pushed one by one (the slot of ESP gets
 * a value nothing reads). */
trap_common:
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	pushl	%ebx
	pushl	%esp
	pushl	%ebp
	pushl	%esi
	pushl	%edi
	pushl	%ds
	pushl	%es
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%esp, %eax
	cld
	pushl	%eax
	call	trap_dispatch
	addl	$4, %esp
	popl	%es
	popl	%ds
	popl	%edi
	popl	%esi
	popl	%ebp
	addl	$4, %esp
	popl	%ebx
	popl	%edx
	popl	%ecx
	popl	%eax
	addl	$8, %esp
	/* EIP, CS, EFLAGS (and ESP, SS from CPL 3) are left. */
	testl	$3, 4(%esp)
	jnz	return_to_user
	pushl	8(%esp)
	popfl
	lret	$4

return_to_user:
	movl	%ecx, user_return_ecx
	movl	%edx, user_return_edx
	movl	0(%esp), %edx
	movl	%edx, user_return_eip
	movl	12(%esp), %ecx
	movl	$user_return, %edx
	pushl	8(%esp)
	popfl
	sysexit

/* CPL 3, right after the SYSEXIT above. */
user_return:
	movl	user_return_ecx, %ecx
	movl	user_return_edx, %edx
	jmp	*user_return_eip

/* uint32_t user_call(uint32_t (*fn)(uint32_t), uint32_t arg): SYSEXIT
 * (CS USER_CS, SS USER_SS) to user_trampoline on the user stack, with fn
 * and arg on that stack. */
	.globl user_call
user_call:
	movl	4(%esp), %ecx	/* fn */
	movl	8(%esp), %edx	/* arg */
	movl	%edx, user_stack_top - 4
	movl	%ecx, user_stack_top - 8
	pushl	%ebp
	pushl	%ebx
	pushl	%esi
	pushl	%edi
	movl	%esp, user_kernel_esp
	movzwl	user_ds, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	$user_stack_top - 8, %ecx
	movl	$user_trampoline, %edx
	pushl	user_eflags
	popfl
	sysexit

/* CPL 3 from here: fn(arg), then back to CPL 0 through the #UD of
 * user_exit_ud2, which trap_dispatch() sends to user_exit(). */
user_trampoline:
	popl	%ecx
	call	*%ecx
	addl	$4, %esp
	.globl user_exit_ud2
user_exit_ud2:
	ud2

/* void user_exit(uint32_t result), on the ESP0 stack: drop the trap frame
 * and return `result` from user_call() on the stack it was called on. */
	.globl user_exit
user_exit:
	movl	4(%esp), %eax
	movl	user_kernel_esp, %esp
	movl	$SEL_KDATA, %ecx
	movl	%ecx, %ds
	movl	%ecx, %es
	popl	%edi
	popl	%esi
	popl	%ebx
	popl	%ebp
	ret

	.section .bss
	.balign 4
	.globl user_kernel_esp
user_kernel_esp:
	.skip	4
user_return_ecx:
	.skip	4
user_return_edx:
	.skip	4
user_return_eip:
	.skip	4
	.balign 16
user_stack:
	.skip	16384
	.globl user_stack_top
user_stack_top:

	.section .note.GNU-stack, "", @progbits
