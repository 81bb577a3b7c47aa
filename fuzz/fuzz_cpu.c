/* The CPU core (the interp engine, through its ops table) running short random
 * programs, with the IDT, GDT, TSS, stack and page tables wherever the input
 * puts them: RAM, across the end of RAM, just beyond RAM, the MMIO hole, or
 * where nothing answers (fuzz/support/cpu_world.h). The fuzzer answers exits as
 * the VM loop would (ports read all ones, MMIO from a memory-like device or all
 * ones, hypercalls fail) and can inject one external interrupt.
 *
 * Input:
 *   [0]      mode: real, protected 32, protected 32 with paging, long 64
 *   [1..5]   IDT, GDT, TSS, stack, page tables: low nibble the place (modulo 5),
 *            bits 4-6 which part straddles the end of RAM
 *   [6]      flags (WF_* in cpu_world.h): IF, TF, CPL 3, code at the end of RAM...
 *   [7], [8] an external interrupt: vector (0: none), and after how many exits
 *   [9..16]  16 nibbles: the GPRs, each an index into a palette of addresses
 *   [17]     handler length (modulo 65)
 *   [18]     protected modes: a CS limit 4 * [18] bytes into the code (0: flat)
 *   [19]     paging: this 4 KiB page of RAM is not present (bit 7 set: none)
 *   [20..]   the handler, then the code
 *
 * Findings (besides sanitizer reports), each a "FINDING:" line and abort():
 *   - run() fails, or returns an internal error or a malformed exit;
 *   - RIP not canonical (64-bit) or above 4 GiB (other modes);
 *   - an MMIO exit for RAM, or one that crosses a page;
 *   - no progress: the same exit at least SAME_EXIT_LIMIT times in a row, or
 *     STUCK_SLICES run()s in a row that each took a whole slice of CPU time, with
 *     no instruction retired and the registers unchanged. Every gate leads to an OUT first
 *     (WORLD_PORT_DELIVERED), so a guest that keeps taking events retires that
 *     OUT each time; only a vCPU that never completes what it is doing stands
 *     still. The exceptions: when the handler's own page is not present, or a gate
 *     the world did not build (an IDT partly beyond RAM) sends the vCPU beyond
 *     RAM, a #PF through an IST gate repeats with the same registers for ever,
 *     as on hardware (the kicks still end each run(), and MAX_EXITS ends the
 *     input when each delivery exits).
 * A guest that loops legitimately is stopped after MAX_SLICES time slices or
 * MAX_EXITS exits. FUZZ_CPU_TRACE=1 in the environment prints every exit. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "support/cpu_world.h"
#include "x86/arch.h"
#include "x86/cpu_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER 20
#define MAX_HANDLER 64
#define MAX_CODE 1024
#define MAX_EXITS 1000
/* Well above what one instruction may legitimately repeat (REPLAY_MAX accesses). */
#define SAME_EXIT_LIMIT 100
/* The slice timer ticks every SLICE_NS of this thread's CPU time (in practice at
 * the kernel's tick, a few ms) and kicks the vCPU if it is running. */
#define SLICE_NS 2000000L
#define MAX_SLICES 4 /* kicks before a guest looping without exits is stopped */
/* Slices in a row without progress that make a finding: one is not enough to
 * judge, as a host that preempts the machine this runs on charges the time to
 * whichever thread was running, so a run() of 50 us can be billed 2 ms (seen
 * once in CI, on an input that passes). Fewer than MAX_SLICES, as the slice in
 * which a spinning vCPU took its last event shows progress. */
#define STUCK_SLICES 2
#define HYPERCALL_ENOSYS ((uint64_t)-1000)

static const struct engine_ops *ops;
static struct engine *engine;
static struct world world;
static struct engine_vcpu *volatile ticking;
static timer_t slice_timer;
static bool trace; /* FUZZ_CPU_TRACE=1: print every exit */

