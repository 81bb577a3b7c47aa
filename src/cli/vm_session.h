/* What `ringvisor run` and `ringvisor restore` do once their VM is built:
 * say which engine --engine auto chose, arm the test-only snapshot hook
 * (cli/test_snapshot_hook.h), run the VM until it stops, print --stats, and
 * destroy it. */
#ifndef RV_CLI_VM_SESSION_H
#define RV_CLI_VM_SESSION_H

#include <stdint.h>

struct vm;

/* auto_skipped: why --engine auto passed over other engines ("" if none).
 * restore_ns: for restore, the time from the command's start to the VM
 * built and loaded, shown by --stats with the time to the vCPU's first
 * run (0 for run). Returns the process exit status. */
int vm_session_run(struct vm *vm, const char *auto_skipped, uint64_t start_ns, uint64_t restore_ns);

#endif
