/* Saved device state is read from files and migration streams: hostile input
 * (docs/snapshot-format.md). Each input is one payload for one device of the
 * machine vm_init_machine builds, driven first into a busy state (fixed, no
 * input), then:
 *
 *   byte 0, bits 6-0: which registered device (modulo their number); the
 *                     number itself (modulo number + 1) is a vCPU state
 *                     (engine/vcpu_state_stream.c) instead
 *   byte 0, bit 7 = 0: the rest is the payload
 *           bit 7 = 1: the payload is the device's own saved one, with the
 *                     rest read as edits (offset u16 modulo its length, byte)
 *
 * Invariants, besides the sanitizers': a payload the device refuses leaves
 * it exactly as it was (its payload saved before and after is the same; the
 * contract asks less, device_state.h); a device's state after any load it
 * took saves, loads back and saves again to the same bytes; after
 * either, the guest's accesses, time passing and interrupt acknowledges run
 * on the device without fault. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/vcpu_state_stream.h"
#include "log.h"
#include "vm/vm.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0 5000000000ull

struct fake_clock {
	uint64_t ns;
};

static uint64_t fake_now_ns(void *opaque)
{
	return ((struct fake_clock *)opaque)->ns;
}

static int64_t fake_wall_s(void *opaque)
{
	return 1767225600 + (int64_t)(((struct fake_clock *)opaque)->ns / 1000000000ull);
}

static void out(struct vm *vm, uint16_t port, uint8_t v)
{
	io_bus_write(&vm->pio, port, 1, v);
}

/* A machine as a booting kernel leaves it, so that the edited payloads start
 * from states with something in every field. */
static void drive(struct vm *vm, struct fake_clock *clock)
{
	static const uint8_t pic[] = { 0x20, 0x11, 0x21, 0x20, 0x21, 0x04, 0x21, 0x01, 0xa0, 0x11,
				       0xa1, 0x28, 0xa1, 0x02, 0xa1, 0x01, 0x21, 0xe8, 0xa1, 0xfe };
	static const uint8_t keys[] = "abc";

	for (size_t i = 0; i < sizeof(pic); i += 2)
		out(vm, pic[i], pic[i + 1]);
	out(vm, 0x43, 0x34), out(vm, 0x40, 0x9c), out(vm, 0x40, 0x2e);
	out(vm, 0x43, 0xb6), out(vm, 0x42, 0x33), out(vm, 0x42, 0x05), out(vm, 0x61, 0x03);
	out(vm, 0x3fa, 0x01), out(vm, 0x3f9, 0x03), out(vm, 0x3fc, 0x0b);
	(void)uart16550_receive(&vm->com1, keys, 3);
	out(vm, 0x70, 0x0b), out(vm, 0x71, 0x72), out(vm, 0x70, 0x0a), out(vm, 0x71, 0x26);
	io_bus_write(&vm->mmio, LAPIC_DEFAULT_BASE + 0x3e0, 4, 0x3);
	io_bus_write(&vm->mmio, LAPIC_DEFAULT_BASE + 0x320, 4, 0x20000 | 0xec);
	io_bus_write(&vm->mmio, LAPIC_DEFAULT_BASE + 0x380, 4, 600000);
	io_bus_write(&vm->mmio, IOAPIC_DEFAULT_BASE, 4, 0x10 + 2 * 9);
	io_bus_write(&vm->mmio, IOAPIC_DEFAULT_BASE + 0x10, 4, 0x18039);
	io_bus_write(&vm->pio, 0x510, 2, 0x0003);
	(void)io_bus_read(&vm->pio, 0x511, 1);
	io_bus_write(&vm->pio, 0x602, 2, 0x0121);
	out(vm, 0x80, 0x42);
	clock->ns += 3456789;
	(void)platform_timers_update(vm);
}

/* What a guest and the timer thread do next. */
static void exercise(struct vm *vm, struct fake_clock *clock)
{
	static const uint16_t ports[] = { 0x20,	 0x21,	0xa0,  0xa1,  0x4d0, 0x4d1, 0x40,  0x41,  0x42,
					  0x61,	 0x71,	0x92,  0xcf9, 0x511, 0x600, 0x602, 0x604, 0x608,
					  0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff };
	static const uint32_t lapic_regs[] = { 0x20, 0x80, 0x90, 0xa0, 0xf0, 0x100, 0x200, 0x280, 0x320, 0x390 };

	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
			(void)io_bus_read(&vm->pio, ports[i], 1);
		out(vm, 0x43, 0xc2 | 0x0c); /* read back counters 0 and 1 */
		(void)io_bus_read(&vm->pio, 0x40, 1);
		for (uint8_t reg = 0; reg < 0x0e; reg++) {
			out(vm, 0x70, reg);
			(void)io_bus_read(&vm->pio, 0x71, 1);
		}
		for (size_t i = 0; i < sizeof(lapic_regs) / sizeof(lapic_regs[0]); i++)
			(void)io_bus_read(&vm->mmio, LAPIC_DEFAULT_BASE + lapic_regs[i], 4);
		io_bus_write(&vm->mmio, LAPIC_DEFAULT_BASE + 0xb0, 4, 0);
		for (uint32_t reg = 0; reg < 0x40; reg += 7) {
			io_bus_write(&vm->mmio, IOAPIC_DEFAULT_BASE, 4, reg);
			(void)io_bus_read(&vm->mmio, IOAPIC_DEFAULT_BASE + 0x10, 4);
		}
		io_bus_write(&vm->mmio, IOAPIC_DEFAULT_BASE + 0x40, 4, 0x39);
		platform_sync_lint0(vm);
		if (lapic_pending(&vm->pc.lapic))
			(void)lapic_acknowledge(&vm->pc.lapic);
		out(vm, 0x20, 0x20);
		out(vm, 0xa0, 0x20);
		clock->ns += 1234567 + (uint64_t)round * 987654321;
		(void)platform_timers_update(vm);
	}
}

