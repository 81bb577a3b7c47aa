#include "vm/virtio_setup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ioapic.h"
#include "vm/device_registry.h"
#include "vm/machine.h"

/* The next slot: its window on the MMIO bus, its worker on the I/O thread. */
static int add_slot(struct vm *vm, struct virtio_mmio *mmio, const char *name, char *why, size_t why_len)
{
	struct vm_virtio *v = &vm->virtio;
	struct vm_virtio_slot *s = &v->slots[v->count];

	if (v->count == VM_VIRTIO_MAX) {
		snprintf(why, why_len, "more than %d virtio devices", VM_VIRTIO_MAX);
		return -1;
	}
	*s = (struct vm_virtio_slot){ .mmio = mmio,
				      .base = VM_VIRTIO_MMIO_BASE + v->count * VM_VIRTIO_MMIO_STRIDE,
				      .pin = VM_VIRTIO_FIRST_PIN + v->count };
	if (io_bus_register(&vm->mmio, s->base, VIRTIO_MMIO_WINDOW, name, &virtio_mmio_ops, mmio)) {
		snprintf(why, why_len, "internal error: %s overlaps another device", name);
		return -1;
	}
	if (event_loop_add(&vm->io_thread, &mmio->worker.source)) {
		snprintf(why, why_len, "%s: cannot watch its eventfd: %s", name, strerror(errno));
		return -1;
	}
	v->count++;
	return 0;
}

/* The instance's entry in the VM's table of device state, named by its
 * role and its index among its kind ("virtio-blk.1"): the name a state file
 * gives its section. */
static int add_state(struct vm *vm, const char *kind, unsigned index, const struct device_state_ops *ops, void *dev,
		     char *why, size_t why_len)
{
	char name[STATE_NAME_MAX + 1];

	snprintf(name, sizeof(name), "%s.%u", kind, index);
	return device_registry_add(&vm->devices, name, ops, dev, why, why_len);
}

/* The I/O APIC pin the next slot will have. */
static struct irq_line next_pin(struct vm *vm)
{
	return ioapic_irq_line(&vm->pc.ioapic, VM_VIRTIO_FIRST_PIN + vm->virtio.count);
}

static int create_rng(struct vm *vm, char *why, size_t why_len)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));

	if (!rng) {
		snprintf(why, why_len, "out of memory for virtio-rng");
		return -1;
	}
	if (virtio_rng_init(rng, &vm->mem, next_pin(vm), why, why_len)) {
		free(rng);
		return -1;
	}
	vm->virtio.rng = rng;
	if (add_slot(vm, &rng->mmio, "virtio-rng", why, why_len))
		return -1;
	return add_state(vm, "virtio-rng", 0, &virtio_rng_state_ops, rng, why, why_len);
}

static int create_disk(struct vm *vm, const struct disk_config *d, char *why, size_t why_len)
{
	struct vm_virtio *v = &vm->virtio;
	struct virtio_blk *blk = calloc(1, sizeof(*blk));
	char name[8];

	if (!blk) {
		snprintf(why, why_len, "out of memory for virtio-blk");
		return -1;
	}
	snprintf(name, sizeof(name), "vd%c", 'a' + v->nblks);
	if (virtio_blk_init(blk, &vm->mem, next_pin(vm), name, d->path, d->ro, !vm->cfg.disks_lock_later, why,
			    why_len)) {
		free(blk);
		return -1;
	}
	v->blks[v->nblks++] = blk;
	if (add_slot(vm, &blk->mmio, "virtio-blk", why, why_len))
		return -1;
	return add_state(vm, "virtio-blk", v->nblks - 1, &virtio_blk_state_ops, blk, why, why_len);
}

