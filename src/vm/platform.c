#include "vm/platform.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "firmware/acpi.h"
#include "loader/boot_setup.h"
#include "host/fatal_signals.h"
#include "log.h"
#include "vm/machine.h"
#include "vm/stop.h"
#include "vm/vm_control.h"

/* The timer thread sleeps at most this long, so that a timer the guest has just
 * programmed starts within it, and at least the minimum, so that a guest asking
 * for a tick every clock cycle cannot spin the host. */
#define TIMER_MAX_SLEEP_NS 10000000ull
#define TIMER_MIN_SLEEP_NS 100000ull

static uint64_t clock_ns(void *opaque)
{
	(void)opaque;
	return monotonic_ns();
}

static int64_t wall_s(void *opaque)
{
	(void)opaque;
	return (int64_t)time(NULL);
}

/* Bumps a sequence number that a sleeper on the stop condition variable read
 * before it looked, then wakes every sleeper: none can miss the change. */
static void bump_and_broadcast(struct vm *vm, unsigned *seq)
{
	__atomic_add_fetch(seq, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&vm->stop_lock);
	pthread_cond_broadcast(&vm->stop_cond);
	pthread_mutex_unlock(&vm->stop_lock);
}

void platform_wake(struct vm *vm)
{
	bump_and_broadcast(vm, &vm->wake_seq);
	for (int i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].ev)
			vm->ops->kick(vm->vcpus[i].ev);
}

/* INTR of the PIC changed (PIC lock held): note it and wake the vCPU, which
 * passes it on to LINT0 (see the lock order in platform.h). */
static void intr_changed(void *opaque, bool asserted)
{
	struct vm *vm = opaque;

	__atomic_store_n(&vm->intr_asserted, asserted, __ATOMIC_RELEASE);
	platform_wake(vm);
}

void platform_sync_lint0(struct vm *vm)
{
	int level = __atomic_load_n(&vm->intr_asserted, __ATOMIC_ACQUIRE);

	if (level != vm->pc.lint0_level) {
		vm->pc.lint0_level = level;
		lapic_set_lint(&vm->pc.lapic, 0, level);
	}
}

/* The guest (re)programmed the LAPIC timer (LAPIC lock held) or wrote to the
 * 8254: the timer thread recomputes its deadline now rather than after its
 * longest sleep (10 ms late, a guest that waits for the first tick of a 1 kHz
 * counter in a loop bounded by its count may give up first). */
static void timer_programmed(void *opaque)
{
	struct vm *vm = opaque;

	bump_and_broadcast(vm, &vm->pc.timer_seq);
}

/* The LAPIC has something new for the CPU (LAPIC lock held). */
static void lapic_changed(void *opaque)
{
	platform_wake(opaque);
}

/* The LAPIC's callbacks share one opaque, the vm. */
static uint64_t lapic_now_ns(void *opaque)
{
	struct vm *vm = opaque;

	return vm->pc.clock.now_ns(vm->pc.clock.opaque);
}

static int lapic_extint_acknowledge(void *opaque)
{
	struct vm *vm = opaque;

	return pic8259_acknowledge(&vm->pc.pic);
}

static void lapic_eoi_broadcast(void *opaque, uint8_t vector)
{
	struct vm *vm = opaque;

	ioapic_eoi(&vm->pc.ioapic, vector);
}

/* An I/O APIC message on the APIC bus (I/O APIC lock held). */
static void ioapic_deliver(void *opaque, const struct ioapic_message *m)
{
	struct vm *vm = opaque;

	if (lapic_accepts(&vm->pc.lapic, m->dest, m->logical))
		lapic_deliver(&vm->pc.lapic, m->vector, m->delivery_mode, m->level);
}

/* An ISA interrupt line: wired to the 8259A and to the I/O APIC (IRQ 0 on pin 2). */
static void isa_irq_set(void *controller, unsigned irq, int level)
{
	struct vm *vm = controller;

	pic8259_set_irq(&vm->pc.pic, irq, level);
	ioapic_set_irq(&vm->pc.ioapic, irq == 0 ? 2 : irq, level);
}

/* A reset request (i8042 pulse, port 0x92, port 0xcf9): like Firecracker,
 * Ringvisor treats a reboot as the end of the VM. */
static void reset_requested(void *opaque)
{
	log_info("the guest asked for a reset: stopping");
	vm_request_stop(opaque, STATUS_OK);
}

