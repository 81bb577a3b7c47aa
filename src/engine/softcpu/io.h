/* Port I/O of the soft CPU: the permission checks (IOPL, the TSS I/O bitmap) and
 * the accesses, which exit to the VMM and complete by replay (replay.h). */
#ifndef RV_SOFTCPU_IO_H
#define RV_SOFTCPU_IO_H

#include "engine/softcpu/cpu.h"

/* Raises #GP(0) unless the access to size bytes at port is allowed. */
void io_check_permission(struct soft_cpu *cpu, uint16_t port, unsigned size);
/* Through the VMM: exits on first execution, answers on replay. I/O breakpoints
 * are checked first. */
uint64_t io_port_read(struct soft_cpu *cpu, uint16_t port, unsigned size);
void io_port_write(struct soft_cpu *cpu, uint16_t port, unsigned size, uint64_t value);

#endif
