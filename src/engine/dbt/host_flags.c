/* Which undefined flags this host's CPU computes from an instruction's
 * operands alone (host_flags.h), found by running each instruction here. */
#include "engine/dbt/host_flags.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/softcpu/cpu.h"
#include "x86/arch.h"

/* Runs one instruction on RAX = a and RCX = b (CL the count) with the
 * arithmetic flags in_flags, and returns RFLAGS after it. RSP steps over the
 * red zone before PUSHFQ. */
#define FLAGS_AFTER(text)                                                                                              \
	__asm__ volatile("subq $128, %%rsp\n\t"                                                                        \
			 "pushq %[in]\n\t"                                                                             \
			 "popfq\n\t" text "\n\t"                                                                       \
			 "pushfq\n\t"                                                                                  \
			 "popq %[in]\n\t"                                                                              \
			 "addq $128, %%rsp"                                                                            \
			 : [in] "+r"(in_flags), "+a"(a), "+c"(b)                                                       \
			 :                                                                                             \
			 : "rdx", "cc", "memory")

enum probe_op {
	P_AND,
	P_OR,
	P_XOR,
	P_TEST,
	P_SHL,
	P_SHR,
	P_SAR,
	P_ROL,
	P_ROR,
	P_SHLD,
	P_SHRD,
	P_IMUL,
	P_MUL,
	P_BT,
	P_BTS,
	P_BTR,
	P_BTC,
	P_BSF,
	P_BSR,
	P_COUNT
};

static const ZydisMnemonic probe_mnemonic[P_COUNT] = {
	[P_AND] = ZYDIS_MNEMONIC_AND,	[P_OR] = ZYDIS_MNEMONIC_OR,	[P_XOR] = ZYDIS_MNEMONIC_XOR,
	[P_TEST] = ZYDIS_MNEMONIC_TEST, [P_SHL] = ZYDIS_MNEMONIC_SHL,	[P_SHR] = ZYDIS_MNEMONIC_SHR,
	[P_SAR] = ZYDIS_MNEMONIC_SAR,	[P_ROL] = ZYDIS_MNEMONIC_ROL,	[P_ROR] = ZYDIS_MNEMONIC_ROR,
	[P_SHLD] = ZYDIS_MNEMONIC_SHLD, [P_SHRD] = ZYDIS_MNEMONIC_SHRD, [P_IMUL] = ZYDIS_MNEMONIC_IMUL,
	[P_MUL] = ZYDIS_MNEMONIC_MUL,	[P_BT] = ZYDIS_MNEMONIC_BT,	[P_BTS] = ZYDIS_MNEMONIC_BTS,
	[P_BTR] = ZYDIS_MNEMONIC_BTR,	[P_BTC] = ZYDIS_MNEMONIC_BTC,	[P_BSF] = ZYDIS_MNEMONIC_BSF,
	[P_BSR] = ZYDIS_MNEMONIC_BSR,
};

static uint64_t flags_after(enum probe_op op, uint64_t a, uint64_t b, uint64_t in_flags)
{
	switch (op) {
	case P_AND:
		FLAGS_AFTER("andq %%rcx, %%rax");
		break;
	case P_OR:
		FLAGS_AFTER("orq %%rcx, %%rax");
		break;
	case P_XOR:
		FLAGS_AFTER("xorq %%rcx, %%rax");
		break;
	case P_TEST:
		FLAGS_AFTER("testq %%rcx, %%rax");
		break;
	case P_SHL:
		FLAGS_AFTER("shlq %%cl, %%rax");
		break;
	case P_SHR:
		FLAGS_AFTER("shrq %%cl, %%rax");
		break;
	case P_SAR:
		FLAGS_AFTER("sarq %%cl, %%rax");
		break;
	case P_ROL:
		FLAGS_AFTER("rolq %%cl, %%rax");
		break;
	case P_ROR:
		FLAGS_AFTER("rorq %%cl, %%rax");
		break;
	case P_SHLD:
		FLAGS_AFTER("shldq %%cl, %%rax, %%rax");
		break;
	case P_SHRD:
		FLAGS_AFTER("shrdq %%cl, %%rax, %%rax");
		break;
	case P_IMUL:
		FLAGS_AFTER("imulq %%rcx, %%rax");
		break;
	case P_MUL:
		FLAGS_AFTER("mulq %%rcx");
		break;
	case P_BT:
		FLAGS_AFTER("btq %%rcx, %%rax");
		break;
	case P_BTS:
		FLAGS_AFTER("btsq %%rcx, %%rax");
		break;
	case P_BTR:
		FLAGS_AFTER("btrq %%rcx, %%rax");
		break;
	case P_BTC:
		FLAGS_AFTER("btcq %%rcx, %%rax");
		break;
	case P_BSF:
		FLAGS_AFTER("bsfq %%rcx, %%rax");
		break;
	case P_BSR:
		FLAGS_AFTER("bsrq %%rcx, %%rax");
		break;
	case P_COUNT:
		break;
	}
	return in_flags;
}

static uint16_t independent[P_COUNT];
static pthread_once_t probed = PTHREAD_ONCE_INIT;

/* Operands that reach the corners: zero, one, the sign bit, all ones; for the
 * shifts and rotates every count from 1 to 63 (a count of 0 changes no flag,
 * which ident.c handles apart), for BSF/BSR a zero source too. */
static void probe_all(void)
{
	static const uint64_t values[] = { 0,
					   1,
					   2,
					   0x80,
					   0x8000000000000000ull,
					   ~0ull,
					   0x123456789abcdef0ull,
					   0x0f0f0f0f0f0f0f0full,
					   0x7fffffffffffffffull,
					   0xfedcba9876543211ull };
	const uint64_t none = RFLAGS_FIXED, all = RFLAGS_FIXED | RFLAGS_ARITH_MASK;

	for (unsigned op = 0; op < P_COUNT; op++) {
		uint16_t same = (uint16_t)RFLAGS_ARITH_MASK;
		bool shift = op >= P_SHL && op <= P_SHRD;

		for (unsigned i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
			for (uint64_t b = 0; b < (shift ? 64 : sizeof(values) / sizeof(values[0])); b++) {
				uint64_t count = shift ? b : values[b];

				if (shift && count == 0)
					continue;
				same &= (uint16_t) ~(flags_after((enum probe_op)op, values[i], count, none) ^
						     flags_after((enum probe_op)op, values[i], count, all));
			}
		}
		independent[op] = same;
	}
}

uint64_t host_flags_run(ZydisMnemonic mnemonic, uint64_t a, uint64_t b, uint64_t in_flags)
{
	for (unsigned op = 0; op < P_COUNT; op++)
		if (probe_mnemonic[op] == mnemonic)
			return flags_after((enum probe_op)op, a, b, in_flags);
	return in_flags;
}

uint16_t host_flags_independent(ZydisMnemonic mnemonic)
{
	pthread_once(&probed, probe_all);
	for (unsigned op = 0; op < P_COUNT; op++)
		if (probe_mnemonic[op] == mnemonic)
			return independent[op];
	return 0;
}
