/* Guest code written by the VMM rather than by the guest (a device's DMA, a
 * hypercall's answer: guest_memory_write, vm/memory.h) runs as written on the
 * software engines, as a processor fetches what a device wrote: the engine
 * drops the blocks it decoded or translated from the old bytes
 * (softcpu/vmm_writes.h). Through the engine's ops table, once per engine of
 * SOFT_ENGINES, with the engine harness of softcpu_harness.h. No set_state
 * between the runs: it would drop every block and hide a stale one. */
#include <pthread.h>
#include <time.h>

#include "engine/softcpu/vmm_writes.h"
#include "softcpu_harness.h"

#define PORT_VALUE 0xe7		      /* the code reports EAX here */
#define FN 0x101000		      /* fn: mov eax, imm32; ret, on a page of its own (IH_CODE + 4 KiB) */
#define FN_IMM (FN + 1)		      /* its imm32 */
#define OTHER_DATA (IH_DATA + 0x1000) /* written beside the code, never run */

/* Reports fn's value on port 0xe7, forever. */
IH_ASM(call_fn_loop, "1: mov eax, 0x101000\n"
		     "call rax\n"
		     "out 0xe7, al\n"
		     "jmp 1b");
/* Reports 1, then the next instruction's immediate. */
IH_ASM(out_then_mov, "mov eax, 1\n"
		     "out 0xe7, al\n"
		     "mov eax, 0x11\n"
		     "out 0xe7, al\n"
		     "jmp $");
/* Calls fn until it returns 2. */
IH_ASM(call_fn_until_2, "1: mov eax, 0x101000\n"
			"call rax\n"
			"cmp eax, 2\n"
			"jne 1b");

static void put_fn(struct ih *h, uint8_t value)
{
	const uint8_t fn[] = { 0xb8, value, 0, 0, 0, 0xc3 }; /* mov eax, value; ret */

	ih_write(h, FN, fn, sizeof(fn));
}

/* Runs until the next OUT to PORT_VALUE; returns the byte written. A write
 * to code while an exit waits for its answer brings the vCPU back
 * interrupted once (vmm_writes.h), which the VMM's loop passes over. */
static uint8_t next_value(struct ih *h)
{
	while (ih_run(h) == EXIT_INTERRUPTED)
		;
	if (!ih_exit_is_out(h, PORT_VALUE))
		ih_describe_unexpected_exit(h, "out 0xe7");
	return h->exit.io.data[0];
}

static void start(struct ih *h, const uint8_t *body, size_t len)
{
	ih_load(h, body, len);
	ih_start(h);
}

/* The function the loop calls is rewritten between two of its calls, while the
 * vCPU waits at its exit; the next call runs the new code. */
static void test_vmm_write_between_runs_is_fetched(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	put_fn(h, 1);
	start(h, call_fn_loop, IH_LEN(call_fn_loop));
	assert_int_equal(next_value(h), 1);
	for (uint8_t v = 2; v < 40; v++) {
		put_fn(h, v);
		assert_int_equal(next_value(h), v);
	}
	ih_free(h);
}

/* More writes between two runs than the vCPU keeps track of one by one: it
 * drops everything, so the written code still runs as written. */
static void test_many_vmm_writes_between_runs_are_all_fetched(void **state)
{
	struct ih *h = ih_new();

	(void)state;
	put_fn(h, 1);
	start(h, call_fn_loop, IH_LEN(call_fn_loop));
	assert_int_equal(next_value(h), 1);
	for (unsigned i = 0; i < VMM_WRITES_RANGES + 4; i++)
		ih_put(h, OTHER_DATA + 64 * i, i, 1);
	ih_put(h, FN_IMM, 0x5a, 1);
	assert_int_equal(next_value(h), 0x5a);
	ih_free(h);
}

/* The VMM answers an exit and writes the instruction after the one that
 * exited, in the same block: the exiting instruction completes as it was
 * fetched, and the next one runs as written, as under KVM, where the CPU
 * fetches it after the VM entry. */
