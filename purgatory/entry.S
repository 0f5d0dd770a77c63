/* The purgatory's first bytes. The old kernel (relocate_kernel) jumps here
 * in 64-bit mode with paging on, every RAM range and segment identity
 * mapped, interrupts off, and its own GDT, stack and segments, which may lie
 * in memory a normal kexec has already overwritten. So: our GDT, our
 * segments, our stack, then C; then the kernel's 64-bit entry as the boot
 * protocol asks (flat __BOOT_CS 0x10 and __BOOT_DS 0x18, rsi = boot_params).
 *
 * Everything is RIP-relative: the image runs wherever the loader puts it,
 * unchanged (the build links it at two bases and compares the bytes). */
#include "purgatory/purgatory.h"

#define BOOT_CS 0x10
#define BOOT_DS 0x18

	.section .text.entry, "ax"
	.code64
	.globl purgatory_start
purgatory_start:
	jmp	entry64

	.org	KDK_PURGATORY_PARAMS_OFFSET
kdk_purgatory_params:
	.ascii	"KDKPURG\0"
	.long	KDK_PURGATORY_VERSION
	.long	KDK_PURGATORY_PARAMS_SIZE
	.long	__image_end - purgatory_start
	.long	__mem_end - purgatory_start
	.long	kdk_purgatory_sha256 - purgatory_start
	.long	kdk_purgatory_verify - purgatory_start
	.fill	KDK_PURGATORY_PARAMS_SIZE - KDK_PP_ENTRY_RIP, 1, 0

entry64:
	cli
	cld
	leaq	gdt(%rip), %rax
	movq	%rax, gdt_base(%rip)
	lgdt	gdtr(%rip)
	movl	$BOOT_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	leaq	stack_end(%rip), %rsp
	/* CS is reloaded by a far return. */
	pushq	$BOOT_CS
	leaq	1f(%rip), %rax
	pushq	%rax
	lretq
1:
	leaq	kdk_purgatory_params(%rip), %rdi
	call	kdk_purgatory_main

	/* Verified: the kernel's 64-bit entry, rsi = boot_params, the rest 0. */
	leaq	kdk_purgatory_params(%rip), %rax
	movq	KDK_PP_ENTRY_RSI(%rax), %rsi
	movq	KDK_PP_ENTRY_RIP(%rax), %rax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r11d, %r11d
	xorl	%r12d, %r12d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
	jmpq	*%rax

	.section .data
	.balign	16
gdt:
	.quad	0
	.quad	0
	.quad	0x00af9a000000ffff	/* BOOT_CS: 64-bit code, flat */
	.quad	0x00cf92000000ffff	/* BOOT_DS: data, flat 4G */
gdt_end:
gdtr:
	.word	gdt_end - gdt - 1
gdt_base:
	.quad	0

	.section .bss
	.balign	16
	.skip	8192
stack_end:

	.section .note.GNU-stack, "", @progbits