/* ACPI S5 through PM1a_CNT: the guest powered off. */
static void acpi_poweroff(void *opaque)
{
	log_info("the guest powered off (ACPI S5)");
	vm_request_stop(opaque, STATUS_OK);
}

/* The ACPI tables (docs/acpi.md) in the BIOS area, where an OS looks for the
 * RSDP (ACPI 6.x, 5.2.5.1: on a 16-byte boundary in 0xe0000-0xfffff). */
int platform_install_acpi(struct vm *vm, char *why, size_t why_len)
{
	const uint64_t len = 0x100000 - PLATFORM_FIRMWARE_BASE;
	uint8_t *area = guest_memory_ptr(&vm->mem, PLATFORM_FIRMWARE_BASE, len);
	struct acpi_config cfg = {
		.ncpus = VM_MAX_VCPUS,
		.lapic_addr = LAPIC_DEFAULT_BASE,
		.ioapic_addr = IOAPIC_DEFAULT_BASE,
		.ioapic_id = PLATFORM_IOAPIC_ID,
		.pm1a_evt_port = ACPI_PM1A_EVT_PORT,
		.pm1a_cnt_port = ACPI_PM1A_CNT_PORT,
		.pm_tmr_port = ACPI_PM_TMR_PORT,
		.sci_irq = PLATFORM_SCI_IRQ,
		.s5_sleep_type = ACPI_PM_S5_SLEEP_TYPE,
	};
	char reason[160];

	for (unsigned i = 0; i < vm->virtio.count && i < ACPI_MAX_VIRTIO_MMIO; i++)
		cfg.virtio[cfg.nvirtio++] = (struct acpi_virtio_mmio){ .base = vm->virtio.slots[i].base,
								       .len = VIRTIO_MMIO_WINDOW,
								       .gsi = vm->virtio.slots[i].pin };
	if (!area) {
		snprintf(why, why_len, "internal error: cannot install the ACPI tables: no RAM at 0x%llx",
			 (unsigned long long)PLATFORM_FIRMWARE_BASE);
		return -1;
	}
	if (!acpi_build(&cfg, area, len, PLATFORM_FIRMWARE_BASE, reason, sizeof(reason))) {
		snprintf(why, why_len, "internal error: cannot install the ACPI tables: %s", reason);
		return -1;
	}
	return 0;
}

/* The wire between the 8259A's INTR and LINT0 as the vCPU thread last drove
 * it (platform_sync_lint0): saved, so that a restored vCPU passes on exactly
 * the changes of INTR its LAPIC has not seen. Version 1: that level, 0 or 1. */
static void wiring_reset(void *dev)
{
	struct vm *vm = dev;

	vm->pc.lint0_level = 0;
}

static void wiring_save(void *dev, struct state_writer *w, uint64_t now_ns)
{
	struct vm *vm = dev;

	(void)now_ns;
	state_put_bool(w, vm->pc.lint0_level);
}

static int wiring_load(void *dev, struct state_reader *r, uint32_t version, uint64_t now_ns)
{
	struct vm *vm = dev;
	bool level = state_get_bool(r);

	(void)version;
	(void)now_ns;
	if (!state_reader_ok(r, false))
		return -1;
	vm->pc.lint0_level = level;
	return 0;
}

static const struct device_state_ops wiring_state_ops = {
	.version = 1,
	.reset = wiring_reset,
	.save = wiring_save,
	.load = wiring_load,
};

/* Each device's state in the VM's table, in the order sections are saved. */
static int register_state(struct vm *vm, char *why, size_t why_len)
{
	struct pc_platform *pc = &vm->pc;
	const struct {
		const char *name;
		const struct device_state_ops *ops;
		void *dev;
	} devices[] = {
		{ "pic", &pic8259_state_ops, &pc->pic },      { "pit", &pit8254_state_ops, &pc->pit },
		{ "rtc", &rtc_cmos_state_ops, &pc->rtc },     { "pc-misc", &pc_misc_state_ops, &pc->misc },
		{ "fw-cfg", &fw_cfg_state_ops, &pc->fw_cfg }, { "acpi-pm", &acpi_pm_state_ops, &pc->acpi_pm },
		{ "ioapic", &ioapic_state_ops, &pc->ioapic }, { "lapic0", &lapic_state_ops, &pc->lapic },
		{ "pc-wiring", &wiring_state_ops, vm },
	};

	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		if (device_registry_add(&vm->devices, devices[i].name, devices[i].ops, devices[i].dev, why, why_len))
			return -1;
	return 0;
}