static void finding(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void finding(const char *fmt, ...)
{
	va_list ap;

	fputs("FINDING: cpu: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void on_slice_end(int sig)
{
	struct engine_vcpu *v = ticking;

	(void)sig;
	if (v)
		ops->kick(v);
}

static void setup(void)
{
	struct engine_env env = { .mem = &world.ram.mem, .vcpu_count = 1, .cpu_model = cpu_model_find("v2") };
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN + 5 };
	struct sigaction sa = { .sa_handler = on_slice_end, .sa_flags = SA_RESTART };
	struct itimerspec every = { .it_interval = { 0, SLICE_NS }, .it_value = { 0, SLICE_NS } };
	char why[256];

	trace = getenv("FUZZ_CPU_TRACE") != NULL;
	world_init(&world);
	ops = engine_find("interp");
	if (!ops || ops->create(&env, &engine, why, sizeof(why)))
		finding("cannot create the interp engine");
	sigemptyset(&sa.sa_mask);
	/* CPU time, not wall time: a slice is time the vCPU really ran, however
	 * busy the host is. */
	if (sigaction(SIGRTMIN + 5, &sa, NULL) || timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &slice_timer) ||
	    timer_settime(slice_timer, 0, &every, NULL))
		finding("cannot set up the slice timer");
}

static void parse(const uint8_t *d, size_t size, struct world_spec *s, uint8_t *irq_vector, unsigned *irq_at)
{
	size_t rest = size - HEADER;

	memset(s, 0, sizeof(*s));
	s->mode = d[0] % WM_COUNT;
	for (unsigned i = 0; i < WS_COUNT; i++) {
		s->place[i] = (d[1 + i] & 0xf) % PLACE_COUNT;
		s->variant[i] = (d[1 + i] >> 4) & 7;
	}
	s->flags = d[6];
	*irq_vector = d[7];
	*irq_at = d[8];
	for (unsigned i = 0; i < GPR_COUNT; i++)
		s->regs[i] = (d[9 + i / 2] >> (4 * (i % 2))) & 7;
	s->handler_len = d[17] % (MAX_HANDLER + 1);
	s->cs_limit = d[18];
	s->missing_page = d[19];
	if (s->handler_len > rest)
		s->handler_len = rest;
	s->handler = d + HEADER;
	s->code = d + HEADER + s->handler_len;
	s->code_len = rest - s->handler_len;
	if (s->code_len > MAX_CODE)
		s->code_len = MAX_CODE;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One run(); the slice timer kicks it if it runs on. Returns the CPU time it
 * took: a kick can also land just after run() returned and end the next run()
 * at once, so only the time tells a run that lasted a whole slice. */
static uint64_t run_once(struct engine_vcpu *v, struct vm_exit *exit)
{
	uint64_t start = thread_cpu_ns();
	int rc;

	ticking = v;
	rc = ops->run(v, exit);
	ticking = NULL;
	if (rc)
		finding("run() failed (%d)", rc);
	return thread_cpu_ns() - start;
}

/* What tells progress: retired instructions and the registers. */
struct progress {
	uint64_t icount;
	uint64_t gpr[GPR_COUNT];
	uint64_t rip, rflags;
};

static void progress_of(struct engine_vcpu *v, const struct vcpu_state *st, struct progress *p)
{
	struct engine_stats stats = { 0 };

	ops->stats(v, &stats);
	memset(p, 0, sizeof(*p));
	p->icount = stats.instructions;
	memcpy(p->gpr, st->gpr, sizeof(p->gpr));
	p->rip = st->rip;
	p->rflags = st->rflags;
}

static void check_rip(const struct vcpu_state *st, uint64_t rip, const char *what)
{
	bool mode64 = (st->efer & EFER_LMA) && st->seg[SREG_CS].l;

	if (mode64 ? rip + (1ull << 47) >= (1ull << 48) : rip > 0xffffffffull)
		finding("%s 0x%llx is not %s", what, (unsigned long long)rip, mode64 ? "canonical" : "below 4 GiB");
}

static void check_exit(const struct vm_exit *e, const struct vcpu_state *st)
{
	switch (e->reason) {
	case EXIT_IO:
		if ((e->io.size != 1 && e->io.size != 2 && e->io.size != 4) || !e->io.count || !e->io.data ||
		    e->io.count * e->io.size > 4096)
			finding("malformed I/O exit: port 0x%x size %u count %u", e->io.port, e->io.size, e->io.count);
		break;
	case EXIT_MMIO:
		if (e->mmio.size != 1 && e->mmio.size != 2 && e->mmio.size != 4 && e->mmio.size != 8)
			finding("MMIO exit of size %u", e->mmio.size);
		if ((e->mmio.gpa & 0xfff) + e->mmio.size > 4096)
			finding("MMIO exit crossing a page at 0x%llx", (unsigned long long)e->mmio.gpa);
		for (unsigned i = 0; i < e->mmio.size; i++)
			if (world_is_ram(&world, e->mmio.gpa + i, 1))
				finding("MMIO exit for RAM at 0x%llx", (unsigned long long)e->mmio.gpa);
		break;
	case EXIT_INTERNAL_ERROR:
		finding("internal error: %s (0x%llx)", e->internal.what ? e->internal.what : "?",
			(unsigned long long)e->internal.code);
	case EXIT_NONE:
	case EXIT_REASON_COUNT:
		finding("exit reason %d", (int)e->reason);
	default:
		if ((unsigned)e->reason >= EXIT_REASON_COUNT)
			finding("exit reason %d", (int)e->reason);
		break;
	}
	check_rip(st, st->rip, "RIP");
	if (e->rip)
		check_rip(st, e->rip, "the exit's RIP");
}

static bool same_exit(const struct vm_exit *a, const struct vm_exit *b)
{
	if (a->reason != b->reason || a->rip != b->rip)
		return false;
	if (a->reason == EXIT_MMIO)
		return a->mmio.gpa == b->mmio.gpa && a->mmio.size == b->mmio.size &&
		       a->mmio.is_write == b->mmio.is_write &&
		       !memcmp(a->mmio.data, b->mmio.data, sizeof(a->mmio.data));
	if (a->reason == EXIT_IO)
		return a->io.port == b->io.port && a->io.size == b->io.size && a->io.is_write == b->io.is_write;
	return true;
}

/* Answers the exit as the VM loop would; false when the run is over. */
static bool answer(struct engine_vcpu *v, struct vm_exit *e, uint8_t irq_vector, bool *irq_done)
{
	switch (e->reason) {
	case EXIT_IO:
		if (!e->io.is_write)
			memset(e->io.data, 0xff, (size_t)e->io.size * e->io.count);
		return true;
	case EXIT_MMIO:
		world_mmio(&world, e->mmio.gpa, e->mmio.size, e->mmio.is_write, e->mmio.data);
		return true;
	case EXIT_HYPERCALL:
		e->hypercall.result = HYPERCALL_ENOSYS;
		return true;
	case EXIT_HLT:
		/* A halt ends the run unless the one interrupt is still to come. */
		if (!e->hlt.interrupts_enabled || !irq_vector || *irq_done)
			return false;
		*irq_done = ops->inject_interrupt(v, irq_vector) == 0;
		return *irq_done;
	case EXIT_INTERRUPT_WINDOW:
		if (irq_vector && !*irq_done)
			*irq_done = ops->inject_interrupt(v, irq_vector) == 0;
		return true;
	case EXIT_SHUTDOWN:
		return false;
	default:
		return true;
	}
}

static void describe(const struct vm_exit *e, char *buf, size_t len)
{
	if (e->reason == EXIT_MMIO)
		snprintf(buf, len, "MMIO %s 0x%llx size %u", e->mmio.is_write ? "write" : "read",
			 (unsigned long long)e->mmio.gpa, e->mmio.size);
	else if (e->reason == EXIT_IO)
		snprintf(buf, len, "port %s 0x%x size %u", e->io.is_write ? "write" : "read", e->io.port, e->io.size);
	else
		snprintf(buf, len, "%s", vm_exit_reason_name(e->reason));
}

/* Whether the vCPU stands at a linear address beyond RAM: only a gate the world
 * did not build leads there (an IDT or IVT read partly from beyond RAM or from
 * the MMIO device), and when fetching there faults through an IST gate back to
 * the same address, the vCPU livelocks as hardware does. Guest code the world
 * built lies in RAM, so an instruction that never completes is still caught. */
static bool outside_ram(const struct vcpu_state *st)
{
	uint64_t lin = st->seg[SREG_CS].base + st->rip;

	if (!(st->efer & EFER_LMA) || !st->seg[SREG_CS].l)
		lin &= 0xffffffffull;
	return lin >= WORLD_RAM_SIZE;
}

/* livelock_ok: the handler's page is not present, so a #PF taken through an IST
 * gate can repeat for ever with the same registers, as it does on hardware, and
 * with the same exit each time when its delivery reads a table in MMIO. */
static void run_world(struct engine_vcpu *v, uint8_t irq_vector, unsigned irq_at, bool livelock_ok)
{
	struct vm_exit exit = { 0 }, last = { 0 };
	struct vcpu_state st;
	struct progress before, after;
	unsigned same = 0, slices = 0, stuck_slices = 0;
	bool irq_done = false;
	char what[96];

	ops->get_state(v, &st);
	progress_of(v, &st, &before);
	for (unsigned n = 0; n < MAX_EXITS; n++) {
		bool stuck;

		if (irq_vector && !irq_done && n >= irq_at) {
			if (ops->interrupt_ready(v))
				irq_done = ops->inject_interrupt(v, irq_vector) == 0;
			else
				ops->request_interrupt_window(v, 1);
		}
		uint64_t ran_ns = run_once(v, &exit);

		ops->get_state(v, &st);
		progress_of(v, &st, &after);
		describe(&exit, what, sizeof(what));
		if (trace)
			fprintf(stderr, "exit %u: %s at RIP 0x%llx (state RIP 0x%llx, %llu instructions, %llu ns)\n", n,
				what, (unsigned long long)exit.rip, (unsigned long long)st.rip,
				(unsigned long long)after.icount, (unsigned long long)ran_ns);
		if (trace)
			fprintf(stderr, "  RSP 0x%llx CS 0x%x CPL %u RFLAGS 0x%llx\n",
				(unsigned long long)st.gpr[GPR_RSP], st.seg[SREG_CS].selector, st.seg[SREG_CS].dpl,
				(unsigned long long)st.rflags);
		check_exit(&exit, &st);
		stuck = !memcmp(&before, &after, sizeof(before));
		before = after;
		if (exit.reason == EXIT_INTERRUPTED) {
			same = 0;
			stuck_slices = ran_ns >= SLICE_NS && stuck ? stuck_slices + 1 : 0;
			if (stuck_slices >= STUCK_SLICES && !livelock_ok && !outside_ram(&st))
				finding("no progress for %u time slices in a row at RIP 0x%llx: the vCPU spins "
					"without retiring an instruction",
					stuck_slices, (unsigned long long)st.rip);
			if (++slices >= MAX_SLICES)
				return; /* a guest loop without exits: legitimate */
			continue;
		}
		same = stuck && same_exit(&exit, &last) ? same + 1 : 0;
		if (same >= SAME_EXIT_LIMIT && !livelock_ok && !outside_ram(&st))
			finding("the same exit (%s) %u times at RIP 0x%llx without progress: an event or "
				"instruction that never completes",
				what, same, (unsigned long long)exit.rip);
		last = exit;
		if (!answer(v, &exit, irq_vector, &irq_done))
			return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world_spec spec;
	struct vcpu_state st;
	struct engine_vcpu *v;
	uint8_t irq_vector;
	unsigned irq_at;

	if (!engine)
		setup();
	if (size < HEADER)
		return 0;
	parse(data, size, &spec, &irq_vector, &irq_at);
	world_build(&world, &spec, &st);
	/* A fresh vCPU per input: nothing carries over from the last one. */
	if (ops->vcpu_create(engine, 0, &v))
		finding("cannot create a vCPU");
	if (ops->set_state(v, &st))
		finding("set_state refused the entry state");
	run_world(v, irq_vector, irq_at,
		  spec.mode >= WM_PROT32_PAGED && spec.missing_page == (uint8_t)(WORLD_HANDLER >> 12));
	ops->vcpu_destroy(v);
	return 0;
}
