/* The dbt engine: guest blocks translated into host code kept in a translation
 * cache (code_cache.h), run from the dispatch loop the interp engine uses
 * (softcpu/block_loop.h) on the same soft-CPU core; docs/dbt-design.md is the
 * plan. A block's host code runs the integer register instructions ident.h
 * allows as themselves (64-bit code) and calls the core's handler for every
 * other instruction (translate.h), so every other semantic is the core's. A
 * block is translated when the loop first looks it up; a full cache is flushed
 * whole, with every block, between blocks. */
#include <asm/prctl.h>
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <Zydis/Zydis.h>

#include "engine/dbt/code_cache.h"
#include "engine/dbt/emit.h"
#include "engine/dbt/group_bar.h"
#include "engine/dbt/guest_mxcsr.h"
#include "engine/dbt/ident_simd.h"
#include "engine/dbt/lockstep.h"
#include "engine/dbt/translate.h"
#include "engine/softcpu/block_engine.h"
#include "engine/softcpu/block_loop.h"
#include "engine/softcpu/avx.h"
#include "log.h"
#include "vm/memory.h"

struct engine {
	struct guest_memory *mem;
	const struct cpu_model *model;
	unsigned cache_mib;
	bool lockstep;
	bool inject_bug; /* test-only: translate_env.inject_bug */
	bool uncounted;	 /* translate_env.uncounted: neither --stats nor lockstep */
	/* Which code is decoded as traces (block_vcpu.decode_traces): user
	 * code by default. A boot runs most kernel code once, and traces copy
	 * callees into each caller: with kernel traces too, the bench
	 * initramfs booted 30% slower (0.6 M instructions translated, not
	 * 0.38 M), for 4% fewer host instructions in the sha256 phase
	 * (callgrind: 977 M against 1,024 M per 2 MiB, 1,168 M without
	 * traces). */
	int traces;
	/* --perfmap: /tmp/perf-PID.map, one line per translation ("START SIZE
	 * name", perf's convention for JIT code); NULL without the option. */
	FILE *perfmap;
};

/* Link sites linked to blocks of one guest-physical page: the offsets of
 * their rel32 fields in the translation cache. */
struct page_links {
	uint64_t gpa_page;
	uint32_t n, cap;
	uint32_t *sites;
	struct page_links *next;
};
#define PAGE_LINKS_BUCKETS 4096

struct engine_vcpu {
	struct block_vcpu b;
	struct code_cache cc;
	struct lockstep *lockstep; /* --lockstep interp: each block run both ways */
	FILE *perfmap;		   /* the engine's, or NULL */
	bool inject_bug;
	bool uncounted;
	uint64_t wraps_seen; /* block_cache_wraps() at the last reset of cc */
	/* Per TLB set (0, user 1, user with #AC checks 2): RIP -> block body,
	 * for the inline lookup of exits whose RIP only the run knows. */
	struct body_entry (*bodies)[BODY_TABLE_SIZE];
	/* The ways out every block shares, per TLB set (its lookup table),
	 * emitted at the start of the translation cache; valid when exits_ready. */
	struct translate_exits exits[3];
	bool exits_ready;
	uint64_t links_made, link_calls;
	/* Linked sites by the guest page of the blocks they go to (links_record). */
	struct page_links *links[PAGE_LINKS_BUCKETS];
	/* Plain link sites to blocks on more than one page, which hold only
	 * while the lookups do (lookups_forgotten). */
	struct page_links fragile;
	/* translate_ns of the time since created_ns: a clock read per run()
	 * cost exits a fifth of their speed. */
	uint64_t blocks_translated, flushes, translate_ns, created_ns;
	uint64_t *callouts; /* by mnemonic (ZydisMnemonic), for --stats */
	uint64_t runs_translated, chain_calls, runs_chained, insns_translated, insns_ident;
	/* GS base is this vCPU's soft CPU on the thread that runs it: ident code
	 * reaches the guest's registers as gs:[offset]. False: no ident code. */
	bool gs_ready, gs_checked;
	/* Probe groups that kept straddling two pages, and blocks translated
	 * again without them. */
	struct group_bar group_bar;
	uint64_t groups_barred;
	/* The vector classes (IDENT_SIMD_*) translations since the last reset
	 * copied instructions of: they must go before the guest can make one
	 * fault (simd_allowed_now). With IDENT_SIMD_MXCSR, translated code runs
	 * under the guest's MXCSR (guest_mxcsr.h). */
	unsigned simd_assumed;
};

