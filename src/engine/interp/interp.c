/* The interp engine: every guest instruction is decoded (once, into the decode
 * cache) and emulated in software, so every sensitive instruction is caught by
 * construction. This file holds the ops table, the run loop and the state
 * conversion; decode.c, mem.c, flags.c, fault.c, segment.c and exec_*.c hold the
 * rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "engine/hypercall_abi.h"
#include "engine/interp/cache.h"
#include "engine/interp/debug.h"
#include "engine/interp/flags.h"
#include "engine/interp/interp.h"
#include "engine/interp/kvmclock.h"
#include "log.h"
#include "vm/memory.h"
#include "x86/arch.h"
#include "x86/pvclock.h"

struct engine {
	struct guest_memory *mem;
};

struct engine_vcpu {
	struct interp_cpu cpu;
};

/* ---- leaving an instruction ------------------------------------------------ */

void cpu_raise(struct interp_cpu *cpu, uint8_t vector, bool has_error, uint32_t error)
{
	cpu->exc_vector = vector;
	cpu->exc_has_error = has_error;
	cpu->exc_error = error;
	longjmp(cpu->unwind, UNWIND_EXCEPTION);
}

void cpu_exit_and_replay(struct interp_cpu *cpu)
{
	longjmp(cpu->unwind, UNWIND_EXIT);
}

void cpu_update_mode(struct interp_cpu *cpu)
{
	const struct x86_segment *cs = &cpu->seg[SREG_CS];
	uint8_t old = cpu->mode;

	if (!(cpu->cr0 & CR0_PE))
		cpu->mode = MODE_REAL;
	else if ((cpu->efer & EFER_LMA) && cs->l)
		cpu->mode = MODE_LONG64;
	else if (cpu->efer & EFER_LMA)
		cpu->mode = cs->db ? MODE_LONG_COMPAT32 : MODE_LONG_COMPAT16;
	else
		cpu->mode = cs->db ? MODE_PROT32 : MODE_PROT16;
	cpu->cpl = cpu->mode == MODE_REAL ? 0 : (cpu->rflags & (1ull << 17)) ? 3 : cs->dpl;
	cpu->user_data_set = (cpu->cr0 & CR0_AM) && (cpu->rflags & (1ull << 18)) ? TLB_SET_ALIGN_CHECK : 1;
	if (cpu->mode == MODE_REAL || cpu->mode == MODE_PROT16 || cpu->mode == MODE_LONG_COMPAT16)
		cpu->ip_mask = 0xffff;
	else if (cpu->mode == MODE_LONG64)
		cpu->ip_mask = ~0ull;
	else
		cpu->ip_mask = 0xffffffff;
	if (old != cpu->mode)
		cpu->block_dirty = true;
}

void cpu_paging_changed(struct interp_cpu *cpu, bool keep_global)
{
	tlb_flush(cpu, keep_global);
	cpu->block_dirty = true;
}

/* ---- the run loop ---------------------------------------------------------- */

void cpu_deliver_event(struct interp_cpu *cpu, uint8_t vector, enum x86_event_type type, bool has_error, uint32_t error)
{
	cpu->event_in_flight = true;
	fault_deliver(cpu, vector, type, has_error, error);
	cpu->event_in_flight = false;
	cpu->replay_count = cpu->replay_pos = 0;
}

static void take_exit(struct interp_cpu *cpu, enum vm_exit_reason reason)
{
	memset(&cpu->exit, 0, sizeof(cpu->exit));
	cpu->exit.reason = reason;
	cpu->exit.rip = cpu->rip;
	cpu->exit_ready = true;
}

static bool interrupts_open(const struct interp_cpu *cpu)
{
	return (cpu->rflags & FL_IF) && !cpu->interrupt_shadow;
}

/* Between blocks: events the VMM asked for, interrupts, halts. Returns true when
 * run() must return with cpu->exit. */
