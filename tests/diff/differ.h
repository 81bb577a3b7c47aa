/* Running a test case on silicon and on the software engines, comparing each
 * engine with each reference, and turning a mismatch into a minimal reproducer:
 * the shrinker drops instructions one at a time while the mismatch persists,
 * then clears the registers, flags and memory the mismatch does not need.
 *
 * References: "native" (the host CPU in a child process, native.h), on every
 * x86-64 Linux host, and "kvm" where the kvm engine runs (guest CPL 3 runs on
 * the host CPU there too, and the guest's own handler state can be compared).
 * Engines under test: "interp" (and dbt, when it exists). */
#ifndef DIFF_DIFFER_H
#define DIFF_DIFFER_H

#include <stdint.h>
#include <stdio.h>

#include "compare.h"
#include "gen.h"
#include "harness.h"

#define DIFFER_MAX 4

struct differ {
	struct engine_box ref[DIFFER_MAX]; /* silicon */
	struct engine_box sub[DIFFER_MAX]; /* the engines under test */
	unsigned nref, nsub;
	char left_out[256]; /* references that could not run here, and why */
};

enum verdict { V_PASS, V_FAIL, V_SKIP };

/* Opens the references and the engines under test, each a comma-separated list
 * of names (normally "native,kvm" and "interp"). A reference that cannot run
 * here is left out (d->left_out says why); -1 with the reason if no reference
 * or an engine under test cannot run. */
int differ_open(struct differ *d, const char *refs, const char *subs, char *why, size_t why_len);

/* Can the references run the forms whose result depends on the host's own
 * system state (item.host_state)? Only an engine reference can. */
bool differ_runs_host_state(const struct differ *d);

/* Do the references see the guest's 48-bit canonical rule? Not the native one
 * on a host with 5-level paging. */
bool differ_runs_noncanonical(const struct differ *d);
/* Does the native reference run (item.native_only)? */
bool differ_runs_native(const struct differ *d);
void differ_close(struct differ *d);

/* Runs *tc on every reference and engine. V_SKIP (with why) when the case cannot
 * be laid out or no reference could run it; V_FAIL fills *m with the first
 * differing pair. */
enum verdict differ_run(struct differ *d, const struct test_case *tc, struct mismatch *m, char *why, size_t why_len);

/* Shrinks a failing case in place to a minimal one that still fails. */
void differ_shrink(struct differ *d, struct test_case *tc);

/* Prints the reproducer of a failing (shrunk) case: code with disassembly,
 * initial state, both outcomes and the differing fields. */
void differ_report(FILE *f, struct differ *d, const struct test_case *tc, const char *title);

#endif