_Static_assert(offsetof(struct engine_vcpu, b) == 0, "the shared ops find the block vCPU first");

static struct engine_vcpu *dbt_vcpu_of(struct block_vcpu *b)
{
	return (struct engine_vcpu *)(void *)b;
}

/* The soft-TLB set data accesses use now (the core's tlb_set()), which inline
 * probes bake in: 0 at CPL 0-2, the CPU's user_data_set at CPL 3. */
static uint8_t tlb_set_now(const struct soft_cpu *cpu)
{
	return (uint8_t)(cpu->cpl == 3 ? cpu->user_data_set : 0);
}

static void translate_block(struct block_vcpu *bv, struct block *b);

/* The vector classes the CPU runs without #UD or #NM now (sse_check,
 * avx_check). */
static unsigned simd_allowed_now(const struct soft_cpu *cpu)
{
	return (sse_allowed(cpu) ? IDENT_SIMD_SSE : 0u) | (avx_allowed(cpu) ? IDENT_SIMD_AVX : 0u) |
	       ((cpu->fpu.mxcsr & 0x1f80u) == 0x1f80u ? IDENT_SIMD_MXCSR : 0u);
}

/* Whether b->host is, or was made current from host_other, the translation
 * for the TLB set and linear address the CPU runs b at now. */
static bool pick_translation(struct block *b, uint8_t set, uint64_t lin)
{
	if (b->host && b->host_key == set && b->host_lin == lin)
		return true;
	for (unsigned k = 0; k < sizeof(b->host_other) / sizeof(b->host_other[0]); k++) {
		struct block_host *o = &b->host_other[k];

		if (o->host && o->key == set && o->lin == lin) {
			struct block_host was = { b->host, b->host_lin, b->host_key };

			b->host = o->host;
			b->host_lin = o->lin;
			b->host_key = o->key;
			*o = was;
			return true;
		}
	}
	return false;
}

/* Whether count more instructions' worst-case host code fits the cache. */
static bool cache_fits(const struct engine_vcpu *v, unsigned count)
{
	return v->cc.size - v->cc.used >= translate_max_bytes(count);
}

/* Where translated code goes when a block ends normally: straight into the
 * next block's host code when the block cache has it (block_cache_find: no
 * decoding, no fault), it is or can be translated for how the CPU runs now,
 * and nothing asks to stop (a kick is
 * the one event that arrives while translated code runs: everything else
 * that needs the loop — interrupts opening, a mode or paging change, HLT,
 * written code, debug registers — sets leave_block, and translated code
 * leaves on that before it gets here). */
static const uint8_t *chain_find(struct block_vcpu *bv, const uint32_t **generation_out)
{
	struct engine_vcpu *v = dbt_vcpu_of(bv);
	struct block *b;
	const uint32_t *generation;
	uint8_t set = tlb_set_now(&bv->cpu);

	v->chain_calls++;
	/* Outside 64-bit mode the loop checks each block against the CS limit. */
	if (__atomic_load_n(&bv->cpu.kicked, __ATOMIC_RELAXED) || bv->cpu.mode != MODE_LONG64 ||
	    debug_slow_path(&bv->cpu) || v->lockstep)
		return NULL;
	b = block_cache_find(bv, &generation);
	if (!b)
		return NULL;
	/* A block decoded but not translated for this set: translated here when
	 * it fits (a flush must wait for the loop: this code is running). */
	if (!pick_translation(b, set, bv->cpu.rip)) {
		if (!cache_fits(v, b->count))
			return NULL;
		translate_block(bv, b);
		if (!b->host)
			return NULL;
		code_cache_serialize(&v->cc);
	}
	bv->cur_block = b;
	v->runs_chained++;
	v->bodies[set][body_table_index(bv->cpu.rip)] = (struct body_entry){ .lin = bv->cpu.rip,
									     .body = b->host + TRANSLATE_BODY_OFFSET,
									     .generation = *generation,
									     .generation_of = generation };
	*generation_out = generation;
	return b->host + TRANSLATE_BODY_OFFSET;
}

