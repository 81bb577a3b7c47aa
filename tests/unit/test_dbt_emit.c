/* The dbt engine's translation cache and host-code emitter: the cache is never
 * writable and executable in one mapping, allocates and fills up as it says;
 * every emitted sequence decodes (Zydis, against the encodings of the Intel SDM
 * Vol. 2) as the instruction it claims to be, and runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <Zydis/Zydis.h>
#include <cmocka.h>

#include "engine/dbt/code_cache.h"
#include "engine/dbt/emit.h"
#include "engine/softcpu/flags.h"

static ZydisDecoder decoder;

static void decode(const uint8_t *p, size_t len, ZydisDecodedInstruction *in, ZydisDecodedOperand *ops)
{
	assert_true(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, p, len, in, ops)));
}

/* The permissions of the mapping holding addr, from /proc/self/maps ("r-xs"...). */
static void perms_of(const void *addr, char out[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	assert_non_null(f);
	strcpy(out, "none");
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char p[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 && (uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
			memcpy(out, p, 5);
			break;
		}
	}
	fclose(f);
}

static void test_cache_size_outside_bounds_is_refused_with_a_reason(void **state)
{
	struct code_cache cc;
	char why[128] = "";

	(void)state;
	assert_int_equal(code_cache_init(&cc, 0, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "1..1024 MiB"));
	assert_int_equal(code_cache_init(&cc, CODE_CACHE_MAX_MIB + 1, why, sizeof(why)), -1);
}

static void test_cache_views_are_never_writable_and_executable(void **state)
{
	struct code_cache cc;
	char why[128], p[5];

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	perms_of(cc.rw, p);
	assert_string_equal(p, "rw-s");
	perms_of(cc.rx, p);
	assert_string_equal(p, "r-xs");
	/* One memory: a byte written through rw reads back through rx. */
	cc.rw[100] = 0x5a;
	assert_int_equal(code_cache_rx(&cc, cc.rw + 100)[0], 0x5a);
	code_cache_destroy(&cc);
}

static void test_cache_allocates_aligned_until_full_then_resets(void **state)
{
	struct code_cache cc;
	char why[128];
	uint8_t *a, *b;

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	a = code_cache_alloc(&cc, 3, 1);
	b = code_cache_alloc(&cc, 10, 16);
	assert_ptr_equal(a, cc.rw);
	assert_ptr_equal(b, cc.rw + 16);
	assert_null(code_cache_alloc(&cc, cc.size, 1)); /* does not fit */
	assert_non_null(code_cache_alloc(&cc, cc.size - 26, 1));
	assert_null(code_cache_alloc(&cc, 1, 1));
	code_cache_reset(&cc);
	assert_ptr_equal(code_cache_alloc(&cc, 1, 1), cc.rw);
	code_cache_destroy(&cc);
}

static void test_mov_imm64_and_call_decode_for_every_register(void **state)
{
	uint8_t buf[64];
	struct emitter e;

	(void)state;
	for (unsigned r = 0; r < 16; r++) {
		ZydisDecodedInstruction in;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		uint64_t imm = 0x8877665544332211ull ^ r;

		emitter_init(&e, buf, buf, sizeof(buf));
		emit_mov_imm64(&e, (enum host_reg)r, imm);
		decode(buf, e.pos, &in, ops);
		assert_int_equal(in.mnemonic, ZYDIS_MNEMONIC_MOV);
		assert_int_equal(in.length, e.pos);
		assert_int_equal(ops[0].reg.value, ZYDIS_REGISTER_RAX + r);
		assert_int_equal(ops[1].imm.value.u, imm);

		emitter_init(&e, buf, buf, sizeof(buf));
		emit_call_reg(&e, (enum host_reg)r);
		decode(buf, e.pos, &in, ops);
		assert_int_equal(in.mnemonic, ZYDIS_MNEMONIC_CALL);
		assert_int_equal(in.length, e.pos);
		assert_int_equal(ops[0].reg.value, ZYDIS_REGISTER_RAX + r);
	}
}

static void test_jumps_decode_to_their_target_with_an_aligned_rel32(void **state)
{
	uint8_t buf[64];
	const uint8_t *rx = (const uint8_t *)(uintptr_t)0x7f0000001001ull; /* odd, to need padding */
	const uint8_t *target = rx + 40;

	(void)state;
	/* cc -2: CALL, -1: JMP, else Jcc. */
	for (int cc = -2; cc < 16; cc++) {
		ZydisDecodedInstruction in;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		struct emitter e;
		uint8_t *rel;
		size_t start;
		ZyanU64 dest;

		emitter_init(&e, buf, rx, sizeof(buf));
		rel = cc == -2 ? emit_call(&e, target)
		      : cc < 0 ? emit_jmp(&e, target)
			       : emit_jcc(&e, (enum host_cc)cc, target);
		assert_non_null(rel);
		assert_int_equal((uintptr_t)(rx + (rel - buf)) & 3, 0);
		start = (size_t)(rel - buf) - (cc < 0 ? 1 : 2);
		for (size_t i = 0; i < start; i++)
			assert_int_equal(buf[i], 0x90);
		decode(buf + start, e.pos - start, &in, ops);
		if (cc < 0)
			assert_int_equal(in.mnemonic, cc == -2 ? ZYDIS_MNEMONIC_CALL : ZYDIS_MNEMONIC_JMP);
		else
			assert_int_equal(in.meta.category, ZYDIS_CATEGORY_COND_BR);
		assert_true(
		    ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in, &ops[0], (ZyanU64)(uintptr_t)(rx + start), &dest)));
		assert_int_equal(dest, (uintptr_t)target);
		if (cc >= 0)
			assert_int_equal(buf[start + 1], 0x80 | cc);
	}
}

