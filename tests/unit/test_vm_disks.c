/* The virtio-blk disks of the whole machine as vm_create() builds it from
 * --disk (cfg.disks): after the virtio-rng's slot 0, one slot per disk in
 * the order given, each answering at its window with device ID 2 (virtio
 * 1.x §5.2.1), listed in the DSDT with its window and I/O APIC pin, the
 * read-only one offering VIRTIO_BLK_F_RO (bit 5). A bad image makes
 * vm_create fail with one line naming it. Windows and pins from
 * vm/virtio_devices.h's documented layout (slot n at 0xd0000000 + n * 4 KiB,
 * pin 16 + n). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"
#include "virtio_driver.h"
#include "vm_harness.h"
#include "vm/vm.h"

#define WINDOW(n) (0xd0000000ull + (n)*0x1000ull)
#define RSDP 0xe0000ull

struct disks_state {
	struct vm_harness *h;
	char paths[2][128];
};

static int setup(void **state)
{
	static uint8_t image[8 * 512];
	struct disks_state *s = calloc(1, sizeof(*s));
	struct disk_config disks[2];
	void *h;

	if (!s || temp_file_write(s->paths[0], sizeof(s->paths[0]), image, sizeof(image)) ||
	    temp_file_write(s->paths[1], sizeof(s->paths[1]), image, 4 * 512))
		return -1;
	disks[0] = (struct disk_config){ .path = s->paths[0] };
	disks[1] = (struct disk_config){ .path = s->paths[1], .ro = true };
	if (vm_harness_setup_disks(&h, true, disks, 2))
		return -1;
	s->h = h;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct disks_state *s = *state;
	void *h = s->h;

	vm_harness_teardown(&h);
	unlink(s->paths[0]);
	unlink(s->paths[1]);
	free(s);
	return 0;
}

static bool dsdt_holds(struct vm_harness *h, const void *bytes, size_t n)
{
	const uint8_t *rsdp = guest_memory_ptr(&h->vm.mem, RSDP, 36);
	const uint8_t *xsdt = guest_memory_ptr(&h->vm.mem, get_le64(rsdp + 24), 52);
	const uint8_t *fadt = guest_memory_ptr(&h->vm.mem, get_le64(xsdt + 36), 148);
	const uint8_t *dsdt = guest_memory_ptr(&h->vm.mem, get_le64(fadt + 140), 36);

	return memmem(guest_memory_ptr(&h->vm.mem, get_le64(fadt + 140), get_le32(dsdt + 4)), get_le32(dsdt + 4), bytes,
		      n) != NULL;
}

static uint32_t features_lo(struct vm_harness *h, unsigned slot)
{
	vdrv_set_reg(&h->vm.mmio, WINDOW(slot), 0x014, 0);
	return vdrv_reg(&h->vm.mmio, WINDOW(slot), 0x010);
}

static void test_disks_follow_the_rng_in_the_order_given(void **state)
{
	struct vm_harness *h = ((struct disks_state *)*state)->h;

	assert_int_equal(vdrv_reg(&h->vm.mmio, WINDOW(0), 0x008), 4);
	assert_int_equal(vdrv_reg(&h->vm.mmio, WINDOW(1), 0x008), 2);
	assert_int_equal(vdrv_reg(&h->vm.mmio, WINDOW(2), 0x008), 2);
	/* capacity: 8 sectors, then 4. */
	assert_int_equal(vdrv_reg(&h->vm.mmio, WINDOW(1), 0x100), 8);
	assert_int_equal(vdrv_reg(&h->vm.mmio, WINDOW(2), 0x100), 4);
	assert_false(features_lo(h, 1) & (1u << 5));
	assert_true(features_lo(h, 2) & (1u << 5));
	assert_int_equal(h->vm.virtio.nblks, 2);
}

/* Each disk's state is in the VM's table under its kind and --disk index. */
static const struct device_registry_entry *state_entry(struct vm_harness *h, const char *name)
{
	for (unsigned i = 0; i < h->vm.devices.count; i++)
		if (!strcmp(h->vm.devices.entry[i].name, name))
			return &h->vm.devices.entry[i];
	return NULL;
}

static void test_disks_are_in_the_state_table_by_index(void **state)
{
	struct vm_harness *h = ((struct disks_state *)*state)->h;

	for (unsigned i = 0; i < 2; i++) {
		const struct device_registry_entry *e = state_entry(h, i ? "virtio-blk.1" : "virtio-blk.0");

		if (!e) {
			fail_msg("disk %u has no entry", i);
			return;
		}
		assert_ptr_equal(e->ops, &virtio_blk_state_ops);
		assert_ptr_equal(e->dev, h->vm.virtio.blks[i]);
	}
	assert_null(state_entry(h, "virtio-blk.2"));
}

static void test_disks_are_in_the_dsdt_with_window_and_pin(void **state)
{
	struct vm_harness *h = ((struct disks_state *)*state)->h;
	/* Memory32Fixed (ReadWrite, window, 0x200) and Extended Interrupt {pin}
	 * (ACPI 6.4 6.4.3.4, 6.4.3.6) of slots 1 and 2. */
	static const uint8_t mem1[] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x10, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00 };
	static const uint8_t mem2[] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x20, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00 };
	static const uint8_t irq1[] = { 0x89, 0x06, 0x00, 0x01, 0x01, 17, 0x00, 0x00, 0x00 };
	static const uint8_t irq2[] = { 0x89, 0x06, 0x00, 0x01, 0x01, 18, 0x00, 0x00, 0x00 };

	assert_true(dsdt_holds(h, mem1, sizeof(mem1)));
	assert_true(dsdt_holds(h, mem2, sizeof(mem2)));
	assert_true(dsdt_holds(h, irq1, sizeof(irq1)));
	assert_true(dsdt_holds(h, irq2, sizeof(irq2)));
}

static void test_bad_image_fails_vm_create_with_its_name(void **state)
{
	char path[128], why[512];
	static const uint8_t odd[1000];
	struct vm vm;
	struct vm_config cfg = { .mem_size = 16ull << 20, .ndisks = 1 };
	static const uint8_t hlt = 0xf4;
	char kernel[128];

	(void)state;
	assert_int_equal(temp_file_write(path, sizeof(path), odd, sizeof(odd)), 0);
	assert_int_equal(temp_file_write(kernel, sizeof(kernel), &hlt, 1), 0);
	cfg.engine = engine_find("interp");
	cfg.boot = (struct load_request){ .kernel_path = kernel, .format = FORMAT_FLAT };
	cfg.disks[0] = (struct disk_config){ .path = path };
	assert_int_not_equal(vm_create(&vm, &cfg, why, sizeof(why)), 0);
	vm_destroy(&vm);
	assert_non_null(strstr(why, path));
	assert_non_null(strstr(why, "not a multiple of 512"));
	unlink(path);
	unlink(kernel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_disks_follow_the_rng_in_the_order_given, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disks_are_in_the_dsdt_with_window_and_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disks_are_in_the_state_table_by_index, setup, teardown),
		cmocka_unit_test(test_bad_image_fails_vm_create_with_its_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
