/* TEST-ONLY, not a user interface: the control socket snapshots when a
 * client asks, the snapshot tests need one at a known point of a guest's
 * run. With RINGVISOR_TEST_SNAPSHOT_AT=MARKER:DIR in the
 * environment, `ringvisor run` and `ringvisor restore` watch the guest's
 * console output; when a line contains MARKER (first time only), a thread of
 * the hook pauses the VM, writes the snapshot to DIR, prints one line on
 * stderr ("ringvisor: test snapshot: DIR ...") and stops the VM with status
 * 0 (6 if the snapshot failed). MARKER ends at the first ':'. Not in --help,
 * as RINGVISOR_DBT_INJECT_BUG is not; tests/integration/snapshot-guests.sh,
 * snapshot_linux.py and bench/snapshot.py use it. */
#ifndef RV_CLI_TEST_SNAPSHOT_HOOK_H
#define RV_CLI_TEST_SNAPSHOT_HOOK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define TEST_SNAPSHOT_ENV "RINGVISOR_TEST_SNAPSHOT_AT"
#define TEST_SNAPSHOT_LINE_MAX 512

struct vm;

struct test_snapshot_hook {
	struct vm *vm;
	char *marker, *dir;
	size_t marker_len;
	/* The console line so far (its last TEST_SNAPSHOT_LINE_MAX bytes),
	 * under line_lock: COM1 (a vCPU thread) and hvc0 (the I/O thread) may
	 * write the console at once. */
	pthread_mutex_t line_lock;
	char line[TEST_SNAPSHOT_LINE_MAX];
	size_t line_len;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool seen, quit; /* under lock */
	pthread_t thread;
	bool started;
};

/* Arms the hook on vm (before vm_run) if the variable is set; 0, or the
 * status after one line (a malformed value). */
int test_snapshot_hook_start(struct test_snapshot_hook *h, struct vm *vm);
/* After vm_run: ends the hook's thread. Harmless if it never started. */
void test_snapshot_hook_stop(struct test_snapshot_hook *h);

#endif