/* MOVZX r32, WORD GS:[disp32] for every register (SDM vol. 2: 0F B7 /r, REX.R
 * for R8-R15), the width of the 16-bit stores it reads back. */
static void test_gs_load16_zx_decodes_for_every_register(void **state)
{
	uint8_t buf[16];
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	struct emitter e;

	(void)state;
	for (unsigned r = 0; r < 16; r++) {
		emitter_init(&e, buf, buf, sizeof(buf));
		emit_gs_load16_zx(&e, (enum host_reg)r, 0x33988);
		decode(buf, e.pos, &in, ops);
		assert_int_equal(in.length, e.pos);
		assert_int_equal(in.mnemonic, ZYDIS_MNEMONIC_MOVZX);
		assert_int_equal(ops[0].reg.value, ZYDIS_REGISTER_EAX + r);
		assert_int_equal(ops[1].size, 16);
		assert_int_equal(ops[1].mem.segment, ZYDIS_REGISTER_GS);
		assert_int_equal(ops[1].mem.base, ZYDIS_REGISTER_NONE);
		assert_int_equal(ops[1].mem.disp.value, 0x33988);
	}
}

/* RORX (the soft-TLB probe's index where the host has BMI2) decodes as RORX
 * with its registers and count for every pair, R and B inverted in the VEX
 * prefix (SDM Vol. 2B, RORX: VEX.LZ.F2.0F3A.W1 F0 /r ib). */
static void test_rorx_decodes_for_every_register_pair(void **state)
{
	uint8_t buf[16];
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	struct emitter e;

	(void)state;
	for (unsigned d = 0; d < 16; d++) {
		for (unsigned s = 0; s < 16; s++) {
			emitter_init(&e, buf, buf, sizeof(buf));
			emit_rorx(&e, (enum host_reg)d, (enum host_reg)s, (uint8_t)(d + s));
			decode(buf, e.pos, &in, ops);
			assert_int_equal(in.length, e.pos);
			assert_int_equal(in.mnemonic, ZYDIS_MNEMONIC_RORX);
			assert_int_equal(ops[0].reg.value, ZYDIS_REGISTER_RAX + d);
			assert_int_equal(ops[1].reg.value, ZYDIS_REGISTER_RAX + s);
			assert_int_equal(ops[2].imm.value.u, d + s);
		}
	}
}