static bool at_boundary(struct interp_cpu *cpu)
{
	if (__atomic_exchange_n(&cpu->kicked, 0, __ATOMIC_ACQ_REL)) {
		take_exit(cpu, EXIT_INTERRUPTED);
		return true;
	}
	/* NMI before external interrupts; blocked while an NMI handler runs (until
	 * IRET) and by the MOV SS / STI shadow. */
	if (cpu->nmi_pending && !cpu->nmi_masked && !cpu->interrupt_shadow) {
		cpu->nmi_pending = false;
		cpu->nmi_masked = true;
		cpu->halted = false;
		cpu_deliver_event(cpu, EXC_NMI, EVENT_NMI, false, 0);
		if (cpu->exit_ready)
			return true;
	}
	if (cpu->pending_irq >= 0 && interrupts_open(cpu)) {
		uint8_t vector = (uint8_t)cpu->pending_irq;

		cpu->pending_irq = -1;
		cpu->halted = false;
		/* After an iteration of a REP string instruction but the last, the
		 * pushed RF is 1 (SDM 17.3.1.1), so that an instruction breakpoint on it
		 * does not fire again when it resumes. */
		if (cpu->dbg.rep_unfinished)
			cpu->rflags |= FL_RF;
		cpu_deliver_event(cpu, vector, EVENT_EXTINT, false, 0);
		if (cpu->exit_ready)
			return true;
	}
	if (cpu->want_irq_window && interrupts_open(cpu) && cpu->pending_irq < 0) {
		cpu->want_irq_window = false;
		take_exit(cpu, EXIT_INTERRUPT_WINDOW);
		return true;
	}
	if (cpu->halted) {
		take_exit(cpu, EXIT_HLT);
		cpu->exit.hlt.interrupts_enabled = (cpu->rflags & FL_IF) != 0;
		return true;
	}
	return false;
}

/* Runs one instruction of block b; returns false when the block must be left
 * (control or mode changed, code was written, an event needs looking at). */
static inline bool step(struct interp_cpu *cpu, const struct insn *in)
{
	cpu->cur_insn = in;
	cpu->rip_next = cpu->rip + in->len;
	in->fn(cpu, in);
	cpu->rip = cpu->rip_next & cpu->ip_mask;
	cpu->icount++;
	return !__builtin_expect(cpu->block_dirty, 0);
}

/* One instruction of the debug path (debug.h): instruction breakpoints and RF
 * before it, the #DB traps after it. Returns false when the block must be left. */
static bool debug_step(struct interp_cpu *cpu, const struct insn *in, bool resumed)
{
	bool tf_before = cpu->rflags & FL_TF;

	/* A resumed instruction passed its breakpoint check on its first run. */
	if (!resumed)
		debug_before_insn(cpu);
	cpu->interrupt_shadow = false;
	cpu->dbg.delivered = false;
	step(cpu, in);
	if (cpu->exit_ready) {
		cpu->block_dirty = false;
		return false;
	}
	debug_after_insn(cpu, in, tf_before);
	if (cpu->block_dirty) {
		cpu->block_dirty = false;
		return false;
	}
	return true;
}

/* The fast path left its block early after `in`: a data or I/O breakpoint hit, or
 * a SYSRET that set TF, traps now. */
static inline void fast_path_left(struct interp_cpu *cpu, const struct insn *in)
{
	if (__builtin_expect(cpu->dbg.hits || (cpu->rflags & FL_TF), 0))
		debug_after_insn(cpu, in, false);
}

/* Outside 64-bit mode every byte of an instruction must lie within CS (SDM Vol. 3,
 * 5.3; in real mode too, where IP does not wrap but faults): returns the first
 * instruction of [in, end) that is not wholly within the limit, starting at RIP.
 * A block is at most a page plus one instruction long, so flat segments skip the
 * walk. */
static const struct insn *cs_limit_end(const struct interp_cpu *cpu, const struct insn *in, const struct insn *end)
{
	uint64_t limit = cpu->seg[SREG_CS].limit, off = cpu->rip;

	if (off + 4096 + 16 <= limit)
		return end;
	for (; in < end; in++) {
		if (off + in->len - 1 > limit)
			return in;
		off += in->len;
	}
	return end;
}

