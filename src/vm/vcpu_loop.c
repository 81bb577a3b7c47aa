/* The loop of one vCPU thread: run the engine, handle its exit, repeat. */
#include "vm/vcpu_loop.h"

#include <inttypes.h>

#include <stdio.h>
#include <string.h>

#include "host/fatal_signals.h"
#include "log.h"
#include "vm/hypercall.h"
#include "vm/vm.h"
#include "vm/vm_control.h"

static uint64_t load_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void store_le(uint8_t *p, unsigned size, uint64_t v)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void handle_io(struct vm *vm, struct vm_exit *e)
{
	unsigned size = e->io.size;

	/* String I/O arrives as one exit with count elements, in order. */
	for (uint32_t i = 0; i < e->io.count; i++) {
		uint8_t *p = e->io.data + (size_t)i * size;

		if (e->io.is_write)
			io_bus_write(&vm->pio, e->io.port, size, load_le(p, size));
		else
			store_le(p, size, io_bus_read(&vm->pio, e->io.port, size));
	}
}

static void handle_mmio(struct vm *vm, struct vm_exit *e)
{
	if (e->mmio.is_write)
		io_bus_write(&vm->mmio, e->mmio.gpa, e->mmio.size, load_le(e->mmio.data, e->mmio.size));
	else
		store_le(e->mmio.data, e->mmio.size, io_bus_read(&vm->mmio, e->mmio.gpa, e->mmio.size));
}

static void dump_state(struct vcpu *v)
{
	struct vcpu_state s;

	if (v->vm->ops->get_state(v->ev, &s)) {
		log_error("vcpu%d: cannot read its state", v->index);
		return;
	}
	log_error("vcpu%d: rip=0x%016" PRIx64 " rflags=0x%08" PRIx64 " cs=0x%04x cr0=0x%08" PRIx64 " cr3=0x%" PRIx64
		  " cr4=0x%" PRIx64 " efer=0x%" PRIx64,
		  v->index, s.rip, s.rflags, s.seg[SREG_CS].selector, s.cr0, s.cr3, s.cr4, s.efer);
	log_error("vcpu%d: rax=0x%" PRIx64 " rbx=0x%" PRIx64 " rcx=0x%" PRIx64 " rdx=0x%" PRIx64 " rsp=0x%" PRIx64,
		  v->index, s.gpr[GPR_RAX], s.gpr[GPR_RBX], s.gpr[GPR_RCX], s.gpr[GPR_RDX], s.gpr[GPR_RSP]);
}

static void trace_exit(const struct vcpu *v, const struct vm_exit *e)
{
	char detail[128] = "", text[96];
	bool at_insn = e->reason == EXIT_IO || e->reason == EXIT_MMIO || e->reason == EXIT_HYPERCALL;

	switch (e->reason) {
	case EXIT_IO:
		snprintf(detail, sizeof(detail), " %s port=0x%x size=%u count=%u%s0x%" PRIx64,
			 e->io.is_write ? "out" : "in", e->io.port, e->io.size, e->io.count,
			 e->io.is_write ? " data=" : " first=", load_le(e->io.data, e->io.size));
		break;
	case EXIT_MMIO:
		snprintf(detail, sizeof(detail), " %s gpa=0x%" PRIx64 " size=%u data=0x%" PRIx64,
			 e->mmio.is_write ? "write" : "read", e->mmio.gpa, e->mmio.size,
			 load_le(e->mmio.data, e->mmio.size));
		break;
	case EXIT_HYPERCALL:
		snprintf(detail, sizeof(detail), " nr=%" PRIu64 " args=0x%" PRIx64 ",0x%" PRIx64 " result=0x%" PRIx64,
			 e->hypercall.nr, e->hypercall.args[0], e->hypercall.args[1], e->hypercall.result);
		break;
	case EXIT_HLT:
		snprintf(detail, sizeof(detail), " if=%d", e->hlt.interrupts_enabled);
		break;
	case EXIT_INTERNAL_ERROR:
		snprintf(detail, sizeof(detail), " %s code=0x%" PRIx64, e->internal.what, e->internal.code);
		break;
	default:
		break;
	}
	/* The software engines stop at the instruction that exits and can show it. */
	if (at_insn && v->vm->ops->disassemble && v->vm->ops->disassemble(v->ev, text, sizeof(text)) == 0)
		log_info("trace: vcpu%d rip=0x%" PRIx64 " %s%s insn=\"%s\"", v->index, e->rip,
			 vm_exit_reason_name(e->reason), detail, text);
	else
		log_info("trace: vcpu%d rip=0x%" PRIx64 " %s%s", v->index, e->rip, vm_exit_reason_name(e->reason),
			 detail);
}

/* HLT: sleep until the LAPIC has an interrupt for the CPU, the VM stops or a
 * pause is asked for (the loop parks, and the halted CPU halts on after). The
 * LAPIC's lock is not taken under the stop lock (platform.h's lock order): the
 * wake sequence number, read before looking, catches a wake-up in between. */