static const uint8_t *chain_next(void *ctx)
{
	const uint32_t *generation;

	return chain_find(ctx, &generation);
}

static struct page_links **links_bucket(struct engine_vcpu *v, uint64_t gpa_page)
{
	return &v->links[(gpa_page >> 12) & (PAGE_LINKS_BUCKETS - 1)];
}

static struct page_links *links_find(struct engine_vcpu *v, uint64_t gpa_page)
{
	struct page_links *l = *links_bucket(v, gpa_page);

	while (l && l->gpa_page != gpa_page)
		l = l->next;
	return l;
}

/* site (bytes into the cache) onto l; false when out of memory. */
static bool sites_add(struct page_links *l, uint32_t site)
{
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? 2 * l->cap : 8;
		uint32_t *sites = realloc(l->sites, cap * sizeof(*sites));

		if (!sites)
			return false;
		l->sites = sites;
		l->cap = cap;
	}
	l->sites[l->n++] = site;
	return true;
}

/* The link site whose rel32 is site bytes into the cache goes to a block of
 * page gpa_page: kept, to be unlinked when a block of the page goes. False
 * when out of memory: then it is not linked. */
static bool links_record(struct engine_vcpu *v, uint64_t gpa_page, uint32_t site)
{
	struct page_links *l = links_find(v, gpa_page);

	if (!l) {
		struct page_links **bp = links_bucket(v, gpa_page);

		if (!(l = calloc(1, sizeof(*l))))
			return false;
		l->gpa_page = gpa_page;
		l->next = *bp;
		*bp = l;
	}
	return sites_add(l, site);
}

/* Every site of l back to its unlinked way. */
static void unlink_sites(struct engine_vcpu *v, struct page_links *l)
{
	for (uint32_t i = 0; i < l->n; i++) {
		emit_link_unpatch(v->cc.rw + l->sites[i]);
		code_cache_wrote(&v->cc, v->cc.rw + l->sites[i], 4);
	}
	l->n = 0;
}

/* A block of gpa_page was dropped (block_vcpu.page_dropped): every link to
 * the page's blocks goes back to its unlinked way. The code that may run
 * them is serialized first (the loop's enter_block): a drop makes it leave. */
static void page_dropped(struct block_vcpu *bv, uint64_t gpa_page)
{
	struct engine_vcpu *v = dbt_vcpu_of(bv);
	struct page_links *l = links_find(v, gpa_page);

	if (l)
		unlink_sites(v, l);
}

/* The lookups forgot every block (block_vcpu.lookups_forgotten): plain
 * links to blocks on several pages go back to their unlinked way. */
static void lookups_forgotten(struct block_vcpu *bv)
{
	struct engine_vcpu *v = dbt_vcpu_of(bv);

	unlink_sites(v, &v->fragile);
}

/* Forget every link (the translation cache was reset). */
static void links_forget(struct engine_vcpu *v)
{
	for (unsigned i = 0; i < PAGE_LINKS_BUCKETS; i++)
		for (struct page_links *l = v->links[i], *n; l; l = n) {
			n = l->next;
			free(l->sites);
			free(l);
		}
	memset(v->links, 0, sizeof(v->links));
	v->fragile.n = 0;
}

/* A link site of translated code ran unlinked (translate.h): link it to the
 * block chain_find finds, valid until a block of that block's page is
 * dropped, and for a guarded site (another page) while the generation the
 * lookup holds that block in does not move. */