/* Runs instructions until an exit is ready. Unwinds by longjmp on exceptions and
 * on exits in the middle of an instruction. Everything that ends a block early
 * (an exit, an interrupt shadow, written code, a mode change) sets block_dirty. */
static void execute(struct interp_cpu *cpu)
{
	for (;;) {
		const struct block *b;
		const struct insn *in, *end;
		bool shadow;

		if (cpu->resume_block) {
			/* Re-run the instruction that exited, with its answer, before anything
			 * else: it is atomic, no event may come between. */
			b = cpu->resume_block;
			in = cpu->resume_insn;
			cpu->resume_block = NULL;
			cpu->cur_block = b;
			if (debug_slow_path(cpu)) {
				bool more = debug_step(cpu, in, true);

				cpu->replay_count = cpu->replay_pos = 0;
				if (cpu->exit_ready)
					return;
				if (!more)
					continue;
			} else if (!step(cpu, in)) {
				cpu->replay_count = cpu->replay_pos = 0;
				cpu->block_dirty = false;
				if (cpu->exit_ready)
					return;
				fast_path_left(cpu, in);
				cpu->block_dirty = false;
				if (cpu->exit_ready)
					return;
				continue;
			}
			cpu->replay_count = cpu->replay_pos = 0;
			in++;
		} else {
			if (at_boundary(cpu))
				return;
			/* No block is running until the lookup returns one (it may fault). */
			cpu->cur_block = NULL;
			cpu->cur_insn = NULL;
			cache_reap(cpu->cache);
			b = cache_lookup(cpu);
			in = b->insns;
			cpu->cur_block = b;
		}
		/* The instruction after STI or MOV SS runs alone, then events are checked. */
		shadow = cpu->interrupt_shadow;
		end = b->insns + b->count;
		if (shadow && in < end)
			end = in + 1;
		if (cpu->mode != MODE_LONG64) {
			end = cs_limit_end(cpu, in, end);
			if (in == end && in < b->insns + b->count)
				cpu_raise(cpu, EXC_GP, true, 0);
		}
		if (__builtin_expect(debug_slow_path(cpu), 0)) {
			for (; in < end; in++)
				if (!debug_step(cpu, in, false))
					break;
			if (cpu->exit_ready)
				return;
			continue;
		}
		cpu->interrupt_shadow = false;
		for (; in < end; in++) {
			if (!step(cpu, in)) {
				cpu->block_dirty = false;
				if (cpu->exit_ready)
					return;
				fast_path_left(cpu, in);
				cpu->block_dirty = false;
				if (cpu->exit_ready)
					return;
				break;
			}
		}
	}
}

/* Apply what the VMM answered for the previous exit, before the instruction that
 * caused it runs again. */
static void complete_exit(struct interp_cpu *cpu, const struct vm_exit *exit)
{
	struct replay_entry *e;

	if (!cpu->replay_count)
		return;
	e = &cpu->replay[cpu->replay_count - 1];
	if (e->done)
		return;
	e->done = true;
	if (cpu->hypercall_pending) {
		cpu->gpr[GPR_RAX] = exit->hypercall.result;
		cpu->hypercall_pending = false;
		return;
	}
	if (e->kind == REPLAY_IN)
		memcpy(&e->data, exit->io.data, e->size);
	else if (e->kind == REPLAY_MMIO_READ)
		memcpy(&e->data, exit->mmio.data, e->size);
}