/* One vector move against gs:[0x2a40]: mnemonic, register, and the
 * memory operand as the first or second operand. */
static void check_vector_move(const uint8_t *buf, size_t len, ZydisMnemonic m, ZydisRegister reg, bool store,
			      uint64_t lane)
{
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	const ZydisDecodedOperand *mem, *r;

	decode(buf, len, &in, ops);
	assert_int_equal(in.length, len);
	assert_int_equal(in.mnemonic, m);
	mem = store ? &ops[0] : &ops[in.operand_count_visible == 4 ? 2 : 1];
	r = store ? &ops[1] : &ops[0];
	assert_int_equal(r->reg.value, reg);
	assert_int_equal(mem->type, ZYDIS_OPERAND_TYPE_MEMORY);
	assert_int_equal(mem->size, 128);
	assert_int_equal(mem->mem.segment, ZYDIS_REGISTER_GS);
	assert_int_equal(mem->mem.base, ZYDIS_REGISTER_NONE);
	assert_int_equal(mem->mem.index, ZYDIS_REGISTER_NONE);
	assert_int_equal(mem->mem.disp.value, 0x2a40);
	if (m == ZYDIS_MNEMONIC_VINSERTF128) {
		assert_int_equal(ops[1].reg.value, reg); /* the lane not loaded comes from the register itself */
		assert_int_equal(ops[3].imm.value.u, lane);
	} else if (m == ZYDIS_MNEMONIC_VEXTRACTF128) {
		assert_int_equal(ops[2].imm.value.u, lane);
	}
}

/* The vector registers' loads and stores of ident_simd.h for every register:
 * MOVDQU (legacy, REX.R for XMM8-15), VMOVDQU (two-byte VEX, R inverted),
 * VINSERTF128 / VEXTRACTF128 of lane 1 (three-byte VEX, map 0F3A, vvvv the
 * register itself or unused); and VZEROUPPER, VPXOR XMM0. */
static void test_vector_moves_decode_for_every_register(void **state)
{
	uint8_t buf[16];
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	struct emitter e;

	(void)state;
	for (unsigned n = 0; n < 16; n++) {
		const ZydisRegister xmm = (ZydisRegister)(ZYDIS_REGISTER_XMM0 + n);
		const ZydisRegister ymm = (ZydisRegister)(ZYDIS_REGISTER_YMM0 + n);

		for (unsigned vex = 0; vex < 2; vex++) {
			const ZydisMnemonic m = vex ? ZYDIS_MNEMONIC_VMOVDQU : ZYDIS_MNEMONIC_MOVDQU;

			emitter_init(&e, buf, buf, sizeof(buf));
			emit_gs_vec_load(&e, n, 0x2a40, vex);
			check_vector_move(buf, e.pos, m, xmm, false, 0);
			emitter_init(&e, buf, buf, sizeof(buf));
			emit_gs_vec_store(&e, 0x2a40, n, vex);
			check_vector_move(buf, e.pos, m, xmm, true, 0);
		}
		emitter_init(&e, buf, buf, sizeof(buf));
		emit_gs_vec_load_hi(&e, n, 0x2a40);
		check_vector_move(buf, e.pos, ZYDIS_MNEMONIC_VINSERTF128, ymm, false, 1);
		emitter_init(&e, buf, buf, sizeof(buf));
		emit_gs_vec_store_hi(&e, 0x2a40, n);
		check_vector_move(buf, e.pos, ZYDIS_MNEMONIC_VEXTRACTF128, ymm, true, 1);
	}
	emitter_init(&e, buf, buf, sizeof(buf));
	emit_vzeroupper(&e);
	decode(buf, e.pos, &in, ops);
	assert_int_equal(in.length, e.pos);
	assert_int_equal(in.mnemonic, ZYDIS_MNEMONIC_VZEROUPPER);
	emitter_init(&e, buf, buf, sizeof(buf));
	emit_vpxor_xmm0(&e);
	decode(buf, e.pos, &in, ops);
	assert_int_equal(in.length, e.pos);
	assert_int_equal(in.mnemonic, ZYDIS_MNEMONIC_VPXOR);
	for (unsigned k = 0; k < 3; k++)
		assert_int_equal(ops[k].reg.value, ZYDIS_REGISTER_XMM0);
}

