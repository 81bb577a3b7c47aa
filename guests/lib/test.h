/* One line per check on COM1 (`PASS: name`, `FAIL: name: details`) and the
 * end of a test run through the debug-exit port: value 0 when every check
 * passed (Ringvisor status 1), value 1 otherwise (status 3). */
#ifndef GUEST_TEST_H
#define GUEST_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "printf.h"

#define DEBUG_EXIT_PORT 0xf4

void pass(const char *name);
void fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* PASS if got == want, else FAIL showing both in hex. */
bool expect_eq(const char *name, uint64_t got, uint64_t want);
unsigned int test_failures(void);
__attribute__((noreturn)) void test_done(void);

#endif
