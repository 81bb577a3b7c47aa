/* A vCPU state saved halted with an interrupt being delivered (an interrupt
 * injected into a halted CPU: the software engines save this, and deliver it
 * at the next run) must wake on every engine it is loaded into. On kvm the
 * first run() once returned the HLT without entering KVM, which alone
 * delivers the injected event: a dbt snapshot restored on kvm slept for ever
 * (the PIC held the interrupt in service). A real-mode guest: vector 0x20's
 * handler does OUT 0x80; the CPU sits at a HLT with IF set. The run after
 * the state is set must reach that OUT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/vcpu_state.h"
#include "unit_helpers.h"
#include "vm/machine.h"
#include "vm/vm.h"
#include "vm_harness.h"
#include "x86/cpu_model.h"

/* At 0x7c00: hlt; jmp back. At 0x7c10, vector 0x20's handler: out 0x80, al;
 * hlt. */
static const uint8_t guest[] = {
	0xf4, 0xeb, 0xfd, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
	0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xe6, 0x80, 0xf4,
};

static void wakes_on(const char *engine)
{
	struct vm_config cfg = { .mem_size = 16ull << 20 };
	struct vcpu_state s;
	struct vm_exit exit = { 0 };
	struct vm_harness *h;
	struct vm *vm;
	int i;

	if (!engine_available(engine_find(engine))) {
		print_message("skipped on %s: the host cannot run it\n", engine);
		return;
	}
	cfg.engine = engine_find(engine);
	cfg.cpu_model = cpu_model_find("baseline");
	h = vm_harness_create(&cfg, guest, sizeof(guest));
	if (!h) {
		fail_msg("%s: the machine cannot be made", engine);
		return;
	}
	vm = &h->vm;
	/* The real-mode IVT: vector 0x20 at 0000:7c10. */
	memcpy(vm->mem.base + 0x20 * 4, &(uint32_t){ 0x7c10 }, 4);
	assert_int_equal(vm->ops->get_state(vm->vcpus[0].ev, &s), 0);
	s.rflags |= 0x200; /* IF */
	s.halted = true;
	s.pending = (struct x86_event){ EVENT_EXTINT, 0x20, false, 0 };
	assert_int_equal(vm->ops->set_state(vm->vcpus[0].ev, &s), 0);
	for (i = 0; i < 100; i++) {
		assert_int_equal(vm->ops->run(vm->vcpus[0].ev, &exit), 0);
		if (exit.reason != EXIT_INTERRUPTED)
			break;
	}
	if (exit.reason != EXIT_IO)
		fail_msg("%s: the first exit is %d, not the handler's OUT (the interrupt was not delivered)", engine,
			 exit.reason);
	vm_harness_teardown((void **)&h);
}

static void test_interp_wakes(void **state)
{
	(void)state;
	wakes_on("interp");
}

static void test_dbt_wakes(void **state)
{
	(void)state;
	wakes_on("dbt");
}

static void test_kvm_wakes(void **state)
{
	(void)state;
	wakes_on("kvm");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interp_wakes),
		cmocka_unit_test(test_dbt_wakes),
		cmocka_unit_test(test_kvm_wakes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
