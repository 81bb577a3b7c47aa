#include "engine/softcpu/replay.h"

#include <string.h>

uint64_t replay_access(struct soft_cpu *cpu, uint8_t kind, uint64_t addr, unsigned size, uint64_t data)
{
	struct replay_entry *e;

	if (cpu->replay_pos < cpu->replay_count) {
		e = &cpu->replay[cpu->replay_pos++];
		if (e->kind == kind && e->addr == addr && e->size == size && e->done)
			return e->data;
		/* The instruction took another path the second time: start its log anew. */
		cpu->replay_count = cpu->replay_pos = 0;
	}
	if (cpu->replay_count == REPLAY_MAX) /* an instruction with this many exits is a bug */
		cpu_raise(cpu, EXC_GP, true, 0);
	e = &cpu->replay[cpu->replay_count++];
	*e = (struct replay_entry){ .kind = kind, .size = (uint8_t)size, .addr = addr, .data = data };
	memset(&cpu->exit, 0, sizeof(cpu->exit));
	cpu->exit.rip = cpu->rip;
	switch (kind) {
	case REPLAY_IN:
	case REPLAY_OUT:
		cpu->exit.reason = EXIT_IO;
		cpu->exit.io.port = (uint16_t)addr;
		cpu->exit.io.size = (uint8_t)size;
		cpu->exit.io.is_write = kind == REPLAY_OUT;
		cpu->exit.io.count = 1;
		cpu->exit.io.data = cpu->io_buf;
		memcpy(cpu->io_buf, &data, sizeof(cpu->io_buf));
		break;
	default:
		cpu->exit.reason = EXIT_MMIO;
		cpu->exit.mmio.gpa = addr;
		cpu->exit.mmio.size = (uint8_t)size;
		cpu->exit.mmio.is_write = kind == REPLAY_MMIO_WRITE;
		memcpy(cpu->exit.mmio.data, &data, sizeof(cpu->exit.mmio.data));
		break;
	}
	cpu_exit_and_replay(cpu);
}

void replay_complete(struct soft_cpu *cpu, const struct vm_exit *exit)
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

void replay_take_exit(struct soft_cpu *cpu, enum vm_exit_reason reason)
{
	memset(&cpu->exit, 0, sizeof(cpu->exit));
	cpu->exit.reason = reason;
	cpu->exit.rip = cpu->rip;
	cpu->exit_ready = true;
}