static void save_one(const struct device_registry_entry *e, uint64_t now, struct state_writer *w)
{
	state_writer_init(w);
	e->ops->save(e->dev, w, now);
	if (w->failed) {
		fprintf(stderr, "FINDING: %s: save failed\n", e->name);
		abort();
	}
}

/* 0: loaded, every byte read; -1: the device refused the payload; 1: it took
 * the payload but left bytes unread (the registry then refuses the section,
 * and the device is "valid but unspecified", device_state.h). */
static int load_one(const struct device_registry_entry *e, const uint8_t *p, size_t len, uint64_t now)
{
	struct state_reader r;

	state_reader_init(&r, p, len);
	if (e->ops->load(e->dev, &r, e->ops->version, now)) {
		if (!r.error) {
			fprintf(stderr, "FINDING: %s: load refused without the reader's error\n", e->name);
			abort();
		}
		return -1;
	}
	return state_reader_ok(&r, true) ? 0 : 1;
}

static void same_or_die(const char *name, const char *what, const struct state_writer *a, const struct state_writer *b)
{
	if (a->len != b->len || (a->len && memcmp(a->buf, b->buf, a->len))) {
		fprintf(stderr, "FINDING: %s: %s\n", name, what);
		abort();
	}
}

/* The payload for e: the input itself, or e's own with the input's edits. */
static uint8_t *payload_of(const struct device_registry_entry *e, uint64_t now, bool edit, const uint8_t *in,
			   size_t in_len, size_t *len)
{
	struct state_writer own;
	uint8_t *p;

	if (!edit) {
		p = malloc(in_len ? in_len : 1);
		if (p && in_len)
			memcpy(p, in, in_len);
		*len = in_len;
		return p;
	}
	save_one(e, now, &own);
	p = malloc(own.len ? own.len : 1);
	if (p && own.len) {
		memcpy(p, own.buf, own.len);
		for (size_t i = 0; i + 3 <= in_len; i += 3)
			p[(in[i] | (size_t)in[i + 1] << 8) % own.len] = in[i + 2];
	}
	*len = own.len;
	state_writer_free(&own);
	return p;
}

static void fuzz_device(struct vm *vm, struct fake_clock *clock, const struct device_registry_entry *e, bool edit,
			const uint8_t *in, size_t in_len)
{
	struct state_writer before, after, again;
	size_t len;
	uint8_t *p = payload_of(e, clock->ns, edit, in, in_len, &len);

	if (!p)
		return;
	save_one(e, clock->ns, &before);
	if (load_one(e, p, len, clock->ns) < 0) {
		save_one(e, clock->ns, &after);
		same_or_die(e->name, "a refused payload changed the device", &before, &after);
	} else {
		save_one(e, clock->ns, &after);
		if (load_one(e, after.buf, after.len, clock->ns) != 0) {
			fprintf(stderr, "FINDING: %s: its own saved payload is refused\n", e->name);
			abort();
		}
		save_one(e, clock->ns, &again);
		same_or_die(e->name, "save, load, save gives other bytes", &after, &again);
		state_writer_free(&again);
	}
	exercise(vm, clock);
	state_writer_free(&before);
	state_writer_free(&after);
	free(p);
}

/* A vCPU state: accepted ones write, read back and write the same bytes. */
static void fuzz_vcpu_state(const uint8_t *in, size_t len)
{
	struct vcpu_state s, t;
	struct state_reader r;
	struct state_writer w1, w2;

	memset(&s, 0, sizeof(s));
	state_reader_init(&r, in, len);
	if (vcpu_state_read(&r, VCPU_STATE_STREAM_VERSION, &s))
		return;
	state_writer_init(&w1);
	vcpu_state_write(&w1, &s);
	memset(&t, 0, sizeof(t));
	state_reader_init(&r, w1.buf, w1.len);
	if (vcpu_state_read(&r, VCPU_STATE_STREAM_VERSION, &t) || !state_reader_ok(&r, true)) {
		fprintf(stderr, "FINDING: vcpu: a state it wrote is refused\n");
		abort();
	}
	state_writer_init(&w2);
	vcpu_state_write(&w2, &t);
	same_or_die("vcpu", "write, read, write gives other bytes", &w1, &w2);
	state_writer_free(&w1);
	state_writer_free(&w2);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);
	/* The UART writes the guest's bytes to stdout. */
	if (!freopen("/dev/null", "w", stdout))
		return 0;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm vm;
	struct fake_clock clock = { .ns = T0 };
	const struct platform_clock pc_clock = { .now_ns = fake_now_ns, .wall_s = fake_wall_s, .opaque = &clock };
	const struct vm_config cfg = { .mem_size = 2ull << 20 };
	unsigned which;
	char why[256];

	if (size < 1)
		return 0;
	if (vm_init_machine(&vm, &cfg, &pc_clock, why, sizeof(why))) {
		fprintf(stderr, "FINDING: vm_init_machine failed: %s\n", why);
		abort();
	}
	drive(&vm, &clock);
	which = (data[0] & 0x7f) % (vm.devices.count + 1);
	if (which == vm.devices.count)
		fuzz_vcpu_state(data + 1, size - 1);
	else
		fuzz_device(&vm, &clock, &vm.devices.entry[which], data[0] & 0x80, data + 1, size - 1);
	vm_destroy(&vm);
	return 0;
}
