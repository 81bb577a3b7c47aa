#include "engine/dbt/translate.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dbt/emit.h"
#include "engine/dbt/ident.h"
#include "engine/dbt/vector_regs.h"
#include "engine/softcpu/flags.h"

/* Bytes of host code per callout: two MOV imm64 and one more for the call
 * (30), CALL (2), TEST (2), Jcc with alignment padding (9). */
#define BYTES_PER_CALLOUT 48
/* An ident instruction is at most 15 bytes. Around each run of them: flags in
 * (convert 33, load 12), up to 15 register loads and stores (9 each), flags
 * out (LAHF/SETO 4, merge 26, store 19), RIP and icount (26); RSP held in a
 * host register, loaded and stored (18); a hoisted stack group's probe. */
#define BYTES_PER_IDENT (16 + 18 + 18) /* and RSP loaded and stored around it, a scratch lent */
/* A vector instruction's registers (emit_vectors_in/out): up to four loaded
 * and stored, each 10 bytes and 12 for its upper half, and VZEROUPPER (3);
 * or VZEROUPPER's 16 stores of 10 after a VPXOR (4). */
#define BYTES_PER_SIMD (4 * 22 + 4 * 22 + 3)
/* A held loop's vector registers loaded or stored at one place (MOVDQU with
 * GS, REX and a disp32: 10 bytes; plan_vector_loop). */
#define BYTES_HELD_VECTORS (16 * 11)
#define BYTES_PER_IDENT_RUN (33 + 12 + 30 * 9 + 49 + 26 + 26 + 18 + 2 * BYTES_HOISTED_PROBE + 9 + BYTES_SET_RIP_MORE)
/* A loop's way setup (emit_way_setup): the JMP over (8 with alignment), the
 * way out when kicked (16 register stores and RSP's, 9 each; the flags 49;
 * JMP 8), two LEA and store pairs (32). */
#define BYTES_WAY_SETUP (8 + 17 * 9 + 49 + 8 + 32)
/* A hoisted stack group's probe, or a table lookup's (9 more: the base
 * loaded); a miss goes to the run's cold copy. */
#define BYTES_HOISTED_PROBE 87
/* A memory operand adds the probe (flags saved around it: RAX borrowed 18,
 * LAHF/SETO 4, merge 26, store 9; restored: RAX borrowed 18, load 9, ADD and
 * SAHF 3; EA 18, FS/GS base 9, index 17, last byte 15, compare and branch
 * through the two ways 36,
 * host address 8) and the slow path out of line: a CALL of the shared one
 * (8 with its alignment) and the record it reads. */
#define BYTES_PER_PROBE (87 + 18 + 9 + 17 + 15 + 36 + 8 + 26 + 54) /* and RSP moved: 26; three scratch lent: 54 */
/* The CALL of the shared stub (8 with its alignment), its record, and the
 * main line's vector registers loaded again (up to 16, 22 bytes each) and a
 * JMP back, and a flags recipe before the CALL (emit_slow_path). */
#define BYTES_PER_SLOW_PATH (8 + sizeof(struct slow_record) + 16 * 22 + 8 + 15)
/* A branch ending the block: flags to AX (4), the Jcc (9), two ways out with
 * the flags stored (2 * 45), RIP and count (2 * 26), the target and its
 * canonical check (9 + 8 + 3 + 4 + 4 + 4 + 9), the loop check (9 + 9), the
 * non-canonical way (26 + 48 + 8), jumps (4 * 8), RSP stored on two ways
 * (18). */
#define BYTES_PER_BRANCH                                                                                               \
	(4 + 9 + 90 + 52 + 41 + 18 + 82 + 32 + 18 + 2 * BYTES_LINK_SITE + 2 * 26 + 3 * BYTES_SET_RIP_MORE)
/* What RIP set to a 64-bit value (emit_set_rip: MOV imm64, store: 19) takes
 * beyond an ADD of an imm32 (13), counted where the sums above count an ADD. */
#define BYTES_SET_RIP_MORE 6
/* A side exit: its Jcc (9), then out of line up to 15 register stores and
 * RSP's (9 each), the flags out (49), lockstep's leave_block (9) and the way
 * to the target as a branch at a block's end takes it. */
#define BYTES_PER_SIDE_EXIT (9 + 16 * 9 + 49 + 9 + BYTES_PER_BRANCH)
/* A followed CALL's return address (MOV imm64 10), a RET's compare (load 8,
 * MOV imm64 10, CMP 3, JNE with alignment 9) and its way elsewhere (the
 * load 8, the canonical check 20, RIP 9, three given back 27, 16 stores 144,
 * the flags 19, RSP and the count 26, lockstep's leave_block 9, JMP 8). */
#define BYTES_PER_FOLLOWED (36 + 270)
/* A link site (emit_guarded_link_site, the larger): alignment (3), the guard
 * (18), JMP (5), MOV RSI (10), JMP (8). */
#define BYTES_LINK_SITE (3 + 18 + 5 + 10 + 8)
/* The inline lookup of RIP (emit_body_lookup): 89. */
#define BYTES_LOOKUP 96
/* Around the body: the way out (the adjust, six pops, RET: 15); the chain
 * call (two MOV imm64, CALL, TEST, JZ, JMP: 36) after the inline lookup; the
 * link stub (36); the entry (six pushes, the adjust: 14); the kick check
 * (9 + 9); the fall-through, a link site. */
#define BYTES_EXITS (16 + 40 + BYTES_LOOKUP + 40 + BYTES_SLOW_STUB)
/* The shared slow path (emit_slow_stub): 15 stores and 15 loads (9 each),
 * the flags stored (13), POP (1), three MOV imm64 (30), CALL (3), TEST (2), JE (9), the flags (12),
 * the JMP (8). */
#define BYTES_SLOW_STUB (30 * 9 + 4 + 9 + 1 + 30 + 3 + 2 + 9 + 12 + 8)
#define BYTES_FRAME (BYTES_EXITS + 16 + 18 + BYTES_LINK_SITE)

#define ARITH ((uint16_t)RFLAGS_ARITH_MASK)

/* SysV callee-saved registers, which ident code may use as guest registers. */
static const enum host_reg saved[] = { H_RBX, H_RBP, H_R12, H_R13, H_R14, H_R15 };

#define GS_OFF(field) ((int32_t)offsetof(struct soft_cpu, field))

_Static_assert(sizeof(struct tlb_entry) == 32 && TLB_WAYS == 2, "the probe scales the TLB index by 64");

/* What translation decided about one instruction. */
struct slot {
	struct ident_use use;
	struct ident_mem_request mem; /* an explicit memory operand's, to re-encode */
	uint64_t lin;		      /* its linear address (RIP) */
	uint64_t next;		      /* RIP after it, where the block goes on (a followed branch's target) */
	const uint8_t *code;	      /* its bytes (bytes[]), or NULL (no ident) */
	/* Its bytes, read from guest RAM once: a device thread may write
	 * there while this translation is made (a virtio-blk read into a code
	 * page), so what is classified, re-encoded and copied is this one
	 * copy, never guest RAM read again. */
	uint8_t bytes[16];
	bool ident;
	/* A followed branch (INSN_FOLLOWED) run inline: a JMP is nothing, a
	 * CALL the push of its return address, a RET the pop of one, compared
	 * with the predicted (a mismatch goes to its slow path: the core's RET
	 * leaves the block). */
	bool followed;
	uint8_t group_role; /* GROUP_*: in a probe group (plan_groups) */
	uint8_t group;	    /* which, in the translation's groups */
	/* In a base group (not a stack one): its access is at [delta +
	 * group_off], delta holding the host address of the group's span. */
	int32_t group_off;
};

/* Memory operands off one base register (and index register) in one run —
 * fields of one structure, or one array element read and written back, a
 * few instructions apart — probed once: the first (the leader) probes the
 * soft TLB for the span they cover together, for writing if any writes (a
 * page the soft TLB lets be written may be read: code pages, watched pages,
 * MMIO and pages being logged have no write entries), and keeps the host
 * address of the span's start in a register (delta) none of the run's
 * instructions uses there; each member then runs against [delta +
 * group_off]. A miss sends the leader's slow path through the core for
 * every instruction from the leader to the last member. Before the last
 * member (which may write them) the base register moves by constants only
 * and the index not at all, and the group stops at a branch but a side
 * exit. Groups may nest: one led inside another's span of instructions
 * keeps a delta of its own. */
#define GROUP_NONE 0
#define GROUP_LEADER 1
#define GROUP_MEMBER 2
#define GROUP_SPAN_MAX 64 /* bytes from the lowest byte accessed to the end of the highest */
/* Stack accesses off RSP group the same way, with a delta register of their
 * own: PUSH and POP of a register, a followed CALL's push and explicit
 * [RSP + disp] operands, RSP moved only by those and followed RETs (their
 * pops are not members: the compare needs its own flags handling) until the
 * last member. A callee's PUSHes and POPs, a caller's locals and the calls
 * between them are then one probe. */

struct probe_group {
	unsigned last; /* the last member (the leader is the instruction whose slot names the group) */
	/* The last instruction the leader's slow path runs: last, or further
	 * when the leader of another group lies before it (then that group's
	 * delta would not be loaded after it: groups of the two kinds may
	 * overlap, and the core runs both). The main line resumes after it. */
	unsigned slow_last;
	unsigned leader;
	/* A stack group (plan_stack_groups): members off RSP, which moves by
	 * constants between them; each reads RSP from the soft CPU and runs
	 * against [RSP + delta + disp]. */
	bool stack;
	/* A stack group of a loop (plan_hoisted_stack): probed once at the
	 * run's start, its delta held round the loop; no leader, no slow path. */
	bool hoisted;
	/* A table lookup of a loop (plan_hoisted_table): [base + index <<
	 * scale + disp], the base unchanged by the loop and the index a byte,
	 * probed once at the run's start for every entry the index can reach,
	 * its delta held round the loop; the one member runs against [delta +
	 * index << scale]. */
	bool table;
	unsigned slow; /* the leader's slow path */
	/* A stack group's holds host_minus_linear of the span's page; a base
	 * group's and a table's the host address of the span's start. */
	enum host_reg delta;
	int32_t min_disp;
	uint16_t span;
	bool write;
};

/* A run of ident instructions being emitted, and its memory operands' slow
 * paths, emitted after the block's main line. */
struct run_plan {
	unsigned first, last;
	uint64_t lin; /* RIP at the first instruction */
	uint16_t regs_used, regs_written;
	uint16_t regs_loaded; /* read before the run writes them: loaded at its start */
	uint16_t flags_written;
	bool flags_loaded; /* the guest's flags are loaded into host RFLAGS at the start */
	/* RSP in a host register through the run (plan_rsp), or H_NONE: in the
	 * soft CPU, where every stack access loaded it from and stored it to. */
	int rsp_host;
	bool rsp_written;
	uint16_t pinned; /* rsp_host's bit: no scratch, delta or keeper */
	/* A hoisted stack group and a hoisted table lookup (their indexes, or
	 * -1), whose deltas' bits in loop_pinned keep them from scratch, deltas
	 * and keepers before loop_end. */
	int hoisted, hoisted_table;
	uint16_t loop_pinned;
	/* A branch in the run goes back to its first instruction, staying in
	 * host code (plan_loop); the last such is before instruction loop_end.
	 * The registers the loop, [first, loop_end), uses stay held there; those
	 * it writes (loop_written) are loaded at the start too, as every way out
	 * stores them. */
	bool loops;
	unsigned loop_end;
	uint16_t loop_written;
	/* A register the loop leaves alone, for its ways back that need no
	 * flags (plan_way_back), or H_NONE. */
	int way_temp;
	/* The vector registers the loop uses, held in host registers all the
	 * way round (plan_vector_loop), and of them those it writes, which its
	 * ways out store. */
	uint16_t vec_held, vec_held_written;
	unsigned group_first, group_end; /* its probe groups in the translation's */
	uint16_t live[65];		 /* arithmetic flags live before instruction first + k (k <= 64) */
	/* Registers whose host copy matters before instruction first + k: read
	 * from there on before a whole write, or written before k (the slow
	 * paths and the end store them). The others make free scratch there. */
	uint16_t regs_held[65];
};

/* Scratch registers for one instruction (pick_scratch): host registers the
 * instruction does not use. One the run holds a guest value in is borrowed:
 * its value goes to cpu->scratch_spill[k] first and comes back after (MOVs,
 * no flags), so a run needs no free registers and is never split for them. */
struct scratch {
	enum host_reg r[3];
	uint8_t borrowed; /* bit k: r[k] */
};

/* What the shared slow path (emit_slow_stub, slow_path_run) needs to know of
 * one memory instruction: it sits in the code right after the CALL of it,
 * which finds it at its return address. */
struct slow_record {
	const struct insn *insn;
	const uint8_t *resume;	 /* where the main line goes on after it */
	uint64_t rip;		 /* its linear address */
	uint64_t run_rip;	 /* the run's first instruction's: where RIP is while the run runs */
	uint16_t written_before; /* registers the run wrote before it */
	uint16_t reload;	 /* registers the main line holds after it */
	uint8_t index;		 /* of the instruction in its run */
	uint8_t count;		 /* instructions the core runs from it: 1, or a probe group's */
	uint8_t borrowed;	 /* bit k: scratch[k] holds a lent register */
	uint8_t scratch[3];
	uint8_t rsp_host;   /* the run's, or H_NONE */
	bool flags_saved;   /* the guest's flags as before it are in cpu->saved_flags */
	bool flags_in_host; /* or in host RFLAGS at the stub (cpu->stub_flags): a recipe ran */
	/* A probe group's leader: its accesses span [group_base + group_index
	 * << group_scale + group_lo, + group_span) (the registers' values at
	 * the leader; group_index NOREG: none); span 0: not a group's. */
	uint8_t group_base, group_index, group_scale;
	uint8_t group_span;
	int32_t group_lo;
};

struct slow_path {
	unsigned insn;	/* index of the memory instruction */
	unsigned count; /* instructions the core runs from it on a miss */
	const struct run_plan *run;
	uint8_t *jump;	       /* the probe's JNE rel32 to patch (writable view) */
	const uint8_t *code;   /* where it is emitted (emit_slow_path) */
	const uint8_t *resume; /* where the main line goes on after the instruction */
	bool flags_saved;      /* the guest's flags as before the instruction are in cpu->saved_flags */
	/* Or the instruction that set them, run again before the stub
	 * (flags_recipe), its bytes and length; NULL: none. */
	const uint8_t *recipe;
	unsigned recipe_len;
	struct scratch sc; /* the probe's: borrowed ones are given back first */
	/* Vector registers the main line holds at resume (emit_vectors_in),
	 * and of those the upper halves too: the slow path loads them from
	 * the soft CPU before it goes back there. */
	uint16_t vec_lo, vec_hi;
};

/* An exit to the instruction at a RIP the translation knows (a branch's
 * target, the block's fall-through), target: a link site when that lies in
 * the linear page of the block's first instruction, so in its guest page — the same
 * physical page whatever maps it, so the link holds across TLB flushes until
 * a block of the page is dropped (the engine unlinks it then) — else a
 * guarded one, whose link holds while the lookup's generation for the
 * target does (a TLB flush may map another page there; the translation runs
 * only at its own linear address, so the target's is fixed). */
static bool in_block_page(const struct translate_env *env, uint64_t target)
{
	return ((target ^ env->lin) & ~0xfffull) == 0;
}

/* Whether a 64-bit value is an imm32 sign-extended: an address in the low or
 * the high 2 GiB, where user programs and the kernel's text lie. */
static bool fits_imm32(uint64_t v)
{
	return (uint64_t)(int64_t)(int32_t)v == v;
}

static void emit_static_exit(struct emitter *e, const struct translate_env *env, const struct translate_exits *x,
			     uint64_t target)
{
	if (!x->link_stub) {
		emit_jmp(e, x->next);
		return;
	}
	if (!in_block_page(env, target)) {
		if (!emit_guarded_link_site(e, x->link_stub, TRANSLATE_LINK_GUARDED))
			e->overflow = true;
		return;
	}
	if (!emit_link_site(e, x->link_stub, target > env->lin ? TRANSLATE_LINK_FORWARD : 0))
		e->overflow = true;
}

/* The inline lookup of RIP in env->bodies: on a hit, straight into the body;
 * else on to what follows. RIP is in the soft CPU; RAX, RCX, RDX and the
 * flags are free (the exit stored the guest's). x->next_rcx: the same, for
 * an exit that has RIP in RCX too. */
