#include "vm/vm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "engine/hypercall_abi.h"
#include "host/stdio_console.h"
#include "log.h"
#include "vm/hypercall.h"
#include "vm/vcpu_state_ops.h"
#include "vm/virtio_setup.h"
#include "vm/vm_clock.h"
#include "vm/vm_control.h"

/* The guest's console (COM1, hvc0) to the host, and to a tap if there is one. */
static void console_write(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;

	chardev_write(&vm->host_console, buf, len);
	chardev_write(&vm->console_tap, buf, len);
}

static void debug_exit_stop(void *opaque, int status)
{
	vm_request_stop(opaque, status);
}

/* The fixed PC devices of this machine, each on its bus, the virtio devices
 * the configuration asks for, then the ACPI tables that describe them all
 * (unless guest RAM is a snapshot's, which holds them already). */
static int register_devices(struct vm *vm, const struct platform_clock *clock, bool acpi, char *why, size_t why_len)
{
	if (platform_init(vm, clock, why, why_len))
		return -1;
	uart16550_init(&vm->com1, platform_irq(vm, UART_COM1_IRQ), vm->console);
	vm->debug_exit = (struct debug_exit){ .stop = debug_exit_stop, .opaque = vm };
	if (io_bus_register(&vm->pio, UART_COM1_BASE, UART_REG_COUNT, "com1", &uart16550_ops, &vm->com1) ||
	    io_bus_register(&vm->pio, DEBUG_EXIT_PORT, DEBUG_EXIT_LEN, "debug-exit", &debug_exit_ops,
			    &vm->debug_exit) ||
	    io_bus_register(&vm->pio, HC_PORT, 1, "hypercall", &hypercall_port_ops, NULL)) {
		snprintf(why, why_len, "internal error: overlapping device ranges");
		return -1;
	}
	if (device_registry_add(&vm->devices, "uart-com1", &uart16550_state_ops, &vm->com1, why, why_len) ||
	    device_registry_add(&vm->devices, "debug-exit", &debug_exit_state_ops, &vm->debug_exit, why, why_len))
		return -1;
	if (vm_virtio_create(vm, why, why_len))
		return -1;
	return acpi ? platform_install_acpi(vm, why, why_len) : 0;
}

static int create_vcpus(struct vm *vm, const struct vcpu_state *boot, char *why, size_t why_len)
{
	vm->nvcpus = 1;
	for (int i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		char name[16];

		v->vm = vm;
		v->index = i;
		if (vm->ops->vcpu_create(vm->engine, i, &v->ev) || vm->ops->set_state(v->ev, boot)) {
			snprintf(why, why_len, "%s: cannot create vCPU %d", vm->ops->name, i);
			return -1;
		}
		snprintf(name, sizeof(name), "vcpu%d", i);
		if (device_registry_add(&vm->devices, name, &vcpu_state_ops, v, why, why_len))
			return -1;
	}
	/* After the vCPUs, whose engine keeps kvmclock. */
	return device_registry_add(&vm->devices, "vm-clock", &vm_clock_state_ops, vm, why, why_len);
}

/* What every machine has before its RAM: the locks, the buses, the console,
 * the I/O thread's loop and the stop eventfd. */
