/* Every device register file of the PC platform, through the buses: the machine
 * vm_init_machine() builds (what vm_create builds, without a CPU), with a clock
 * the input drives, and the input read as a sequence of operations:
 *
 *   op & 7 = 0  port read       port, width
 *            1  port write      port, width, value
 *            2  MMIO read       window, offset, width
 *            3  MMIO write      window, offset, width, value
 *            4  time passes     nanoseconds; the timers run as the timer thread runs them,
 *                               and the virtio back ends' work as the I/O thread runs it
 *            5  the CPU takes an interrupt (LINT0 follows INTR; acknowledge if pending)
 *            6  host input      bytes for the UART and the virtio console
 *            7  an ISA line     irq, level
 *
 * Widths are 1, 2, 4 or 8 (the bus must cope with 8 on ports too). Ports are
 * picked near the devices' ports (or anywhere), MMIO offsets in the LAPIC,
 * I/O APIC or virtio windows (the virtio-rng's, the virtio console's) or
 * just past them. Nothing may crash, hang or leak; a debug-exit write or a
 * reset request only marks the VM as stopping, and the operations go on. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vm/vm.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct input *in, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n && in->left; i++, in->left--)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

/* Where devices are, so that most ports the fuzzer picks hit one or its edge. */
static const uint16_t device_ports[] = {
	0x20,  0x21,  0xa0,  0xa1,  0x4d0, 0x4d1, 0x40,	 0x41,	0x42,  0x43,  0x61,  0x70,  0x71,
	0x80,  0x92,  0x60,  0x64,  0xcf9, 0x510, 0x511, 0x600, 0x602, 0x604, 0x608, 0x3f8, 0x3f9,
	0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff, 0xf4,	 0xf5,	0xf6,  0xf7,  0xe8,
};

static uint16_t pick_port(struct input *in)
{
	uint8_t b = (uint8_t)take(in, 1);
	size_t n = sizeof(device_ports) / sizeof(device_ports[0]);

	if (b == 0xff)
		return (uint16_t)take(in, 2);
	/* Low 6 bits: which port; top 2: 0, -1, +1 or +3 from it. */
	return (uint16_t)(device_ports[(b & 0x3f) % n] + (int[]){ 0, -1, 1, 3 }[b >> 6]);
}

static uint64_t pick_mmio(struct input *in)
{
	static const uint64_t windows[] = { LAPIC_DEFAULT_BASE, IOAPIC_DEFAULT_BASE, 0xfebff000ull, 0xfee01000ull };
	uint8_t w = (uint8_t)take(in, 1);

	/* One value in eight: the virtio windows (rng, console). */
	if ((w & 7) == 7)
		return VM_VIRTIO_MMIO_BASE + (take(in, 2) & 0x1fff);
	return windows[w & 3] + (take(in, 2) & 0x1fff);
}

static unsigned pick_width(struct input *in)
{
	return 1u << (take(in, 1) & 3);
}

struct fake_clock {
	uint64_t ns;
};

static uint64_t fake_now_ns(void *opaque)
{
	return ((struct fake_clock *)opaque)->ns;
}

static int64_t fake_wall_s(void *opaque)
{
	/* 2026-01-01 plus the guest's time. */
	return 1767225600 + (int64_t)(((struct fake_clock *)opaque)->ns / 1000000000ull);
}

static void run_ops(struct vm *vm, struct fake_clock *clock, struct input *in)
{
	while (in->left) {
		uint8_t op = (uint8_t)take(in, 1);

		switch (op & 7) {
		case 0: {
			uint16_t port = pick_port(in);

			(void)io_bus_read(&vm->pio, port, pick_width(in));
			break;
		}
		case 1: {
			uint16_t port = pick_port(in);
			unsigned w = pick_width(in);

			io_bus_write(&vm->pio, port, w, take(in, w));
			break;
		}
		case 2: {
			uint64_t a = pick_mmio(in);

			(void)io_bus_read(&vm->mmio, a, pick_width(in));
			break;
		}
		case 3: {
			uint64_t a = pick_mmio(in);
			unsigned w = pick_width(in);

			io_bus_write(&vm->mmio, a, w, take(in, w));
			break;
		}
		case 4:
			/* Up to about 4 s per step, in steps from 1 ns. */
			clock->ns += take(in, 4);
			(void)platform_timers_update(vm);
			/* What the I/O thread would have done meanwhile, if kicked. */
			virtio_worker_run(&vm->virtio.rng->mmio.worker);
			virtio_worker_run(&vm->virtio.console->mmio.worker);
			break;
		case 5:
			platform_sync_lint0(vm);
			if (lapic_pending(&vm->pc.lapic))
				(void)lapic_acknowledge(&vm->pc.lapic);
			break;
		case 6: {
			uint8_t bytes[32];
			size_t n = take(in, 1) % sizeof(bytes), i;

			for (i = 0; i < n && in->left; i++)
				bytes[i] = (uint8_t)take(in, 1);
			(void)uart16550_receive(&vm->com1, bytes, i);
			(void)virtio_console_receive(vm->virtio.console, bytes, i);
			break;
		}
		default: {
			uint8_t v = (uint8_t)take(in, 1);
			struct irq_line line = platform_irq(vm, v & 15);

			irq_line_set(&line, v >> 7);
			break;
		}
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Unclaimed accesses and guest resets are logged; at this rate the log
	 * would be all the fuzzer does. */
	log_set_level(LOG_ERROR);
	/* The UART writes the guest's bytes to stdout. */
	if (!freopen("/dev/null", "w", stdout))
		return 0;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm vm;
	struct fake_clock clock = { .ns = 1000000000ull };
	const struct platform_clock pc_clock = { .now_ns = fake_now_ns, .wall_s = fake_wall_s, .opaque = &clock };
	const struct vm_config cfg = { .mem_size = 2ull << 20, .rng = true, .virtio_console = true };
	struct input in = { data, size };
	char why[256];

	if (vm_init_machine(&vm, &cfg, &pc_clock, why, sizeof(why))) {
		fprintf(stderr, "FINDING: vm_init_machine failed: %s\n", why);
		abort();
	}
	run_ops(&vm, &clock, &in);
	vm_destroy(&vm);
	return 0;
}