static const uint8_t *link_next(void *ctx, const uint8_t *rel_rx)
{
	struct block_vcpu *bv = ctx;
	struct engine_vcpu *v = dbt_vcpu_of(bv);
	bool forward = (uintptr_t)rel_rx & TRANSLATE_LINK_FORWARD;
	bool guarded = (uintptr_t)rel_rx & TRANSLATE_LINK_GUARDED;
	const uint32_t *generation;
	const uint8_t *body;
	uint8_t *rel;

	rel_rx = (const uint8_t *)((uintptr_t)rel_rx & ~(uintptr_t)3);
	rel = v->cc.rw + (rel_rx - v->cc.rx);
	body = chain_find(bv, &generation);

	v->link_calls++;
	if (!body || !links_record(v, bv->cur_block->gpa & ~0xfffull, (uint32_t)(rel - v->cc.rw)) ||
	    (!guarded && bv->cur_block->npages > 1 && !sites_add(&v->fragile, (uint32_t)(rel - v->cc.rw))))
		return body;
	if (guarded) {
		uint8_t *first = rel;
		size_t n = emit_guarded_link_span(&first);

		if (emit_guarded_link_patch(rel, rel_rx, body, generation)) {
			code_cache_wrote(&v->cc, first, n);
			v->links_made++;
		}
	} else if (emit_patch_rel32(rel, rel_rx, forward ? body + TRANSLATE_KICK_CHECK_BYTES : body)) {
		code_cache_wrote(&v->cc, rel, 4);
		v->links_made++;
	}
	return body;
}

/* What the translated code calls for each instruction: the core's step, with
 * the running block found from the instruction (linked blocks enter without
 * the loop knowing). */
static bool callout_step(void *ctx, const struct insn *in)
{
	struct block_vcpu *bv = ctx;
	const bool guest_mxcsr = bv->cpu.mxcsr_in_host;
	bool more;

	dbt_vcpu_of(bv)->callouts[in->mnemonic]++;
	bv->cur_block = block_of_insn(in);
	guest_mxcsr_unload(&bv->cpu);
	more = block_step(bv, in);
	if (guest_mxcsr)
		guest_mxcsr_load(&bv->cpu);
	return more;
}

/* What translations for the TLB set `set` share: callouts, chaining, links,
 * the inline lookup's table and the ways out. */
/* translate_env.group_straddled: a group of b (leader on, count
 * instructions) straddled two pages; at the GROUP_BAR_AFTER-th time b is
 * dropped, and decoded and translated again without it. */
static bool group_straddled(void *ctx, const struct insn *leader, unsigned count)
{
	struct block_vcpu *bv = ctx;
	struct engine_vcpu *v = dbt_vcpu_of(bv);
	struct block *b = block_of_insn(leader);

	if (!b->valid || !group_bar_note(&v->group_bar, b->gpa, b->mode, leader->index, count))
		return false;
	block_cache_drop(bv, b);
	v->groups_barred++;
	return true;
}

static struct translate_env env_for_set(struct block_vcpu *bv, uint8_t set)
{
	struct engine_vcpu *v = dbt_vcpu_of(bv);

	return (struct translate_env){ .ctx = bv,
				       .callout = callout_step,
				       .cpu = &bv->cpu,
				       .tlb_set = set,
				       .chain = chain_next,
				       .link = link_next,
				       .bodies = v->bodies[set],
				       .exits = v->exits_ready ? &v->exits[set] : NULL,
				       .one_block_per_entry = v->lockstep != NULL,
				       .inject_bug = v->inject_bug,
				       .uncounted = v->uncounted,
				       .group_straddled = group_straddled };
}

/* How b is translated for the CPU as it runs now.
 * Inline probes use the soft-TLB set of the CPL the code runs at: code run at
 * another CPL (or with #AC checks turned on) is translated again. */
static struct translate_env translate_env_for(struct block_vcpu *bv, const struct block *b)
{
	struct engine_vcpu *v = dbt_vcpu_of(bv);
	struct translate_env env = env_for_set(bv, tlb_set_now(&bv->cpu));