static void test_vmm_write_after_the_exiting_instruction_is_fetched(void **state)
{
	struct ih *h = ih_new();
	/* out_then_mov: mov eax, 1 (5 bytes), out 0xe7, al (2), mov eax, imm32. */
	const uint64_t imm = IH_CODE + 5 + 2 + 1;

	(void)state;
	start(h, out_then_mov, IH_LEN(out_then_mov));
	assert_int_equal(next_value(h), 1);
	ih_put(h, imm, 0x22, 1);
	assert_int_equal(next_value(h), 0x22);
	ih_free(h);
}

struct writer {
	struct ih *h;
	int gave_up; /* atomic */
	int done;    /* atomic */
};

/* Rewrites fn while the guest spins calling it; kicks the vCPU after 10 s if
 * the guest has not seen the new code by then, so a failure ends. */
static void *write_while_running(void *arg)
{
	struct writer *w = arg;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	put_fn(w->h, 2);
	for (int i = 0; i < 500 && !__atomic_load_n(&w->done, __ATOMIC_ACQUIRE); i++)
		nanosleep(&ts, NULL);
	if (!__atomic_load_n(&w->done, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&w->gave_up, 1, __ATOMIC_RELEASE);
		w->h->ops->kick(w->h->vcpu);
	}
	return NULL;
}

/* Another thread writes the function a running guest keeps calling: the guest
 * sees the new code without anything else waking the vCPU. */
static void test_vmm_write_from_another_thread_reaches_a_running_guest(void **state)
{
	struct ih *h = ih_new();
	struct writer w = { .h = h };
	pthread_t t;

	(void)state;
	put_fn(h, 1);
	start(h, call_fn_until_2, IH_LEN(call_fn_until_2));
	assert_int_equal(pthread_create(&t, NULL, write_while_running, &w), 0);
	/* The write kicks the vCPU, which comes back interrupted, at most once
	 * before it runs the new code. */
	while (ih_run(h) == EXIT_INTERRUPTED && !__atomic_load_n(&w.gave_up, __ATOMIC_ACQUIRE))
		;
	__atomic_store_n(&w.done, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_false(w.gave_up);
	ih_expect_end(h);
	ih_free(h);
}

/* The mailbox itself: a frame's header and body written side by side, and a
 * used ring's element then its index, are held as one range each; writes
 * apart from each other stay apart. */
static void test_touching_vmm_writes_are_held_as_one_range(void **state)
{
	struct vmm_writes w;
	struct vmm_writes_taken t;

	(void)state;
	vmm_writes_init(&w);
	vmm_writes_post(&w, 0x10000, 12);	/* header */
	vmm_writes_post(&w, 0x1000c, 1514);	/* frame right after it */
	vmm_writes_post(&w, 0x20004, 8);	/* used element 0 */
	vmm_writes_post(&w, 0x20002, 2);	/* used index, just before it */
	vmm_writes_post(&w, 0x30000, 100);	/* another buffer */
	vmm_writes_post(&w, 0x2000c, 8);	/* used element 1 */
	vmm_writes_post(&w, 0x10000 + 4096, 1); /* a page away: apart */
	vmm_writes_take(&w, &t);
	assert_false(t.everything);
	assert_int_equal(t.count, 4);
	assert_int_equal(t.range[0].gpa, 0x10000);
	assert_int_equal(t.range[0].len, 12 + 1514);
	assert_int_equal(t.range[1].gpa, 0x20002);
	assert_int_equal(t.range[1].len, 0x20014 - 0x20002);
	assert_int_equal(t.range[2].gpa, 0x30000);
	assert_int_equal(t.range[3].gpa, 0x11000);
	/* Merging stops at the size one range may have. */
	vmm_writes_post(&w, 0, VMM_WRITES_RANGE_MAX);
	vmm_writes_post(&w, VMM_WRITES_RANGE_MAX, 1);
	vmm_writes_take(&w, &t);
	assert_false(t.everything);
	assert_int_equal(t.count, 2);
	vmm_writes_fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmm_write_between_runs_is_fetched),
		cmocka_unit_test(test_many_vmm_writes_between_runs_are_all_fetched),
		cmocka_unit_test(test_vmm_write_after_the_exiting_instruction_is_fetched),
		cmocka_unit_test(test_vmm_write_from_another_thread_reaches_a_running_guest),
		cmocka_unit_test(test_touching_vmm_writes_are_held_as_one_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
