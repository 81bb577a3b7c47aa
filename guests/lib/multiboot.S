/* Multiboot v1 header and entry (32-bit protected mode, paging off,
 * EAX = 0x2BADB002, EBX = info). Calls main(magic, info).
 *
 * Built twice: plain, where the loader follows the ELF program headers, and
 * with -DMB_AOUT_KLUDGE, where flag bit 16 makes the loader use the address
 * fields below instead; the linker script (mbaout.ld) defines their symbols. */
#define MB_HEADER_MAGIC 0x1BADB002
#define MB_PAGE_ALIGN (1 << 0)   /* modules on 4 KiB boundaries */
#define MB_MEMORY_INFO (1 << 1)  /* mem_lower/mem_upper and the memory map */
#define MB_AOUT_KLUDGE (1 << 16) /* load by the address fields */

#ifdef MB_AOUT
#define MB_FLAGS (MB_PAGE_ALIGN | MB_MEMORY_INFO | MB_AOUT_KLUDGE)
#else
#define MB_FLAGS (MB_PAGE_ALIGN | MB_MEMORY_INFO)
#endif

	.section .multiboot, "a"
	.balign 4
mb_header:
	.long	MB_HEADER_MAGIC
	.long	MB_FLAGS
	.long	-(MB_HEADER_MAGIC + MB_FLAGS)
#ifdef MB_AOUT
	.long	mb_header	/* header_addr */
	.long	__load_start	/* load_addr: first byte loaded from the file */
	.long	__load_end	/* load_end_addr: end of .data */
	.long	__bss_end	/* bss_end_addr: zeroed up to here */
	.long	_start		/* entry_addr */
#endif

	.code32
	.section .text.entry, "ax"
	.globl _start
_start:
	movl	$stack_top, %esp
	/* Two pushes below: keep ESP 16-byte aligned at the call. */
	subl	$8, %esp
	pushl	%ebx
	pushl	%eax
	call	main
	cli
1:	hlt
	jmp	1b

	.section .bss
	.balign 16
stack:
	.skip	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
