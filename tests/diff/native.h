/* The host CPU as the silicon reference, with no KVM: a forked child process maps
 * the test's code, data and stack pages at the guest's addresses and runs each
 * sequence natively at CPL 3. The exception that ends it (the final INT3, or a
 * fault) reaches the child as a signal; its handler records the CPU state from the
 * signal frame (RIP, RSP, RFLAGS, all GPRs, the trap number, the error code, CR2)
 * and resumes the child's loop.
 *
 * What the host reports differently from the guest image, and how it is mapped
 * (native.c says why for each):
 *   - selectors: the host's user CS/SS read as the guest's GI_SEL_UCODE/UDATA;
 *   - #PF on a guest supervisor page: unmapped in the child, so P is set in the
 *     error code as the guest's present supervisor page gives it; the I/D bit is
 *     cleared (the guest runs with EFER.NXE = 0, where that bit is always 0);
 *   - there is no guest handler: outcome.has_handler is false, and the handler's
 *     RFLAGS, CS, SS and kernel RSP are not compared.
 * Forms whose result depends on the host's own system state (SGDT and friends,
 * RDPMC) cannot be compared with this reference; the generator marks them
 * (item.host_state). */
#ifndef DIFF_NATIVE_H
#define DIFF_NATIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

struct native_ref;

/* Forks the child. Returns NULL with a one-line reason if this host cannot. */
struct native_ref *native_open(char *why, size_t why_len);
void native_close(struct native_ref *n);
/* Does the host use 5-level paging (57-bit linear addresses)? Then addresses
 * the guest's 48-bit model calls non-canonical are canonical natively. */
bool native_host_la57(void);

/* Runs one input; fills *out (kind OC_FAILED or OC_TIMEOUT with a note when the
 * child could not run it; the child is restarted). */
void native_run(struct native_ref *n, const struct test_input *in, struct outcome *out);

#endif