	env.lin = bv->cpu.rip;
	env.simd = simd_allowed_now(&bv->cpu);
	env.no_group = group_bar_of(&v->group_bar, b->gpa, b->mode);
	if (b->mode != MODE_LONG64) {
		/* Chaining and the lookup table are for 64-bit code (chain_next):
		 * this code leaves for the loop, through ways out of its own. */
		env.link = NULL;
		env.bodies = NULL;
		env.exits = NULL;
	} else if (v->gs_ready && !b->crosses) {
		/* A kept block lies in pages of RAM and matches them (writes to
		 * them drop the block); a lone crossing instruction's bytes are on
		 * two pages, and it is a callout. */
		for (unsigned k = 0; k < b->npages; k++)
			env.code[env.ncode++] = (struct translate_code){
				.lin = (env.lin & ~0xfffull) + b->pages[k].lin_off,
				.host = guest_memory_ptr(bv->cpu.mem, b->pages[k].gpa, 4096),
			};
	}
	return env;
}

/* Every entry of the inline lookup's tables empty: a lin no RIP has (the
 * lookup reads generation_of only after lin matched). */
static void clear_bodies(struct engine_vcpu *v)
{
	for (unsigned set = 0; set < 3; set++)
		for (unsigned i = 0; i < BODY_TABLE_SIZE; i++)
			v->bodies[set][i] = (struct body_entry){ .lin = BODY_ENTRY_EMPTY };
}

/* The block entered at lin was dropped (block_vcpu.lin_forgotten): the
 * inline lookup forgets lin in every set. */
static void forget_bodies(struct block_vcpu *bv, uint64_t lin)
{
	struct engine_vcpu *v = dbt_vcpu_of(bv);

	for (unsigned set = 0; set < 3; set++) {
		struct body_entry *b = &v->bodies[set][body_table_index(lin)];

		if (b->lin == lin)
			b->lin = BODY_ENTRY_EMPTY;
	}
}

/* Forget every translation (between blocks: none runs), and with them the
 * inline lookup's entries and the shared ways out. */
static void reset_translations(struct engine_vcpu *v)
{
	v->flushes++;
	v->simd_assumed = 0;
	block_cache_drop_all(&v->b);
	code_cache_reset(&v->cc);
	links_forget(v);
	clear_bodies(v);
	v->exits_ready = false;
}

/* The shared ways out, at the start of an empty translation cache. */
static void emit_shared_exits(struct engine_vcpu *v)
{
	for (uint8_t set = 0; set < 3; set++) {
		struct translate_env env = env_for_set(&v->b, set);

		if (!translate_emit_exits(&v->cc, &env, &v->exits[set]))
			return; /* a cache smaller than three of them: each block carries its own */
	}
	v->exits_ready = true;
}

static void translate_block(struct block_vcpu *bv, struct block *b)
{
	struct engine_vcpu *v = dbt_vcpu_of(bv);
	uint8_t set = tlb_set_now(&bv->cpu);
	struct translate_env env;
	unsigned ident = 0;
	uint64_t start;
	size_t used = v->cc.used;

	if (__builtin_expect(pick_translation(b, set, bv->cpu.rip), 1))
		return;
	start = soft_clock_ns();
	env = translate_env_for(bv, b);
	if (b->host) { /* kept for when b runs there again */
		memmove(&b->host_other[1], &b->host_other[0], sizeof(b->host_other) - sizeof(b->host_other[0]));
		b->host_other[0] = (struct block_host){ b->host, b->host_lin, b->host_key };
	}
	env.simd_used = &v->simd_assumed;
	b->host = translate_run(&v->cc, &env, b->insns, b->count, &ident);
	v->translate_ns += soft_clock_ns() - start;
	b->host_key = set;
	b->host_lin = bv->cpu.rip;
	/* NULL cannot happen after make_room; b would then run decoded. */
	if (b->host) {
		v->blocks_translated++;
		v->insns_translated += b->count;
		v->insns_ident += ident;
		/* Named by the linear address it starts at (the CPU is at the
		 * block's start when it is translated), then its gpa; a flushed
		 * cache's addresses are named again (scripts/perf-dbt-report.py
		 * takes the newest). */
		if (v->perfmap)
			fprintf(v->perfmap, "%lx %zx guest:%" PRIx64 "[gpa %" PRIx64 ",set %u]\n",
				(unsigned long)(uintptr_t)b->host, v->cc.used - used, bv->cpu.rip, b->gpa, set);
	}
}

