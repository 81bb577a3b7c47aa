/* The virtio devices of the whole machine as vm_create() builds it (the
 * interp engine, a one-byte flat kernel; nothing runs the vCPU): with the
 * default configuration a virtio-rng answers at the first virtio window, the
 * DSDT names it, and its interrupt reaches I/O APIC pin 16 and no other
 * input; with --no-rng (cfg.rng false) neither the window nor the DSDT entry
 * exists. Values from the virtio spec (magic "virt", version 2, device ID 4)
 * and from vm/virtio_devices.h's documented layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"
#include "virtio_driver.h"
#include "virtq_rings.h"
#include "vm_harness.h"
#include "vm/device_registry.h"
#include "vm/vm.h"

#define WINDOW 0xd0000000ull /* slot 0 */
#define PIN 16		     /* slot 0 */
#define RSDP 0xe0000ull	     /* where platform.c puts the tables */
#define DESC 0x100000
#define AVAIL 0x101000
#define USED 0x102000
#define BUF 0x103000
/* The console's receiveq in the tests with several devices. */
#define CON_DESC 0x110000
#define CON_AVAIL 0x111000
#define CON_USED 0x112000
#define CON_BUF 0x113000
#define LAPIC_PAGE 0xfee00000ull /* MMIO, never RAM */

static int setup_rng(void **state)
{
	return vm_harness_setup(state, true);
}

static int setup_no_rng(void **state)
{
	return vm_harness_setup(state, false);
}

/* --net user --virtio-console beside the default virtio-rng. */
static void add_net_and_console(struct vm_config *cfg)
{
	cfg->net.user = true;
	cfg->virtio_console = true;
}

static int setup_all(void **state)
{
	return vm_harness_setup_edit(state, true, add_net_and_console);
}

static int teardown(void **state)
{
	return vm_harness_teardown(state);
}

/* The DSDT as the guest finds it: RSDP -> XSDT -> FADT -> X_DSDT. */
static const uint8_t *guest_dsdt(struct vm_harness *h, uint32_t *len)
{
	const uint8_t *rsdp = guest_memory_ptr(&h->vm.mem, RSDP, 36);
	const uint8_t *xsdt, *fadt, *dsdt;

	assert_memory_equal(rsdp, "RSD PTR ", 8);
	xsdt = guest_memory_ptr(&h->vm.mem, get_le64(rsdp + 24), 52);
	assert_memory_equal(xsdt, "XSDT", 4);
	fadt = guest_memory_ptr(&h->vm.mem, get_le64(xsdt + 36), 148);
	assert_memory_equal(fadt, "FACP", 4);
	dsdt = guest_memory_ptr(&h->vm.mem, get_le64(fadt + 140), 36);
	assert_memory_equal(dsdt, "DSDT", 4);
	*len = get_le32(dsdt + 4);
	return guest_memory_ptr(&h->vm.mem, get_le64(fadt + 140), *len);
}

static bool dsdt_holds(struct vm_harness *h, const void *bytes, size_t n)
{
	uint32_t len;
	const uint8_t *d = guest_dsdt(h, &len);

	return memmem(d, len, bytes, n) != NULL;
}

static void test_default_vm_has_virtio_rng_at_the_first_window(void **state)
{
	struct vm_harness *h = *state;

	assert_int_equal(vdrv_reg(&h->vm.mmio, WINDOW, 0x000), 0x74726976);
	assert_int_equal(vdrv_reg(&h->vm.mmio, WINDOW, 0x004), 2);
	assert_int_equal(vdrv_reg(&h->vm.mmio, WINDOW, 0x008), 4);
}

static void test_default_vm_dsdt_names_the_window_and_pin(void **state)
{
	struct vm_harness *h = *state;
	/* Memory32Fixed (ReadWrite, WINDOW, 0x200); Extended Interrupt
	 * (consumer, level, high, exclusive) {16}: ACPI 6.4 6.4.3.4 and 6.4.3.6. */
	static const uint8_t mem32[] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00 };
	static const uint8_t irq[] = { 0x89, 0x06, 0x00, 0x01, 0x01, PIN, 0x00, 0x00, 0x00 };

	assert_true(dsdt_holds(h, "LNRO0005", 8));
	assert_true(dsdt_holds(h, mem32, sizeof(mem32)));
	assert_true(dsdt_holds(h, irq, sizeof(irq)));
}

