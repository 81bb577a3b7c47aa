/* Translation (docs/dbt-design.md): a run of decoded instructions becomes host
 * code. In 64-bit mode the instructions ident.h allows run as themselves —
 * maximal runs of them copied byte for byte between loads of the guest
 * registers they use and stores of those they write, with the guest's
 * arithmetic flags in host RFLAGS — and every other instruction is a
 * "callout": a call of the core's handler through the engine's callout
 * function, leaving as soon as the core asks to leave the run. Host code is
 * entered from C and leaves by return or, when a handler raises or exits, by
 * longjmp through it: nothing lives in host registers across a callout (the
 * guest state is in the soft CPU before every call), so the state at a
 * faulting instruction is the core's, exactly. */
#ifndef RV_DBT_TRANSLATE_H
#define RV_DBT_TRANSLATE_H

#include <stdbool.h>

#include "engine/dbt/code_cache.h"
#include "engine/softcpu/decode.h"
#include "engine/softcpu/insn.h"

/* Runs one instruction for the translated code: returns false to leave the run
 * (the core's leave_block). ctx is the environment's. */
typedef bool (*callout_fn)(void *ctx, const struct insn *in);

/* The inline lookup's table (translate_env.bodies): linear RIP -> the body of
 * the block there, as chain() found it, valid while *generation_of (the jump
 * cache's generation for RIP's page: block_cache_find) is the entry's
 * generation. One table per TLB set. lin is BODY_ENTRY_EMPTY in an entry
 * never filled (no RIP is: it is not canonical). */
struct body_entry {
	uint64_t lin;
	const uint8_t *body;
	uint64_t generation;
	const uint32_t *generation_of;
};
#define BODY_ENTRY_EMPTY (1ull << 63)
#define BODY_TABLE_SIZE 4096
/* The page number folded onto the offset in it: blocks start at any byte,
 * and a few bytes apart in hot loops (lin >> 4 put three blocks of one
 * loop of busybox's head in one entry). */
static inline unsigned body_table_index(uint64_t lin)
{
	return (unsigned)(lin ^ (lin >> 12)) & (BODY_TABLE_SIZE - 1);
}

/* Where translated code leaves a block: out returns to the loop; next asks
 * where to go for an exit whose RIP only the run knows (the inline lookup in
 * bodies, then chain); link_stub is where an unlinked link site goes (link);
 * slow_path is what a probe's miss calls (translate.c). */
struct translate_exits {
	const uint8_t *out, *next, *link_stub, *slow_path;
	const uint8_t *next_rcx; /* next for an exit that has RIP in RCX too */
};

