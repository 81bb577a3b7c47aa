#include "engine/softcpu/kvmclock.h"

#include <string.h>
#include <time.h>

#include "engine/soft_clock.h"
#include "vm/memory.h"
#include "x86/pvclock.h"

/* Stores host-made bytes in guest RAM as a DMA write would: outside RAM they go
 * nowhere; cached code they overwrite is dropped at once, inside the WRMSR that
 * wrote them, as this vCPU's own stores drop it. Being the vCPU's own write, it
 * is not announced to the memory's listeners (vm/memory.h): that would only
 * make this vCPU drop the same code again after an extra exit. */
static void phys_store(struct soft_cpu *cpu, uint64_t gpa, const uint8_t *p, unsigned len)
{
	uint8_t *dst = guest_memory_ptr(cpu->mem, gpa, len);

	if (!dst)
		return;
	memcpy(dst, p, len);
	guest_memory_mark_dirty(cpu->mem, gpa, len);
	while (len) {
		unsigned in_page = 0x1000 - (unsigned)(gpa & 0xfff);
		unsigned n = len < in_page ? len : in_page;

		cpu_code_written(cpu, gpa, n);
		gpa += n;
		len -= n;
	}
}

/* The record is written whole between two guest instructions of the only vCPU
 * that reads it, so the version never needs to be odd in guest view; it still
 * advances by 2 per update, as the guest uses it to notice a change. Because the
 * TSC and system time come from one clock, one record stays exact for ever. */
static void write_time_info(struct soft_cpu *cpu)
{
	uint8_t rec[PVCLOCK_TIME_INFO_SIZE];
	uint64_t now = cpu_clock_ns(cpu);

	if (!(cpu->kvm_system_time & KVM_SYSTEM_TIME_ENABLE))
		return;
	cpu->kvmclock_version += 2;
	pvclock_time_info(rec, cpu->kvmclock_version, now + cpu->tsc_offset, now - cpu->clock_base_ns,
			  pvclock_scale_for(SOFT_TSC_HZ), PVCLOCK_TSC_STABLE_BIT);
	phys_store(cpu, cpu->kvm_system_time & ~KVM_SYSTEM_TIME_ENABLE, rec, sizeof(rec));
}

/* The wall-clock time at which kvmclock read 0. */
static void write_wall_clock(struct soft_cpu *cpu, uint64_t gpa)
{
	uint8_t rec[PVCLOCK_WALL_CLOCK_SIZE];
	struct timespec ts;
	uint64_t wall_ns, since_base = cpu_clock_ns(cpu) - cpu->clock_base_ns;

	clock_gettime(CLOCK_REALTIME, &ts);
	wall_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec - since_base;
	pvclock_wall_clock(rec, 2, wall_ns / 1000000000ull, (uint32_t)(wall_ns % 1000000000ull));
	phys_store(cpu, gpa, rec, sizeof(rec));
}

bool kvmclock_msr_read(const struct soft_cpu *cpu, uint32_t index, uint64_t *v)
{
	if (index == MSR_KVM_SYSTEM_TIME_NEW)
		*v = cpu->kvm_system_time;
	else if (index == MSR_KVM_WALL_CLOCK_NEW)
		*v = cpu->kvm_wall_clock;
	else
		return false;
	return true;
}

bool kvmclock_msr_write(struct soft_cpu *cpu, uint32_t index, uint64_t v)
{
	if (index == MSR_KVM_SYSTEM_TIME_NEW) {
		cpu->kvm_system_time = v;
		write_time_info(cpu);
	} else if (index == MSR_KVM_WALL_CLOCK_NEW) {
		cpu->kvm_wall_clock = v;
		write_wall_clock(cpu, v);
	} else {
		return false;
	}
	return true;
}

void kvmclock_tsc_changed(struct soft_cpu *cpu)
{
	write_time_info(cpu);
}

uint64_t kvmclock_now_ns(const struct soft_cpu *cpu)
{
	return cpu_clock_ns(cpu) - cpu->clock_base_ns;
}

void kvmclock_set_now(struct soft_cpu *cpu, uint64_t ns)
{
	cpu->clock_base_ns = cpu_clock_ns(cpu) - ns;
	write_time_info(cpu);
}