/* A used buffer raises the device's line: I/O APIC pin 16, nothing else. */
static void test_default_vm_rng_interrupt_is_ioapic_pin_16(void **state)
{
	struct vm_harness *h = *state;
	struct io_bus *bus = &h->vm.mmio;

	vdrv_negotiate(bus, WINDOW, 0, F_VERSION_1_HI);
	vdrv_setup_queue(bus, WINDOW, 0, 8, DESC, AVAIL, USED);
	vdrv_set_reg(bus, WINDOW, 0x070, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
	ring_put_desc(&h->vm.mem, DESC, 0, BUF, 64, 2 /* WRITE */, 0);
	ring_put16(&h->vm.mem, AVAIL + 4, 0);
	ring_put16(&h->vm.mem, AVAIL + 2, 1);
	vdrv_set_reg(bus, WINDOW, 0x050, 0);
	assert_int_equal(h->vm.pc.ioapic.pin_level, 0);
	/* What the I/O thread does when it runs (vm_run is not called here). */
	virtio_worker_run(&h->vm.virtio.rng->mmio.worker);
	assert_int_equal(ring_get16(&h->vm.mem, USED + 2), 1);
	assert_int_equal(h->vm.pc.ioapic.pin_level, 1u << PIN);
	vdrv_set_reg(bus, WINDOW, 0x064, 1); /* InterruptACK */
	assert_int_equal(h->vm.pc.ioapic.pin_level, 0);
}

static void test_no_rng_vm_has_no_window_and_no_dsdt_entry(void **state)
{
	struct vm_harness *h = *state;
	struct stderr_capture cap;
	uint32_t magic;

	assert_int_equal(stderr_capture_begin(&cap), 0);
	magic = vdrv_reg(&h->vm.mmio, WINDOW, 0x000);
	free(stderr_capture_end(&cap));
	assert_int_equal(magic, 0xffffffffu);
	assert_false(dsdt_holds(h, "LNRO0005", 8));
	assert_null(h->vm.virtio.rng);
}

/* Slots in the order vm/virtio_setup.c makes them: rng, net, console, each
 * window a page above the last and each on the next I/O APIC pin (the DSDT
 * entry of the last one names window 0xd0002000 and pin 18). */
static void test_net_and_console_take_the_next_slots(void **state)
{
	struct vm_harness *h = *state;
	static const uint32_t ids[] = { 4, 1, 3 };
	static const uint8_t mem32[] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x20, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00 };
	static const uint8_t irq[] = { 0x89, 0x06, 0x00, 0x01, 0x01, 18, 0x00, 0x00, 0x00 };

	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(vdrv_reg(&h->vm.mmio, WINDOW + 0x1000 * i, 0x000), 0x74726976);
		assert_int_equal(vdrv_reg(&h->vm.mmio, WINDOW + 0x1000 * i, 0x008), ids[i]);
	}
	assert_int_equal(vdrv_reg(&h->vm.mmio, WINDOW + 0x3000, 0x000), 0xffffffffu);
	assert_true(dsdt_holds(h, mem32, sizeof(mem32)));
	assert_true(dsdt_holds(h, irq, sizeof(irq)));
	assert_non_null(h->vm.virtio.net_user);
}

/* A driver's rings and DRIVER_OK for queue 0 of the device at base, with
 * one descriptor (addr, len, flags) made available and notified. */
static void offer_one(struct vm_harness *h, uint64_t base, uint64_t desc, uint64_t avail, uint64_t used, uint64_t addr,
		      uint32_t len, uint16_t flags)
{
	struct io_bus *bus = &h->vm.mmio;

	vdrv_negotiate(bus, base, 0, F_VERSION_1_HI);
	vdrv_setup_queue(bus, base, 0, 8, desc, avail, used);
	vdrv_set_reg(bus, base, 0x070, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
	ring_put_desc(&h->vm.mem, desc, 0, addr, len, flags, 0);
	ring_put16(&h->vm.mem, avail + 4, 0);
	ring_put16(&h->vm.mem, avail + 2, 1);
	vdrv_set_reg(bus, base, 0x050, 0);
}

/* A guest that breaks one device's ring breaks that device only (issue 14,
 * "Bad input"): the virtio-rng whose buffer lies in the local APIC's page
 * needs reset (§2.1.2), and the virtio-console two slots on still hands host
 * input to the guest. */
static void test_broken_rng_ring_leaves_the_console_working(void **state)
{
	struct vm_harness *h = *state;
	uint64_t console = WINDOW + 0x2000;
	struct stderr_capture cap;

	offer_one(h, WINDOW, DESC, AVAIL, USED, LAPIC_PAGE, 64, 2 /* WRITE */);
	assert_int_equal(stderr_capture_begin(&cap), 0);
	virtio_worker_run(&h->vm.virtio.rng->mmio.worker);
	free(stderr_capture_end(&cap));
	assert_true(vdrv_reg(&h->vm.mmio, WINDOW, 0x070) & NEEDS_RESET);
	assert_int_equal(ring_get16(&h->vm.mem, USED + 2), 0);

	offer_one(h, console, CON_DESC, CON_AVAIL, CON_USED, CON_BUF, 16, 2 /* WRITE */);
	assert_int_equal(virtio_console_receive(h->vm.virtio.console, (const uint8_t *)"hi", 2), 2);
	virtio_worker_run(&h->vm.virtio.console->mmio.worker);
	assert_int_equal(ring_get16(&h->vm.mem, CON_USED + 2), 1);
	assert_int_equal(ring_get32(&h->vm.mem, CON_USED + 4 + 4), 2); /* used len */
	assert_memory_equal(guest_memory_ptr(&h->vm.mem, CON_BUF, 2), "hi", 2);
	assert_false(vdrv_reg(&h->vm.mmio, console, 0x070) & NEEDS_RESET);
}

/* The table entries of this VM's virtio devices and their back ends, in
 * its order (other devices' entries left out). */
static void virtio_entries(struct vm_harness *h, struct device_registry *out)
{
	static const char *const kinds[] = { "virtio-", "net-user." };

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < h->vm.devices.count; i++)
		for (unsigned k = 0; k < 2; k++)
			if (!strncmp(h->vm.devices.entry[i].name, kinds[k], strlen(kinds[k])))
				out->entry[out->count++] = h->vm.devices.entry[i];
}