static void emit_body_lookup(struct emitter *e, const struct translate_env *env, struct translate_exits *x)
{
	uint8_t *miss_lin, *miss_gen;

	_Static_assert(sizeof(struct body_entry) == 32 && BODY_TABLE_SIZE == 4096,
		       "index = (lin ^ lin >> 12) & 4095 (body_table_index), times 32");
	emit_gs_load64(e, H_RCX, GS_OFF(rip));
	x->next_rcx = emit_label(e);
	emit_mov_rr(e, H_RAX, H_RCX);
	emit_shr_imm(e, H_RAX, 12);
	emit_xor_rr(e, H_RAX, H_RCX);
	emit_and_imm32(e, H_RAX, BODY_TABLE_SIZE - 1);
	emit_shl_imm(e, H_RAX, 5);
	emit_mov_imm64(e, H_RDX, (uint64_t)(uintptr_t)env->bodies);
	emit_lea(e, H_RDX, H_RDX, H_RAX, 0, 0);
	emit_op64_mem(e, 0x3b, H_RCX, H_RDX, (int32_t)offsetof(struct body_entry, lin)); /* CMP RCX, [RDX] */
	miss_lin = emit_jcc8(e, CC_NE);
	emit_op64_mem(e, 0x8b, H_RAX, H_RDX,
		      (int32_t)offsetof(struct body_entry, generation_of)); /* MOV RAX, [RDX + ..] */
	emit_load32_mem(e, H_RAX, H_RAX);
	emit_op64_mem(e, 0x3b, H_RAX, H_RDX, (int32_t)offsetof(struct body_entry, generation));
	miss_gen = emit_jcc8(e, CC_NE);
	emit_op64_mem(e, 0xff, 4, H_RDX, (int32_t)offsetof(struct body_entry, body)); /* JMP [RDX + body] */
	if (!emit_patch_rel8_here(e, miss_lin) || !emit_patch_rel8_here(e, miss_gen))
		e->overflow = true;
}

/* RIP = rip (translations are for one linear address, env->lin: every RIP
 * in them is a constant). tmp is clobbered when the value needs 64 bits. */
static void emit_set_rip(struct emitter *e, uint64_t rip, enum host_reg tmp)
{
	if ((int64_t)rip == (int32_t)rip) {
		emit_gs_store64_imm32(e, GS_OFF(rip), (int32_t)rip);
	} else {
		emit_mov_imm64(e, tmp, rip);
		emit_gs_store64(e, GS_OFF(rip), tmp);
	}
}

/* The highest host register not in taken (RSP always is), or H_NONE: one
 * that holds nothing the run needs where taken says what it needs. */
static int unused_host_reg(uint16_t taken)
{
	for (int r = 15; r > 0; r--)
		if (r != H_RSP && !(taken & (1u << r)))
			return r;
	return H_NONE;
}

static void emit_callout(struct emitter *e, const struct translate_env *env, const struct insn *in, const uint8_t *out)
{
	emit_mov_imm64(e, H_RDI, (uint64_t)(uintptr_t)env->ctx);
	emit_mov_imm64(e, H_RSI, (uint64_t)(uintptr_t)in);
	emit_mov_imm64(e, H_RAX, (uint64_t)(uintptr_t)env->callout);
	emit_call_reg(e, H_RAX);
	emit_test_al(e);
	emit_jcc(e, CC_E, out);
}

/* The core's flags as translated code keeps them (LF_HOST: cpu.h), from
 * whatever the core left. */
static void flags_to_host_image(struct soft_cpu *cpu)
{
	cpu->lf.res = flags_host_image_mask(flags_arith(cpu));
	cpu->lf.op = LF_HOST;
}

/* The guest's arithmetic flags into host RFLAGS, through RAX: the core's
 * converted to a host image first unless translated code left them
 * (emit_flags_image, a C call: before any guest register is loaded), then
 * loaded (emit_gs_load16_ax, emit_flags_from_ax). Host TF, DF and AC stay 0
 * (a host TF traps, AC faults, C code needs DF clear); the guest's live in
 * the soft CPU, and no ident instruction reads them. SAHF, not POPFQ:
 * POPFQ was most of the time of short blocks. */
static void emit_flags_image(struct emitter *e, const struct translate_env *env)
{
	uint8_t *skip;

	emit_gs_cmp8_imm(e, GS_OFF(lf.op), LF_HOST);
	skip = emit_jcc8(e, CC_E);
	emit_mov_imm64(e, H_RDI, (uint64_t)(uintptr_t)env->cpu);
	emit_mov_imm64(e, H_RAX, (uint64_t)(uintptr_t)flags_to_host_image);
	emit_call_reg(e, H_RAX);
	if (!emit_patch_rel8_here(e, skip))
		e->overflow = true;
}

/* A host image in AX (emit_flags_to_ax) becomes the soft CPU's flags. */
static void emit_flags_store_ax(struct emitter *e)
{
	emit_gs_store16_ax(e, GS_OFF(lf.res));
	emit_gs_mov8_imm(e, GS_OFF(lf.op), LF_HOST);
}

/* AX (a host image of host RFLAGS) with the flags outside host_valid taken
 * from cpu->saved_flags, which holds the guest's there: the guest's flags
 * whole. Nothing to do when host RFLAGS held them all. Clobbers tmp and the
 * flags. */
static void emit_flags_merge(struct emitter *e, uint16_t host_valid, enum host_reg tmp)
{
	uint16_t mask = flags_host_image_mask(host_valid);

	if (host_valid == ARITH)
		return;
	emit_and_imm32(e, H_RAX, mask);
	/* As wide as the saved copy was stored: a wider load of a narrower
	 * store does not forward (deflate's hash insert stalled on it). */
	emit_gs_load16_zx(e, tmp, GS_OFF(saved_flags));
	emit_and_imm32(e, tmp, (uint16_t)~mask);
	emit_or_rr(e, H_RAX, tmp);
}

/* Where RAX waits while a flags sequence uses AX, when it holds something:
 * a host register that holds nothing the run needs there (none the run uses,
 * not the probe's scratch, not in reserved: a probe group's delta), or
 * cpu->spill when every one does. A register move, where a store and load
 * put a store-to-load forwarding on RAX's dependency chain: in busybox's
 * getc that reload was a fifth of the block's samples. */
static int rax_keeper(const struct run_plan *run, const struct scratch *sc, uint16_t reserved)
{
	uint16_t taken = (uint16_t)(run->regs_used | run->pinned | reserved | (1u << H_RAX));

	for (unsigned k = 0; k < 3; k++)
		taken |= (uint16_t)(1u << sc->r[k]);
	return unused_host_reg(taken);
}

/* RAX is borrowed around a flags sequence when busy (MOVs: no flag changes). */
static void emit_borrow_rax(struct emitter *e, bool busy, int keeper)
{
	if (busy && keeper != H_NONE)
		emit_mov_rr(e, (enum host_reg)keeper, H_RAX);
	else if (busy)
		emit_gs_store64(e, GS_OFF(spill), H_RAX);
}

static void emit_return_rax(struct emitter *e, bool busy, int keeper)
{
	if (busy && keeper != H_NONE)
		emit_mov_rr(e, H_RAX, (enum host_reg)keeper);
	else if (busy)
		emit_gs_load64(e, H_RAX, GS_OFF(spill));
}

/* Host RFLAGS into cpu->saved_flags, merged as emit_flags_merge does, before
 * a probe (the scratch registers are free). */
static void emit_flags_save(struct emitter *e, const struct run_plan *run, const struct scratch *sc,
			    uint16_t host_valid, uint16_t reserved)
{
	bool busy = run->regs_used & (1u << H_RAX);
	int keeper = rax_keeper(run, sc, reserved);

	emit_borrow_rax(e, busy, keeper);
	emit_flags_to_ax(e);
	emit_flags_merge(e, host_valid, sc->r[0] == H_RAX ? sc->r[1] : sc->r[0]);
	emit_gs_store16_ax(e, GS_OFF(saved_flags));
	emit_return_rax(e, busy, keeper);
}

/* Host RFLAGS from cpu->saved_flags after a probe, whose host address
 * (sc->r[0]) stays. */
static void emit_flags_restore(struct emitter *e, const struct run_plan *run, const struct scratch *sc,
			       uint16_t reserved)
{
	bool busy = (run->regs_used & (1u << H_RAX)) || sc->r[0] == H_RAX;
	int keeper = rax_keeper(run, sc, reserved);

	emit_borrow_rax(e, busy, keeper);
	emit_gs_load16_ax(e, GS_OFF(saved_flags));
	emit_flags_from_ax(e);
	emit_return_rax(e, busy, keeper);
}

/* A host image in AX, completed from cpu->saved_flags, becomes the soft
 * CPU's flags (RCX is free: the guest's registers are stored already). */
static void emit_flags_merge_store_ax(struct emitter *e, uint16_t host_valid)
{
	emit_flags_merge(e, host_valid, H_RCX);
	emit_flags_store_ax(e);
}

/* Host RFLAGS' arithmetic flags back into the soft CPU (RAX and RCX are free);
 * with none valid there (a probe came after the last flag write, and nothing
 * read them since), the saved copy is the guest's whole. */
static void emit_flags_out(struct emitter *e, uint16_t host_valid)
{
	if (!host_valid) {
		emit_gs_load16_ax(e, GS_OFF(saved_flags));
		emit_flags_store_ax(e);
		return;
	}
	emit_flags_to_ax(e);
	emit_flags_merge_store_ax(e, host_valid);
}

static void emit_load_regs(struct emitter *e, uint16_t regs)
{
	for (unsigned r = 0; r < 16; r++)
		if (regs & (1u << r))
			emit_gs_load64(e, (enum host_reg)r, GS_OFF(gpr[r]));
}

static void emit_store_regs(struct emitter *e, uint16_t regs)
{
	for (unsigned r = 0; r < 16; r++)
		if (regs & (1u << r))
			emit_gs_store64(e, GS_OFF(gpr[r]), (enum host_reg)r);
}

/* What a way out of the run stores: regs, and RSP when a host register holds
 * it and the run moves it. */
static void emit_store_run_regs(struct emitter *e, const struct run_plan *run, uint16_t regs)
{
	emit_store_regs(e, regs);
	if (run->rsp_host != H_NONE && run->rsp_written)
		emit_gs_store64(e, GS_OFF(gpr[GPR_RSP]), (enum host_reg)run->rsp_host);
}

/* The register that holds RSP for an access of the run: rsp_host, or tmp
 * loaded from the soft CPU. */
static enum host_reg rsp_in(struct emitter *e, const struct run_plan *run, enum host_reg tmp)
{
	if (run->rsp_host != H_NONE)
		return (enum host_reg)run->rsp_host;
	emit_gs_load64(e, tmp, GS_OFF(gpr[GPR_RSP]));
	return tmp;
}

/* RSP, in reg (rsp_in), moved by `by` (LEA: no flags), and stored back
 * unless the run holds it. */
static void emit_rsp_move(struct emitter *e, const struct run_plan *run, enum host_reg reg, int32_t by)
{
	emit_lea(e, reg, reg, H_NONE, 0, by);
	if ((int)reg != run->rsp_host)
		emit_gs_store64(e, GS_OFF(gpr[GPR_RSP]), reg);
}

/* want scratch registers for instruction i (u) of the run: none u reads or
 * writes, nor RSP, nor those in reserved (a probe group's); free ones
 * (regs_held) first, then borrowed ones. */
static struct scratch pick_scratch(const struct run_plan *run, unsigned i, const struct ident_use *u, unsigned want,
				   uint16_t reserved)
{
	uint16_t avoid = (uint16_t)(u->gpr_read | u->gpr_written | (1u << GPR_RSP) | run->pinned |
				    (i < run->loop_end ? run->loop_pinned : 0) | reserved);
	uint16_t held_mask = run->regs_held[i - run->first];
	struct scratch sc = { .borrowed = 0 };
	unsigned n = 0;

	for (unsigned pass = 0; pass < 2 && n < want; pass++)
		for (unsigned r = 0; r < 16 && n < want; r++) {
			bool held = held_mask & (1u << r);

			if ((avoid & (1u << r)) || held != (pass == 1))
				continue;
			if (held)
				sc.borrowed |= (uint8_t)(1u << n);
			sc.r[n++] = (enum host_reg)r;
		}
	return sc;
}

/* The borrowed scratch registers' guest values out to cpu->scratch_spill,
 * and back. */
static void emit_lend(struct emitter *e, const struct scratch *sc)
{
	bool same =
	    e->given_back.end == e->pos && e->label_pos <= e->given_back.at && e->given_back.mask == sc->borrowed;

	for (unsigned k = 0; k < 3 && same; k++)
		same = !(sc->borrowed & (1u << k)) || e->given_back.regs[k] == sc->r[k];
	e->given_back.end = SIZE_MAX;
	if (same && sc->borrowed) {
		/* The spill slots still hold these values (a slow path that
		 * resumed at the give-back left them there): the registers stay
		 * lent, the loads are taken back. */
		e->pos = e->given_back.at;
		return;
	}
	for (unsigned k = 0; k < 3; k++)
		if (sc->borrowed & (1u << k))
			emit_gs_store64(e, GS_OFF(scratch_spill[k]), sc->r[k]);
}

static void emit_give_back(struct emitter *e, const struct scratch *sc)
{
	e->given_back.at = e->pos;
	for (unsigned k = 0; k < 3; k++) {
		e->given_back.regs[k] = (uint8_t)sc->r[k];
		if (sc->borrowed & (1u << k))
			emit_gs_load64(e, sc->r[k], GS_OFF(scratch_spill[k]));
	}
	e->given_back.mask = sc->borrowed;
	e->given_back.end = e->pos;
}

/* Where the TLB entries of one set and access kind start in the soft CPU. */
static int32_t tlb_offset(unsigned set, unsigned kind)
{
	return GS_OFF(tlb.e) + (int32_t)(((set * ACC_KINDS + kind) * TLB_SIZE * TLB_WAYS) * sizeof(struct tlb_entry));
}

/* a = the effective address [base + index << scale + disp] of u's memory
 * operand (or LEA's), 64-bit: RSP from host register rsp, or from the soft
 * CPU (rsp H_NONE), RIP-relative from insn_end, the linear address of the
 * instruction's end. */
static void emit_address(struct emitter *e, const struct ident_use *u, uint64_t insn_end, enum host_reg a, int rsp)
{
	int index = u->mem_index == NOREG ? H_NONE : u->mem_index;

	if (u->mem_base == REG_RIP) {
		emit_mov_imm64(e, a, insn_end + (uint64_t)(int64_t)u->mem_disp);
	} else if (u->mem_base == GPR_RSP && rsp != H_NONE) {
		emit_lea(e, a, (enum host_reg)rsp, index, u->mem_scale, u->mem_disp);
	} else if (u->mem_base == GPR_RSP) {
		emit_gs_load64(e, a, GS_OFF(gpr[GPR_RSP]));
		if (index != H_NONE || u->mem_disp)
			emit_lea(e, a, a, index, u->mem_scale, u->mem_disp);
	} else {
		emit_lea(e, a, u->mem_base == NOREG ? H_NONE : u->mem_base, index, u->mem_scale, u->mem_disp);
	}
}

/* Whether the memory operand's linear address is a constant (*at): RIP-relative
 * or absolute, without an index, and not FS- or GS-relative. */
static bool address_known(const struct ident_use *u, uint64_t insn_end, uint64_t *at)
{
	if (u->mem_index != NOREG || u->mem_seg == SREG_FS || u->mem_seg == SREG_GS ||
	    (u->mem_base != REG_RIP && u->mem_base != NOREG))
		return false;
	*at = (u->mem_base == REG_RIP ? insn_end : 0) + (uint64_t)(int64_t)u->mem_disp;
	return true;
}

/* r[0] of sc = the host address of the memory operand of insn, or a jump to
 * the slow path (recorded in *slow) when the soft TLB has no entry for it that
 * holds the whole access (SDM-exact by construction: the core filled the
 * entry after its own walk and checks). With delta not H_NONE, delta = the
 * entry's host_minus_linear instead (a probe group's leader). RSP is in
 * host register rsp, or in the soft CPU (H_NONE). Clobbers sc's registers
 * and the flags. */
