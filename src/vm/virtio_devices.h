/* The VM's virtio-mmio devices as the VM holds them (vm/virtio_setup.c creates
 * them). Where they sit on this machine:
 *   MMIO: slot n's 0x200-byte window at VM_VIRTIO_MMIO_BASE + n * 4 KiB, in
 *         the 3-4 GiB hole below the I/O APIC (0xfec00000), one page each so
 *         that no page holds two devices;
 *   IRQ:  slot n on I/O APIC pin VM_VIRTIO_FIRST_PIN + n, level-triggered,
 *         active high. Pins 16-23 have no ISA IRQ and no 8259A input, so they
 *         collide with nothing, and each device has its own pin.
 * Slot order: the virtio-rng first (unless --no-rng), then one virtio-blk per
 * --disk in the order given, so that Linux, which probes in DSDT order, names
 * them vda, vdb, ...
 * The ACPI DSDT lists each slot as an LNRO0005 device with that window and
 * pin (firmware/acpi.c), which is how Linux's virtio_mmio finds them. */
#ifndef RV_VM_VIRTIO_DEVICES_H
#define RV_VM_VIRTIO_DEVICES_H

#include <stdint.h>

#include "devices/virtio/virtio_blk.h"
#include "devices/virtio/virtio_console.h"
#include "devices/virtio/virtio_net.h"
#include "devices/virtio/virtio_rng.h"
#include "host/net_slirp.h"
#include "vm/config.h"

#define VM_VIRTIO_MMIO_BASE 0xd0000000ull
#define VM_VIRTIO_MMIO_STRIDE 0x1000ull
#define VM_VIRTIO_FIRST_PIN 16
#define VM_VIRTIO_MAX 8 /* I/O APIC pins 16-23 */

struct vm_virtio_slot {
	struct virtio_mmio *mmio;
	uint64_t base;
	unsigned pin;
};

struct vm_virtio {
	unsigned count;
	struct vm_virtio_slot slots[VM_VIRTIO_MAX];
	struct virtio_rng *rng;		/* NULL without --rng */
	struct virtio_net *net;		/* NULL with --net none */
	struct net_slirp *net_user;	/* net's back end with --net user */
	struct virtio_console *console; /* NULL without --virtio-console */
	unsigned nblks;			/* one per --disk, in slot order after the others */
	struct virtio_blk *blks[VM_MAX_DISKS];
};

#endif