/* MOV QWORD [base + index + disp], imm32 (C7 /0) and CMP QWORD [...], imm32
 * (81 /7) for every base and index (SDM vol. 2: REX.B and REX.X for
 * R8-R15, a SIB for an index or a base of RSP or R12), the immediate
 * sign-extended to 64 bits. */
static void test_mov_and_cmp_memory_imm32_decode_for_every_register(void **state)
{
	uint8_t buf[16];
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	struct emitter e;

	(void)state;
	for (unsigned b = 0; b < 16; b++)
		for (int x = -1; x < 16; x++) {
			if (x == H_RSP)
				continue;
			emitter_init(&e, buf, buf, sizeof(buf));
			emit_op64_mem_bi_imm32(&e, b % 2 ? 0x81 : 0xc7, b % 2 ? 7 : 0, (enum host_reg)b, x, -8,
					       (int32_t)0x8055b302);
			decode(buf, e.pos, &in, ops);
			assert_int_equal(in.length, e.pos);
			assert_int_equal(in.mnemonic, b % 2 ? ZYDIS_MNEMONIC_CMP : ZYDIS_MNEMONIC_MOV);
			assert_int_equal(ops[0].size, 64);
			assert_int_equal(ops[0].mem.base, ZYDIS_REGISTER_RAX + b);
			assert_int_equal(ops[0].mem.index, x < 0 ? ZYDIS_REGISTER_NONE : ZYDIS_REGISTER_RAX + x);
			assert_int_equal(ops[0].mem.disp.value, -8);
			assert_int_equal(ops[1].imm.value.s, (int64_t)(int32_t)0x8055b302);
		}
}

static void test_gs_jump_through_memory_decodes(void **state)
{
	uint8_t buf[16];
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	struct emitter e;

	(void)state;
	emitter_init(&e, buf, buf, sizeof(buf));
	emit_gs_jmp_mem(&e, 0x12345);
	decode(buf, e.pos, &in, ops);
	assert_int_equal(in.length, e.pos);
	assert_int_equal(in.mnemonic, ZYDIS_MNEMONIC_JMP);
	assert_int_equal(ops[0].type, ZYDIS_OPERAND_TYPE_MEMORY);
	assert_int_equal(ops[0].size, 64);
	assert_int_equal(ops[0].mem.segment, ZYDIS_REGISTER_GS);
	assert_int_equal(ops[0].mem.base, ZYDIS_REGISTER_NONE);
	assert_int_equal(ops[0].mem.index, ZYDIS_REGISTER_NONE);
	assert_int_equal(ops[0].mem.disp.value, 0x12345);
}

static void test_emitter_overflow_writes_nothing_past_its_room(void **state)
{
	uint8_t buf[16];
	struct emitter e;

	(void)state;
	memset(buf, 0xcc, sizeof(buf));
	emitter_init(&e, buf, buf, 12);
	emit_mov_imm64(&e, H_RAX, 1); /* 10 bytes */
	emit_mov_imm64(&e, H_RAX, 2); /* does not fit */
	emit_ret(&e);
	assert_true(e.overflow);
	assert_int_equal(e.pos, 10);
	assert_int_equal(buf[10], 0xcc);
}

static int called_with;
static uint64_t callee(int x)
{
	called_with = x;
	return 0xfeedull;
}

typedef uint64_t (*host_fn)(int);