/* Points a forward jump made by emit_jcc at the next byte. */
static void patch_here(struct emitter *e, uint8_t *rel)
{
	if (!rel || !emit_patch_rel32(rel, e->rx + (rel - e->buf), emit_label(e)))
		e->overflow = true;
}

/* emit_probe for an address the translation knows (at), for sc->r[0]: the
 * entry's place in the soft CPU and the page are constants, so each way is
 * one CMP of its tag against the page (an imm32 where it fits, else through
 * sc->r[1]) and one ADD; was six instructions and three scratch registers
 * on a hit in way 0, is four and one. */
static void emit_known_probe(struct emitter *e, const struct scratch *sc, const struct ident_use *u, uint64_t at,
			     int32_t tlb, struct slow_path *slow)
{
	const uint64_t page = (at + u->mem_size - 1) & ~0xfffull;
	const int32_t entry = tlb + (int32_t)(((at >> 12) & (TLB_SIZE - 1)) * TLB_WAYS * sizeof(struct tlb_entry));
	uint8_t *way0, *join;

	/* sc->r[0] holds at already (emit_probe's emit_address). */
	if (!fits_imm32(page))
		emit_mov_imm64(e, sc->r[1], page);
	for (unsigned way = 0; way < TLB_WAYS; way++) {
		const int32_t tag = entry + (int32_t)(way * sizeof(struct tlb_entry) + offsetof(struct tlb_entry, tag));

		if (fits_imm32(page))
			emit_gs_cmp64_imm32(e, tag, (int32_t)page);
		else
			emit_gs_cmp64(e, sc->r[1], tag);
		if (way == 0)
			way0 = emit_jcc8(e, CC_E);
		else
			slow->jump = emit_jcc(e, CC_NE, emit_here(e)); /* patched to the slow path */
	}
	emit_gs_add(e, sc->r[0],
		    entry + (int32_t)(sizeof(struct tlb_entry) + offsetof(struct tlb_entry, host_minus_linear)));
	join = emit_jmp(e, emit_here(e));
	if (!emit_patch_rel8_here(e, way0))
		e->overflow = true;
	emit_gs_add(e, sc->r[0], entry + (int32_t)offsetof(struct tlb_entry, host_minus_linear));
	patch_here(e, join);
}

static void emit_probe(struct emitter *e, const struct translate_env *env, const struct scratch *sc,
		       const struct ident_use *u, uint64_t insn_end, struct slow_path *slow, int delta, int rsp)
{
	const enum host_reg a = sc->r[0], idx = sc->r[1], last = sc->r[2];
	int32_t tlb = tlb_offset((unsigned)env->tlb_set, u->mem_write ? ACC_WRITE : ACC_READ);
	uint8_t *way0;
	uint64_t at;

	emit_address(e, u, insn_end, a, rsp);
	/* The entry of the first byte's page must be the last byte's page: that
	 * also rules out an access crossing into the next page (its entry index
	 * differs by one) and a non-canonical address (no entry has one).
	 * idx = ((a >> 12) & (TLB_SIZE - 1)) * 64 (two ways of 32 bytes). An
	 * address the translation knows (RIP-relative, absolute) has both as
	 * constants. */
	_Static_assert(TLB_SIZE == 256, "the index mask");
	_Static_assert(TLB_WAYS == 2 && sizeof(struct tlb_entry) == 32, "an index's ways span 64 bytes");
	if (address_known(u, insn_end, &at) && delta == H_NONE) {
		emit_known_probe(e, sc, u, at, tlb, slow);
		return;
	}
	if (address_known(u, insn_end, &at)) {
		emit_mov_imm64(e, idx, ((at >> 12) & (TLB_SIZE - 1)) << 6);
		emit_mov_imm64(e, last, (at + u->mem_size - 1) & ~0xfffull);
	} else {
		/* In 64-bit mode only FS and GS have a base (SDM vol. 3, 3.4.4). */
		if (u->mem_seg == SREG_FS || u->mem_seg == SREG_GS)
			emit_gs_add(e, a, GS_OFF(seg[u->mem_seg].base));
		/* RORX copies and shifts in one (the bits it rotates in
		 * are masked off). */
		if (emit_host_has_bmi2()) {
			emit_rorx(e, idx, a, 6);
		} else {
			emit_mov_rr(e, idx, a);
			emit_shr_imm(e, idx, 6);
		}
		emit_and_imm32(e, idx, (TLB_SIZE - 1) << 6);
		if (u->mem_align) {
			/* The tag is the page (no low bits: TLB_INVALID has only
			 * bit 11) and the low bits must be clear: an aligned
			 * access, which cannot cross a page. */
			emit_mov_rr(e, last, a);
			emit_and_imm32(e, last, -4096 | (u->mem_align - 1));
		} else {
			emit_lea(e, last, a, H_NONE, 0, u->mem_size - 1);
			emit_and_imm32(e, last, -4096);
		}
	}
	/* Way 0, then way 1 (idx moved onto it). */
	emit_gs_cmp_based(e, last, idx, tlb + (int32_t)offsetof(struct tlb_entry, tag));
	way0 = emit_jcc8(e, CC_E);
	emit_gs_cmp_based(e, last, idx, tlb + (int32_t)(sizeof(struct tlb_entry) + offsetof(struct tlb_entry, tag)));
	slow->jump = emit_jcc(e, CC_NE, emit_here(e)); /* patched to the slow path */
	emit_lea(e, idx, idx, H_NONE, 0, (int32_t)sizeof(struct tlb_entry));
	if (!emit_patch_rel8_here(e, way0))
		e->overflow = true;
	if (delta != H_NONE)
		emit_gs_load_based(e, (enum host_reg)delta, idx,
				   tlb + (int32_t)offsetof(struct tlb_entry, host_minus_linear));
	else
		emit_gs_add_based(e, a, idx, tlb + (int32_t)offsetof(struct tlb_entry, host_minus_linear));
}

/* The registers the run wrote before its instruction insn. */
static uint16_t written_before(const struct slot *slot, const struct run_plan *run, unsigned insn)
{
	uint16_t written = 0;
	unsigned from = run->first;

	if (run->loops) { /* the loop's, in an earlier round: none is stored on the way back */
		written = run->loop_written;
		from = insn > run->loop_end ? run->loop_end : insn;
	}
	for (unsigned i = from; i < insn; i++)
		written |= slot[i].use.gpr_written;
	return written;
}

/* The slow path of a memory instruction: a CALL of the shared one
 * (emit_slow_stub) and the record it reads. */
static void emit_slow_path(struct emitter *e, const struct slot *slot, struct slow_path *p, const struct insn *insns,
			   const struct probe_group *groups, const struct translate_exits *x)
{
	const struct run_plan *run = p->run;
	uint16_t in_flight = 0; /* deltas of groups the main line goes on with after it */
	struct slow_record r;

	for (unsigned k = run->group_first; k < run->group_end; k++)
		if (groups[k].hoisted ? p->insn < run->loop_end
				      : groups[k].leader < p->insn && groups[k].last >= p->insn + p->count)
			in_flight |= (uint16_t)(1u << groups[k].delta);
	r = (struct slow_record){ .insn = &insns[p->insn],
				  .resume = p->resume,
				  .rip = slot[p->insn].lin,
				  .run_rip = run->lin,
				  .reload = run->regs_used & (uint16_t)~in_flight,
				  .index = (uint8_t)(p->insn - run->first),
				  .count = (uint8_t)p->count,
				  .borrowed = p->sc.borrowed,
				  .rsp_host = (uint8_t)run->rsp_host,
				  .written_before = written_before(slot, run, p->insn),
				  .flags_saved = p->flags_saved,
				  .flags_in_host = p->recipe != NULL };
	if (slot[p->insn].group_role == GROUP_LEADER && !groups[slot[p->insn].group].hoisted) {
		const struct probe_group *g = &groups[slot[p->insn].group];

		r.group_base = g->stack ? GPR_RSP : slot[p->insn].use.mem_base;
		r.group_index = g->stack ? NOREG : slot[p->insn].use.mem_index;
		r.group_scale = slot[p->insn].use.mem_scale;
		r.group_span = g->span;
		r.group_lo = g->min_disp;
	}

	for (unsigned k = 0; k < 3; k++)
		r.scratch[k] = (uint8_t)p->sc.r[k];
	if (p->jump && !emit_patch_rel32(p->jump, e->rx + (p->jump - e->buf), emit_here(e)))
		e->overflow = true;
	p->code = emit_label(e);
	if (p->insn < run->loop_end)
		emit_vectors_store(e, run->vec_held_written);
	if (p->recipe)
		emit_bytes(e, p->recipe, p->recipe_len); /* the guest's flags, for the stub to find */
	emit_call(e, x->slow_path);
	/* The main line's vector registers, as the core left them, first. */
	if (p->vec_lo)
		r.resume = emit_here(e) + sizeof(r);
	emit_bytes(e, &r, sizeof(r));
	if (p->vec_lo) {
		emit_vectors_load(e, p->vec_lo, p->vec_hi);
		emit_jmp(e, p->resume);
	}
}

/* Whether the bytes [lin, lin + len) lie on two pages. */
static bool straddles_pages(uint64_t lin, unsigned len)
{
	return ((lin ^ (lin + len - 1)) >> 12) != 0;
}

/* The shared slow path, called with every host register as the main line
 * left it: the guest state as at the memory instruction goes back into the
 * soft CPU, the core runs the instruction (its walk, faults, MMIO exits,
 * code and watched pages) as a callout, and the registers the main line
 * holds come back. False: leave (the core asked to, or it ran elsewhere). */
static bool slow_path_run(void *ctx, const uint8_t *record, callout_fn callout, struct soft_cpu *cpu,
			  bool (*group_straddled)(void *ctx, const struct insn *leader, unsigned count))
{
	struct slow_record r;
	uint64_t group_at;
	bool straddles;

	memcpy(&r, record, sizeof(r));
	/* The guest's values of borrowed registers, before any is stored. */
	for (unsigned k = 0; k < 3; k++)
		if (r.borrowed & (1u << k))
			cpu->host_regs[r.scratch[k]] = cpu->scratch_spill[k];
	for (unsigned n = 0; n < 16; n++)
		if (r.written_before & (1u << n))
			cpu->gpr[n] = cpu->host_regs[n];
	if (r.rsp_host != (uint8_t)H_NONE)
		cpu->gpr[GPR_RSP] = cpu->host_regs[r.rsp_host];
	if (r.flags_saved || r.flags_in_host) {
		cpu->lf.res = (uint16_t)(r.flags_in_host ? cpu->stub_flags : cpu->saved_flags);
		cpu->lf.op = LF_HOST;
	}
	cpu->rip = r.rip;
	cpu->icount += r.index;
	group_at = cpu->gpr[r.group_base & 15] + (uint64_t)(int64_t)r.group_lo;
	if (r.group_index != NOREG)
		group_at += cpu->gpr[r.group_index & 15] << (r.group_scale & 3);
	straddles = r.group_span && straddles_pages(group_at, r.group_span);
	for (unsigned k = 0; k < r.count; k++)
		if (!callout(ctx, &r.insn[k]))
			return false;
	/* A group whose accesses straddle two pages always misses here, and the
	 * core runs it all: in sha256's message schedule, whose window of 64
	 * bytes walks the stack, a third of the rounds when the array crossed a
	 * page (the guest's stack is placed at random), 2.5 times the phase's
	 * host instructions. The engine has such a block translated again
	 * without the group. */
	if (straddles && group_straddled && group_straddled(ctx, r.insn, r.count))
		return false;
	/* The main line adds the whole run's count at its end, and RIP is at
	 * its first instruction while it runs (a loop leaves from there). */
	cpu->rip = r.run_rip;
	cpu->icount -= r.index + (uint64_t)r.count;
	/* The flags go back to host RFLAGS (the stub loads the image), and to
	 * cpu->saved_flags as well: the main line resumes believing the flags
	 * are split between the two as its own code left them (host_valid,
	 * saved_valid in emit_ident_run), and a probe group's slow path runs
	 * past instructions whose probes, skipped here, would have saved the
	 * flags (a PUSH's group over an INC and a load off another base: the
	 * run's end then took the copy saved at the leader, before INC). Both
	 * holding the guest's flags whole satisfies whatever split it expects:
	 * what it keeps in saved_flags it has not written since. */
	if (cpu->lf.op != LF_HOST)
		flags_to_host_image(cpu);
	cpu->saved_flags = cpu->lf.res;
	for (unsigned n = 0; n < 16; n++)
		if (r.reload & (1u << n))
			cpu->host_regs[n] = cpu->gpr[n];
	if (r.rsp_host != (uint8_t)H_NONE)
		cpu->host_regs[r.rsp_host] = cpu->gpr[GPR_RSP];
	cpu->slow_resume = r.resume;
	return true;
}

/* The code every slow path calls: the record's address is its return
 * address, popped (the frame is as the main line's, 16-byte aligned). */
static void emit_slow_stub(struct emitter *e, const struct translate_env *env, const uint8_t *out)
{
	for (unsigned n = 0; n < 16; n++)
		if (n != H_RSP)
			emit_gs_store64(e, GS_OFF(host_regs[n]), (enum host_reg)n);
	/* The flags as they came (a recipe's: slow_record.flags_in_host); the
	 * stores above change none. */
	emit_flags_to_ax(e);
	emit_gs_store16_ax(e, GS_OFF(stub_flags));
	emit_pop(e, H_RSI);
	emit_mov_imm64(e, H_RDI, (uint64_t)(uintptr_t)env->ctx);
	emit_mov_imm64(e, H_RDX, (uint64_t)(uintptr_t)env->callout);
	emit_mov_imm64(e, H_RCX, (uint64_t)(uintptr_t)env->cpu);
	emit_mov_imm64(e, H_R8, (uint64_t)(uintptr_t)env->group_straddled);
	emit_mov_imm64(e, H_RAX, (uint64_t)(uintptr_t)slow_path_run);
	emit_call_reg(e, H_RAX);
	emit_test_al(e);
	emit_jcc(e, CC_E, out);
	emit_gs_load16_ax(e, GS_OFF(lf.res));
	emit_flags_from_ax(e);
	for (unsigned n = 0; n < 16; n++)
		if (n != H_RSP)
			emit_gs_load64(e, (enum host_reg)n, GS_OFF(host_regs[n]));
	emit_gs_jmp_mem(e, GS_OFF(slow_resume));
}

/* RSP in a host register for the run's stack accesses (emit_rsp_move,
 * rsp_in): loaded at its start, stored on the ways out when the run moves it,
 * and handed to the core and back by the slow paths. In the soft CPU each
 * access loaded it just after the last stored it, and waited for the store
 * to forward: in busybox head's byte loop that was the hottest instruction
 * after a probe's. Taken only from registers the run leaves alone (not RAX or
 * RCX either, which the flags' ways in and out use), when five more of them
 * are left: a probe's three scratch, a group's delta and a keeper for RAX
 * never borrow then. With two left, gzip's longest_match lent RAX around
 * each probe and its blocks ran 7% more host instructions. */
static void plan_rsp(struct run_plan *run, const struct slot *slot)
{
	uint16_t spare = (uint16_t) ~(run->regs_used | 1u << H_RAX | 1u << H_RCX | 1u << H_RSP);
	bool used = false;

	run->rsp_host = H_NONE;
	run->pinned = 0;
	run->hoisted = -1;
	run->hoisted_table = -1;
	run->loop_pinned = 0;
	for (unsigned i = run->first; i < run->last; i++) {
		const struct ident_use *u = &slot[i].use;

		/* A CALL or RET that ends the block moves RSP in the soft CPU
		 * (emit_call_ret_end), after the run's registers are stored. */
		if (u->branch)
			continue;
		used |= ((u->mem || u->lea_base) && u->mem_base == GPR_RSP) || u->rsp_reg;
		run->rsp_written |= u->stack != 0 || (u->rsp_reg && u->rsp_written);
	}
	if (!used || __builtin_popcount(spare) < 6)
		return;
	run->rsp_host = unused_host_reg((uint16_t)~spare);
	run->pinned = (uint16_t)(1u << run->rsp_host);
}