struct irq_line platform_irq(struct vm *vm, unsigned irq)
{
	return (struct irq_line){ .set = isa_irq_set, .controller = vm, .pin = irq };
}

int platform_init(struct vm *vm, const struct platform_clock *clock, char *why, size_t why_len)
{
	struct pc_platform *pc = &vm->pc;
	const struct platform_clock host = { .now_ns = clock_ns, .wall_s = wall_s, .opaque = NULL };
	const struct {
		struct io_bus *bus;
		uint64_t base, len;
		const char *name;
		const struct io_device_ops *ops;
		void *opaque;
	} ranges[] = {
		{ &vm->pio, PIC_MASTER_BASE, PIC_PORT_COUNT, "pic-master", &pic8259_ops, pic8259_master(&pc->pic) },
		{ &vm->pio, PIC_SLAVE_BASE, PIC_PORT_COUNT, "pic-slave", &pic8259_ops, pic8259_slave(&pc->pic) },
		{ &vm->pio, PIC_ELCR_BASE, PIC_ELCR_PORT_COUNT, "pic-elcr", &pic8259_elcr_ops, &pc->pic },
		{ &vm->pio, PIT8254_BASE, PIT8254_LEN, "pit", &pit8254_ops, &pc->pit },
		{ &vm->pio, PIT8254_PORT61, PIT8254_PORT61_LEN, "port61", &pit8254_port61_ops, &pc->pit },
		{ &vm->pio, RTC_CMOS_PORT, RTC_CMOS_LEN, "rtc", &rtc_cmos_ops, &pc->rtc },
		{ &vm->pio, PC_MISC_POST_PORT, PC_MISC_PORT_LEN, "post", &pc_misc_post_ops, &pc->misc },
		{ &vm->pio, PC_MISC_PORT92, PC_MISC_PORT_LEN, "port92", &pc_misc_port92_ops, &pc->misc },
		{ &vm->pio, PC_MISC_I8042_DATA, PC_MISC_PORT_LEN, "i8042-data", &pc_misc_i8042_data_ops, &pc->misc },
		{ &vm->pio, PC_MISC_I8042_CMD, PC_MISC_PORT_LEN, "i8042-cmd", &pc_misc_i8042_cmd_ops, &pc->misc },
		{ &vm->pio, PC_MISC_CF9_PORT, PC_MISC_PORT_LEN, "reset-control", &pc_misc_cf9_ops, &pc->misc },
		{ &vm->pio, FW_CFG_PORT_SEL, FW_CFG_PORT_COUNT, "fw_cfg", &fw_cfg_ops, &pc->fw_cfg },
		{ &vm->pio, ACPI_PM1A_EVT_PORT, ACPI_PM1_EVT_LEN, "acpi-pm1-evt", &acpi_pm_evt_ops, &pc->acpi_pm },
		{ &vm->pio, ACPI_PM1A_CNT_PORT, ACPI_PM1_CNT_LEN, "acpi-pm1-cnt", &acpi_pm_cnt_ops, &pc->acpi_pm },
		{ &vm->pio, ACPI_PM_TMR_PORT, ACPI_PM_TMR_LEN, "acpi-pm-tmr", &acpi_pm_tmr_ops, &pc->acpi_pm },
		{ &vm->mmio, IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_LEN, "ioapic", &ioapic_ops, &pc->ioapic },
		{ &vm->mmio, LAPIC_DEFAULT_BASE, LAPIC_MMIO_LEN, "lapic", &lapic_ops, &pc->lapic },
	};

	pc->clock = clock ? *clock : host;
	pic8259_init(&pc->pic);
	pc->pic.intr_changed = intr_changed;
	pc->pic.intr_opaque = vm;
	pit8254_init(&pc->pit, platform_irq(vm, PIT8254_IRQ), pc->clock.now_ns, pc->clock.opaque);
	pc->pit.programmed = timer_programmed;
	pc->pit.programmed_opaque = vm;
	rtc_cmos_init(
	    &pc->rtc, platform_irq(vm, RTC_CMOS_IRQ),
	    (struct rtc_clock){ .now_s = pc->clock.wall_s, .now_ns = pc->clock.now_ns, .opaque = pc->clock.opaque });
	pc_misc_init(&pc->misc, reset_requested, vm);
	fw_cfg_init(&pc->fw_cfg, &(struct fw_cfg_config){ .ram_bytes = vm->cfg.mem_size, .ncpus = VM_MAX_VCPUS });
	acpi_pm_init(&pc->acpi_pm, ACPI_PM_S5_SLEEP_TYPE, pc->clock.now_ns, pc->clock.opaque, acpi_poweroff, vm);
	ioapic_init(&pc->ioapic, PLATFORM_IOAPIC_ID, &(struct ioapic_env){ .deliver = ioapic_deliver, .opaque = vm });
	lapic_init(&pc->lapic, 0,
		   &(struct lapic_env){ .now_ns = lapic_now_ns,
					.changed = lapic_changed,
					.extint_acknowledge = lapic_extint_acknowledge,
					.eoi_broadcast = lapic_eoi_broadcast,
					.timer_changed = timer_programmed,
					.opaque = vm });
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (io_bus_register(ranges[i].bus, ranges[i].base, ranges[i].len, ranges[i].name, ranges[i].ops,
				    ranges[i].opaque)) {
			snprintf(why, why_len, "internal error: %s overlaps another device", ranges[i].name);
			return -1;
		}
	}
	return register_state(vm, why, why_len);
}

