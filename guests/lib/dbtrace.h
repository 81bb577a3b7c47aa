/* Recording #DB exceptions for the debug tests (singlestep.c, debugregs.c):
 * each #DB appends what the CPU pushed and DR6 to db_events, then clears
 * DR6 (so every #DB shows only its own bits) and stops single-stepping
 * (clears TF in the pushed RFLAGS) at RIP db_stop_rip, or when the array is
 * full. Use with the 64-bit test kernel (kernel64.h). */
#ifndef GUEST_DBTRACE_H
#define GUEST_DBTRACE_H

#include <stdint.h>

#include "kernel64.h"
#include "sysreg.h"

#define DR6_B0 (1ul << 0)
#define DR6_B1 (1ul << 1)
#define DR6_B2 (1ul << 2)
#define DR6_B3 (1ul << 3)
#define DR6_BD (1ul << 13)
#define DR6_BS (1ul << 14)
#define DR6_STATUS 0xe00ful /* B0-B3, BD, BS, BT */
#define DR6_INIT 0xffff0ff0ul
#define DR7_INIT 0x400ul
#define DR7_GD (1ul << 13)
#define CR4_DE (1ul << 3)

#define DB_EVENTS_MAX 16

struct db_event {
	uint64_t rip, cs, rflags, dr6, rcx;
};

extern volatile struct db_event db_events[DB_EVENTS_MAX];
extern volatile unsigned int db_count;
extern volatile uint64_t db_stop_rip;

#define read_dr(n)                                                                                                     \
	({                                                                                                             \
		uint64_t v_;                                                                                           \
		__asm__ volatile("mov %%dr" #n ", %0" : "=r"(v_));                                                     \
		v_;                                                                                                    \
	})
#define write_dr(n, v) __asm__ volatile("mov %0, %%dr" #n : : "r"((uint64_t)(v)) : "memory")

/* DR7 for breakpoint n: local enable, R/W and LEN as the SDM encodes them. */
#define DR7_RW_EXEC 0ul
#define DR7_RW_WRITE 1ul
#define DR7_RW_IO 2ul
#define DR7_RW_RW 3ul
#define DR7_LEN1 0ul
#define DR7_LEN2 1ul
#define DR7_LEN8 2ul
#define DR7_LEN4 3ul
#define DR7_BP(n, rw, len) ((1ul << (2 * (n))) | ((rw) << (16 + 4 * (n))) | ((len) << (18 + 4 * (n))))

/* Starts recording #DB (stop at stop_rip; 0: only when full). */
void db_trace_start(uint64_t stop_rip);
/* Stops recording: #DB is an unexpected trap again; DR7 back to its init value. */
void db_trace_stop(void);
/* PASS if exactly n #DB came, at the RIPs given; else FAIL listing what came. */
void db_expect_rips(const char *name, const uint64_t *rips, unsigned int n);
/* PASS if every recorded #DB had DR6 status bits (B0-B3, BD, BS, BT) == want
 * and the other bits as DR6 reads after a write of 0 (0xffff0ff0). */
void db_expect_dr6(const char *name, uint64_t want);

#endif
