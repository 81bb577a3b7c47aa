#include "vm/platform.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "vm/vm.h"

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

/* INTR of the PIC changed (PIC lock held): note it and wake the vCPU. */
static void intr_changed(void *opaque, bool asserted)
{
	struct vm *vm = opaque;

	__atomic_store_n(&vm->intr_asserted, asserted, __ATOMIC_RELEASE);
	if (!asserted)
		return;
	pthread_mutex_lock(&vm->stop_lock);
	pthread_cond_broadcast(&vm->stop_cond);
	pthread_mutex_unlock(&vm->stop_lock);
	for (int i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].ev)
			vm->ops->kick(vm->vcpus[i].ev);
}

/* A reset request (i8042 pulse, port 0x92, port 0xcf9): like Firecracker,
 * Ringvisor treats a reboot as the end of the VM. */
static void reset_requested(void *opaque)
{
	log_info("the guest asked for a reset: stopping");
	vm_request_stop(opaque, STATUS_OK);
}

struct irq_line platform_irq(struct vm *vm, unsigned irq)
{
	return pic8259_irq_line(&vm->pc.pic, irq);
}

int platform_init(struct vm *vm, char *why, size_t why_len)
{
	struct pc_platform *pc = &vm->pc;
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
	};

	pic8259_init(&pc->pic);
	pc->pic.intr_changed = intr_changed;
	pc->pic.intr_opaque = vm;
	pit8254_init(&pc->pit, platform_irq(vm, PIT8254_IRQ), clock_ns, NULL);
	rtc_cmos_init(&pc->rtc, platform_irq(vm, RTC_CMOS_IRQ),
		      (struct rtc_clock){ .now_s = wall_s, .now_ns = clock_ns, .opaque = NULL });
	pc_misc_init(&pc->misc, reset_requested, vm);
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (io_bus_register(ranges[i].bus, ranges[i].base, ranges[i].len, ranges[i].name, ranges[i].ops,
				    ranges[i].opaque)) {
			snprintf(why, why_len, "internal error: %s overlaps another device", ranges[i].name);
			return -1;
		}
	}
	return 0;
}

static struct timespec to_timespec(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull) };
}

static void *timer_thread(void *arg)
{
	struct vm *vm = arg;
	struct pc_platform *pc = &vm->pc;

	pthread_mutex_lock(&vm->stop_lock);
	while (!vm->stopping) {
		uint64_t now, deadline, pit_next, rtc_in;
		struct timespec ts;

		pthread_mutex_unlock(&vm->stop_lock);
		pit8254_update(&pc->pit);
		rtc_in = rtc_cmos_update(&pc->rtc);
		pit_next = pit8254_next_event_ns(&pc->pit);
		now = monotonic_ns();
		deadline = now + TIMER_MAX_SLEEP_NS;
		if (pit_next < deadline)
			deadline = pit_next;
		if (rtc_in != RTC_CMOS_IDLE && rtc_in < deadline - now)
			deadline = now + rtc_in;
		if (deadline < now + TIMER_MIN_SLEEP_NS)
			deadline = now + TIMER_MIN_SLEEP_NS;
		ts = to_timespec(deadline);
		pthread_mutex_lock(&vm->stop_lock);
		if (!vm->stopping)
			pthread_cond_timedwait(&vm->stop_cond, &vm->stop_lock, &ts);
	}
	pthread_mutex_unlock(&vm->stop_lock);
	return NULL;
}

int platform_start(struct vm *vm)
{
	int err = pthread_create(&vm->pc.timer, NULL, timer_thread, vm);

	if (err) {
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
	pc_misc_destroy(&vm->pc.misc);
	rtc_cmos_destroy(&vm->pc.rtc);
	pit8254_destroy(&vm->pc.pit);
	pic8259_destroy(&vm->pc.pic);
}
