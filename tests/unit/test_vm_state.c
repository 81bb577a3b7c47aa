/* The VM's device state as a whole: every device vm_init_machine builds, and
 * vCPU 0 that vm_create adds, has its section in registration order; a
 * machine driven into a busy state through its buses saves a stream that a
 * second machine loads and saves again to the same bytes (on a clock ten
 * seconds on), after which the two answer the guest alike; vCPU 0's state
 * goes through the interp engine's get_state and set_state and comes back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"
#include "vm_harness.h"
#include "vm/vm.h"

/* The PC platform's devices, each registered where it is created. */
static const char *const pc_devices[] = {
	"pic", "pit", "rtc", "pc-misc", "fw-cfg", "acpi-pm", "ioapic", "lapic0", "pc-wiring", "uart-com1", "debug-exit",
};

struct fake_clock {
	uint64_t ns;
	int64_t s;
};

static uint64_t fake_ns(void *opaque)
{
	return ((struct fake_clock *)opaque)->ns;
}

static int64_t fake_s(void *opaque)
{
	return ((struct fake_clock *)opaque)->s;
}

struct machine {
	struct vm vm;
	struct fake_clock clock;
};

static struct machine *machine_new(uint64_t ns)
{
	struct machine *m = calloc(1, sizeof(*m));
	const struct vm_config cfg = { .mem_size = 2ull << 20, .rng = true };
	struct platform_clock pc;
	char why[256];

	assert_non_null(m);
	m->clock = (struct fake_clock){ .ns = ns, .s = 1795246245 };
	pc = (struct platform_clock){ .now_ns = fake_ns, .wall_s = fake_s, .opaque = &m->clock };
	if (vm_init_machine(&m->vm, &cfg, &pc, why, sizeof(why))) {
		fprintf(stderr, "vm_init_machine: %s\n", why);
		fail();
	}
	return m;
}

static void machine_free(struct machine *m)
{
	vm_destroy(&m->vm);
	free(m);
}

static void out(struct machine *m, uint16_t port, uint8_t v)
{
	io_bus_write(&m->vm.pio, port, 1, v);
}

static uint8_t in(struct machine *m, uint16_t port)
{
	return (uint8_t)io_bus_read(&m->vm.pio, port, 1);
}

static void mmio_out(struct machine *m, uint64_t gpa, uint32_t v)
{
	io_bus_write(&m->vm.mmio, gpa, 4, v);
}

static uint32_t mmio_in(struct machine *m, uint64_t gpa)
{
	return (uint32_t)io_bus_read(&m->vm.mmio, gpa, 4);
}

/* As a booting kernel leaves things: the 8259 pair programmed with IRQ 4
 * (COM1) unmasked, the PIT's counter 0 running at 100 Hz, the UART with
 * its FIFO on, received-data interrupts on and four bytes waiting, the RTC's periodic
 * interrupt on, the LAPIC's timer armed, an I/O APIC entry programmed,
 * fw_cfg's signature half read, A20 off, a POST code; then 2.5 ms pass. */
static void drive(struct machine *m)
{
	static const uint8_t keys[] = "ls\r\n";

	out(m, 0x20, 0x11), out(m, 0x21, 0x20), out(m, 0x21, 0x04), out(m, 0x21, 0x01);
	out(m, 0xa0, 0x11), out(m, 0xa1, 0x28), out(m, 0xa1, 0x02), out(m, 0xa1, 0x01);
	out(m, 0x21, 0xea);
	out(m, 0xa1, 0xff);
	out(m, 0x43, 0x34), out(m, 0x40, 0x9c), out(m, 0x40, 0x2e);
	out(m, 0x3fa, 0x01);
	out(m, 0x3f9, 0x01);
	out(m, 0x3fc, 0x0b);
	assert_int_equal(uart16550_receive(&m->vm.com1, keys, 4), 4);
	out(m, 0x70, 0x0b), out(m, 0x71, 0x42);
	mmio_out(m, LAPIC_DEFAULT_BASE + 0x3e0, 0x3);
	mmio_out(m, LAPIC_DEFAULT_BASE + 0x320, 0x20000 | 0xec);
	mmio_out(m, LAPIC_DEFAULT_BASE + 0x380, 600000);
	mmio_out(m, IOAPIC_DEFAULT_BASE, 0x10 + 2 * 4);
	mmio_out(m, IOAPIC_DEFAULT_BASE + 0x10, 0x10024);
	io_bus_write(&m->vm.pio, 0x510, 2, 0x0000);
	(void)in(m, 0x511), (void)in(m, 0x511);
	out(m, 0x92, 0x00);
	out(m, 0x80, 0x5a);
	m->clock.ns += 2500000;
	platform_timers_update(&m->vm);
}