static void test_emitted_code_runs_calls_c_and_follows_a_patched_jump(void **state)
{
	struct code_cache cc;
	struct emitter e;
	char why[128];
	uint8_t *buf, *rel;
	const uint8_t *entry, *one, *two;

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	buf = code_cache_alloc(&cc, 256, 16);
	emitter_init(&e, buf, code_cache_rx(&cc, buf), 256);
	/* f(x): callee(x) with the stack 16-byte aligned at the call. */
	entry = emit_here(&e);
	emit_add_rsp(&e, -8);
	emit_mov_imm64(&e, H_RAX, (uint64_t)(uintptr_t)callee);
	emit_call_reg(&e, H_RAX);
	emit_add_rsp(&e, 8);
	emit_ret(&e);
	/* g(): jmp one; one: return 1; two: return 2. */
	const uint8_t *g = emit_here(&e);
	rel = emit_jmp(&e, emit_here(&e) + 64); /* placeholder, patched below */
	one = emit_here(&e);
	emit_mov_imm64(&e, H_RAX, 1);
	emit_ret(&e);
	two = emit_here(&e);
	emit_mov_imm64(&e, H_RAX, 2);
	emit_ret(&e);
	assert_false(e.overflow);
	assert_true(emit_patch_rel32(rel, code_cache_rx(&cc, rel), one));
	code_cache_wrote(&cc, buf, e.pos);
	code_cache_serialize(&cc);

	assert_int_equal(((host_fn)(uintptr_t)entry)(42), 0xfeed);
	assert_int_equal(called_with, 42);
	assert_int_equal(((host_fn)(uintptr_t)g)(0), 1);
	assert_true(emit_patch_rel32(rel, code_cache_rx(&cc, rel), two));
	code_cache_wrote(&cc, rel, 4);
	code_cache_serialize(&cc);
	assert_int_equal(((host_fn)(uintptr_t)g)(0), 2);
	code_cache_destroy(&cc);
}

/* The flags in and out of AX as LAHF and SETO AL lay them (SDM Vol. 2: LAHF
 * loads AH with SF:ZF:0:AF:0:PF:1:CF; SAHF stores the same; SETO sets AL to
 * OF), for all 64 combinations of the six arithmetic flags, run on this CPU:
 * what translated code keeps as LF_HOST and the core reads back. */
static void test_flags_go_through_ax_as_lahf_lays_them(void **state)
{
	struct code_cache cc;
	struct emitter e;
	char why[128];
	uint8_t *buf;
	const uint8_t *to_ax, *from_ax;
	static const uint64_t bits[] = { RFLAGS_CF, RFLAGS_PF, RFLAGS_AF, RFLAGS_ZF, RFLAGS_SF, RFLAGS_OF };

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	buf = code_cache_alloc(&cc, 64, 16);
	emitter_init(&e, buf, code_cache_rx(&cc, buf), 64);
	/* to_ax(flags): POPFQ of them, then the image in AX. */
	to_ax = emit_here(&e);
	emit_push(&e, H_RDI);
	emit_popfq(&e);
	emit_flags_to_ax(&e);
	emit_ret(&e);
	/* from_ax(image): the flags it gives, as PUSHFQ sees them. */
	from_ax = emit_here(&e);
	emit_mov_rr(&e, H_RAX, H_RDI);
	emit_flags_from_ax(&e);
	emit_pushfq(&e);
	emit_pop(&e, H_RAX);
	emit_ret(&e);
	assert_false(e.overflow);
	code_cache_wrote(&cc, buf, e.pos);
	code_cache_serialize(&cc);
	for (unsigned m = 0; m < 64; m++) {
		uint64_t f = 0, image, back;

		for (unsigned b = 0; b < 6; b++)
			if (m & (1u << b))
				f |= bits[b];
		image = ((host_fn)(uintptr_t)to_ax)((int)(f | 2)) & 0xffff;
		/* Bit 1 of RFLAGS is always 1 and lands in AH's bit 1. */
		assert_int_equal(image, flags_host_image_mask(f) | 0x200);
		assert_int_equal(flags_from_host_image(image), f);
		back = ((host_fn)(uintptr_t)from_ax)((int)flags_host_image_mask(f));
		assert_int_equal(back & RFLAGS_ARITH_MASK, f);
	}
	/* The layout itself, from the SDM: CF and OF alone. */
	assert_int_equal(flags_host_image_mask(RFLAGS_CF | RFLAGS_OF), 0x0101);
	assert_int_equal(flags_host_image_mask(RFLAGS_SF | RFLAGS_ZF), 0xc000);
	code_cache_destroy(&cc);
}