/* Flush before the lookup, not when a translation does not fit: the looked-up
 * block is registered for code-write tracking, and a flush then would stop
 * tracking the very block about to run. */
static void make_room(struct block_vcpu *bv)
{
	struct engine_vcpu *v = dbt_vcpu_of(bv);

	/* After the jump cache's generation came round again, links and lookup
	 * entries made before could hold again: they go with everything else. */
	/* Vector instructions copied as themselves, which the guest has just
	 * made fault (CR0.TS, CR4, XCR0: those writes end the block), go too. */
	if (__builtin_expect(!cache_fits(v, BLOCK_MAX_INSNS), 0) ||
	    __builtin_expect(block_cache_wraps(bv->cache) != v->wraps_seen, 0) ||
	    __builtin_expect((v->simd_assumed & ~simd_allowed_now(&bv->cpu)) != 0, 0)) {
		v->wraps_seen = block_cache_wraps(bv->cache);
		reset_translations(v);
	}
	if (__builtin_expect(!v->exits_ready, 0) && v->cc.used == 0)
		emit_shared_exits(v);
}

/* Runs translated code at entry (a block's, or lockstep's prefix), under the
 * guest's MXCSR when translations copied floating point. */
static void run_host(struct block_vcpu *bv, const uint8_t *entry)
{
	code_cache_serialize(&dbt_vcpu_of(bv)->cc);
	if (dbt_vcpu_of(bv)->simd_assumed & IDENT_SIMD_MXCSR)
		guest_mxcsr_load(&bv->cpu);
	translate_enter(entry);
	guest_mxcsr_unload(&bv->cpu);
}

static void enter_block(struct block_vcpu *bv, const struct block *b)
{
	struct engine_vcpu *v = dbt_vcpu_of(bv);

	v->runs_translated++;
	if (__builtin_expect(v->lockstep != NULL, 0)) {
		code_cache_serialize(&v->cc);
		lockstep_run_block(v->lockstep, bv, b);
	} else {
		run_host(bv, b->host);
	}
}

/* Lockstep's bisection: host code for a prefix of b, going nowhere after it. */
static const uint8_t *translate_prefix(struct block_vcpu *bv, const struct block *b, unsigned count)
{
	struct engine_vcpu *v = dbt_vcpu_of(bv);
	struct translate_env env = translate_env_for(bv, b);

	if (!cache_fits(v, count))
		return NULL;
	env.simd_used = &v->simd_assumed;
	env.chain = NULL;
	return translate_run(&v->cc, &env, b->insns, count, NULL);
}

static const struct lockstep_engine lockstep_engine = {
	.translate_prefix = translate_prefix,
	.run_host = run_host,
};

static const struct block_translator translator = {
	.make_room = make_room,
	.translate = translate_block,
	.enter = enter_block,
};

static void execute(struct block_vcpu *v)
{
	block_loop(v, &translator);
}

/* The thread's GS base, as this file last set it. */
static __thread const void *gs_base;

static int dbt_run(struct engine_vcpu *v, struct vm_exit *exit)
{
	/* A vCPU new to this thread may sit where a destroyed one did, which
	 * the thread's GS still points at: it has not checked GS yet. */
	if (gs_base != &v->b.cpu || !v->gs_checked) {
		if (syscall(SYS_arch_prctl, ARCH_SET_GS, &v->b.cpu) == 0) {
			v->gs_ready = true;
		} else if (v->gs_ready || !v->gs_checked) {
			/* Code translated for GS at this vCPU must not run with GS
			 * elsewhere: forget it all (between runs: none is running). */
			log_error("dbt: cannot point GS at the vCPU (%s); translating without ident code",
				  strerror(errno));
			v->gs_ready = false;
			reset_translations(v);
		}
		v->gs_checked = true;
		gs_base = v->gs_ready ? &v->b.cpu : NULL;
	}
	return block_engine_run(&v->b, exit, execute);
}

