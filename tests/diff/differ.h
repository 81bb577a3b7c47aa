/* Running a test case on silicon (the kvm engine) and on the interpreter,
 * comparing, and turning a mismatch into a minimal reproducer: the shrinker drops
 * instructions one at a time while the mismatch persists, then clears the
 * registers, flags and memory the mismatch does not need. */
#ifndef DIFF_DIFFER_H
#define DIFF_DIFFER_H

#include <stdint.h>
#include <stdio.h>

#include "compare.h"
#include "gen.h"
#include "harness.h"

struct differ {
	struct engine_box hw; /* the reference: kvm, whose guest CPL 3 runs on the host CPU */
	struct engine_box sw; /* the engine under test: interp */
};

enum verdict { V_PASS, V_FAIL, V_SKIP };

/* Opens both engines (normally "kvm" and "interp"); -1 with the reason if
 * either cannot run here. */
int differ_open(struct differ *d, const char *hw, const char *sw, char *why, size_t why_len);
void differ_close(struct differ *d);

/* Runs *tc on both engines. V_SKIP (with why) when the case cannot be laid out or
 * silicon itself could not run it; V_FAIL fills *m. */
enum verdict differ_run(struct differ *d, const struct test_case *tc, struct mismatch *m, char *why, size_t why_len);

/* Shrinks a failing case in place to a minimal one that still fails. */
void differ_shrink(struct differ *d, struct test_case *tc);

/* Prints the reproducer of a failing (shrunk) case: code with disassembly,
 * initial state, both outcomes and the differing fields. */
void differ_report(FILE *f, struct differ *d, const struct test_case *tc, const char *title);

#endif
