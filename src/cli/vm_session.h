/* What `ringvisor run` and `ringvisor restore` do once their VM is built:
 * say which engine --engine auto chose, arm the test-only snapshot hook
 * (cli/test_snapshot_hook.h), run the VM until it stops, print --stats, and
 * destroy it. */
#ifndef RV_CLI_VM_SESSION_H
#define RV_CLI_VM_SESSION_H

#include <stdint.h>

struct vm;

/* How a VM that was not booted came to be, for --stats: restore's and an
 * incoming migration's times. */
struct vm_session_start {
	const char *what;   /* "restore", "incoming" */
	uint64_t loaded_ns; /* from the command's start to the VM built and loaded */
	uint64_t start_ns;  /* the vCPU's first run is counted from here */
	const char *since;  /* what start_ns was, when not the start: " from the go", or "" */
};

/* auto_skipped: why --engine auto passed over other engines ("" if none).
 * from: NULL for a boot. Returns the process exit status. */
int vm_session_run(struct vm *vm, const char *auto_skipped, const struct vm_session_start *from);

#endif