/* A link stub that returns RSI (the site's rel32 and tag) and a target that
 * returns 7. */
static void emit_stub_and_target(struct emitter *e, const uint8_t **stub, const uint8_t **target)
{
	*stub = emit_here(e);
	emit_mov_rr(e, H_RAX, H_RSI);
	emit_ret(e);
	*target = emit_here(e);
	emit_mov_imm64(e, H_RAX, 7);
	emit_ret(e);
}

/* A link site runs its unlinked way (to the stub, with RSI = its rel32)
 * until linked, then jumps to the target, and takes the unlinked way again
 * once unlinked. */
static void test_link_site_goes_to_its_stub_unless_linked(void **state)
{
	struct code_cache cc;
	struct emitter e;
	char why[128];
	uint8_t *buf, *rel;
	const uint8_t *stub, *target, *site, *rel_rx;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	ZyanU64 dest;

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	buf = code_cache_alloc(&cc, 256, 16);
	emitter_init(&e, buf, code_cache_rx(&cc, buf), 256);
	emit_stub_and_target(&e, &stub, &target);
	site = emit_here(&e);
	rel = emit_link_site(&e, stub, 1);
	assert_non_null(rel);
	assert_false(e.overflow);
	rel_rx = code_cache_rx(&cc, rel);
	assert_int_equal((uintptr_t)rel_rx & 3, 0);
	code_cache_wrote(&cc, buf, e.pos);
	code_cache_serialize(&cc);
	/* Decoded: JMP rel32 to the MOV RSI right after it. */
	decode(rel - 1, 5, &in, ops);
	assert_int_equal(in.mnemonic, ZYDIS_MNEMONIC_JMP);
	assert_true(ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in, &ops[0], (ZyanU64)(uintptr_t)(rel_rx - 1), &dest)));
	assert_int_equal(dest, (uintptr_t)(rel_rx + 4));
	decode(rel + 4, 10, &in, ops);
	assert_int_equal(in.mnemonic, ZYDIS_MNEMONIC_MOV);
	assert_int_equal(ops[0].reg.value, ZYDIS_REGISTER_RSI);
	/* The tag rides in RSI's low bits (the rel32 is aligned). */
	assert_ptr_equal((const uint8_t *)(uintptr_t)((host_fn)(uintptr_t)site)(0), rel_rx + 1);

	assert_true(emit_patch_rel32(rel, rel_rx, target));
	code_cache_wrote(&cc, buf, e.pos);
	code_cache_serialize(&cc);
	assert_int_equal(((host_fn)(uintptr_t)site)(0), 7);
	emit_link_unpatch(rel);
	code_cache_wrote(&cc, buf, e.pos);
	code_cache_serialize(&cc);
	assert_ptr_equal((const uint8_t *)(uintptr_t)((host_fn)(uintptr_t)site)(0), rel_rx + 1);
	code_cache_destroy(&cc);
}

/* A guarded link site (to another page) goes to its target only while its
 * word holds the value it was linked with; a moved word, and an unlinked
 * rel32, take the unlinked way. Its guard decodes as the SDM's MOV r64,
 * imm64; CMP r/m32, imm32; JNE; JMP, the JNE going to the unlinked way. */