static int interp_run(struct engine_vcpu *v, struct vm_exit *exit)
{
	struct interp_cpu *cpu = &v->cpu;
	int why;

	complete_exit(cpu, exit);
	cpu->exit_ready = false;
	why = setjmp(cpu->unwind);
	/* Breakpoint hits of an instruction that did not complete are forgotten; it
	 * meets them again when it runs again. */
	cpu->dbg.hits = 0;
	if (why == UNWIND_EXIT) {
		cpu->replay_pos = 0;
		*exit = cpu->exit;
		if (cpu->event_in_flight)
			return 0; /* the delivery runs again on the next run() */
		/* Leave with the instruction unfinished; it runs again on the next run().
		 * An event it was delivering (INT n) is delivered again with it. */
		cpu->fault_depth = 0;
		cpu->resume_block = cpu->cur_block;
		cpu->resume_insn = cpu->cur_insn;
		if (!cpu->cur_block) {
			/* Only instructions and deliveries exit; anything else is a bug
			 * that must not resume into a block. */
			log_error("interp: exit outside an instruction at rip %#llx", (unsigned long long)cpu->rip);
			exit->reason = EXIT_INTERNAL_ERROR;
		}
		return 0;
	}
	if (why == UNWIND_EXCEPTION) {
		cpu->replay_count = cpu->replay_pos = 0;
		cpu->resume_block = NULL;
		cpu->dbg.held = false; /* a #DB held by MOV SS goes with the faulting instruction */
		cpu_deliver_event(cpu, cpu->exc_vector, EVENT_EXCEPTION, cpu->exc_has_error, cpu->exc_error);
		if (cpu->exit_ready) {
			*exit = cpu->exit;
			return 0;
		}
	} else if (cpu->event_in_flight) {
		/* Finish the delivery an exit interrupted, with the VMM's answer. */
		fault_deliver_again(cpu);
		cpu->event_in_flight = false;
		cpu->replay_count = cpu->replay_pos = 0;
		if (cpu->exit_ready) {
			*exit = cpu->exit;
			return 0;
		}
	}
	execute(cpu);
	*exit = cpu->exit;
	return 0;
}

/* ---- state ------------------------------------------------------------------- */

static int interp_get_state(struct engine_vcpu *v, struct vcpu_state *s)
{
	struct interp_cpu *cpu = &v->cpu;

	memset(s, 0, sizeof(*s));
	memcpy(s->gpr, cpu->gpr, sizeof(s->gpr));
	s->rip = cpu->rip;
	s->rflags = flags_get(cpu);
	memcpy(s->seg, cpu->seg, sizeof(s->seg));
	s->ldtr = cpu->ldtr;
	s->tr = cpu->tr;
	s->gdtr = cpu->gdtr;
	s->idtr = cpu->idtr;
	s->cr0 = cpu->cr0;
	s->cr2 = cpu->cr2;
	s->cr3 = cpu->cr3;
	s->cr4 = cpu->cr4;
	s->cr8 = cpu->cr8;
	s->efer = cpu->efer;
	s->apic_base = cpu->apic_base;
	memcpy(s->dr, cpu->dr, sizeof(s->dr));
	s->msr = cpu->msr;
	s->msr.tsc = cpu_read_tsc(cpu);
	s->msr.kvm_system_time = cpu->kvm_system_time;
	s->msr.kvm_wall_clock = cpu->kvm_wall_clock;
	s->fpu = cpu->fpu;
	s->interrupt_shadow = cpu->interrupt_shadow;
	s->nmi_masked = cpu->nmi_masked;
	s->halted = cpu->halted;
	/* An interrupt injected but not yet taken belongs to the state. */
	if (cpu->pending_irq >= 0)
		s->pending = (struct x86_event){ EVENT_EXTINT, (uint8_t)cpu->pending_irq, false, 0 };
	/* So is a delivery an exit interrupted: RIP is still where it came from. */
	if (cpu->event_in_flight)
		s->pending = cpu->delivering;
	return 0;
}

