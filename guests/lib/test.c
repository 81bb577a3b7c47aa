#include "test.h"

#include <stdarg.h>

#include "cpu.h"
#include "io.h"

static unsigned int failures;

void pass(const char *name)
{
	printf("PASS: %s\n", name);
}

void fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	failures++;
	printf("FAIL: %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

bool expect_eq(const char *name, uint64_t got, uint64_t want)
{
	if (got == want) {
		pass(name);
		return true;
	}
	fail(name, "got 0x%llx, want 0x%llx", (unsigned long long)got, (unsigned long long)want);
	return false;
}

unsigned int test_failures(void)
{
	return failures;
}

void test_done(void)
{
	outb(DEBUG_EXIT_PORT, failures ? 1 : 0);
	/* Only reached if the debug-exit device is missing. */
	printf("FAIL: test_done: debug exit did not end the run\n");
	halt_forever();
}