static struct timespec to_timespec(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull) };
}

uint64_t platform_timers_update(struct vm *vm)
{
	struct pc_platform *pc = &vm->pc;
	uint64_t now, deadline, pit_next, lapic_next, rtc_in;

	pit8254_update(&pc->pit);
	lapic_update(&pc->lapic);
	rtc_in = rtc_cmos_update(&pc->rtc);
	pit_next = pit8254_next_event_ns(&pc->pit);
	lapic_next = lapic_next_event_ns(&pc->lapic);
	now = pc->clock.now_ns(pc->clock.opaque);
	deadline = now + TIMER_MAX_SLEEP_NS;
	if (pit_next < deadline)
		deadline = pit_next;
	if (lapic_next < deadline)
		deadline = lapic_next;
	if (rtc_in != RTC_CMOS_IDLE && rtc_in < deadline - now)
		deadline = now + rtc_in;
	if (deadline < now + TIMER_MIN_SLEEP_NS)
		deadline = now + TIMER_MIN_SLEEP_NS;
	return deadline;
}

static void *timer_thread(void *arg)
{
	struct vm *vm = arg;
	struct pc_platform *pc = &vm->pc;

	fatal_signals_thread_init();
	pthread_mutex_lock(&vm->stop_lock);
	while (!vm->stopping) {
		unsigned seq = __atomic_load_n(&pc->timer_seq, __ATOMIC_ACQUIRE);
		struct timespec ts;

		if (vm->pause.requested) {
			/* Between two updates: the devices stay as they are. */
			vm_control_park_locked(vm);
			continue;
		}
		pthread_mutex_unlock(&vm->stop_lock);
		ts = to_timespec(platform_timers_update(vm));
		/* A timer the guest programmed since seq was read must not wait for
		 * the old deadline. */
		pthread_mutex_lock(&vm->stop_lock);
		if (!vm->stopping && !vm->pause.requested && __atomic_load_n(&pc->timer_seq, __ATOMIC_ACQUIRE) == seq)
			pthread_cond_timedwait(&vm->stop_cond, &vm->stop_lock, &ts);
	}
	pthread_mutex_unlock(&vm->stop_lock);
	vm_control_thread_end(vm);
	return NULL;
}

int platform_start(struct vm *vm)
{
	int err;

	vm_control_thread_begin(vm);
	err = pthread_create(&vm->pc.timer, NULL, timer_thread, vm);
	if (err) {
		vm_control_thread_end(vm);
		log_error("cannot start the timer thread: %s", strerror(err));
		return -1;
	}
	vm->pc.timer_started = true;
	return 0;
}

void platform_stop(struct vm *vm)
{
	if (vm->pc.timer_started)
		pthread_join(vm->pc.timer, NULL);
	vm->pc.timer_started = false;
}

void platform_destroy(struct vm *vm)
{
	acpi_pm_destroy(&vm->pc.acpi_pm);
	lapic_destroy(&vm->pc.lapic);
	ioapic_destroy(&vm->pc.ioapic);
	fw_cfg_destroy(&vm->pc.fw_cfg);
	pc_misc_destroy(&vm->pc.misc);
	rtc_cmos_destroy(&vm->pc.rtc);
	pit8254_destroy(&vm->pc.pit);
	pic8259_destroy(&vm->pc.pic);
}
