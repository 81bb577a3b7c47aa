/* Why an engine's run() returned, with the details the VMM needs: the analogue of
 * the VMCS exit reason and exit qualification. */
#ifndef RV_VM_EXIT_H
#define RV_VM_EXIT_H

#include <stdbool.h>
#include <stdint.h>

enum vm_exit_reason {
	EXIT_NONE,
	EXIT_IO,	       /* port I/O: io */
	EXIT_MMIO,	       /* access to guest-physical memory outside RAM: mmio */
	EXIT_HLT,	       /* HLT executed; state tells whether interrupts are enabled */
	EXIT_HYPERCALL,	       /* hypercall (docs/guest-abi.md): hypercall */
	EXIT_SHUTDOWN,	       /* triple fault */
	EXIT_INTERRUPT_WINDOW, /* the guest can take an interrupt now */
	EXIT_INTERRUPTED,      /* run() was kicked from another thread, or a signal arrived */
	EXIT_DEBUG,	       /* single step or breakpoint */
	EXIT_INTERNAL_ERROR,   /* the engine cannot continue: internal */
	EXIT_REASON_COUNT
};

struct vm_exit {
	enum vm_exit_reason reason;
	/* Where the vCPU stopped, for traces: the software engines give the exiting
	 * instruction; KVM may already have moved past it (it does for port I/O on
	 * some hosts). 0 when unknown. */
	uint64_t rip;
	union {
		struct {
			uint16_t port;
			uint8_t size;	/* 1, 2 or 4 */
			bool is_write;	/* OUT */
			uint32_t count; /* > 1 for string I/O with REP */
			/* size * count bytes owned by the engine, valid until the next run():
			 * for OUT the data written, for IN the VMM fills it. */
			uint8_t *data;
		} io;
		struct {
			uint64_t gpa;
			uint8_t size; /* 1, 2, 4 or 8 */
			bool is_write;
			uint8_t data[8]; /* for a write, the value; for a read, the VMM fills it */
		} mmio;
		struct {
			bool interrupts_enabled; /* RFLAGS.IF: can an interrupt end the halt? */
		} hlt;
		struct {
			uint64_t nr;
			uint64_t args[4];
			uint64_t result; /* the VMM fills it; the engine puts it in RAX on resume */
		} hypercall;
		struct {
			const char *what; /* static string */
			uint64_t code;	  /* engine-specific detail */
		} internal;
	};
};

const char *vm_exit_reason_name(enum vm_exit_reason reason);

#endif