/* Plans insns[first, last): registers, scratch, where the flags are live. */
static void plan_run(struct run_plan *run, const struct slot *slot, unsigned first, unsigned last)
{
	uint16_t live_in = 0;
	bool partial = false;

	*run = (struct run_plan){ .first = first, .last = last, .lin = slot[first].lin, .way_temp = H_NONE };
	for (unsigned i = first; i < last; i++) {
		const struct ident_use *u = &slot[i].use;

		/* A memory instruction's slow path, and a side exit's way out,
		 * store host RFLAGS whole once the run has written a flag: all six
		 * must be the guest's then. */
		if ((u->mem || (u->branch && i + 1 < last)) && run->flags_written && run->flags_written != ARITH)
			partial = true;
		live_in |= u->flags_read & ~run->flags_written;
		run->flags_written |= u->flags_written;
		run->regs_used |= u->gpr_read | u->gpr_written;
		/* A register the run overwrites whole first (gpr_read counts
		 * 8- and 16-bit writes as reads) needs no load. */
		run->regs_loaded |= u->gpr_read & ~run->regs_written;
		run->regs_written |= u->gpr_written;
	}
	/* Flags the run does not write but stores back must be the guest's too. */
	run->flags_loaded = live_in || partial || (run->flags_written && run->flags_written != ARITH);
	plan_rsp(run, slot);
	/* Live: read later by the main line before written again (the slow paths
	 * and the run's end take what host RFLAGS lacks from cpu->saved_flags). */
	run->live[last - first] = 0;
	for (unsigned i = last; i-- > first;)
		run->live[i - first] =
		    (uint16_t)(slot[i].use.flags_read | (run->live[i + 1 - first] & ~slot[i].use.flags_written));
	/* regs_held: read-before-whole-write from k on (backwards), then what
	 * was written before k (forwards). */
	run->regs_held[last - first] = 0;
	for (unsigned i = last; i-- > first;) {
		const struct ident_use *u = &slot[i].use;

		run->regs_held[i - first] =
		    (uint16_t)(u->gpr_read | (run->regs_held[i + 1 - first] & ~(u->gpr_written & ~u->gpr_read)));
	}
	for (unsigned i = first, written = 0; i < last; i++) {
		run->regs_held[i - first] |= (uint16_t)written;
		written |= slot[i].use.gpr_written;
	}
}

/* Whether the branch in slot s (instruction in) goes back to the first
 * instruction of its run. */
static bool branches_to_run_start(const struct run_plan *run, const struct slot *s, const struct insn *in)
{
	return s->use.branch && !s->use.call && !s->use.ret &&
	       s->lin + in->len + (uint64_t)(int64_t)s->use.rel == run->lin;
}

/* A run with a branch back to its own first instruction — its last, or a Jcc
 * the block goes on past — loops in host code (emit_loop_back): the way back
 * stores no register, so every register the run writes or loads holds its
 * guest value all the way round (loaded at the start, never lent as free
 * scratch), and every way out stores all it writes. Not for lockstep, which
 * runs each instruction once per entry. */
static void plan_loop(struct run_plan *run, const struct translate_env *env, const struct slot *slot,
		      const struct insn *insns)
{
	uint16_t used = 0;

	if (env->one_block_per_entry)
		return;
	for (unsigned i = run->first; i < run->last; i++)
		if (branches_to_run_start(run, &slot[i], &insns[i])) {
			run->loops = true;
			run->loop_end = i + 1;
		}
	if (!run->loops)
		return;
	for (unsigned i = run->first; i < run->loop_end; i++) {
		used |= slot[i].use.gpr_read | slot[i].use.gpr_written;
		run->loop_written |= slot[i].use.gpr_written;
	}
	run->regs_loaded |= run->loop_written;
	for (unsigned k = 0; k <= run->loop_end - run->first; k++)
		run->regs_held[k] |= used;
}

/* Group g, led by instruction g->leader with the members in `members` (bit
 * j: the instruction j after the leader), spanning [lo, hi) from its base,
 * appended to groups[*ngroups] and named in their slots. */
static void add_group(struct slot *slot, struct probe_group *g, uint64_t members, int64_t lo, int64_t hi,
		      struct probe_group *groups, unsigned *ngroups)
{
	unsigned i = g->leader;

	g->min_disp = (int32_t)lo;
	g->span = (uint8_t)(hi - lo);
	slot[i].group_role = GROUP_LEADER;
	slot[i].group = (uint8_t)*ngroups;
	for (unsigned j = i + 1; j <= g->last; j++)
		if (members & (1ull << (j - i))) {
			slot[j].group_role = GROUP_MEMBER;
			slot[j].group = (uint8_t)*ngroups;
		}
	groups[(*ngroups)++] = *g;
}

static bool groupable(const struct ident_use *u)
{
	return u->mem && !u->stack && !u->branch && !u->simd && u->mem_base < 16 && u->mem_base != GPR_RSP &&
	       u->mem_seg != SREG_FS && u->mem_seg != SREG_GS;
}

/* Whether v's operand is off the same registers as u's, scaled alike. */
static bool same_registers(const struct ident_use *u, const struct ident_use *v)
{
	return v->mem_base == u->mem_base && v->mem_index == u->mem_index &&
	       (u->mem_index == NOREG || v->mem_scale == u->mem_scale);
}

/* Whether instruction in (slot s) leaves GPR base alone or only moves it by
 * a constant (*by): ADD or SUB of an immediate, INC, DEC, LEA of base plus a
 * displacement, all 64-bit. An array walk's pointer moves so between the
 * accesses off it, which then still share one probe. */
static bool base_moves(const struct insn *in, const struct slot *s, unsigned base, int64_t *by)
{
	const struct operand *dst = &in->op[0], *src = &in->op[1];

	*by = 0;
	if (!(s->use.gpr_written & (1u << base)))
		return true;
	if (in->opsize != 8 || dst->kind != OK_REG || dst->reg != base || (in->flags & INSN_LOCK))
		return false;
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_ADD:
	case ZYDIS_MNEMONIC_SUB:
		if (in->nops != 2 || src->kind != OK_IMM)
			return false;
		*by = in->mnemonic == ZYDIS_MNEMONIC_ADD ? (int64_t)src->imm : -(int64_t)src->imm;
		return true;
	case ZYDIS_MNEMONIC_INC:
	case ZYDIS_MNEMONIC_DEC:
		*by = in->mnemonic == ZYDIS_MNEMONIC_INC ? 1 : -1;
		return in->nops == 1;
	case ZYDIS_MNEMONIC_LEA:
		*by = src->disp;
		return in->addrsize == 8 && src->kind == OK_MEM && src->base == base && src->index == NOREG;
	default:
		return false;
	}
}

/* What instruction k of the run keeps from being a probe group's delta
 * register: what the run holds there, what k uses. */
static uint16_t busy_at(const struct run_plan *run, const struct slot *slot, unsigned k)
{
	return (uint16_t)(run->regs_held[k - run->first] | run->pinned | (k < run->loop_end ? run->loop_pinned : 0) |
			  slot[k].use.gpr_read | slot[k].use.gpr_written);
}

/* A delta register none of busy: not RAX either, which the flags' ways in
 * and out use; H_NONE when there is none. */
static int delta_reg(uint16_t busy)
{
	return unused_host_reg((uint16_t)(busy | 1u << H_RAX));
}

/* Whether every member of g (leader included), at[j - leader] from the
 * leader's base and so at[..] - lo from the span's start, encodes against its
 * delta. */
static bool group_encodes(const struct slot *slot, const struct probe_group *g, uint64_t members, const int64_t *at,
			  int64_t lo)
{
	uint8_t probe[16];

	for (unsigned j = g->leader; j <= g->last; j++)
		if ((j == g->leader || (members & (1ull << (j - g->leader)))) &&
		    !ident_encode_mem_at(&slot[j].mem, g->delta, IDENT_NO_INDEX, (int32_t)(at[j - g->leader] - lo),
					 probe))
			return false;
	return true;
}

/* The delta registers of groups[first, n) in use at instruction k. */
static uint16_t deltas_at(const struct probe_group *groups, unsigned first, unsigned n, unsigned k)
{
	uint16_t d = 0;

	for (unsigned h = first; h < n; h++)
		if (groups[h].leader <= k && k <= groups[h].last)
			d |= (uint16_t)(1u << groups[h].delta);
	return d;
}

/* Finds the run's probe groups (struct probe_group), appending them to
 * groups[*ngroups]. Each keeps its delta in a register free from its
 * leader to its last member (delta_reg of what they keep busy, and the
 * deltas of the groups it nests in): one the run does not use, or a guest
 * register it does not hold there (its value not loaded yet, or no longer
 * read). */
static void plan_groups(const struct run_plan *run, struct slot *slot, const struct insn *insns, uint64_t no_group,
			struct probe_group *groups, unsigned *ngroups)
{
	const unsigned first_group = *ngroups;

	for (unsigned i = run->first; i < run->last; i++) {
		const struct ident_use *u = &slot[i].use;
		struct probe_group g = { .leader = i, .last = i, .write = u->mem_write };
		int64_t lo = u->mem_disp, hi = (int64_t)u->mem_disp + u->mem_size;
		int64_t moved = 0, by; /* the base since the leader */
		uint64_t members = 0;  /* bit j - i */
		int64_t at[64];	       /* member j's offset from the base at the leader */
		uint16_t busy = (uint16_t)(busy_at(run, slot, i) | deltas_at(groups, first_group, *ngroups, i));
		uint16_t busy_to_last = busy;

		if (slot[i].group_role != GROUP_NONE || !groupable(u) || delta_reg(busy) == H_NONE ||
		    (no_group & (1ull << i)))
			continue;
		at[0] = u->mem_disp;
		for (unsigned j = i + 1; j < run->last && j - i < 64; j++) {
			const struct ident_use *v = &slot[j].use;
			int64_t vlo, vhi;

			/* A side exit taken in the group leaves the block (its
			 * slow path too: the core's Jcc says to leave). */
			if (!base_moves(&insns[j - 1], &slot[j - 1], u->mem_base, &by) ||
			    (u->mem_index != NOREG && (slot[j - 1].use.gpr_written & (1u << u->mem_index))) ||
			    (v->branch && !(insns[j].flags & INSN_SIDE_EXIT)))
				break;
			busy |= (uint16_t)(busy_at(run, slot, j) | deltas_at(groups, first_group, *ngroups, j));
			moved += by;
			if (moved > GROUP_SPAN_MAX || moved < -GROUP_SPAN_MAX || delta_reg(busy) == H_NONE)
				break;
			vlo = moved + v->mem_disp;
			vhi = vlo + v->mem_size;
			if (slot[j].group_role != GROUP_NONE || !groupable(v) || !same_registers(u, v) ||
			    (vhi > hi ? vhi : hi) - (vlo < lo ? vlo : lo) > GROUP_SPAN_MAX)
				continue;
			members |= 1ull << (j - i);
			at[j - i] = vlo;
			lo = vlo < lo ? vlo : lo;
			hi = vhi > hi ? vhi : hi;
			g.write |= v->mem_write;
			g.last = j;
			busy_to_last = busy;
		}
		if (!members)
			continue;
		g.delta = (enum host_reg)delta_reg(busy_to_last);
		if (!group_encodes(slot, &g, members, at, lo))
			continue;
		add_group(slot, &g, members, lo, hi, groups, ngroups);
		for (unsigned j = 0; j <= g.last - i; j++)
			if (j == 0 || (members & (1ull << j)))
				slot[i + j].group_off = (int32_t)(at[j] - lo);
	}
}

/* A stack access that can be a stack group's member: *disp is its offset
 * from RSP as it is before it. */
static bool stack_member(const struct slot *s, int32_t *disp)
{
	const struct ident_use *u = &s->use;
	uint8_t probe[16];

	if (!u->mem || u->mem_base != GPR_RSP || u->mem_index != NOREG || u->mem_seg == SREG_FS ||
	    u->mem_seg == SREG_GS || u->branch || u->simd)
		return false;
	if (u->stack) {
		*disp = u->stack > 0 ? -8 : 0;
		return true;
	}
	*disp = u->mem_disp;
	return ident_encode_mem_at(&s->mem, H_R11, H_R10, u->mem_disp, probe) != 0;
}

/* How much an instruction the stack groups may span moves RSP; false if it
 * moves it otherwise (RSP as a register operand). */
static bool stack_moves(const struct slot *s, int64_t *by)
{
	const struct ident_use *u = &s->use;

	if (u->rsp_reg && u->rsp_written)
		return false;
	*by = u->stack > 0 ? -8 : u->stack < 0 ? 8 + (int64_t)u->ret_pop : 0;
	return true;
}

/* The run's stack groups (after plan_groups, whose groups they may
 * overlap: another delta register). */
static void plan_stack_groups(const struct run_plan *run, struct slot *slot, const struct insn *insns,
			      uint64_t no_group, struct probe_group *groups, unsigned *ngroups)
{
	uint16_t others = 0; /* the deltas of plan_groups' groups, which these may overlap */

	for (unsigned k = run->group_first; k < *ngroups; k++)
		others |= (uint16_t)(1u << groups[k].delta);
	for (unsigned i = run->first; i < run->last; i++) {
		struct probe_group g = { .leader = i, .last = i, .stack = true };
		int64_t lo, hi, rsp = 0, by;
		int32_t disp;
		uint64_t members = 0;
		uint16_t busy = (uint16_t)(others | busy_at(run, slot, i)), busy_to_last = busy;

		/* Not led by a followed RET, whose compare wants the popped value
		 * where a leader's probe leaves the delta. */
		if (slot[i].group_role != GROUP_NONE || (slot[i].followed && slot[i].use.stack < 0) ||
		    !stack_member(&slot[i], &disp) || delta_reg(busy) == H_NONE || (no_group & (1ull << i)))
			continue;
		lo = disp;
		hi = (int64_t)disp + slot[i].use.mem_size;
		g.write = slot[i].use.mem_write;
		if (!stack_moves(&slot[i], &by))
			continue;
		rsp += by;
		for (unsigned j = i + 1; j < run->last && j - i < 64; j++) {
			const struct slot *v = &slot[j];
			int64_t vlo, vhi;

			if (v->use.branch && !(insns[j].flags & INSN_SIDE_EXIT))
				break;
			busy |= busy_at(run, slot, j);
			if (delta_reg(busy) == H_NONE)
				break;
			if (v->group_role == GROUP_NONE && stack_member(v, &disp)) {
				vlo = rsp + disp;
				vhi = vlo + v->use.mem_size;
				if ((vhi > hi ? vhi : hi) - (vlo < lo ? vlo : lo) <= GROUP_SPAN_MAX) {
					members |= 1ull << (j - i);
					lo = vlo < lo ? vlo : lo;
					hi = vhi > hi ? vhi : hi;
					g.write |= v->use.mem_write;
					g.last = j;
					busy_to_last = busy;
				}
			}
			if (!stack_moves(v, &by))
				break;
			rsp += by;
		}
		if (!members)
			continue;
		g.delta = (enum host_reg)delta_reg(busy_to_last);
		add_group(slot, &g, members, lo, hi, groups, ngroups);
		i = g.last;
	}
}

/* A loop whose stack accesses all sit at the same offsets from RSP every
 * round — RSP moved only by PUSH, POP, followed CALLs and RETs, and back
 * where it started at each way back — has them all in one stack group
 * probed at the run's start (emit_hoisted_probe) instead of every round:
 * a round's probes were a third of busybox head's byte loop, which calls
 * putc and getc. Its delta, a register free all round the loop, is held
 * there. Only with RSP in a host register (plan_rsp), so that nothing else
 * moves it. Where the probe misses, the run's cold copy (plan_cold_copy)
 * runs instead, probing every round as before. */
static void plan_hoisted_stack(struct run_plan *run, struct slot *slot, const struct insn *insns,
			       struct probe_group *groups, unsigned *ngroups)
{
	struct probe_group g = { .stack = true, .hoisted = true, .leader = run->loop_end };
	int64_t rsp = 0, lo = 0, hi = 0, by;
	uint64_t members = 0; /* bit j: instruction first + j */
	uint16_t busy = 0;
	int32_t disp;
	int delta;