static void test_guarded_link_site_checks_its_word(void **state)
{
	static const ZydisMnemonic shape[] = { ZYDIS_MNEMONIC_MOV, ZYDIS_MNEMONIC_CMP, ZYDIS_MNEMONIC_JNZ,
					       ZYDIS_MNEMONIC_JMP, ZYDIS_MNEMONIC_MOV };
	struct code_cache cc;
	struct emitter e;
	char why[128];
	uint8_t *buf, *rel;
	const uint8_t *stub, *target, *site, *rel_rx, *at;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	ZyanU64 dest;
	uint32_t generation = 5;

	(void)state;
	assert_int_equal(code_cache_init(&cc, 1, why, sizeof(why)), 0);
	buf = code_cache_alloc(&cc, 256, 16);
	emitter_init(&e, buf, code_cache_rx(&cc, buf), 256);
	emit_stub_and_target(&e, &stub, &target);
	site = emit_here(&e);
	rel = emit_guarded_link_site(&e, stub, 2);
	assert_non_null(rel);
	assert_false(e.overflow);
	rel_rx = code_cache_rx(&cc, rel);
	assert_int_equal((uintptr_t)rel_rx & 3, 0);
	code_cache_wrote(&cc, buf, e.pos);
	code_cache_serialize(&cc);
	at = rel_rx - 19; /* the guard's first instruction */
	for (unsigned i = 0; i < sizeof(shape) / sizeof(shape[0]); i++) {
		decode(buf + (at - code_cache_rx(&cc, buf)), 15, &in, ops);
		assert_int_equal(in.mnemonic, shape[i]);
		if (in.mnemonic == ZYDIS_MNEMONIC_JNZ) {
			assert_true(
			    ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in, &ops[0], (ZyanU64)(uintptr_t)at, &dest)));
			assert_int_equal(dest, (uintptr_t)(rel_rx + 4)); /* the MOV RSI */
		}
		at += in.length;
	}
	assert_ptr_equal((const uint8_t *)(uintptr_t)((host_fn)(uintptr_t)site)(0), rel_rx + 2);
	assert_true(emit_guarded_link_patch(rel, rel_rx, target, &generation));
	code_cache_wrote(&cc, buf, e.pos);
	code_cache_serialize(&cc);
	assert_int_equal(((host_fn)(uintptr_t)site)(0), 7);
	generation = 6; /* the mappings may have changed */
	assert_ptr_equal((const uint8_t *)(uintptr_t)((host_fn)(uintptr_t)site)(0), rel_rx + 2);
	assert_true(emit_guarded_link_patch(rel, rel_rx, target, &generation));
	code_cache_wrote(&cc, buf, e.pos);
	code_cache_serialize(&cc);
	assert_int_equal(((host_fn)(uintptr_t)site)(0), 7);
	emit_link_unpatch(rel);
	code_cache_wrote(&cc, buf, e.pos);
	code_cache_serialize(&cc);
	assert_ptr_equal((const uint8_t *)(uintptr_t)((host_fn)(uintptr_t)site)(0), rel_rx + 2);
	code_cache_destroy(&cc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_size_outside_bounds_is_refused_with_a_reason),
		cmocka_unit_test(test_cache_views_are_never_writable_and_executable),
		cmocka_unit_test(test_cache_allocates_aligned_until_full_then_resets),
		cmocka_unit_test(test_mov_imm64_and_call_decode_for_every_register),
		cmocka_unit_test(test_jumps_decode_to_their_target_with_an_aligned_rel32),
		cmocka_unit_test(test_mov_and_cmp_memory_imm32_decode_for_every_register),
		cmocka_unit_test(test_gs_jump_through_memory_decodes),
		cmocka_unit_test(test_gs_load16_zx_decodes_for_every_register),
		cmocka_unit_test(test_rorx_decodes_for_every_register_pair),
		cmocka_unit_test(test_vector_moves_decode_for_every_register),
		cmocka_unit_test(test_emitter_overflow_writes_nothing_past_its_room),
		cmocka_unit_test(test_emitted_code_runs_calls_c_and_follows_a_patched_jump),
		cmocka_unit_test(test_link_site_goes_to_its_stub_unless_linked),
		cmocka_unit_test(test_guarded_link_site_checks_its_word),
		cmocka_unit_test(test_flags_go_through_ax_as_lahf_lays_them),
	};

	ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