static int init_base(struct vm *vm, const struct vm_config *cfg, char *why, size_t why_len)
{
	pthread_condattr_t attr;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = *cfg;
	vm->ops = cfg->engine;
	vm->stop_fd = -1;
	vm->mem.fd = -1; /* so that vm_destroy after an early failure closes nothing */
	pthread_mutex_init(&vm->stop_lock, NULL);
	vm_control_init(vm);
	/* The timer thread's deadlines are on the monotonic clock. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&vm->stop_cond, &attr);
	pthread_condattr_destroy(&attr);
	io_bus_init(&vm->pio, "port");
	io_bus_init(&vm->mmio, "mmio");
	vm->host_console = stdio_console_chardev();
	vm->console = (struct chardev){ .write = console_write, .opaque = vm };
	if (event_loop_init(&vm->io_thread)) {
		snprintf(why, why_len, "cannot create the I/O thread's event loop: %s", strerror(errno));
		return -1;
	}
	vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_fd < 0) {
		snprintf(why, why_len, "eventfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The machine without a CPU. ram_fd < 0: fresh guest RAM, with the ACPI
 * tables if acpi is set; else a snapshot's memory file, taken (closed on
 * failure too). */
static int init_machine(struct vm *vm, const struct vm_config *cfg, const struct platform_clock *clock, int ram_fd,
			bool acpi, char *why, size_t why_len)
{
	if (init_base(vm, cfg, why, why_len)) {
		if (ram_fd >= 0)
			close(ram_fd);
		return -1;
	}
	if (ram_fd >= 0 ? guest_memory_init_file(&vm->mem, ram_fd, cfg->mem_size, why, why_len)
			: guest_memory_init(&vm->mem, cfg->mem_size, why, why_len))
		return -1;
	return register_devices(vm, clock, acpi, why, why_len);
}

int vm_init_machine(struct vm *vm, const struct vm_config *cfg, const struct platform_clock *clock, char *why,
		    size_t why_len)
{
	return init_machine(vm, cfg, clock, -1, true, why, why_len);
}

/* The engine and its vCPUs, in the state given. */
static int create_cpus(struct vm *vm, const struct vm_config *cfg, const struct vcpu_state *initial, char *why,
		       size_t why_len)
{
	struct engine_env env = { .mem = &vm->mem,
				  .vcpu_count = 1,
				  .cpu_model = cfg->cpu_model,
				  .code_cache_mib = cfg->dbt_cache_mib,
				  .lockstep = cfg->lockstep,
				  .perfmap = cfg->perfmap,
				  .stats = cfg->stats,
				  .dbt_traces =
				      cfg->dbt_traces < 0 ? DBT_TRACES_USER : (enum dbt_traces)cfg->dbt_traces };

	if (vm->ops->create(&env, &vm->engine, why, why_len))
		return -1;
	return create_vcpus(vm, initial, why, why_len);
}

int vm_create(struct vm *vm, const struct vm_config *cfg, char *why, size_t why_len)
{
	struct vcpu_state boot;

	if (vm_init_machine(vm, cfg, NULL, why, why_len))
		return -1;
	if (loader_load(&cfg->boot, &vm->mem, &boot, why, why_len))
		return -1;
	return create_cpus(vm, cfg, &boot, why, why_len);
}

int vm_create_restored(struct vm *vm, const struct vm_config *cfg, int ram_fd, char *why, size_t why_len)
{
	struct vcpu_state reset;

	if (init_machine(vm, cfg, NULL, ram_fd, false, why, why_len))
		return -1;
	vcpu_state_reset(&reset);
	return create_cpus(vm, cfg, &reset, why, why_len);
}

int vm_create_incoming(struct vm *vm, const struct vm_config *cfg, char *why, size_t why_len)
{
	/* ram_fd < 0: init_machine makes fresh RAM, and no ACPI tables. */
	return vm_create_restored(vm, cfg, -1, why, why_len);
}

void vm_destroy(struct vm *vm)
{
	for (int i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].ev)
			vm->ops->vcpu_destroy(vm->vcpus[i].ev);
	if (vm->engine)
		vm->ops->destroy(vm->engine);
	event_loop_destroy(&vm->io_thread);
	vm_virtio_destroy(vm);
	uart16550_destroy(&vm->com1);
	platform_destroy(vm);
	io_bus_destroy(&vm->pio);
	io_bus_destroy(&vm->mmio);
	guest_memory_destroy(&vm->mem);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	pthread_cond_destroy(&vm->stop_cond);
	pthread_mutex_destroy(&vm->stop_lock);
	vm_control_destroy(vm);
}