	if (!run->loops || run->rsp_host == H_NONE || run->loop_end - run->first > 64)
		return;
	for (unsigned i = run->first; i < run->loop_end; i++) {
		const struct slot *v = &slot[i];

		busy |= busy_at(run, slot, i);
		if (stack_member(v, &disp)) {
			if (!members || rsp + disp < lo)
				lo = rsp + disp;
			if (!members || rsp + disp + v->use.mem_size > hi)
				hi = rsp + disp + v->use.mem_size;
			g.write |= v->use.mem_write;
			g.leader = g.leader < i ? g.leader : i;
			g.last = i;
			members |= 1ull << (i - run->first);
		} else if (v->use.mem && v->use.mem_base == GPR_RSP) {
			return; /* one that cannot be a member (an index): its own probe */
		}
		if (!stack_moves(v, &by))
			return;
		rsp += by;
		if (branches_to_run_start(run, v, &insns[i]) && rsp != 0)
			return;
	}
	delta = delta_reg(busy);
	if (!members || hi - lo > GROUP_SPAN_MAX || delta == H_NONE)
		return;
	g.delta = (enum host_reg)delta;
	run->hoisted = (int)*ngroups;
	run->loop_pinned = (uint16_t)(1u << delta);
	add_group(slot, &g, members >> (g.leader - run->first), lo, hi, groups, ngroups);
	slot[g.leader].group_role = GROUP_MEMBER; /* no leader: the run's start probes */
}

/* Whether instruction k (in) leaves its destination register holding a
 * byte: MOVZX of an 8-bit operand into 32 or 64 bits (which zero the rest). */
static bool writes_a_byte(const struct insn *in)
{
	return in->mnemonic == ZYDIS_MNEMONIC_MOVZX && in->nops == 2 && in->op[0].kind == OK_REG &&
	       in->op[0].size >= 4 && in->op[1].size == 1;
}

/* A loop that reads a table at [base + index << scale + disp], the base
 * unchanged by the loop and the index made a byte (writes_a_byte) earlier in
 * the same round and not changed since — a CRC's or a cipher's lookup — has
 * it probed once at the run's start for all 256 entries (at most 2 KiB and
 * some: one probe when they lie in one page) instead of every round, its
 * delta held round the loop, as a hoisted stack group's is. A probe that
 * misses (the table on two pages, MMIO, a page not mapped yet) runs the
 * run's cold copy, which probes every round. The first such lookup only.
 * The probe runs before the run's registers are loaded, so it reads the
 * base from the soft CPU. */
static void plan_hoisted_table(struct run_plan *run, struct slot *slot, const struct insn *insns,
			       struct probe_group *groups, unsigned *ngroups)
{
	uint16_t busy = run->loop_pinned, written = 0;
	uint8_t probe[16];
	int delta;

	if (!run->loops || run->loop_end - run->first > 64)
		return;
	for (unsigned k = run->first; k < run->loop_end; k++) {
		busy |= busy_at(run, slot, k);
		written |= slot[k].use.gpr_written;
	}
	delta = delta_reg(busy);
	if (delta == H_NONE)
		return;
	for (unsigned i = run->first; i < run->loop_end; i++) {
		const struct ident_use *u = &slot[i].use;
		int maker = -1;
		struct probe_group g = { .hoisted = true, .table = true, .leader = i, .last = i };

		/* (A base that is the index too is written: by the MOVZX.) */
		if (slot[i].group_role != GROUP_NONE || !groupable(u) || u->mem_write || u->mem_index == NOREG ||
		    (written & (1u << u->mem_base)))
			continue;
		for (unsigned k = run->first; k < i; k++)
			if (slot[k].use.gpr_written & (1u << u->mem_index))
				maker = (int)k;
		if (maker < 0 || !writes_a_byte(&insns[maker]) || insns[maker].op[0].reg != u->mem_index ||
		    !ident_encode_mem_scaled(&slot[i].mem, (unsigned)delta, u->mem_index, u->mem_scale, 0, probe))
			continue;
		g.delta = (enum host_reg)delta;
		g.min_disp = u->mem_disp;
		g.span = (uint16_t)((255u << u->mem_scale) + u->mem_size);
		run->hoisted_table = (int)*ngroups;
		run->loop_pinned |= (uint16_t)(1u << delta);
		groups[(*ngroups)++] = g;
		slot[i].group_role = GROUP_MEMBER; /* no leader: the run's start probes */
		slot[i].group = (uint8_t)run->hoisted_table;
		return;
	}
}

/* Each group's slow_last: its last member, or the slow_last of a group
 * whose leader lies within its reach, whichever is later. */
static void plan_slow_reach(struct probe_group *groups, unsigned first, unsigned n)
{
	for (unsigned k = first; k < n; k++)
		groups[k].slow_last = groups[k].last;
	for (bool moved = true; moved;) {
		moved = false;
		for (unsigned k = first; k < n; k++)
			for (unsigned h = first; h < n; h++) {
				if (h == k || groups[h].hoisted || groups[k].hoisted ||
				    groups[h].leader <= groups[k].leader || groups[h].leader > groups[k].slow_last ||
				    groups[h].slow_last <= groups[k].slow_last)
					continue;
				groups[k].slow_last = groups[h].slow_last;
				moved = true;
			}
	}
}

/* A loop whose vector instructions are all legacy SSE (low halves only)
 * holds the registers they use in host registers all the way round, as it
 * does its general registers (plan_loop): loaded before its start, stored on
 * its ways out (side exits, the way out when kicked, the fall-through, the
 * slow paths before the core runs, which load them again after) and where
 * the run goes on past the loop; the way back loads and stores none. Not
 * with probe groups or followed instructions, whose slow paths and ways out
 * go elsewhere. */
static void plan_vector_loop(struct run_plan *run, const struct slot *slot)
{
	uint16_t used = 0, written = 0;

	if (!run->loops || run->hoisted >= 0 || run->group_first != run->group_end)
		return;
	for (unsigned i = run->first; i < run->last; i++) {
		const struct ident_use *u = &slot[i].use;

		if (slot[i].followed)
			return;
		if (i >= run->loop_end || !u->simd)
			continue;
		if (u->ymm || u->wide || u->zero_upper)
			return;
		used |= u->vec_used; /* vec_written among them */
		written |= u->vec_written;
	}
	run->vec_held = used;
	run->vec_held_written = written;
}

/* A loop's way back without touching the flags (emit_loop_back): the count
 * added by MOV, LEA and MOV, then a JMP through cpu->loop_way indexed by
 * `kicked`, set as the run starts (emit_way_setup). The flags the round
 * ends with stay in host RFLAGS for the next: a way back where host RFLAGS
 * holds all six takes it. That suits the code after the loop's start if it
 * loads the flags there (flags_loaded), or if it writes all six before
 * anything would read them from the soft CPU (a memory instruction's slow
 * path, a way out); with one probe before that, the flags are loaded at the
 * start instead (that probe then saves them, three instructions where the
 * old way back spent seven storing and reloading them each round). The
 * register: one the loop leaves alone and the run does not load at its
 * start (code after the loop may use it), not the hoisted stack group's
 * delta (a probe group's may be: the way back leaves its span). In busybox's
 * head and sha256 loops the way back was twelve host instructions of 64 to
 * 120 a round. */
static void plan_way_back(struct run_plan *run, const struct slot *slot)
{
	uint16_t written = 0, taken = (uint16_t)(run->regs_loaded | run->pinned | run->loop_pinned);
	unsigned probes = 0; /* memory instructions with a slow path before all six are written */
	int t;

	if (!run->loops)
		return;
	for (unsigned i = run->first; i < run->loop_end; i++)
		taken |= (uint16_t)(slot[i].use.gpr_read | slot[i].use.gpr_written);
	t = unused_host_reg(taken);
	if (t == H_NONE)
		return;
	for (unsigned i = run->first; !run->flags_loaded && i < run->loop_end && written != ARITH; i++) {
		const struct ident_use *u = &slot[i].use;

		if (u->branch)
			return; /* a way out before: the soft CPU's flags must be the round's */
		if (u->mem && slot[i].group_role != GROUP_MEMBER)
			probes++;
		written |= u->flags_written;
	}
	if (!run->flags_loaded && (written != ARITH || probes > 1))
		return;
	if (probes)
		run->flags_loaded = true;
	run->way_temp = t;
}

/* A member of a probe group (or its leader, once probed) against [base +
 * delta + disp]. */
static void emit_group_member(struct emitter *e, const struct slot *slot, const struct probe_group *g)
{
	uint8_t rewritten[16];
	unsigned n = g->table ? ident_encode_mem_scaled(&slot->mem, g->delta, slot->use.mem_index, slot->use.mem_scale,
							0, rewritten)
			      : ident_encode_mem_at(&slot->mem, g->delta, IDENT_NO_INDEX, slot->group_off, rewritten);

	if (!n)
		e->overflow = true; /* checked by plan_groups: cannot happen */
	emit_bytes(e, rewritten, n);
}

/* A member of a stack group (or its leader, once probed) of run, with t and
 * t2 free: RSP (rsp_in, through t), the access against [RSP + delta +
 * disp], RSP moved after a PUSH or POP (LEA: no flags). A followed CALL
 * pushes its return address, insn_end, as an imm32 or through t2. */
static void emit_stack_member(struct emitter *e, const struct run_plan *run, const struct slot *slot,
			      const struct probe_group *g, uint64_t insn_end, enum host_reg t, enum host_reg t2)
{
	const struct ident_use *u = &slot->use;
	const enum host_reg rsp = rsp_in(e, run, t);
	uint8_t rewritten[16];
	unsigned n;

	if (!u->stack) {
		n = ident_encode_mem_at(&slot->mem, rsp, g->delta, u->mem_disp, rewritten);
		if (!n)
			e->overflow = true; /* checked by plan_stack_groups: cannot happen */
		emit_bytes(e, rewritten, n);
		return;
	}
	if (u->stack > 0 && slot->followed && fits_imm32(insn_end)) {
		emit_op64_mem_bi_imm32(e, 0xc7, 0, rsp, g->delta, -8, (int32_t)insn_end); /* MOV [..], imm32 */
	} else if (u->stack > 0) {
		enum host_reg v = (enum host_reg)u->stack_reg;

		if (slot->followed) {
			emit_mov_imm64(e, t2, insn_end);
			v = t2;
		}
		emit_op64_mem_bi(e, 0x89, v, rsp, g->delta, -8); /* MOV [rsp + delta - 8], v */
	} else {
		emit_op64_mem_bi(e, 0x8b, (enum host_reg)u->stack_reg, rsp, g->delta, 0); /* MOV reg, [rsp + delta] */
	}
	emit_rsp_move(e, run, rsp, u->stack > 0 ? -8 : 8);
}

/* A jump (JA rel32, to patch) taken when the address in reg is not
 * canonical: bits 63..47 not all equal (SDM vol. 1, 3.3.7.1). Clobbers tmp
 * and the flags. */
static uint8_t *emit_jump_if_noncanonical(struct emitter *e, enum host_reg reg, enum host_reg tmp)
{
	emit_mov_rr(e, tmp, reg);
	emit_sar_imm(e, tmp, 47);
	emit_lea(e, tmp, tmp, H_NONE, 0, 1); /* canonical: 0 or 1 */
	emit_cmp_imm8(e, tmp, 1);
	return emit_jcc(e, CC_A, emit_here(e));
}

/* icount += n, as the core's step counts (clobbers the flags); nothing when
 * the translation is uncounted. */
static void emit_count(struct emitter *e, const struct translate_env *env, unsigned n)
{
	if (!env->uncounted)
		emit_gs_add64_imm32(e, GS_OFF(icount), (int32_t)n);
}

/* The core runs br (at br_lin), the last of a run's n instructions, from
 * the state as at it: RIP and the count moved to br first (registers and
 * flags are in the soft CPU already). */
static void emit_core_runs_branch(struct emitter *e, const struct translate_env *env, const struct insn *br,
				  uint64_t br_lin, unsigned n, const uint8_t *out)
{
	emit_set_rip(e, br_lin, H_RAX);
	if (n > 1)
		emit_count(e, env, n - 1);
	emit_callout(e, env, br, out);
}

/* The end of a run whose last instruction is CALL rel32 or RET: the state as
 * at the branch goes back into the soft CPU first (the probe clobbers the
 * flags, and every way on leaves the block). On a TLB hit with a canonical
 * target, the return address moves through host memory, RSP and RIP are
 * updated, and CALL goes on through a link site, RET through the lookup;
 * anything else (a miss, a fault, a non-canonical target) is the core's
 * CALL or RET, with the state as at it. */
static void emit_call_ret_end(struct emitter *e, const struct translate_env *env, const struct insn *insns,
			      const struct slot *slot, const struct run_plan *run, const struct translate_exits *x,
			      uint16_t host_valid)
{
	const struct insn *br = &insns[run->last - 1];
	const struct ident_use *u = &slot[run->last - 1].use;
	const uint64_t br_lin = slot[run->last - 1].lin;
	/* Every guest value is in the soft CPU by the probe: any register will do. */
	const struct scratch sc = { .r = { H_RAX, H_RCX, H_RDX } };
	const enum host_reg a = sc.r[0], target = sc.r[1], tmp = sc.r[2];
	unsigned n = run->last - run->first;
	uint64_t next = br_lin + br->len; /* the return address */
	struct slow_path p = { 0 };
	uint8_t *noncanonical = NULL;

	emit_store_run_regs(e, run, run->regs_written);
	if (run->flags_written)
		emit_flags_out(e, host_valid);
	if (u->call && !is_canonical(next + (uint64_t)(int64_t)u->rel)) {
		/* The core's CALL raises the #GP, from the state as at it. */
		emit_core_runs_branch(e, env, br, br_lin, n, x->out);
		emit_jmp(e, x->next);
		return;
	}
	emit_probe(e, env, &sc, u, next, &p, H_NONE, H_NONE); /* RSP is stored */
	if (u->call) {
		emit_mov_imm64(e, tmp, next);
		emit_store_mem(e, a, tmp);
	} else {
		emit_load_mem(e, target, a);
		noncanonical = emit_jump_if_noncanonical(e, target, tmp);
	}
	/* The flags are stored: ADD may clobber them. */
	emit_gs_add64_imm32(e, GS_OFF(gpr[GPR_RSP]), u->call ? -8 : 8 + u->ret_pop);
	if (u->call)
		emit_set_rip(e, next + (uint64_t)(int64_t)u->rel, tmp);
	else
		emit_gs_store64(e, GS_OFF(rip), target);
	emit_count(e, env, n);
	if (u->call)
		emit_static_exit(e, env, x, next + (uint64_t)(int64_t)u->rel);
	else
		emit_jmp(e, target == H_RCX ? x->next_rcx : x->next);
	/* The core's CALL or RET, from the state as at it. */
	patch_here(e, p.jump);
	if (noncanonical)
		patch_here(e, noncanonical);
	emit_core_runs_branch(e, env, br, br_lin, n, x->out);
	emit_jmp(e, x->next);
}

/* The way out to rip, known here, after n instructions of the run (the
 * registers and flags stored): RIP and the count, then on as a block's end
 * goes. */
static void emit_leave_to(struct emitter *e, const struct translate_env *env, const struct translate_exits *x,
			  uint64_t rip, unsigned n)
{
	emit_set_rip(e, rip, H_RCX);
	emit_count(e, env, n);
	emit_static_exit(e, env, x, rip);
}

/* The way out of a taken JMP or Jcc br (at br_lin), the n-th instruction of
 * its run, once the
 * registers and flags are in the soft CPU: RIP and the count moved to the
 * target, on to the block there; a target that is not canonical raises #GP
 * in the core (SDM vol. 2, Jcc). Lockstep (one block per entry) also says the
 * block was left, as the core's branch does for a side exit. */
static void emit_taken_exit(struct emitter *e, const struct translate_env *env, const struct insn *br, int32_t rel,
			    uint64_t br_lin, unsigned n, const struct translate_exits *x)
{
	uint64_t target = br_lin + br->len + (uint64_t)(int64_t)rel;

	if (env->one_block_per_entry && (br->flags & INSN_SIDE_EXIT))
		emit_gs_mov8_imm(e, GS_OFF(leave_block), 1);
	if (!is_canonical(target)) {
		/* The core's branch raises the #GP, with the state as at the branch. */
		emit_core_runs_branch(e, env, br, br_lin, n, x->out);
		emit_jmp(e, x->out);
		return;
	}
	emit_leave_to(e, env, x, target, n);
}

/* A Jcc inside the block (INSN_SIDE_EXIT) whose run goes on after it: taken,
 * it jumps to code after the main line (emit_side_exit) that stores what the
 * run holds and leaves; not taken, the run goes on holding everything. */