/* QEMU's first user-network MAC, locally administered: what users expect. */
static const uint8_t net_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static int create_net(struct vm *vm, char *why, size_t why_len)
{
	struct virtio_net *net = calloc(1, sizeof(*net));
	struct net_slirp *user = calloc(1, sizeof(*user));

	if (!net || !user) {
		free(net);
		free(user);
		snprintf(why, why_len, "out of memory for virtio-net");
		return -1;
	}
	if (virtio_net_init(net, &vm->mem, next_pin(vm), net_mac, net_slirp_netdev(user), why, why_len)) {
		free(net);
		free(user);
		return -1;
	}
	vm->virtio.net = net;
	if (net_slirp_init(user, &vm->cfg.net, virtio_net_receiver(net), why, why_len)) {
		free(user);
		return -1;
	}
	vm->virtio.net_user = user;
	if (event_loop_add_poller(&vm->io_thread, &user->poller)) {
		snprintf(why, why_len, "internal error: the I/O thread has no room for user networking");
		return -1;
	}
	if (add_slot(vm, &net->mmio, "virtio-net", why, why_len) ||
	    add_state(vm, "virtio-net", 0, &virtio_net_state_ops, net, why, why_len))
		return -1;
	return add_state(vm, "net-user", 0, &net_slirp_state_ops, user, why, why_len);
}

static int create_console(struct vm *vm, char *why, size_t why_len)
{
	struct virtio_console *con = calloc(1, sizeof(*con));

	if (!con) {
		snprintf(why, why_len, "out of memory for virtio-console");
		return -1;
	}
	if (virtio_console_init(con, &vm->mem, next_pin(vm), vm->console, why, why_len)) {
		free(con);
		return -1;
	}
	vm->virtio.console = con;
	if (add_slot(vm, &con->mmio, "virtio-console", why, why_len))
		return -1;
	return add_state(vm, "virtio-console", 0, &virtio_console_state_ops, con, why, why_len);
}

int vm_virtio_create(struct vm *vm, char *why, size_t why_len)
{
	if (vm->cfg.rng && create_rng(vm, why, why_len))
		return -1;
	for (unsigned i = 0; i < vm->cfg.ndisks; i++)
		if (create_disk(vm, &vm->cfg.disks[i], why, why_len))
			return -1;
	if (vm->cfg.net.user && create_net(vm, why, why_len))
		return -1;
	if (vm->cfg.virtio_console && create_console(vm, why, why_len))
		return -1;
	return 0;
}

void vm_virtio_destroy(struct vm *vm)
{
	if (vm->virtio.rng) {
		virtio_rng_destroy(vm->virtio.rng);
		free(vm->virtio.rng);
		vm->virtio.rng = NULL;
	}
	for (unsigned i = 0; i < vm->virtio.nblks; i++) {
		virtio_blk_destroy(vm->virtio.blks[i]);
		free(vm->virtio.blks[i]);
	}
	vm->virtio.nblks = 0;
	if (vm->virtio.net_user) {
		net_slirp_destroy(vm->virtio.net_user);
		free(vm->virtio.net_user);
		vm->virtio.net_user = NULL;
	}
	if (vm->virtio.net) {
		virtio_net_destroy(vm->virtio.net);
		free(vm->virtio.net);
		vm->virtio.net = NULL;
	}
	if (vm->virtio.console) {
		virtio_console_destroy(vm->virtio.console);
		free(vm->virtio.console);
		vm->virtio.console = NULL;
	}
	vm->virtio.count = 0;
}

void vm_virtio_stats_print(FILE *f, const struct vm *vm)
{
	const struct virtio_net *net = vm->virtio.net;

	if (net)
		fprintf(f, "virtio-net frames   tx %llu (%llu dropped), rx %llu (%llu dropped)\n",
			(unsigned long long)net->stats.tx_frames, (unsigned long long)net->stats.tx_dropped,
			(unsigned long long)net->stats.rx_frames, (unsigned long long)net->stats.rx_dropped);
}

int vm_disks_lock(struct vm *vm, char *why, size_t why_len)
{
	for (unsigned i = 0; i < vm->virtio.nblks; i++)
		if (blk_disk_lock(&vm->virtio.blks[i]->disk, why, why_len))
			return -1;
	return 0;
}

void vm_disks_unlock(struct vm *vm)
{
	for (unsigned i = 0; i < vm->virtio.nblks; i++)
		blk_disk_unlock(&vm->virtio.blks[i]->disk);
}