static void save(struct machine *m, struct state_writer *w)
{
	state_writer_init(w);
	state_write_header(w);
	device_registry_save(&m->vm.devices, w, m->clock.ns);
	state_write_end(w);
	assert_false(w->failed);
}

static int load(struct machine *m, const struct state_writer *w, char *why, size_t why_len)
{
	struct state_reader r;

	if (state_open(&r, w->buf, w->len, why, why_len))
		return -1;
	return device_registry_load(&m->vm.devices, &r, m->clock.ns, why, why_len);
}

static bool registered(const struct device_registry *reg, const char *name)
{
	for (unsigned i = 0; i < reg->count; i++)
		if (!strcmp(reg->entry[i].name, name))
			return true;
	return false;
}

static void test_every_pc_device_is_registered_with_complete_ops(void **state)
{
	struct machine *m = machine_new(5000000000ull);
	const struct device_registry *reg = &m->vm.devices;

	(void)state;
	for (size_t i = 0; i < sizeof(pc_devices) / sizeof(pc_devices[0]); i++)
		assert_true(registered(reg, pc_devices[i]));
	for (unsigned i = 0; i < reg->count; i++) {
		const struct device_state_ops *ops = reg->entry[i].ops;

		assert_non_null(reg->entry[i].dev);
		assert_true(ops->version >= 1);
		assert_non_null(ops->reset);
		assert_non_null(ops->save);
		assert_non_null(ops->load);
	}
	machine_free(m);
}

static void test_the_stream_has_one_section_per_registered_device_in_order(void **state)
{
	struct machine *m = machine_new(5000000000ull);
	struct state_writer w;
	struct state_reader r;
	struct state_section s;
	char why[256];
	unsigned n = 0;

	(void)state;
	drive(m);
	save(m, &w);
	assert_int_equal(state_open(&r, w.buf, w.len, why, sizeof(why)), 0);
	while (state_next_section(&r, &s, why, sizeof(why)) == 1) {
		assert_true(n < m->vm.devices.count);
		assert_string_equal(s.name, m->vm.devices.entry[n].name);
		assert_int_equal(s.version, m->vm.devices.entry[n].ops->version);
		n++;
	}
	assert_int_equal(n, m->vm.devices.count);
	state_writer_free(&w);
	machine_free(m);
}

static void test_a_busy_machine_loads_into_another_and_saves_the_same_bytes(void **state)
{
	struct machine *a = machine_new(5000000000ull), *b = machine_new(77000000000ull);
	struct state_writer wa, wb;
	char why[256];

	(void)state;
	drive(a);
	save(a, &wa);
	b->clock.ns = a->clock.ns + 10000000000ull;
	if (load(b, &wa, why, sizeof(why))) {
		fprintf(stderr, "load: %s\n", why);
		fail();
	}
	save(b, &wb);
	assert_int_equal(wa.len, wb.len);
	assert_memory_equal(wa.buf, wb.buf, wa.len);
	/* And the guest sees the same: COM1's IRQ 4 pending at the 8259 and its
	 * bytes in the FIFO, the PIT's count and the LAPIC's timer at the same
	 * point, fw_cfg's next byte, A20 off. */
	assert_true(pic8259_pending(&b->vm.pc.pic));
	assert_int_equal(pic8259_acknowledge(&b->vm.pc.pic), pic8259_acknowledge(&a->vm.pc.pic));
	for (int i = 0; i < 4; i++)
		assert_int_equal(in(b, 0x3f8), in(a, 0x3f8));
	out(a, 0x43, 0x00), out(b, 0x43, 0x00);
	assert_int_equal(in(b, 0x40), in(a, 0x40));
	assert_int_equal(in(b, 0x40), in(a, 0x40));
	assert_int_equal(mmio_in(b, LAPIC_DEFAULT_BASE + 0x390), mmio_in(a, LAPIC_DEFAULT_BASE + 0x390));
	assert_int_equal(in(b, 0x511), 'M'); /* "QE" read before */
	assert_int_equal(in(b, 0x92), 0x00);
	state_writer_free(&wa);
	state_writer_free(&wb);
	machine_free(a);
	machine_free(b);
}

