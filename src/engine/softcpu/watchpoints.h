/* Data and I/O breakpoints of the soft CPU (the rules are in debug.h): whether an
 * access hits one. A hit is recorded in cpu->dbg.hits and leaves the block; the
 * #DB trap comes after the instruction (debug_after_insn). Sits below the soft
 * MMU, which asks it about every access to a watched page. */
#ifndef RV_SOFTCPU_WATCHPOINTS_H
#define RV_SOFTCPU_WATCHPOINTS_H

#include "engine/softcpu/cpu.h"

/* The breakpoints among armed (bit n: DRn) whose range overlaps [addr, addr + size). */
uint8_t debug_match(const struct soft_cpu *cpu, uint8_t armed, uint64_t addr, uint64_t size);

/* A data access of the running instruction (not the CPU's own, such as
 * descriptor-table or event-delivery accesses) to a page the soft TLB leaves to
 * the slow path. kind: ACC_READ or ACC_WRITE. */
void debug_data_access(struct soft_cpu *cpu, uint64_t lin, unsigned size, unsigned kind);
/* An IN, OUT, INS or OUTS access to a port. */
void debug_io_access(struct soft_cpu *cpu, uint16_t port, unsigned size);
/* Whether the 4 KiB page at lin must stay out of the soft TLB for accesses of this
 * kind, because a data breakpoint watches it. */
bool debug_page_watched(const struct soft_cpu *cpu, uint64_t lin, unsigned kind);

#endif