struct side_exit {
	unsigned insn;
	const struct run_plan *run;
	uint8_t *jump;		/* the Jcc rel32 to patch (writable view) */
	uint16_t host_valid;	/* flags host RFLAGS holds at the Jcc */
	uint16_t flags_written; /* by the run before the Jcc */
	/* Not a Jcc: a followed RET that pops another return address than the
	 * predicted, into sc.r[1] (emit_ret_elsewhere); its probe's scratch,
	 * and its slow path. */
	bool ret;
	struct scratch sc;
	unsigned slow;
	/* The RET's compare read the return address from [ret_base + ret_index]
	 * (H_NONE: none) itself, without bringing it into sc.r[1]. */
	int ret_base, ret_index;
	const uint8_t *warm; /* the run's code after its loads: where a branch back to its start goes */
};

/* Whether the soft CPU's flags may be older than the guest's at a way out
 * before the run has written any flag: a loop's flag-free way back
 * (plan_way_back) leaves the round's flags in host RFLAGS only, so a way
 * out of a later round that stores none would leave with those the run
 * began with. Such a run loads the flags at its start or writes all six
 * before its first way out, so host RFLAGS and cpu->saved_flags hold them
 * whole at every way out. */
static bool soft_cpu_flags_stale(const struct run_plan *run)
{
	return run->way_temp != H_NONE;
}

/* A followed RET whose popped address (in p->sc.r[1]) is not the predicted
 * one (a retpoline's is never): the RET goes on through the lookup, as one
 * that ends a block does, the state as after it; a target that is not
 * canonical is the core's RET (its slow path), which raises the #GP. */
static void emit_ret_elsewhere(struct emitter *e, const struct translate_env *env, const struct slot *slot,
			       const struct side_exit *p, const struct slow_path *slow, const struct translate_exits *x)
{
	const struct run_plan *run = p->run;
	uint8_t *noncanonical;

	patch_here(e, p->jump);
	if (p->ret_base != H_NONE)
		emit_op64_mem_bi(e, 0x8b, p->sc.r[1], (enum host_reg)p->ret_base, (enum host_reg)p->ret_index, 0);
	noncanonical = emit_jump_if_noncanonical(e, p->sc.r[1], p->sc.r[2]);
	if (!emit_patch_rel32(noncanonical, e->rx + (noncanonical - e->buf), slow[p->slow].code))
		e->overflow = true;
	emit_gs_store64(e, GS_OFF(rip), p->sc.r[1]);
	emit_give_back(e, &p->sc);
	emit_store_run_regs(e, run, written_before(slot, run, p->insn));
	/* The probe saved the flags the run wrote; the soft CPU has the rest,
	 * unless a flag-free way back went round (soft_cpu_flags_stale). */
	if (p->flags_written || soft_cpu_flags_stale(run))
		emit_flags_out(e, 0);
	emit_gs_add64_imm32(e, GS_OFF(gpr[GPR_RSP]), 8);
	emit_count(e, env, p->insn - run->first + 1);
	if (env->one_block_per_entry)
		emit_gs_mov8_imm(e, GS_OFF(leave_block), 1);
	emit_jmp(e, x->next);
}

/* A branch back to the first instruction of a run that loops (plan_loop),
 * taken after n of its instructions, host RFLAGS holding the flags in
 * host_valid: what comes before the run in the block does not run again, RIP
 * is still at the run's start, and the registers stay where they are; only
 * the flags go to the soft CPU (a slow path of the next round may want them),
 * through RAX and, to merge, RCX, kept meanwhile in a register the run does
 * not use or in their soft-CPU slots. A kick (the only event that can arrive
 * while translated code runs) leaves with every register stored. */
static void emit_loop_back(struct emitter *e, const struct translate_env *env, const struct run_plan *run,
			   uint16_t host_valid, unsigned n, const uint8_t *warm, const struct translate_exits *x)
{
	uint16_t through = 0; /* the run's registers the flags go through */
	uint16_t parked;      /* those of them waiting in their soft-CPU slots */
	int keep_rax = H_NONE;
	uint8_t *kicked;

	if (run->way_temp != H_NONE && host_valid == ARITH) {
		const enum host_reg t = (enum host_reg)run->way_temp;

		if (!env->uncounted) {
			emit_gs_load64(e, t, GS_OFF(icount));
			emit_lea(e, t, t, H_NONE, 0, (int32_t)n);
			emit_gs_store64(e, GS_OFF(icount), t);
		}
		_Static_assert(sizeof(((struct soft_cpu *)0)->kicked) >= 2, "read as a word, 0 or 1");
		emit_gs_load16_zx(e, t, GS_OFF(kicked));
		emit_gs_jmp_indexed(e, t, GS_OFF(loop_way));
		return;
	}
	if (run->flags_written)
		through = (uint16_t)(1u << H_RAX | (host_valid != ARITH ? 1u << H_RCX : 0));
	else if (run->flags_loaded)
		through = 1u << H_RAX;
	through &= run->regs_loaded;
	if (through & (1u << H_RAX))
		keep_rax = unused_host_reg((uint16_t)(run->regs_used | run->pinned | run->loop_pinned | 1u << H_RCX));
	parked = keep_rax != H_NONE ? (uint16_t)(through & ~(1u << H_RAX)) : through;
	if (keep_rax != H_NONE)
		emit_mov_rr(e, (enum host_reg)keep_rax, H_RAX);
	emit_store_regs(e, parked);
	if (run->flags_written) {
		emit_flags_to_ax(e);
		emit_flags_merge_store_ax(e, host_valid);
	}
	emit_count(e, env, n);
	emit_gs_cmp8_imm(e, GS_OFF(kicked), 0);
	kicked = emit_jcc(e, CC_NE, emit_here(e));
	if (run->flags_loaded) {
		/* The soft CPU's flags are a host image here: stored above, and
		 * still in AX (loading what was just stored waited for the store
		 * to forward, on the way round's critical path: the ADD after that
		 * load drew the fourth most samples in head's byte loop), or loaded
		 * at the run's start and kept so by the slow paths. */
		if (!run->flags_written)
			emit_gs_load16_ax(e, GS_OFF(lf.res));
		emit_flags_from_ax(e);
	}
	if (keep_rax != H_NONE)
		emit_mov_rr(e, H_RAX, (enum host_reg)keep_rax);
	emit_load_regs(e, parked);
	emit_jmp(e, warm);
	patch_here(e, kicked);
	if (keep_rax != H_NONE)
		emit_gs_store64(e, GS_OFF(gpr[GPR_RAX]), (enum host_reg)keep_rax);
	emit_store_run_regs(e, run, run->loop_written & (uint16_t)~through);
	emit_vectors_store(e, run->vec_held_written);
	emit_jmp(e, x->out);
}

static void emit_side_exit(struct emitter *e, const struct translate_env *env, const struct slot *slot,
			   const struct side_exit *p, const struct insn *insns, const struct slow_path *slow,
			   const struct translate_exits *x)
{
	const struct run_plan *run = p->run;

	if (p->ret) {
		emit_ret_elsewhere(e, env, slot, p, slow, x);
		return;
	}
	patch_here(e, p->jump);
	if (run->loops && branches_to_run_start(run, &slot[p->insn], &insns[p->insn])) {
		emit_loop_back(e, env, run, p->host_valid, p->insn - run->first + 1, p->warm, x);
		return;
	}
	if (p->insn < run->loop_end)
		emit_vectors_store(e, run->vec_held_written);
	emit_store_run_regs(e, run, written_before(slot, run, p->insn));
	if (p->flags_written || soft_cpu_flags_stale(run))
		emit_flags_out(e, p->host_valid);
	emit_taken_exit(e, env, &insns[p->insn], slot[p->insn].use.rel, slot[p->insn].lin, p->insn - run->first + 1, x);
}

/* The end of a run whose last instruction is a JMP or Jcc: the flags, RIP and
 * count stored on each way out; a target that is not canonical raises #GP in
 * the core (SDM vol. 2, Jcc); a branch back to the run's first instruction
 * loops inside the host code (emit_loop_back), anything else leaves for the
 * loop. */
static void emit_branch_end(struct emitter *e, const struct translate_env *env, const struct insn *insns,
			    const struct slot *slot, const struct run_plan *run, const uint8_t *run_warm,
			    const struct translate_exits *x, uint16_t host_valid)
{
	const struct insn *br = &insns[run->last - 1];
	const struct ident_use *u = &slot[run->last - 1].use;
	const uint64_t br_lin = slot[run->last - 1].lin;
	unsigned n = run->last - run->first;
	uint8_t *taken = NULL;

	if (run->loops && branches_to_run_start(run, &slot[run->last - 1], br)) {
		if (u->cc != 0xff) {
			taken = emit_jcc(e, (enum host_cc)u->cc, emit_here(e));
			emit_store_run_regs(e, run, run->regs_written);
			emit_vectors_store(e, run->vec_held_written);
			if (run->flags_written)
				emit_flags_out(e, host_valid);
			emit_leave_to(e, env, x, br_lin + br->len, n);
			patch_here(e, taken);
		}
		emit_loop_back(e, env, run, host_valid, n, run_warm, x);
		return;
	}
	emit_store_run_regs(e, run, run->regs_written);
	if (run->flags_written)
		emit_flags_to_ax(e); /* the flags stay for the Jcc */
	if (u->cc != 0xff) {
		taken = emit_jcc(e, (enum host_cc)u->cc, emit_here(e));
		if (run->flags_written)
			emit_flags_merge_store_ax(e, host_valid);
		emit_leave_to(e, env, x, br_lin + br->len, n);
		patch_here(e, taken);
	}
	if (run->flags_written)
		emit_flags_merge_store_ax(e, host_valid);
	emit_taken_exit(e, env, br, u->rel, br_lin, n, x);
}

/* The lockstep test's deliberate bug (translate_env.inject_bug): ADC r/m,
 * imm8 (83 /2) on a register loses its carry, copied as ADD (83 /0). */
static void emit_with_injected_bug(struct emitter *e, const uint8_t *code, unsigned len)
{
	uint8_t bytes[16];
	unsigned op = 0;

	memcpy(bytes, code, len);
	while (op < len && (bytes[op] == 0x66 || (bytes[op] & 0xf0) == 0x40))
		op++;
	if (op + 2 < len && bytes[op] == 0x83 && (bytes[op + 1] & 0xf8) == 0xd0)
		bytes[op + 1] &= 0xc7;
	emit_bytes(e, bytes, len);
}

/* Where a probe (or a followed RET's compare) with slow path p begins: its
 * borrowed scratch lent. It clobbers host RFLAGS, and the slow path needs
 * the guest's flags as before the instruction (a fault saves them): they go
 * to cpu->saved_flags first where host RFLAGS holds any (the main line
 * takes them back only when it reads one before writing it). Returns which
 * flags cpu->saved_flags holds then. */
static uint16_t emit_slow_path_start(struct emitter *e, const struct run_plan *run, struct slow_path *p,
				     uint16_t host_valid, uint16_t saved_valid, uint16_t reserved)
{
	emit_lend(e, &p->sc);
	if (host_valid) {
		emit_flags_save(e, run, &p->sc, host_valid, reserved);
		saved_valid = ARITH;
	}
	p->flags_saved = saved_valid == ARITH;
	return saved_valid;
}

/* A followed RET's return address, at [base + index] (index H_NONE: none),
 * against its prediction: another goes to emit_ret_elsewhere through side
 * exit m, with the address in p->sc.r[1]. CMP clobbers the flags. */
static void emit_ret_check(struct emitter *e, const struct slot *s, const struct run_plan *run,
			   const struct slow_path *p, const struct slow_path *slow, struct side_exit *m,
			   uint16_t flags_written, enum host_reg base, int index)
{
	*m = (struct side_exit){ .insn = p->insn,
				 .run = run,
				 .flags_written = flags_written,
				 .ret = true,
				 .sc = p->sc,
				 .slow = (unsigned)(p - slow),
				 .ret_base = H_NONE,
				 .ret_index = H_NONE };
	if (fits_imm32(s->next)) {
		/* CMP QWORD [base + index], imm32: the popped address is loaded
		 * only on the way elsewhere. */
		emit_op64_mem_bi_imm32(e, 0x81, 7, base, index, 0, (int32_t)s->next);
		m->ret_base = base;
		m->ret_index = index;
	} else {
		emit_op64_mem_bi(e, 0x8b, p->sc.r[1], base, index, 0); /* MOV r1, [base + index] */
		emit_mov_imm64(e, p->sc.r[2], s->next);
		emit_cmp_rr(e, p->sc.r[1], p->sc.r[2]);
	}
	m->jump = emit_jcc(e, CC_NE, emit_here(e)); /* patched to emit_ret_elsewhere */
}

/* Instruction i (u, its bytes code) with RSP as a register operand: on the
 * run's host register for RSP itself when it has one, else on a scratch
 * register RSP moves through (from and back to the host register or the
 * soft CPU). */
static void emit_rsp_operand(struct emitter *e, const struct run_plan *run, unsigned i, const struct ident_use *u,
			     const uint8_t *code, unsigned len, uint16_t reserved)
{
	uint8_t rewritten[16];
	struct scratch sc;
	unsigned n;

	if (run->rsp_host != H_NONE && (n = ident_rewrite_rsp(code, len, (unsigned)run->rsp_host, rewritten))) {
		emit_bytes(e, rewritten, n);
		return;
	}
	sc = pick_scratch(run, i, u, 1, reserved);
	n = ident_rewrite_rsp(code, len, sc.r[0], rewritten);
	if (!n)
		e->overflow = true; /* checked when the slot was made: cannot happen */
	emit_lend(e, &sc);
	if (u->rsp_read && run->rsp_host != H_NONE)
		emit_mov_rr(e, sc.r[0], (enum host_reg)run->rsp_host);
	else if (u->rsp_read)
		emit_gs_load64(e, sc.r[0], GS_OFF(gpr[GPR_RSP]));
	emit_bytes(e, rewritten, n);
	if (u->rsp_written && run->rsp_host != H_NONE)
		emit_mov_rr(e, (enum host_reg)run->rsp_host, sc.r[0]);
	else if (u->rsp_written)
		emit_gs_store64(e, GS_OFF(gpr[GPR_RSP]), sc.r[0]);
	emit_give_back(e, &sc);
}

/* The probe of a hoisted table lookup g (plan_hoisted_table), before the
 * run's registers are loaded: the base from the soft CPU into the delta,
 * which then holds the table's host address. Returns the probe's way to the
 * cold copy. */
static uint8_t *emit_hoisted_table_probe(struct emitter *e, const struct translate_env *env, const struct run_plan *run,
					 const struct probe_group *g, unsigned base)
{
	const struct ident_use span = { .mem = true,
					.mem_size = g->span,
					.mem_seg = SREG_DS,
					.mem_base = (uint8_t)g->delta,
					.mem_index = NOREG,
					.mem_disp = g->min_disp };
	struct scratch sc = { .r = { g->delta } };
	struct slow_path miss = { 0 };

	for (unsigned r = H_RAX, n = 1; n < 3; r++)
		if ((int)r != run->rsp_host && !(run->loop_pinned & (1u << r)) && r != H_RSP)
			sc.r[n++] = (enum host_reg)r;
	emit_gs_load64(e, g->delta, GS_OFF(gpr[base]));
	emit_probe(e, env, &sc, &span, 0, &miss, H_NONE, run->rsp_host);
	return miss.jump;
}

/* The probe of a hoisted stack group g (plan_hoisted_stack), before the
 * run's guest registers and flags are loaded: g->delta for the page of its
 * span from RSP (in run->rsp_host) as the run starts. Returns the JNE of a
 * miss (a page not in the soft TLB, or a span across two pages, which never
 * hits), for translate_run to point at the same run translated without the
 * hoisting (its cold copy), nothing of the run having run. */
/* cpu->loop_way for the run's loop (plan_way_back), just before its warm
 * start, which the first entry goes on into: [0] that start, [1] the way
 * out when kicked (jumped over here), which stores what the loop wrote and
 * the flags, all six in host RFLAGS there, and leaves with RIP at the
 * loop's start. */
