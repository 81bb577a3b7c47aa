/* Every hypercall of docs/guest-abi.md, including the ways a guest can get
 * console_write wrong, then the exit hypercall with status 0x12a, which
 * Ringvisor truncates to 0x2a = 42. If any check failed it ends through the
 * debug exit instead (status 3), so the exit status also tells. */
#include <stdbool.h>
#include <stdint.h>

#include "hypercall.h"
#include "test.h"

/* Ringvisor's default --mem; the runner passes no --mem for this guest. */
#define RAM_END 0x10000000ul

#define BULK_LINE 64
#define BULK_LINES 80
#define BULK_SIZE (BULK_LINE * BULK_LINES) /* 5120: more than one call */
#define HC_MAX_WRITE 4096

static const char console_msg[] = "via hypercall: console ok\n";
static char bulk[BULK_SIZE];

static void expect_efault(const char *name, unsigned long gpa, unsigned long len)
{
	long r = hc_console_write(gpa, len);

	if (r == HC_EFAULT)
		pass(name);
	else
		fail(name, "console_write(0x%lx, 0x%lx) returned %ld", gpa, len, r);
}

static void test_console_write(void)
{
	unsigned long msg = (unsigned long)console_msg;
	unsigned long len = sizeof(console_msg) - 1;
	long r;

	r = hc_console_write(msg, len);
	expect_eq("console_write returns the length", (uint64_t)r, len);
	expect_eq("console_write of 0 bytes returns 0", (uint64_t)hc_console_write(msg, 0), 0);
	expect_efault("console_write outside RAM returns -EFAULT", 0xfff00000, 16);
	/* The address must not be cut to 32 bits: this is msg + 4 GiB. */
	expect_efault("console_write above 4 GiB returns -EFAULT", msg + 0x100000000ul, len);
	expect_efault("console_write running past RAM end returns -EFAULT", RAM_END - 16, 32);
	expect_efault("console_write with a huge length returns -EFAULT", msg, 0x40000000);
	/* msg + len wraps around to 1: a naive "end <= RAM size" accepts it. */
	expect_efault("console_write with a wrapping range returns -EFAULT", msg, -msg + 1);
}

/* 80 lines of 64 bytes: "bulk NN " and 55 letters from 'a' + NN on. */
static void fill_bulk(void)
{
	for (int i = 0; i < BULK_LINES; i++) {
		char *line = bulk + i * BULK_LINE;

		line[0] = 'b';
		line[1] = 'u';
		line[2] = 'l';
		line[3] = 'k';
		line[4] = ' ';
		line[5] = (char)('0' + i / 10);
		line[6] = (char)('0' + i % 10);
		line[7] = ' ';
		for (int j = 8; j < BULK_LINE - 1; j++)
			line[j] = (char)('a' + (i + j - 8) % 26);
		line[BULK_LINE - 1] = '\n';
	}
}

/* Writes more than one call may take; loops on short counts like write(2). */
static void test_console_write_limit(void)
{
	const char *name = "console_write writes at most 4096 bytes per call";
	unsigned long done = 0;
	int calls = 0;

	fill_bulk();
	while (done < BULK_SIZE) {
		long r = hc_console_write((unsigned long)bulk + done, BULK_SIZE - done);

		calls++;
		if (r <= 0 || r > HC_MAX_WRITE) {
			fail(name, "call %d returned %ld", calls, r);
			return;
		}
		done += (unsigned long)r;
	}
	if (done == BULK_SIZE && calls >= 2)
		pass(name);
	else
		fail(name, "wrote %lu bytes in %d calls", done, calls);
}

static void test_clock(void)
{
	uint64_t t0 = (uint64_t)hc_clock_monotonic();
	uint64_t t1 = (uint64_t)hc_clock_monotonic();
	uint64_t t2;

	if (t0 != 0)
		pass("clock_monotonic is nonzero");
	else
		fail("clock_monotonic is nonzero", "returned 0");
	if (t1 >= t0)
		pass("clock_monotonic does not go backwards");
	else
		fail("clock_monotonic does not go backwards", "0x%llx then 0x%llx", (unsigned long long)t0,
		     (unsigned long long)t1);
	for (volatile unsigned int i = 0; i < 10000; i++)
		;
	t2 = (uint64_t)hc_clock_monotonic();
	if (t2 > t1)
		pass("clock_monotonic advances over a busy loop");
	else
		fail("clock_monotonic advances over a busy loop", "0x%llx then 0x%llx", (unsigned long long)t1,
		     (unsigned long long)t2);
}

static void test_unknown(void)
{
	expect_eq("unknown hypercall 200 returns -KVM_ENOSYS", (uint64_t)hypercall(200, 0, 0, 0, 0),
		  (uint64_t)HC_ENOSYS);
	/* Low byte 0 (abi_version), but the number is the whole of RAX. */
	expect_eq("hypercall 0x100 is unknown (all of RAX counts)", (uint64_t)hypercall(0x100, 0, 0, 0, 0),
		  (uint64_t)HC_ENOSYS);
	expect_eq("hypercall 0x100000003 is unknown (all of RAX counts)",
		  (uint64_t)hypercall(0x100000003ul, 0, 0, 0, 0), (uint64_t)HC_ENOSYS);
}

int main(void)
{
	printf("Hypercall tests\n");
	expect_eq("abi_version is 1", (uint64_t)hc_abi_version(), 1);
	test_console_write();
	test_console_write_limit();
	test_clock();
	test_unknown();
	if (test_failures())
		test_done();
	printf("exit hypercall with status 0x12a\n");
	hc_exit(0x12a);
	fail("exit hypercall", "it returned");
	test_done();
}