static void test_virtio_devices_are_in_the_vm_state_table(void **state)
{
	struct vm_harness *h = *state;
	static const char *const names[] = { "virtio-rng.0", "virtio-net.0", "net-user.0", "virtio-console.0" };
	struct device_registry mine;

	virtio_entries(h, &mine);
	assert_int_equal(mine.count, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_string_equal(mine.entry[i].name, names[i]);
	assert_ptr_equal(mine.entry[0].ops, &virtio_rng_state_ops);
	assert_ptr_equal(mine.entry[0].dev, h->vm.virtio.rng);
	assert_ptr_equal(mine.entry[1].dev, h->vm.virtio.net);
	assert_ptr_equal(mine.entry[2].ops, &net_slirp_state_ops);
	assert_ptr_equal(mine.entry[2].dev, h->vm.virtio.net_user);
	assert_ptr_equal(mine.entry[3].dev, h->vm.virtio.console);
}

static void save_stream(struct device_registry *reg, struct state_writer *w)
{
	state_writer_init(w);
	state_write_header(w);
	device_registry_save(reg, w, 5000);
	state_write_end(w);
	assert_false(w->failed);
}

/* The virtio part of a running machine (a console with input waiting)
 * through the registry into a second machine of the same configuration
 * whose RAM is a copy: loads, saves the same stream, and the input reaches
 * the second machine's guest. */
static void test_vm_virtio_state_loads_into_a_second_vm(void **state)
{
	struct vm_harness *h = *state, *h2;
	struct device_registry mine, theirs;
	struct state_writer w, again;
	struct state_reader r;
	char why[256];
	void *second = NULL;

	offer_one(h, WINDOW + 0x2000, CON_DESC, CON_AVAIL, CON_USED, CON_BUF, 1, 2 /* WRITE */);
	assert_int_equal(virtio_console_receive(h->vm.virtio.console, (const uint8_t *)"xyz", 3), 3);
	virtio_worker_run(&h->vm.virtio.console->mmio.worker);
	assert_int_equal(h->vm.virtio.console->input_len, 2);
	virtio_entries(h, &mine);
	save_stream(&mine, &w);

	if (setup_all(&second) || !second) {
		fail_msg("the second machine would not build");
		return;
	}
	h2 = second;
	memcpy(guest_memory_ptr(&h2->vm.mem, 0, 16ull << 20), guest_memory_ptr(&h->vm.mem, 0, 16ull << 20),
	       16ull << 20);
	virtio_entries(h2, &theirs);
	assert_int_equal(state_open(&r, w.buf, w.len, why, sizeof(why)), 0);
	assert_int_equal(device_registry_load(&theirs, &r, 6000, why, sizeof(why)), 0);
	save_stream(&theirs, &again);
	assert_int_equal(again.len, w.len);
	assert_memory_equal(again.buf, w.buf, w.len);
	/* The waiting input reaches the guest of the second machine. */
	assert_int_equal(h2->vm.virtio.console->input_len, 2);
	ring_put_desc(&h2->vm.mem, CON_DESC, 1, CON_BUF + 0x100, 16, 2 /* WRITE */, 0);
	ring_put16(&h2->vm.mem, CON_AVAIL + 4 + 2, 1);
	ring_put16(&h2->vm.mem, CON_AVAIL + 2, 2);
	virtio_worker_run(&h2->vm.virtio.console->mmio.worker);
	assert_int_equal(ring_get16(&h2->vm.mem, CON_USED + 2), 2);
	assert_memory_equal(guest_memory_ptr(&h2->vm.mem, CON_BUF + 0x100, 2), "yz", 2);
	state_writer_free(&w);
	state_writer_free(&again);
	vm_harness_teardown(&second);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_default_vm_has_virtio_rng_at_the_first_window, setup_rng,
						teardown),
		cmocka_unit_test_setup_teardown(test_default_vm_dsdt_names_the_window_and_pin, setup_rng, teardown),
		cmocka_unit_test_setup_teardown(test_default_vm_rng_interrupt_is_ioapic_pin_16, setup_rng, teardown),
		cmocka_unit_test_setup_teardown(test_no_rng_vm_has_no_window_and_no_dsdt_entry, setup_no_rng, teardown),
		cmocka_unit_test_setup_teardown(test_net_and_console_take_the_next_slots, setup_all, teardown),
		cmocka_unit_test_setup_teardown(test_broken_rng_ring_leaves_the_console_working, setup_all, teardown),
		cmocka_unit_test_setup_teardown(test_virtio_devices_are_in_the_vm_state_table, setup_all, teardown),
		cmocka_unit_test_setup_teardown(test_vm_virtio_state_loads_into_a_second_vm, setup_all, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