/* perf looks for JIT symbols in /tmp/perf-PID.map (its jit-interface
 * convention; QEMU's -perfmap writes the same). perf 6.1 reads it for
 * anonymous memory only, and the cache is a memfd: scripts/perf-dbt-report.py
 * joins the two. Not following a symlink someone planted there;
 * line-buffered, so that a killed run leaves whole lines. */
static int open_perfmap(struct engine *e, char *why, size_t why_len)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || !(e->perfmap = fdopen(fd, "w"))) {
		snprintf(why, why_len, "--perfmap: cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setvbuf(e->perfmap, NULL, _IOLBF, 0);
	return 0;
}

static int dbt_create(const struct engine_env *env, struct engine **out, char *why, size_t why_len)
{
	struct engine *e;

	if (block_engine_check_env(env, "dbt", why, why_len))
		return -1;
	e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(why, why_len, "dbt: out of memory");
		return -1;
	}
	e->mem = env->mem;
	e->model = env->cpu_model;
	e->cache_mib = env->code_cache_mib ? env->code_cache_mib : CODE_CACHE_DEFAULT_MIB;
	e->traces = env->dbt_traces == DBT_TRACES_ALL	? DECODE_TRACES_ALL
		    : env->dbt_traces == DBT_TRACES_OFF ? DECODE_TRACES_NONE
							: DECODE_TRACES_USER;
	if (env->lockstep && env->vcpu_count != 1) {
		snprintf(why, why_len, "--lockstep runs one vCPU only");
		free(e);
		return -1;
	}
	e->lockstep = env->lockstep;
	e->uncounted = !env->stats && !env->lockstep;
	/* Test-only, not in --help: the lockstep test's deliberate translation bug. */
	e->inject_bug = getenv("RINGVISOR_DBT_INJECT_BUG") != NULL;
	if (env->perfmap && open_perfmap(e, why, why_len)) {
		free(e);
		return -1;
	}
	*out = e;
	return 0;
}

static void dbt_destroy(struct engine *e)
{
	if (e->perfmap)
		fclose(e->perfmap);
	free(e);
}

static void dbt_vcpu_destroy(struct engine_vcpu *v)
{
	block_engine_vcpu_fini(&v->b);
	links_forget(v);
	free(v->fragile.sites);
	code_cache_destroy(&v->cc);
	lockstep_free(v->lockstep);
	free(v->bodies);
	free(v->callouts);
	free(v);
}

static int dbt_vcpu_create(struct engine *e, int index, struct engine_vcpu **out)
{
	struct engine_vcpu *v = calloc(1, sizeof(*v));
	char why[256];

	if (!v)
		return -1;
	if (code_cache_init(&v->cc, e->cache_mib, why, sizeof(why))) {
		log_error("dbt: %s", why);
		free(v);
		return -1;
	}
	v->inject_bug = e->inject_bug;
	v->uncounted = e->uncounted;
	v->perfmap = e->perfmap;
	v->created_ns = soft_clock_ns();
	v->bodies = calloc(3, sizeof(*v->bodies));
	v->callouts = calloc(ZYDIS_MNEMONIC_MAX_VALUE + 1, sizeof(*v->callouts));
	if (v->bodies)
		clear_bodies(v);
	if (!v->bodies || !v->callouts || block_engine_vcpu_init(&v->b, e->mem, e->model, index) ||
	    (e->lockstep && !(v->lockstep = lockstep_new(&lockstep_engine)))) {
		dbt_vcpu_destroy(v);
		return -1;
	}
	v->b.lin_forgotten = forget_bodies;
	v->b.page_dropped = page_dropped;
	v->b.lookups_forgotten = lookups_forgotten;
	v->b.decode_traces = e->traces;
	*out = v;
	return 0;
}

/* The n instructions run most often by the core (callouts and slow paths),
 * each as a share of all. */