static void wait_for_interrupt(struct vcpu *v)
{
	struct vm *vm = v->vm;

	for (;;) {
		unsigned seq = __atomic_load_n(&vm->wake_seq, __ATOMIC_ACQUIRE);

		platform_sync_lint0(vm);
		if (lapic_pending(&vm->pc.lapic))
			return;
		pthread_mutex_lock(&vm->stop_lock);
		while (!vm->stopping && !vm->pause.requested && __atomic_load_n(&vm->wake_seq, __ATOMIC_ACQUIRE) == seq)
			pthread_cond_wait(&vm->stop_cond, &vm->stop_lock);
		if (vm->stopping || vm->pause.requested) {
			pthread_mutex_unlock(&vm->stop_lock);
			return;
		}
		pthread_mutex_unlock(&vm->stop_lock);
	}
}

/* Handles one exit. Returns false when the vCPU must stop running. */
static bool handle_exit(struct vcpu *v, struct vm_exit *e)
{
	struct vm *vm = v->vm;

	switch (e->reason) {
	case EXIT_IO:
		handle_io(vm, e);
		return true;
	case EXIT_MMIO:
		handle_mmio(vm, e);
		return true;
	case EXIT_HYPERCALL:
		e->hypercall.result = hypercall_handle(vm, e->hypercall.nr, e->hypercall.args);
		return true;
	case EXIT_HLT:
		if (!e->hlt.interrupts_enabled) {
			/* Nothing can wake this CPU: the guest is done. */
			vm_request_stop(vm, STATUS_OK);
			return false;
		}
		wait_for_interrupt(v);
		return true;
	case EXIT_SHUTDOWN:
		log_error("vcpu%d: the guest triple-faulted (shutdown)", v->index);
		dump_state(v);
		vm_request_stop(vm, STATUS_TRIPLE_FAULT);
		return false;
	case EXIT_INTERRUPTED:
	case EXIT_INTERRUPT_WINDOW:
	case EXIT_DEBUG:
	case EXIT_NONE:
		return true;
	case EXIT_INTERNAL_ERROR:
	default:
		log_error("vcpu%d: %s engine internal error: %s (0x%" PRIx64 ")", v->index, vm->ops->name,
			  e->reason == EXIT_INTERNAL_ERROR ? e->internal.what : "unknown exit", e->internal.code);
		dump_state(v);
		vm_request_stop(vm, STATUS_INTERNAL);
		return false;
	}
}

/* Before each run: hand the LAPIC's interrupt to the engine when the guest can
 * take it, else ask the engine to exit when it can (the interrupt window). */
static void deliver_interrupt(struct vcpu *v)
{
	const struct engine_ops *ops = v->vm->ops;
	struct lapic *lapic = &v->vm->pc.lapic;
	bool asserted;

	if (!ops->inject_interrupt || !ops->interrupt_ready || !ops->request_interrupt_window)
		return;
	platform_sync_lint0(v->vm);
	/* An NMI goes to the engine at once: it knows when NMIs are blocked. */
	if (ops->inject_nmi && lapic_take_nmi(lapic))
		ops->inject_nmi(v->ev);
	asserted = lapic_pending(lapic);
	if (asserted && ops->interrupt_ready(v->ev)) {
		/* The request may have gone meanwhile: the LAPIC then answers with its
		 * spurious vector, as the hardware does. */
		int vector = lapic_acknowledge(lapic);

		ops->inject_interrupt(v->ev, (uint8_t)vector);
		asserted = false;
	}
	if (asserted != v->window_requested) {
		ops->request_interrupt_window(v->ev, asserted);
		v->window_requested = asserted;
	}
}

/* The exits whose answer the next run() applies (engine.h): until then the
 * instruction is not complete, and the vCPU's state is not one to save. */
static bool needs_completion(const struct vm_exit *e)
{
	return e->reason == EXIT_IO || e->reason == EXIT_MMIO || e->reason == EXIT_HYPERCALL;
}

/* A pause was asked for (vm_control.h): park here, between two instructions,
 * once the last exit is complete. If it is not, run() completes it first
 * and, kicked, returns before it runs anything after the next instruction
 * boundary; kvm's immediate_exit does exactly that. */
static bool park_if_asked(struct vcpu *v)
{
	if (!vm_control_pause_requested(v->vm))
		return false;
	if (needs_completion(&v->exit)) {
		v->vm->ops->kick(v->ev);
		return false;
	}
	vm_control_park(v->vm);
	return true;
}

void *vm_vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	struct vm_exit *e = &v->exit;
	bool keep_running = true;

	fatal_signals_thread_init(); /* the terminal comes back even if this stack overflows */
	memset(e, 0, sizeof(*e));
	v->first_run_ns = monotonic_ns();
	while (keep_running && !vm_stopping(vm)) {
		uint64_t t0, t1;

		if (park_if_asked(v))
			continue;

		deliver_interrupt(v);
		t0 = monotonic_ns();
		if (vm->ops->run(v->ev, e)) {
			e->reason = EXIT_INTERNAL_ERROR;
			e->internal.what = "run failed";
			e->internal.code = 0;
		}
		t1 = monotonic_ns();
		v->stats.guest_ns += t1 - t0;
		keep_running = handle_exit(v, e);
		if ((unsigned)e->reason < EXIT_REASON_COUNT) {
			v->stats.count[e->reason]++;
			v->stats.handle_ns[e->reason] += monotonic_ns() - t1;
		}
		if (vm->cfg.trace)
			trace_exit(v, e);
	}
	vm_control_thread_end(vm);
	return NULL;
}