static void emit_way_setup(struct emitter *e, const struct run_plan *run, const struct translate_exits *x)
{
	const enum host_reg t = (enum host_reg)run->way_temp;
	uint8_t *over = emit_jmp(e, emit_here(e)), *rel;
	const uint8_t *kicked = emit_label(e);

	emit_store_run_regs(e, run, run->loop_written);
	emit_vectors_store(e, run->vec_held_written);
	if (run->flags_written)
		emit_flags_out(e, ARITH);
	emit_jmp(e, x->out);
	patch_here(e, over);
	rel = emit_lea_rip(e, t);
	if (!emit_patch_rel32(rel, e->rx + (rel - e->buf), kicked))
		e->overflow = true;
	emit_gs_store64(e, GS_OFF(loop_way[1]), t);
	rel = emit_lea_rip(e, t);
	emit_gs_store64(e, GS_OFF(loop_way[0]), t);
	patch_here(e, rel);
}

static uint8_t *emit_hoisted_probe(struct emitter *e, const struct translate_env *env, const struct run_plan *run,
				   const struct probe_group *g)
{
	const struct ident_use span = { .mem = true,
					.mem_write = g->write,
					.mem_size = g->span,
					.mem_seg = SREG_SS,
					.mem_base = GPR_RSP,
					.mem_index = NOREG,
					.mem_disp = g->min_disp };
	struct scratch sc = { .borrowed = 0 };
	struct slow_path miss = { 0 };

	/* No guest register is loaded yet: any three but the delta and RSP's. */
	for (unsigned r = H_RAX, n = 0; n < 3; r++)
		if ((int)r != run->rsp_host && r != (unsigned)g->delta && r != H_RSP)
			sc.r[n++] = (enum host_reg)r;
	emit_probe(e, env, &sc, &span, 0, &miss, g->delta, run->rsp_host);
	return miss.jump;
}

/* Emits the main line of a planned run; its memory instructions' slow paths
 * are appended to slow[*nslow], its side exits to side[*nside]. A run with a
 * hoisted stack group sets cold_jump[0] to its probe's way to the cold copy,
 * one with a hoisted table lookup cold_jump[1]. */
/* An instruction of a run that neither probes nor branches nor takes a
 * label: vector stores may wait across it. */
static bool vectors_may_wait(const struct slot *s)
{
	const struct ident_use *u = &s->use;

	return !u->mem && !u->branch && !u->rsp_reg && !u->lea_base && !s->followed && !u->zero_upper;
}

/* Past a held loop (plan_vector_loop): its registers back to the soft CPU. */
static void emit_vectors_release(struct emitter *e, const struct run_plan *run)
{
	if (!run->vec_held)
		return;
	emit_vectors_store(e, run->vec_held_written);
	vectors_hold(e, 0);
}

/* A probe before instruction i clobbers host RFLAGS, which hold the guest's
 * flags (all six: host_valid). Where the instruction that set them, src, is
 * a compare of registers or immediates (CMP, TEST: no register written, no
 * memory) whose registers the run holds unchanged up to i, running it again
 * sets them again: once after the probe on the main line, and in the slow
 * path before the core runs (emit_slow_path). One instruction, where saving
 * them took three to five on the main line (LAHF, SETO, the store, RAX
 * borrowed) and restoring as many: busybox's getc loop, and a CRC loop,
 * test a register before a load. Returns src, or -1 when that does not
 * hold. The probe's scratch registers must then leave src's alone. */
static int flags_recipe(const struct run_plan *run, const struct slot *slot, int src, unsigned i, uint16_t host_valid)
{
	const struct ident_use *p = src >= 0 ? &slot[src].use : NULL;

	if (!p || host_valid != ARITH || p->flags_written != ARITH || p->gpr_written || p->mem || p->simd ||
	    p->branch || p->rsp_reg || p->stack || p->lea_base || slot[src].followed || !slot[src].code ||
	    (p->gpr_read & run->regs_held[i - run->first]) != p->gpr_read)
		return -1;
	for (unsigned k = (unsigned)src + 1; k < i; k++)
		if (slot[k].use.gpr_written & p->gpr_read)
			return -1;
	return src;
}

static void emit_ident_run(struct emitter *e, const struct translate_env *env, const struct insn *insns,
			   const struct slot *slot, const struct run_plan *run, struct probe_group *groups,
			   struct slow_path *slow, unsigned *nslow, struct side_exit *side, unsigned *nside,
			   const struct translate_exits *x, uint8_t **cold_jump)
{
	const uint8_t *run_warm;
	uint16_t reserved = run->loop_pinned; /* the delta registers of the probe groups under way */
	/* Which of the guest's arithmetic flags host RFLAGS holds, and which
	 * cpu->saved_flags does; once the run has loaded or written a flag, the
	 * two together hold all six (plan_run). */
	uint16_t host_valid = run->flags_loaded ? ARITH : 0, saved_valid = 0, flags_written = 0;
	int flags_src = -1; /* the run's last instruction that wrote flags */
	/* Whether the vector registers held were valid before a probe, and
	 * where it began (emit_vectors_in). */
	bool vec_kept;
	size_t vec_from;

	/* What an earlier run held (a loop ending at its last branch, which
	 * returns without a release) holds no more: the next label voids it. */
	e->vec.held = 0;
	if (run->flags_loaded)
		emit_flags_image(e, env);
	if (run->rsp_host != H_NONE)
		emit_gs_load64(e, (enum host_reg)run->rsp_host, GS_OFF(gpr[GPR_RSP]));
	if (run->hoisted >= 0)
		cold_jump[0] = emit_hoisted_probe(e, env, run, &groups[run->hoisted]);
	if (run->hoisted_table >= 0) {
		const struct probe_group *t = &groups[run->hoisted_table];

		cold_jump[1] = emit_hoisted_table_probe(e, env, run, t, slot[t->leader].use.mem_base);
	}
	if (run->flags_loaded) {
		emit_gs_load16_ax(e, GS_OFF(lf.res));
		emit_flags_from_ax(e);
	}
	emit_load_regs(e, run->regs_loaded);
	emit_vectors_load(e, run->vec_held, 0);
	if (run->way_temp != H_NONE)
		emit_way_setup(e, run, x);
	run_warm = emit_label(e);
	if (run->vec_held) {
		vectors_hold(e, run->vec_held);
		vectors_keep(e, true);
	}
	for (unsigned i = run->first; i < run->last; i++) {
		const struct ident_use *u = &slot[i].use;
		const uint8_t *code = slot[i].code;
		const uint64_t insn_end = slot[i].lin + insns[i].len; /* what RIP-relative operands add to */

		if (i == run->loop_end)
			emit_vectors_release(e, run);
		if (!vectors_may_wait(&slot[i]))
			emit_vectors_flush(e);
		if (u->branch && (insns[i].flags & INSN_SIDE_EXIT)) {
			struct side_exit *p = &side[(*nside)++];

			*p = (struct side_exit){ .insn = i,
						 .run = run,
						 .host_valid = host_valid,
						 .flags_written = flags_written,
						 .warm = run_warm };
			p->jump = emit_jcc(e, (enum host_cc)u->cc, emit_here(e)); /* patched to the side exit */
		} else if (u->call || u->ret) {
			emit_call_ret_end(e, env, insns, slot, run, x, host_valid);
			return;
		} else if (u->branch) {
			emit_branch_end(e, env, insns, slot, run, run_warm, x, host_valid);
			return;
		} else if (u->mem && slot[i].group_role == GROUP_MEMBER) {
			struct probe_group *g = &groups[slot[i].group];

			if (g->stack && slot[i].followed && u->stack < 0) {
				/* A followed RET: its pop compared with the prediction
				 * as a probed one's is (the flags saved first: CMP
				 * clobbers them), a slow path of its own for the core's
				 * #GP when the popped address is not canonical. */
				struct slow_path *p = &slow[(*nslow)++];
				struct side_exit *m = &side[(*nside)++];

				*p = (struct slow_path){ .insn = i, .count = 1, .run = run };
				p->sc = pick_scratch(run, i, u, 3, reserved);
				saved_valid = emit_slow_path_start(e, run, p, host_valid, saved_valid, reserved);
				const enum host_reg rsp = rsp_in(e, run, p->sc.r[0]);

				emit_ret_check(e, &slot[i], run, p, slow, m, flags_written, rsp, g->delta);
				emit_rsp_move(e, run, rsp, 8);
				host_valid = 0;
				if (run->live[i + 1 - run->first] && p->flags_saved) {
					emit_flags_restore(e, run, &p->sc, reserved);
					host_valid = ARITH;
				}
				p->resume = emit_label(e);
				emit_give_back(e, &p->sc);
			} else if (g->stack) {
				/* RSP through the first unless held; a followed CALL's
				 * return address beyond an imm32 through the other. */
				const bool held = run->rsp_host != H_NONE;
				const bool wide = slot[i].followed && u->stack > 0 && !fits_imm32(insn_end);
				const struct scratch sc =
				    pick_scratch(run, i, u, (held ? 0u : 1u) + (wide ? 1u : 0u), reserved);

				emit_lend(e, &sc);
				emit_stack_member(e, run, &slot[i], g, insn_end, sc.r[0], held ? sc.r[0] : sc.r[1]);
				emit_give_back(e, &sc);
			} else {
				emit_group_member(e, &slot[i], g);
			}
			if (i == g->last && !g->hoisted)
				reserved &= (uint16_t) ~(1u << g->delta);
		} else if (u->mem) {
			struct slow_path *p = &slow[(*nslow)++];
			struct probe_group *g = slot[i].group_role == GROUP_LEADER ? &groups[slot[i].group] : NULL;
			/* Not before a followed RET's compare, whose way elsewhere
			 * takes the saved copy. */
			const int recipe = slot[i].followed ? -1 : flags_recipe(run, slot, flags_src, i, host_valid);
			const uint16_t keep = recipe >= 0 ? slot[recipe].use.gpr_read : 0;
			uint8_t rewritten[16];
			unsigned n;

			*p = (struct slow_path){ .insn = i, .count = 1, .run = run };
			if (g) {
				reserved |= (uint16_t)(1u << g->delta);
				p->count = g->slow_last - i + 1;
				g->slow = (unsigned)(p - slow);
			}
			/* A known address needs two (emit_known_probe; the flags save
			 * wants a second beside RAX), and so does a base group's
			 * leader, whose address goes to its delta. */
			p->sc = pick_scratch(
			    run, i, u, (g && !g->stack) || (!g && address_known(u, insn_end, &(uint64_t){ 0 })) ? 2 : 3,
			    reserved | keep);
			vec_kept = vectors_valid(e);
			vec_from = e->pos;
			if (recipe >= 0) {
				p->recipe = slot[recipe].code;
				p->recipe_len = insns[recipe].len;
				emit_lend(e, &p->sc);
			} else {
				saved_valid = emit_slow_path_start(e, run, p, host_valid, saved_valid, reserved);
			}
			if (g) {
				struct ident_use span = *u;

				span.mem_disp = g->min_disp;
				span.mem_size = g->span;
				span.mem_write = g->write;
				if (g->stack) {
					emit_probe(e, env, &p->sc, &span, insn_end, p, g->delta, run->rsp_host);
				} else {
					/* The span's host address, into the delta. */
					const struct scratch to_delta = { .r = { g->delta, p->sc.r[0], p->sc.r[1] } };

					emit_probe(e, env, &to_delta, &span, insn_end, p, H_NONE, run->rsp_host);
				}
			} else {
				emit_probe(e, env, &p->sc, u, insn_end, p, H_NONE, run->rsp_host);
			}
			if (slot[i].followed && u->stack < 0) {
				/* Before the flags come back: CMP clobbers them. */
				emit_ret_check(e, &slot[i], run, p, slow, &side[(*nside)++], flags_written, p->sc.r[0],
					       H_NONE);
			}
			host_valid = 0;
			if (recipe >= 0) {
				/* Always: nothing holds the flags but host RFLAGS. */
				emit_bytes(e, p->recipe, p->recipe_len);
				host_valid = ARITH;
			} else if ((u->flags_read | (run->live[i + 1 - run->first] & ~u->flags_written)) &&
				   p->flags_saved) {
				emit_flags_restore(e, run, &p->sc, reserved);
				host_valid = ARITH;
			}
			/* The vector registers held before the probe still are:
			 * its joins come from the probe alone. */
			if (e->label_pos >= vec_from)
				vectors_keep(e, vec_kept);
			if (g && g->stack) {
				emit_stack_member(e, run, &slot[i], g, insn_end, p->sc.r[0], p->sc.r[1]);
			} else if (g) {
				emit_group_member(e, &slot[i], g); /* resumes after the last member */
			} else if (u->stack) {
				/* PUSH / POP as a store or load (a followed CALL pushes
				 * its return address; a followed RET's pop is compared
				 * above), then RSP moves (LEA: no flags). */
				if (slot[i].followed && u->stack > 0 && fits_imm32(insn_end)) {
					emit_op64_mem_bi_imm32(e, 0xc7, 0, p->sc.r[0], H_NONE, 0, (int32_t)insn_end);
				} else if (slot[i].followed && u->stack > 0) {
					emit_mov_imm64(e, p->sc.r[1], insn_end);
					emit_store_mem(e, p->sc.r[0], p->sc.r[1]);
				} else if (u->stack > 0) {
					emit_store_mem(e, p->sc.r[0], (enum host_reg)u->stack_reg);
				} else if (!slot[i].followed) {
					emit_load_mem(e, (enum host_reg)u->stack_reg, p->sc.r[0]);
				}
				emit_rsp_move(e, run, rsp_in(e, run, p->sc.r[1]), u->stack > 0 ? -8 : 8);
			} else {
				n = ident_encode_mem(&slot[i].mem, p->sc.r[0], rewritten);
				if (!n)
					e->overflow = true; /* checked when the slot was made: cannot happen */
				if (u->simd)
					emit_vectors_in(e, u);
				emit_bytes(e, rewritten, n);
				if (u->simd)
					emit_vectors_out(e, u, i + 1 < run->last && slot[i + 1].use.ymm, true);
			}
			if (!g) {
				/* The slow path reloads what the main line holds
				 * here, so that it holds on: a loop's held registers
				 * whatever came before (emit_slow_path stores them
				 * before the core runs). */
				vec_kept = vectors_valid(e);
				p->vec_lo = (uint16_t)((vec_kept ? e->vec.lo : 0) | e->vec.held);
				p->vec_hi = vec_kept ? e->vec.hi : 0;
				p->resume = emit_label(e);
				vectors_keep(e, vec_kept && p->vec_lo);
			}
			emit_give_back(e, &p->sc);
		} else if (u->rsp_reg) {
			emit_rsp_operand(e, run, i, u, code, insns[i].len, reserved);
		} else if (u->lea_base && u->lea_bytes == 8 && (u->mem_base == REG_RIP || run->rsp_host != H_NONE)) {
			/* LEA from RIP, or from RSP held: one instruction, into the
			 * destination. No flags change. */
			emit_address(e, u, insn_end, (enum host_reg)u->lea_dst, run->rsp_host);
		} else if (u->lea_base) {
			/* LEA from RSP or RIP: the address, then LEA's operand size
			 * (a 32-bit MOV zero-extends as LEA does, a 16-bit one keeps
			 * the rest as LEA does). No flags change. */
			const struct scratch sc = pick_scratch(run, i, u, 1, reserved);

			emit_lend(e, &sc);
			emit_address(e, u, insn_end, sc.r[0], run->rsp_host);
			emit_mov_rr_sized(e, (enum host_reg)u->lea_dst, sc.r[0], u->lea_bytes);
			emit_give_back(e, &sc);
		} else if (slot[i].followed) {
			/* A followed JMP: the block goes on at its target. */
		} else if (u->simd) {
			emit_vectors_in(e, u);
			if (!u->zero_upper)
				emit_bytes(e, code, insns[i].len);
			emit_vectors_out(e, u, i + 1 < run->last && slot[i + 1].use.ymm, true);
		} else if (__builtin_expect(env->inject_bug, 0)) {
			emit_with_injected_bug(e, code, insns[i].len);
		} else {
			emit_bytes(e, code, insns[i].len);
		}
		host_valid |= u->flags_written;
		saved_valid &= (uint16_t)~u->flags_written;
		flags_written |= u->flags_written;
		if (u->flags_written)
			flags_src = (int)i;
		if (i + 1 == run->loop_end)
			reserved &= (uint16_t)~run->loop_pinned;
		/* A group leader's slow path resumes after the last instruction it
		 * runs. */
		for (unsigned k = run->group_first; k < run->group_end; k++) {
			if (groups[k].slow_last == i && !groups[k].hoisted) {
				emit_vectors_flush(e);
				slow[groups[k].slow].resume = emit_label(e);
			}
		}
	}
	if (run->loop_end == run->last)
		emit_vectors_release(e, run); /* a loop ending the run by its length, its way back a side exit */
	emit_vectors_flush(e);
	emit_store_run_regs(e, run, run->regs_written);
	if (run->flags_written)
		emit_flags_out(e, host_valid);
	/* Where the core's step leaves RIP and icount (the ADD clobbers the flags). */
	emit_set_rip(e, slot[run->last - 1].next, H_RAX);
	emit_count(e, env, run->last - run->first);
}