static void test_a_stream_is_refused_by_a_machine_with_other_devices(void **state)
{
	struct machine *a = machine_new(5000000000ull), *b = machine_new(5000000000ull);
	struct state_writer w;
	char why[256];

	(void)state;
	save(a, &w);
	b->vm.devices.count--; /* as if its last device were missing */
	assert_int_equal(load(b, &w, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "lacks"));
	state_writer_free(&w);
	machine_free(a);
	machine_free(b);
}

/* vm_create's machine (the interp engine): vcpu0 is registered, and its state
 * loads into another machine's vCPU through set_state. */
static const struct device_registry_entry *entry(const struct vm *vm, const char *name)
{
	for (unsigned i = 0; i < vm->devices.count; i++)
		if (!strcmp(vm->devices.entry[i].name, name))
			return &vm->devices.entry[i];
	return NULL;
}

static void test_vcpu0_state_goes_through_the_engine_into_another_vm(void **state)
{
	void *ha = NULL, *hb = NULL;
	struct vm *a, *b;
	const struct device_registry_entry *ea, *eb;
	struct vcpu_state sa, sb;
	struct state_writer w;
	struct state_reader r;

	(void)state;
	assert_int_equal(vm_harness_setup(&ha, false), 0);
	assert_int_equal(vm_harness_setup(&hb, false), 0);
	a = &((struct vm_harness *)ha)->vm;
	b = &((struct vm_harness *)hb)->vm;
	ea = entry(a, "vcpu0");
	eb = entry(b, "vcpu0");
	if (!ea || !eb) {
		fail_msg("vcpu0 is not registered");
		return;
	}
	assert_ptr_equal(ea->dev, &a->vcpus[0]);
	/* A state the loader would not leave: registers, a pending interrupt,
	 * SSE bits. */
	assert_int_equal(a->ops->get_state(a->vcpus[0].ev, &sa), 0);
	sa.gpr[GPR_RBX] = 0x1122334455667788ull;
	sa.rip = 0x1234;
	sa.fpu.xmm[3][5] = 0xa5;
	sa.msr.lstar = 0xffffffff81000000ull;
	sa.pending = (struct x86_event){ .type = EVENT_EXTINT, .vector = 0x31 };
	assert_int_equal(a->ops->set_state(a->vcpus[0].ev, &sa), 0);
	assert_int_equal(a->ops->get_state(a->vcpus[0].ev, &sa), 0);
	state_writer_init(&w);
	ea->ops->save(ea->dev, &w, 0);
	assert_false(w.failed);
	state_reader_init(&r, w.buf, w.len);
	assert_int_equal(eb->ops->load(eb->dev, &r, ea->ops->version, 0), 0);
	assert_true(state_reader_ok(&r, true));
	assert_int_equal(b->ops->get_state(b->vcpus[0].ev, &sb), 0);
	/* The TSC ran on between the save and get_state; nothing else moves. */
	assert_true(sb.msr.tsc >= sa.msr.tsc);
	sb.msr.tsc = sa.msr.tsc;
	assert_memory_equal(&sa, &sb, sizeof(sa));
	/* Reset: the architectural RESET state. */
	eb->ops->reset(eb->dev);
	assert_int_equal(b->ops->get_state(b->vcpus[0].ev, &sb), 0);
	assert_int_equal(sb.rip, 0xfff0);
	assert_int_equal(sb.seg[SREG_CS].selector, 0xf000);
	state_writer_free(&w);
	vm_harness_teardown(&ha);
	vm_harness_teardown(&hb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_pc_device_is_registered_with_complete_ops),
		cmocka_unit_test(test_the_stream_has_one_section_per_registered_device_in_order),
		cmocka_unit_test(test_a_busy_machine_loads_into_another_and_saves_the_same_bytes),
		cmocka_unit_test(test_a_stream_is_refused_by_a_machine_with_other_devices),
		cmocka_unit_test(test_vcpu0_state_goes_through_the_engine_into_another_vm),
	};

	return cmocka_run_group_tests_name("vm_state", tests, NULL, NULL);
}