struct translate_env {
	void *ctx; /* the callouts' first argument */
	callout_fn callout;
	/* For ident: the guest bytes of the instructions (64-bit code in RAM),
	 * per linear page of the block: code[k].host holds the byte at linear
	 * code[k].lin, and the rest of the block's code in that page after it.
	 * ncode 0: no ident. And the soft CPU, which the code finds at the GS
	 * base (the engine points GS at it on the vCPU's thread). */
	struct translate_code {
		uint64_t lin;
		const uint8_t *host;
	} code[DECODE_MAX_PAGES];
	unsigned ncode;
	struct soft_cpu *cpu;
	/* The soft-TLB set the block's data accesses use (tlb_set(): 0 at CPL
	 * 0-2, the CPU's user_data_set at CPL 3), which the code may run with
	 * only: memory operands are probed inline in set 0 or 1; -1 or
	 * TLB_SET_ALIGN_CHECK (#AC checks on): every memory access is a callout. */
	int tlb_set;
	/* Where a block that ends normally goes next: chain(ctx) returns the host
	 * code to continue in (a translated block's body, entered past its
	 * prologue: TRANSLATE_BODY_OFFSET) or NULL to leave. NULL: always leave. */
	const uint8_t *(*chain)(void *ctx);
	/* Exits to a RIP the translation knows in the linear page of the block's
	 * first instruction (the same guest page) are link sites (emit.h):
	 * the first time one runs it calls link(ctx, its rel32), which links it
	 * to the next block's body (past its prologue; past its kick check too
	 * when rel_rx has TRANSLATE_LINK_FORWARD set: the target starts after
	 * the block) and returns that, or returns NULL to leave. The engine
	 * unlinks it (emit_link_unpatch) when a block of the target's page is
	 * dropped. Exits to other pages are guarded sites
	 * (TRANSLATE_LINK_GUARDED), linked with the generation the lookup
	 * holds the target in, and called again once it moves on. NULL: those
	 * exits take the lookup too. */
	const uint8_t *(*link)(void *ctx, const uint8_t *rel_rx);
	/* The linear address of the first instruction: translations of 64-bit
	 * code hold RIP values (where RIP goes, return addresses, RIP-relative
	 * operands) as constants, and run only at that address. */
	uint64_t lin;
	/* Exits whose RIP only the run knows look RIP up here inline before they
	 * call chain; NULL: they call chain straight away. */
	const struct body_entry *bodies;
	/* The ways out, emitted once by translate_emit_exits for this env (all
	 * blocks share them); NULL: each translation carries its own. */
	const struct translate_exits *exits;
	/* Lockstep (lockstep.h) runs one block per entry, its instructions once:
	 * a branch back to the block's start leaves instead of looping, and the
	 * body does not look at kicks (the loop does, before entering). */
	bool one_block_per_entry;
	/* The code leaves cpu->icount alone: nothing reads it (no --stats, no
	 * lockstep), and counting costs a load, an add and a store on every
	 * way out and every round of a loop. The core's own steps still count. */
	bool uncounted;
	/* Test-only (the lockstep test): a deliberate translation bug, ADC r/m,
	 * imm8 on a register copied as ADD. Set from RINGVISOR_DBT_INJECT_BUG. */
	bool inject_bug;
	/* The classes of vector instructions (IDENT_SIMD_*, ident_simd.h) the
	 * guest's CR0, CR4 and XCR0 let run without #UD or #NM now, which are
	 * copied as themselves; the others are callouts, which raise those.
	 * The engine drops every translation before a class it made some with
	 * stops being allowed (a change that ends the block). */
	unsigned simd;
	/* Set when the translation copies an instruction of a class in simd
	 * (IDENT_SIMD_MXCSR: it runs under the guest's MXCSR); NULL: not told. */
	unsigned *simd_used;
	/* Bit i: instruction i of the block leads no probe group (its groups
	 * straddled two pages too often: group_straddled). */
	uint64_t no_group;
	/* Called when a probe group's accesses, from leader on (count
	 * instructions), straddled two pages, after the core has run them: the
	 * engine counts, and returns true once it has dropped the block so that
	 * it is translated again without that group; the code then leaves, its
	 * state as after the group. NULL: not asked. */
	bool (*group_straddled)(void *ctx, const struct insn *leader, unsigned count);
};

/* Bytes from a translation's entry to its body (the prologue). */
#define TRANSLATE_BODY_OFFSET 14
/* Bytes of the body's look at kicks (when it links: translate_env.link):
 * a link that goes forward in its page enters past it (TRANSLATE_LINK_FORWARD
 * in the link's rel_rx), as no loop can be made of forward links alone. */
#define TRANSLATE_KICK_CHECK_BYTES 15
#define TRANSLATE_LINK_FORWARD 1
/* In a link's rel_rx: a guarded site (emit_guarded_link_site), to a block on
 * another guest page, linked with the lookup's generation for it. */
#define TRANSLATE_LINK_GUARDED 2

/* Host code for insns[0..count) (which must outlive it), leaving after the first
 * callout that returns false. Returns its executable entry, a function taking
 * and returning nothing, or NULL when the cache is full (reset it and translate
 * again). *ident counts the instructions copied as themselves. */
const uint8_t *translate_run(struct code_cache *cc, const struct translate_env *env, const struct insn *insns,
			     unsigned count, unsigned *ident);

/* Emits the ways out for env into cc, for env->exits; false when cc is full. */
bool translate_emit_exits(struct code_cache *cc, const struct translate_env *env, struct translate_exits *x);

/* The most bytes translate_run takes for count instructions. */
size_t translate_max_bytes(unsigned count);

/* translate_run with every instruction a callout. */
const uint8_t *translate_callout_run(struct code_cache *cc, void *ctx, const struct insn *insns, unsigned count,
				     callout_fn callout);

/* Enters translated code at entry. */
static inline void translate_enter(const uint8_t *entry)
{
	((void (*)(void))(uintptr_t)entry)();
}

#endif