static int interp_set_state(struct engine_vcpu *v, const struct vcpu_state *s)
{
	struct interp_cpu *cpu = &v->cpu;

	memcpy(cpu->gpr, s->gpr, sizeof(cpu->gpr));
	cpu->rip = s->rip;
	cpu->rflags = s->rflags | RFLAGS_FIXED;
	cpu->lf.op = LF_NONE;
	memcpy(cpu->seg, s->seg, sizeof(cpu->seg));
	cpu->ldtr = s->ldtr;
	cpu->tr = s->tr;
	cpu->gdtr = s->gdtr;
	cpu->idtr = s->idtr;
	cpu->cr0 = s->cr0;
	cpu->cr2 = s->cr2;
	cpu->cr3 = s->cr3;
	cpu->cr4 = s->cr4;
	cpu->cr8 = s->cr8;
	cpu->efer = s->efer;
	cpu->apic_base = s->apic_base;
	memcpy(cpu->dr, s->dr, sizeof(cpu->dr));
	memset(&cpu->dbg, 0, sizeof(cpu->dbg));
	cpu->msr = s->msr;
	cpu_write_tsc(cpu, s->msr.tsc);
	cpu->kvm_wall_clock = s->msr.kvm_wall_clock;
	kvmclock_msr_write(cpu, MSR_KVM_SYSTEM_TIME_NEW, s->msr.kvm_system_time);
	cpu->fpu = s->fpu;
	cpu->interrupt_shadow = s->interrupt_shadow;
	cpu->nmi_masked = s->nmi_masked;
	cpu->halted = s->halted;
	cpu->pending_irq = -1;
	cpu->fault_depth = 0;
	cpu->event_in_flight = false;
	if (s->pending.type == EVENT_EXTINT) {
		cpu->pending_irq = s->pending.vector;
	} else if (s->pending.type == EVENT_EXCEPTION || s->pending.type == EVENT_NMI) {
		/* Being delivered: the next run() delivers it from its start. */
		cpu->delivering = s->pending;
		cpu->event_in_flight = true;
	}
	/* A new state replaces any instruction waiting for its exit to complete. */
	cpu->replay_count = cpu->replay_pos = 0;
	cpu->resume_block = NULL;
	cpu->hypercall_pending = false;
	cpu_update_mode(cpu);
	debug_update(cpu);
	tlb_flush(cpu, false);
	cache_flush(cpu);
	/* PAE paging needs its PDPTE registers; a state load does not check them. */
	for (unsigned i = 0; i < 4; i++) {
		const uint64_t *p = guest_memory_ptr(cpu->mem, (cpu->cr3 & 0xffffffe0ull) + i * 8, 8);

		cpu->pdpte[i] = p ? *p : 0;
	}
	return 0;
}

/* ---- the ops table ----------------------------------------------------------- */

static int interp_probe(char *why, size_t why_len)
{
	(void)why;
	(void)why_len;
	return 0; /* runs wherever ringvisor runs */
}

static int interp_create(const struct engine_env *env, struct engine **out, char *why, size_t why_len)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e) {
		snprintf(why, why_len, "interp: out of memory");
		return -1;
	}
	e->mem = env->mem;
	*out = e;
	return 0;
}

static void interp_destroy(struct engine *e)
{
	free(e);
}

static uint64_t max_gpa(const struct guest_memory *mem)
{
	const struct mem_region *last = &mem->region[mem->nregions - 1];

	return last->gpa + last->size;
}

static int interp_vcpu_create(struct engine *e, int index, struct engine_vcpu **out)
{
	struct engine_vcpu *v = calloc(1, sizeof(*v));

	if (!v)
		return -1;
	v->cpu.mem = e->mem;
	v->cpu.index = index;
	v->cpu.pending_irq = -1;
	/* The TSC reads 0 at reset (SDM Vol. 3, table 10-1), and kvmclock starts at 0. */
	v->cpu.clock_base_ns = soft_clock_ns();
	v->cpu.tsc_offset = -v->cpu.clock_base_ns;
	v->cpu.cache = cache_create(max_gpa(e->mem));
	v->cpu.decode_scratch = decode_scratch_new();
	if (!v->cpu.cache) {
		free(v);
		return -1;
	}
	debug_update(&v->cpu); /* DR6 and DR7 as after RESET */
	tlb_flush(&v->cpu, false);
	*out = v;
	return 0;
}

