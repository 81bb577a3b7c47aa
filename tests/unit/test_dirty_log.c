/* Dirty-page logging (src/vm/dirty_log.c) on every engine this host runs:
 * a real-mode guest stores to a few pages, stopping at an OUT after each
 * round, and each collect must name exactly the pages stored to since the
 * last one. Pins down: a page written in an earlier round and written again
 * through the same soft-TLB entry is logged again (the new round forgets
 * the write entries; without it the third round's answer is empty); a
 * device's write (guest_memory_write) is logged; nothing is logged after
 * stop, and a new start begins empty; collect and start refuse what they
 * must. The vCPU is run on the test's thread, as vm_run's threads would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit_helpers.h"
#include "vm/dirty_log.h"
#include "vm/machine.h"
#include "vm/memory.h"
#include "vm/vm.h"
#include "vm_harness.h"
#include "x86/cpu_model.h"

/* Real mode at 0x7c00, DS = 0: round 1 stores to 0x5000 and 0x9000, round 2
 * to 0x3000, round 3 to 0x5000 again, round 4 to 0xb000; each ends at an OUT
 * (a port exit the next run completes; a HLT with IF clear would stay
 * halted on the software engines, as on hardware). */
static const uint8_t guest[] = {
	0xc6, 0x06, 0x00, 0x50, 0x01, /* mov byte [0x5000], 1 */
	0xc6, 0x06, 0x00, 0x90, 0x01, /* mov byte [0x9000], 1 */
	0xe6, 0x80,		      /* out 0x80, al */
	0xc6, 0x06, 0x00, 0x30, 0x02, /* mov byte [0x3000], 2 */
	0xe6, 0x80,		      /* out 0x80, al */
	0xc6, 0x06, 0x00, 0x50, 0x03, /* mov byte [0x5000], 3 */
	0xe6, 0x80,		      /* out 0x80, al */
	0xc6, 0x06, 0x00, 0xb0, 0x04, /* mov byte [0xb000], 4 */
	0xe6, 0x80,		      /* out 0x80, al */
	0xf4, 0xeb, 0xfd,	      /* 1: hlt; jmp 1b */
};

#define WORDS ((16u << 20) / 4096 / 64)

/* The guest's machine on engine: 16 MiB, the baseline CPU. */
static struct vm_harness *make_vm(const char *engine)
{
	struct vm_config cfg = { .mem_size = 16ull << 20 };

	cfg.engine = engine_find(engine);
	cfg.cpu_model = cpu_model_find("baseline");
	return vm_harness_create(&cfg, guest, sizeof(guest));
}

/* Runs the vCPU to the OUT that ends a round. */
static void run_round(struct vm_harness *f)
{
	for (int i = 0; i < 1000; i++) {
		struct vm_exit exit = { 0 };

		assert_int_equal(f->vm.ops->run(f->vm.vcpus[0].ev, &exit), 0);
		if (exit.reason == EXIT_IO)
			return;
		assert_int_equal(exit.reason, EXIT_INTERRUPTED);
	}
	fail_msg("no OUT");
}

/* The pages a collect names, as a list ending with -1. */
static void expect_collect(struct vm_harness *f, const int *pages)
{
	uint64_t bitmap[WORDS] = { 0 }, want[WORDS] = { 0 };
	char why[256];

	for (; *pages >= 0; pages++)
		want[*pages / 64] |= 1ull << (*pages % 64);
	assert_int_equal(vm_dirty_log_collect(&f->vm, bitmap, why, sizeof(why)), 0);
	for (unsigned i = 0; i < WORDS; i++)
		if (bitmap[i] != want[i])
			fail_msg("word %u: logged %#llx, written %#llx", i, (unsigned long long)bitmap[i],
				 (unsigned long long)want[i]);
}

static void rounds_on(const char *engine)
{
	struct vm_harness *h;
	uint64_t bitmap[WORDS];
	char why[256];
	uint8_t byte = 0x77;

	if (!engine_available(engine_find(engine))) {
		print_message("skipped on %s: the host cannot run it\n", engine);
		return;
	}
	h = make_vm(engine);
	if (!h) {
		fail_msg("%s: the machine cannot be made", engine);
		return;
	}
	assert_int_equal(vm_dirty_log_pages(&h->vm), (16u << 20) / 4096);
	assert_int_equal(vm_dirty_log_collect(&h->vm, bitmap, why, sizeof(why)), -1);
	assert_string_equal(why, "dirty logging is not on");
	assert_int_equal(vm_dirty_log_start(&h->vm, why, sizeof(why)), 0);
	assert_int_equal(vm_dirty_log_start(&h->vm, why, sizeof(why)), -1);

	run_round(h);
	assert_int_equal(h->vm.mem.base[0x5000], 1);
	expect_collect(h, (const int[]){ 5, 9, -1 });
	run_round(h);
	expect_collect(h, (const int[]){ 3, -1 });
	run_round(h);
	assert_int_equal(h->vm.mem.base[0x5000], 3);
	expect_collect(h, (const int[]){ 5, -1 });
	assert_int_equal(guest_memory_write(&h->vm.mem, 0xa123, &byte, 1), 0);
	expect_collect(h, (const int[]){ 0xa, -1 });

	vm_dirty_log_stop(&h->vm);
	run_round(h);
	assert_int_equal(h->vm.mem.base[0xb000], 4);
	assert_int_equal(vm_dirty_log_start(&h->vm, why, sizeof(why)), 0);
	expect_collect(h, (const int[]){ -1 });
	vm_dirty_log_stop(&h->vm);
	vm_harness_teardown((void **)&h);
}

static void test_interp_logs_each_round(void **state)
{
	(void)state;
	rounds_on("interp");
}

static void test_dbt_logs_each_round(void **state)
{
	(void)state;
	rounds_on("dbt");
}

static void test_kvm_logs_each_round(void **state)
{
	(void)state;
	rounds_on("kvm");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interp_logs_each_round),
		cmocka_unit_test(test_dbt_logs_each_round),
		cmocka_unit_test(test_kvm_logs_each_round),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
