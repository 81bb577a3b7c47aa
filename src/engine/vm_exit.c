#include "engine/vm_exit.h"

const char *vm_exit_reason_name(enum vm_exit_reason reason)
{
	static const char *const names[EXIT_REASON_COUNT] = {
		[EXIT_NONE] = "none",
		[EXIT_IO] = "port-io",
		[EXIT_MMIO] = "mmio",
		[EXIT_HLT] = "hlt",
		[EXIT_HYPERCALL] = "hypercall",
		[EXIT_SHUTDOWN] = "shutdown",
		[EXIT_INTERRUPT_WINDOW] = "irq-window",
		[EXIT_INTERRUPTED] = "interrupted",
		[EXIT_DEBUG] = "debug",
		[EXIT_INTERNAL_ERROR] = "internal-error",
	};

	if ((unsigned)reason < EXIT_REASON_COUNT && names[reason])
		return names[reason];
	return "unknown";
}