static void add_top_callouts(const struct engine_vcpu *v, struct engine_stats *st, unsigned n)
{
	uint64_t total = 0, shown[8] = { 0 };

	for (unsigned m = 0; m <= ZYDIS_MNEMONIC_MAX_VALUE; m++)
		total += v->callouts[m];
	for (unsigned k = 0; k < n && k < 8; k++) {
		unsigned best = 0;

		for (unsigned m = 1; m <= ZYDIS_MNEMONIC_MAX_VALUE; m++) {
			bool taken = false;

			for (unsigned t = 0; t < k; t++)
				taken |= shown[t] == m;
			if (!taken && v->callouts[m] > v->callouts[best])
				best = m;
		}
		if (!v->callouts[best])
			return;
		shown[k] = best;
		engine_stats_add_ratio(st, ZydisMnemonicGetString((ZydisMnemonic)best), "run by the core",
				       v->callouts[best], total);
	}
}

static void dbt_stats(struct engine_vcpu *v, struct engine_stats *st)
{
	uint64_t hits, misses;

	block_cache_stats(v->b.cache, &hits, &misses);
	engine_stats_add_ratio(st, "blocks entered from the loop", "lookups", v->runs_translated, hits + misses);
	engine_stats_add_ratio(st, "exits found in the jump cache", "calls", v->runs_chained, v->chain_calls);
	engine_stats_add_ratio(st, "link sites linked", "unlinked exits taken", v->links_made, v->link_calls);
	engine_stats_add_ratio(st, "translation cache used", "bytes", v->cc.used, v->cc.size);
	engine_stats_add_ratio(st, "translated as themselves", "instructions translated", v->insns_ident,
			       v->insns_translated);
	engine_stats_add_ratio(st, "time translating", "us since the vCPU began", v->translate_ns / 1000,
			       (soft_clock_ns() - v->created_ns) / 1000);
	engine_stats_add_ratio(st, "cache flushes", "blocks translated", v->flushes, v->blocks_translated);
	engine_stats_add_ratio(st, "blocks again without a straddling group", "blocks translated", v->groups_barred,
			       v->blocks_translated);
	add_top_callouts(v, st, 4);
	/* The rest ran decoded only (they wrote code: lockstep.h) or diverged. */
	if (v->lockstep)
		engine_stats_add_ratio(st, "lockstep: compared with interp", "blocks run translated",
				       lockstep_compared(v->lockstep), v->runs_translated);
	block_engine_stats(v, st);
}

/* Translated code keeps the guest's flags with LAHF/SAHF (translate.c),
 * which 64-bit mode has only where CPUID 8000_0001h ECX bit 0 says so: every
 * x86-64 CPU but the first Intel ones (SDM Vol. 2, LAHF). */
static int dbt_probe(char *why, size_t why_len)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(0x80000001, &a, &b, &c, &d) || !(c & 1)) {
		snprintf(why, why_len, "this host CPU has no LAHF/SAHF in 64-bit mode");
		return -1;
	}
	return block_engine_probe(why, why_len);
}

const struct engine_ops dbt_engine_ops = {
	.name = "dbt",
	.description = "dynamic binary translation of guest basic blocks into host code",
	.probe = dbt_probe,
	.provides_model = block_engine_provides_model,
	.create = dbt_create,
	.destroy = dbt_destroy,
	.vcpu_create = dbt_vcpu_create,
	.vcpu_destroy = dbt_vcpu_destroy,
	.run = dbt_run,
	.get_state = block_engine_get_state,
	.set_state = block_engine_set_state,
	.kick = block_engine_kick,
	.get_pvclock = block_engine_get_pvclock,
	.set_pvclock = block_engine_set_pvclock,
	.forget_writable = block_engine_forget_writable,
	.interrupt_ready = block_engine_interrupt_ready,
	.inject_interrupt = block_engine_inject_interrupt,
	.inject_nmi = block_engine_inject_nmi,
	.request_interrupt_window = block_engine_request_interrupt_window,
	.stats = dbt_stats,
	.disassemble = block_engine_disassemble,
};