size_t translate_max_bytes(unsigned count)
{
	/* The worst case: every instruction an ident run of its own with a memory
	 * operand, aligned to 16. */
	return BYTES_FRAME + 15 + BYTES_PER_BRANCH +
	       (size_t)count * (BYTES_PER_IDENT + BYTES_PER_SIMD + BYTES_PER_IDENT_RUN + BYTES_PER_PROBE +
				BYTES_PER_SLOW_PATH + 5 * BYTES_HELD_VECTORS);
}

/* Where the len bytes of the instruction at lin are (translate_env.code), or
 * NULL: none of the block's pages in RAM holds all of them (a page beyond
 * RAM, whose host is NULL; an instruction that runs past the end of RAM,
 * whose last bytes the core read as all ones). */
static const uint8_t *code_at(const struct translate_env *env, uint64_t lin, unsigned len)
{
	for (unsigned k = 0; k < env->ncode; k++)
		if (((lin ^ env->code[k].lin) & ~0xfffull) == 0 && lin >= env->code[k].lin)
			return env->code[k].host && (lin & 0xfff) + len <= 4096
				   ? env->code[k].host + (lin - env->code[k].lin)
				   : NULL;
	return NULL;
}

/* A followed branch (translate_run runs it inline, struct slot): what
 * ident_branch says of it, as a plain instruction that goes on after it, a
 * CALL's and a RET's stack operand kept. */
static bool classify_followed(const struct insn *in, const uint8_t *code, struct ident_use *use)
{
	if (!ident_branch(in, code, use) || use->ret_pop || use->cc != 0xff)
		return false;
	use->branch = use->call = use->ret = false;
	return true;
}

/* Each instruction's RIP and bytes, and ident for each: the allowlist, and
 * for a memory operand a probe that can run here (a TLB set without
 * alignment checks) and an encoding against a host base register. */
static void classify(const struct translate_env *env, const struct insn *insns, unsigned count, struct slot *slot)
{
	uint64_t lin = env->lin, at;

	for (unsigned i = 0; i < count; i++) {
		struct slot *s = &slot[i];

		s->lin = lin;
		s->next = lin = insn_next_lin(&insns[i], lin);
		s->code = code_at(env, s->lin, insns[i].len);
		if (s->code) {
			memcpy(s->bytes, s->code, insns[i].len);
			s->code = s->bytes;
		}
		s->group_role = GROUP_NONE;
		/* A branch ends a block (the last instruction) or is a side exit. */
		s->followed =
		    s->code && (insns[i].flags & INSN_FOLLOWED) && classify_followed(&insns[i], s->code, &s->use);
		s->ident = s->followed || (s->code && !(insns[i].flags & INSN_FOLLOWED) &&
					   (((i + 1 == count || (insns[i].flags & INSN_SIDE_EXIT)) &&
					     ident_branch(&insns[i], s->code, &s->use)) ||
					    ident_classify_mem(&insns[i], s->code, &s->use, &s->mem)));
		if (s->ident && s->use.rsp_reg) {
			uint8_t probe[16];

			if (!ident_rewrite_rsp(s->code, insns[i].len, H_R11, probe))
				s->ident = false;
		}
		if (s->ident && s->use.mem) {
			uint8_t probe[16];

			if (env->tlb_set < 0 || env->tlb_set == TLB_SET_ALIGN_CHECK ||
			    (!s->use.stack && !ident_encode_mem(&s->mem, H_R11, probe)))
				s->ident = false;
		}
		if (s->ident && (s->use.simd & ~env->simd))
			s->ident = false;
		if (s->ident && env->simd_used)
			*env->simd_used |= s->use.simd;
		/* An operand the host would fault on for its alignment: the core's. */
		if (s->ident && s->use.mem_align && address_known(&s->use, s->next, &at) &&
		    (at & (s->use.mem_align - 1u)))
			s->ident = false;
	}
}

/* fn(ctx, RSI as it is): the host code to go on in, or NULL for out. */
static void emit_ask_where_next(struct emitter *e, void *ctx, uint64_t fn, const uint8_t *out)
{
	emit_mov_imm64(e, H_RDI, (uint64_t)(uintptr_t)ctx);
	emit_mov_imm64(e, H_RAX, fn);
	emit_call_reg(e, H_RAX);
	emit_test_rax(e);
	emit_jcc(e, CC_E, out);
	emit_jmp_reg(e, H_RAX);
}

/* The ways out of translated code (struct translate_exits). */
static void emit_exits(struct emitter *e, const struct translate_env *env, struct translate_exits *x)
{
	x->out = emit_label(e);
	emit_add_rsp(e, 8);
	for (int i = (int)(sizeof(saved) / sizeof(saved[0])) - 1; i >= 0; i--)
		emit_pop(e, saved[i]);
	emit_ret(e);
	/* An exit whose RIP only the run knows asks where to go on; the answer is
	 * a block body (past its prologue: this frame stays) or NULL, the way out. */
	x->next = x->next_rcx = x->out;
	if (env->chain) {
		x->next = x->next_rcx = emit_label(e);
		if (env->bodies)
			emit_body_lookup(e, env, x);
		emit_ask_where_next(e, env->ctx, (uint64_t)(uintptr_t)env->chain, x->out);
	}
	/* An unlinked link site comes here with RSI = its rel32: env->link links
	 * it and says where to go, or NULL. */
	x->link_stub = NULL;
	if (env->link) {
		x->link_stub = emit_label(e);
		emit_ask_where_next(e, env->ctx, (uint64_t)(uintptr_t)env->link, x->out);
	}
	/* Probes are emitted only where the code runs with GS at the soft CPU. */
	x->slow_path = NULL;
	if (env->cpu) {
		x->slow_path = emit_label(e);
		emit_slow_stub(e, env, x->out);
	}
}

bool translate_emit_exits(struct code_cache *cc, const struct translate_env *env, struct translate_exits *x)
{
	uint8_t *buf = code_cache_alloc(cc, BYTES_EXITS, 16);
	struct emitter e;

	if (!buf)
		return false;
	emitter_init(&e, buf, code_cache_rx(cc, buf), BYTES_EXITS);
	emit_exits(&e, env, x);
	if (e.overflow)
		return false; /* cannot happen: BYTES_EXITS counts them */
	code_cache_shrink_last(cc, buf, e.pos);
	code_cache_wrote(cc, buf, e.pos);
	return true;
}

/* Bytes of host code a run of insns[first, last) may take. */
static size_t run_room(const struct slot *slot, const struct insn *insns, unsigned first, unsigned last)
{
	size_t room = BYTES_PER_IDENT_RUN + 8 + BYTES_WAY_SETUP; /* a cold copy's jump back, a loop's way setup */
	unsigned ways_out = 4; /* a held loop's (plan_vector_loop): its start, end, kick and way setup */
	bool simd = false;

	for (unsigned k = first; k < last; k++) {
		room += BYTES_PER_IDENT + (slot[k].use.mem ? BYTES_PER_PROBE + BYTES_PER_SLOW_PATH : 0) +
			(slot[k].use.simd ? BYTES_PER_SIMD : 0) + (slot[k].use.branch ? BYTES_PER_BRANCH : 0) +
			(slot[k].followed ? BYTES_PER_FOLLOWED : 0) +
			((insns[k].flags & INSN_SIDE_EXIT) ? BYTES_PER_SIDE_EXIT : 0);
		simd |= slot[k].use.simd != 0;
		ways_out += slot[k].use.mem || slot[k].use.branch;
	}
	return room + (simd ? ways_out * BYTES_HELD_VECTORS : 0);
}

/* The run of insns[first, last) planned again in cold_slot, the same but
 * without a hoisted stack group: its probes every round, as where the hoisted
 * probe misses. */
static void plan_cold_copy(struct run_plan *cold, const struct translate_env *env, const struct slot *slot,
			   struct slot *cold_slot, const struct insn *insns, unsigned first, unsigned last,
			   struct probe_group *groups, unsigned *ngroups)
{
	memcpy(&cold_slot[first], &slot[first], (last - first) * sizeof(*slot));
	for (unsigned k = first; k < last; k++)
		cold_slot[k].group_role = GROUP_NONE;
	plan_run(cold, cold_slot, first, last);
	plan_loop(cold, env, cold_slot, insns);
	cold->group_first = *ngroups;
	plan_groups(cold, cold_slot, insns, env->no_group, groups, ngroups);
	plan_stack_groups(cold, cold_slot, insns, env->no_group, groups, ngroups);
	plan_slow_reach(groups, cold->group_first, *ngroups);
	cold->group_end = *ngroups;
	plan_way_back(cold, cold_slot);
}

const uint8_t *translate_run(struct code_cache *cc, const struct translate_env *env, const struct insn *insns,
			     unsigned count, unsigned *ident)
{
	/* Blocks hold at most 64 instructions: the plan lives on the stack then
	 * (a malloc per translation was 1% of the boot). Twice over: a run with a
	 * hoisted stack group has a cold copy planned and emitted without it,
	 * whose slots and plan follow the first count. */
	struct slot local_slot[2 * 64];
	struct run_plan local_runs[2 * 64];
	struct slow_path local_slow[2 * 64];
	struct side_exit local_side[2 * 64];
	struct probe_group local_groups[2 * 64];
	uint8_t *local_cold_jump[2 * 64];
	const uint8_t *local_after[64];
	bool big = count > 64;
	struct slot *slot = big ? malloc(2 * count * sizeof(*slot)) : local_slot;
	struct run_plan *runs = big ? malloc(2 * count * sizeof(*runs)) : local_runs;
	struct slow_path *slow = big ? malloc(2 * count * sizeof(*slow)) : local_slow;
	struct side_exit *side = big ? malloc(2 * count * sizeof(*side)) : local_side;
	struct probe_group *groups = big ? malloc(2 * count * sizeof(*groups)) : local_groups;
	uint8_t **cold_jump = big ? malloc(2 * count * sizeof(*cold_jump)) : local_cold_jump;
	const uint8_t **after = big ? malloc(count * sizeof(*after)) : local_after;
	struct slot *cold_slot = slot + count;
	struct run_plan *cold_runs = runs + count;
	size_t room = BYTES_FRAME - (env->exits ? BYTES_EXITS : 0);
	const uint8_t *entry = NULL;
	struct translate_exits x = { 0 };
	unsigned nident = 0, nruns = 0, nslow = 0, nside = 0, ngroups = 0;
	struct emitter e;
	uint8_t *buf = NULL;

	if (!slot || !runs || !slow || !side || !groups || !cold_jump || !after)
		abort(); /* out of host memory */
	classify(env, insns, count, slot);
	/* Runs: maximal, split where a memory operand would find no scratch. */
	for (unsigned i = 0; i < count;) {
		if (!slot[i].ident) {
			room += BYTES_PER_CALLOUT;
			i++;
			continue;
		}
		unsigned j = i + 1;

		while (j < count && j - i < 64 && slot[j].ident)
			j++;
		plan_run(&runs[nruns], slot, i, j);
		plan_loop(&runs[nruns], env, slot, insns);
		runs[nruns].group_first = ngroups;
		plan_hoisted_stack(&runs[nruns], slot, insns, groups, &ngroups);
		plan_hoisted_table(&runs[nruns], slot, insns, groups, &ngroups);
		plan_groups(&runs[nruns], slot, insns, env->no_group, groups, &ngroups);
		plan_stack_groups(&runs[nruns], slot, insns, env->no_group, groups, &ngroups);
		plan_slow_reach(groups, runs[nruns].group_first, ngroups);
		runs[nruns].group_end = ngroups;
		plan_way_back(&runs[nruns], slot);
		plan_vector_loop(&runs[nruns], slot);
		if (runs[nruns].hoisted >= 0 || runs[nruns].hoisted_table >= 0)
			plan_cold_copy(&cold_runs[nruns], env, slot, cold_slot, insns, i, j, groups, &ngroups);
		room +=
		    (runs[nruns].hoisted >= 0 || runs[nruns].hoisted_table >= 0 ? 2 : 1) * run_room(slot, insns, i, j);
		nident += j - i;
		nruns++;
		i = j;
	}
	buf = code_cache_alloc(cc, room, 16);
	if (!buf)
		goto done;
	emitter_init(&e, buf, code_cache_rx(cc, buf), room);
	/* The ways out come first, so every leaving jump knows its target. */
	if (env->exits)
		x = *env->exits;
	else
		emit_exits(&e, env, &x);
	entry = emit_label(&e);
	for (unsigned i = 0; i < sizeof(saved) / sizeof(saved[0]); i++)
		emit_push(&e, saved[i]);
	/* The SysV ABI wants RSP 16-byte aligned at each call: 8 off at entry, and
	 * the six pushes keep it so. */
	emit_add_rsp(&e, -8);
	if (emit_here(&e) - entry != TRANSLATE_BODY_OFFSET)
		e.overflow = true; /* cannot happen: chained blocks enter at this offset */
	/* Linked blocks come straight here: a kick (the one event that arrives
	 * while translated code runs) leaves for the loop, with RIP at this block. */
	if (env->link && !env->one_block_per_entry) {
		emit_gs_cmp8_imm(&e, GS_OFF(kicked), 0);
		emit_jcc_unaligned(&e, CC_NE, x.out);
		if (emit_here(&e) - entry != TRANSLATE_BODY_OFFSET + TRANSLATE_KICK_CHECK_BYTES)
			e.overflow = true; /* cannot happen: forward links enter here */
	}
	for (unsigned i = 0, r = 0; i < count;) {
		if (slot[i].ident) {
			cold_jump[2 * r] = cold_jump[2 * r + 1] = NULL;
			emit_ident_run(&e, env, insns, slot, &runs[r], groups, slow, &nslow, side, &nside, &x,
				       &cold_jump[2 * r]);
			after[r] = emit_label(&e);
			i = runs[r++].last;
		} else {
			emit_callout(&e, env, &insns[i], x.out);
			i++;
		}
	}
	/* The fall-through: known after an ident instruction; a callout may have
	 * branched, or left RIP where it was (a REP string instruction stopping
	 * to let events in). */
	if (count && slot[count - 1].ident)
		emit_static_exit(&e, env, &x, slot[count - 1].next);
	else
		emit_jmp(&e, x.next);
	/* The cold copies, where their runs' hoisted probes miss, going on after
	 * the runs. */
	for (unsigned r = 0; r < nruns; r++) {
		uint8_t *none[2] = { NULL, NULL };

		if (runs[r].hoisted < 0 && runs[r].hoisted_table < 0)
			continue;
		for (unsigned k = 0; k < 2; k++)
			if (cold_jump[2 * r + k])
				patch_here(&e, cold_jump[2 * r + k]);
		emit_ident_run(&e, env, insns, cold_slot, &cold_runs[r], groups, slow, &nslow, side, &nside, &x, none);
		emit_jmp(&e, after[r]);
	}
	/* Slow paths and side exits read of their slots what the cold copies'
	 * share. */
	for (unsigned p = 0; p < nslow; p++)
		emit_slow_path(&e, slot, &slow[p], insns, groups, &x);
	for (unsigned p = 0; p < nside; p++)
		emit_side_exit(&e, env, slot, &side[p], insns, slow, &x);
	if (e.overflow) {
		buf = NULL; /* cannot happen: room is counted above */
		goto done;
	}
	code_cache_shrink_last(cc, buf, e.pos);
	code_cache_wrote(cc, buf, e.pos);
	if (ident)
		*ident = nident;
done:
	if (big) {
		free(slot);
		free(runs);
		free(slow);
		free(side);
		free(groups);
		free(cold_jump);
		free(after);
	}
	return buf ? entry : NULL;
}

const uint8_t *translate_callout_run(struct code_cache *cc, void *ctx, const struct insn *insns, unsigned count,
				     callout_fn callout)
{
	const struct translate_env env = { .ctx = ctx, .callout = callout, .tlb_set = -1 };

	return translate_run(cc, &env, insns, count, NULL);
}
