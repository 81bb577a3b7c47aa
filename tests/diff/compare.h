/* Comparing what silicon (the host CPU natively, or the kvm engine) and an
 * engine under test (interp) made of one test case.
 *
 * Compared: how the run ended (the INT3 at the end, or which exception), the
 * exception frame (error code, RIP, CS, RFLAGS, RSP, SS), all sixteen GPRs, the
 * handler's RFLAGS, CS and SS (where both ran the guest's handler: not on the
 * native reference), CR2 after #PF, and the data and stack pages byte for byte. RFLAGS are compared whole except for
 * the arithmetic flags that may be undefined at that point (seq.h) and the bits of a known interp bug (known_bugs.h).
 *
 * Not compared: the RIP an engine reports at the handler's I/O exit (the kvm
 * engine reports it past the OUT, interp at it; the port already says which
 * handler ran), and AC in the handler's RFLAGS: on the nested host, event
 * delivery to the guest kernel is emulated by the host kernel, which clears AC;
 * the SDM's 64-bit delivery clears only IF, TF, VM, RF and NT (which is why Linux
 * executes CLAC on every kernel entry). The frame's RFLAGS image is compared
 * whole. */
#ifndef DIFF_COMPARE_H
#define DIFF_COMPARE_H

#include <stdio.h>

#include "gen.h"
#include "harness.h"
#include "seq.h"

#define MISMATCH_LINES 24

struct mismatch {
	unsigned count; /* differing fields; lines holds the first MISMATCH_LINES */
	char lines[MISMATCH_LINES][200];
	char fields[MISMATCH_LINES][32]; /* their names ("rcx", "frame rflags", "data[0x20480]") */
	char hw[96], sw[96];		 /* how each run ended */
	int hw_class, sw_class;		 /* the same without addresses: outcome_class() */
	uint64_t hw_rip;		 /* the reference's exception's RIP (0: it ended otherwise) */
	uint64_t hw_gpr[GPR_COUNT];	 /* and its registers there (--stats) */
	unsigned ref, sub;		 /* which reference and engine (struct differ) */
	const char *ref_name, *sub_name;
};

/* Does `m` show the same failure as `orig`: the same pair of runs, both ended
 * the same way as before, and every differing field already differed? (The
 * shrinker keeps to one bug instead of wandering into another.) */
bool mismatch_same(const struct mismatch *orig, const struct mismatch *m);

/* Compares reference run hw with engine run sw; the caller has set m->ref,
 * m->sub and the names, which are kept. Returns the number of differing fields
 * (0: they agree). */
unsigned outcome_compare(const struct test_case *tc, const struct layout *l, const struct outcome *hw,
			 const struct outcome *sw, struct mismatch *m);

/* "INT3 at the end", "#DE at 0x10004", ... */
void outcome_describe(const struct outcome *o, char *buf, size_t len);
/* How a run ended, as a number: kind * 256 + vector (or exit reason). */
int outcome_class(const struct outcome *o);

void mismatch_print(FILE *f, const struct mismatch *m, const char *indent);

#endif