static void interp_vcpu_destroy(struct engine_vcpu *v)
{
	cache_destroy(v->cpu.cache);
	free(v->cpu.decode_scratch);
	free(v);
}

static void interp_kick(struct engine_vcpu *v)
{
	__atomic_store_n(&v->cpu.kicked, 1, __ATOMIC_RELEASE);
}

static int interp_interrupt_ready(struct engine_vcpu *v)
{
	return interrupts_open(&v->cpu) && v->cpu.pending_irq < 0;
}

static int interp_inject_interrupt(struct engine_vcpu *v, uint8_t vector)
{
	struct interp_cpu *cpu = &v->cpu;

	if (!interrupts_open(cpu) || cpu->pending_irq >= 0)
		return -1;
	cpu->pending_irq = vector;
	return 0;
}

static int interp_inject_nmi(struct engine_vcpu *v)
{
	v->cpu.nmi_pending = true;
	return 0;
}

static void interp_request_interrupt_window(struct engine_vcpu *v, int on)
{
	v->cpu.want_irq_window = on != 0;
}

static int interp_disassemble(struct engine_vcpu *v, char *buf, size_t len)
{
	static const ZydisMachineMode modes[MODE_COUNT] = {
		[MODE_REAL] = ZYDIS_MACHINE_MODE_REAL_16,
		[MODE_PROT16] = ZYDIS_MACHINE_MODE_LEGACY_16,
		[MODE_PROT32] = ZYDIS_MACHINE_MODE_LEGACY_32,
		[MODE_LONG_COMPAT16] = ZYDIS_MACHINE_MODE_LONG_COMPAT_16,
		[MODE_LONG_COMPAT32] = ZYDIS_MACHINE_MODE_LONG_COMPAT_32,
		[MODE_LONG64] = ZYDIS_MACHINE_MODE_LONG_64,
	};
	struct interp_cpu *cpu = &v->cpu;
	uint64_t lin = cpu->mode == MODE_LONG64 ? cpu->rip : (cpu->seg[SREG_CS].base + cpu->rip) & 0xffffffffull;
	uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
	ZydisDisassembledInstruction insn;
	size_t n = 0;

	/* Byte by byte: the instruction may cross into another page. */
	for (; n < sizeof(bytes); n++) {
		uint64_t gpa;
		const uint8_t *p;

		if (!mmu_probe(cpu, lin + n, ACC_EXEC, &gpa) || !(p = guest_memory_ptr(cpu->mem, gpa, 1)))
			break;
		bytes[n] = *p;
	}
	if (!ZYAN_SUCCESS(ZydisDisassembleIntel(modes[cpu->mode], cpu->rip, bytes, n, &insn)))
		return -1;
	snprintf(buf, len, "%s", insn.text);
	return 0;
}

static void interp_stats(struct engine_vcpu *v, struct engine_stats *st)
{
	struct interp_cpu *cpu = &v->cpu;

	uint64_t hits, misses;

	cache_stats(cpu->cache, &hits, &misses);
	st->instructions += cpu->icount;
	st->decode_hits += hits;
	st->decode_misses += misses;
	st->tlb_misses += cpu->tlb.misses;
	st->tlb_hits += cpu->tlb.hits;
}

const struct engine_ops interp_engine_ops = {
	.name = "interp",
	.description = "x86-64 interpreter with a software MMU (trap-and-emulate in software)",
	.probe = interp_probe,
	.create = interp_create,
	.destroy = interp_destroy,
	.vcpu_create = interp_vcpu_create,
	.vcpu_destroy = interp_vcpu_destroy,
	.run = interp_run,
	.get_state = interp_get_state,
	.set_state = interp_set_state,
	.kick = interp_kick,
	.interrupt_ready = interp_interrupt_ready,
	.inject_interrupt = interp_inject_interrupt,
	.inject_nmi = interp_inject_nmi,
	.request_interrupt_window = interp_request_interrupt_window,
	.stats = interp_stats,
	.disassemble = interp_disassemble,
};
