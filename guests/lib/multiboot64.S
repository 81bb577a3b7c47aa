/* Multiboot v1 entry of 64-bit test kernels, so that QEMU's -kernel (which
 * loads only 32-bit Multiboot kernels) boots the same file as Ringvisor.
 * The header uses the a.out kludge (flag bit 16): the loader copies the file
 * by the address fields and ignores that it is an ELF64 file (mb64.ld
 * defines the symbols). The entry runs in 32-bit protected mode with paging
 * off, and enters long mode in the state Ringvisor gives ELF64 guests
 * (docs/guest-abi.md): identity paging of the first GiB with 2 MiB pages,
 * CR0 = PE|MP|ET|NE|WP|PG, CR4 = PAE, EFER = LME, CS = 0x08 and
 * DS = ES = SS = FS = GS = 0x10; then it goes on at _start of entry64.S.
 * Facts: the Multiboot specification 0.6.96, section 3.1; the Intel SDM
 * vol. 3A, 10.8.5 (initializing IA-32e mode). */
#define MB_HEADER_MAGIC 0x1BADB002
#define MB_FLAGS ((1 << 0) | (1 << 1) | (1 << 16))

	.section .multiboot, "a"
	.balign 4
mb_header:
	.long	MB_HEADER_MAGIC
	.long	MB_FLAGS
	.long	-(MB_HEADER_MAGIC + MB_FLAGS)
	.long	mb_header	/* header_addr */
	.long	__load_start	/* load_addr */
	.long	__load_end	/* load_end_addr */
	.long	__bss_end	/* bss_end_addr */
	.long	mb_entry32	/* entry_addr */

	.code32
	.section .text.entry, "ax"
	.globl	mb_entry32
mb_entry32:
	cli
	/* PD: 512 entries of 2 MiB pages (P, RW, PS). */
	movl	$boot_pd, %edi
	xorl	%ecx, %ecx
1:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$0x83, %eax
	movl	%eax, (%edi,%ecx,8)
	movl	$0, 4(%edi,%ecx,8)
	incl	%ecx
	cmpl	$512, %ecx
	jne	1b
	movl	$boot_pd + 3, boot_pdpt
	movl	$boot_pdpt + 3, boot_pml4
	movl	%cr4, %eax
	orl	$0x20, %eax		/* PAE */
	movl	%eax, %cr4
	movl	$boot_pml4, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx	/* EFER.LME */
	rdmsr
	orl	$0x100, %eax
	wrmsr
	movl	$0x80010033, %eax	/* PG, WP, NE, ET, MP, PE */
	movl	%eax, %cr0
	lgdt	boot_gdtr
	ljmp	$0x08, $mb_entry64

	.code64
mb_entry64:
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	jmp	_start

	.section .rodata
	.balign 8
boot_gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: flat data */
boot_gdtr:
	.word	3 * 8 - 1
	.long	boot_gdt

	.section .bss
	.balign 4096
boot_pml4:
	.skip	4096
boot_pdpt:
	.skip	4096
boot_pd:
	.skip	4096

	.section .note.GNU-stack, "", @progbits
