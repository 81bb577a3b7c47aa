/* KVM's paravirtual clock ABI (Linux Documentation/virt/kvm/x86/msr.rst and
 * cpuid.rst), which the software engines implement so that Linux's kvmclock
 * works on every engine, and the arithmetic that fills its records.
 *
 * The guest writes the guest-physical address of a per-vCPU time record to
 * MSR_KVM_SYSTEM_TIME_NEW (bit 0 enables it); the hypervisor keeps the record
 * such that
 *   time_ns = system_time + scale(tsc - tsc_timestamp, mul, shift)
 *   scale(d) = ((shift >= 0 ? d << shift : d >> -shift) * mul) >> 32
 * The wall clock record (MSR_KVM_WALL_CLOCK_NEW) holds the wall-clock time at
 * which system_time was 0. */
#ifndef RV_X86_PVCLOCK_H
#define RV_X86_PVCLOCK_H

#include <stdint.h>

/* CPUID 0x40000001 EAX bits. */
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT (1u << 24)

#define MSR_KVM_WALL_CLOCK_NEW 0x4b564d00u
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01u
#define KVM_SYSTEM_TIME_ENABLE 1ull

/* The time record: 32 bytes, little-endian, at the address the guest gave. */
#define PVCLOCK_TIME_INFO_SIZE 32
/* flags: the TSC is synchronized across vCPUs, so readings never go backwards. */
#define PVCLOCK_TSC_STABLE_BIT 0x01
/* The wall clock record: version, seconds, nanoseconds; 12 bytes. */
#define PVCLOCK_WALL_CLOCK_SIZE 12

struct pvclock_scale {
	uint32_t mul;
	int8_t shift;
};

/* The mul/shift pair converting ticks of a tsc_hz clock to nanoseconds with the
 * most precision the record allows (mul in [2^31, 2^32)). tsc_hz must be at least
 * 1 kHz and at most 2^32 GHz. */
struct pvclock_scale pvclock_scale_for(uint64_t tsc_hz);
/* scale() above. */
uint64_t pvclock_scale_delta(uint64_t delta, struct pvclock_scale s);

/* Fills a time record. version must be even (a record being updated has an odd
 * one; the software engines write it whole between guest instructions). */
void pvclock_time_info(uint8_t out[PVCLOCK_TIME_INFO_SIZE], uint32_t version, uint64_t tsc_timestamp,
		       uint64_t system_time_ns, struct pvclock_scale s, uint8_t flags);
void pvclock_wall_clock(uint8_t out[PVCLOCK_WALL_CLOCK_SIZE], uint32_t version, uint64_t sec, uint32_t nsec);

#endif
