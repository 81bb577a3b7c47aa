/* Creates the virtio devices the configuration asks for, in slot order
 * (vm/virtio_devices.h): each on the MMIO bus, on its I/O APIC pin, its
 * worker on the I/O thread's loop, and its state in the VM's table
 * (vm->devices) as "virtio-rng.0", "virtio-blk.N" (N from 0 in --disk
 * order), "virtio-net.0" with "net-user.0" (libslirp), "virtio-console.0".
 * The devices know no engine. */
#ifndef RV_VM_VIRTIO_SETUP_H
#define RV_VM_VIRTIO_SETUP_H

#include <stddef.h>
#include <stdio.h>

struct vm;

/* 0, or -1 with a one-line reason. Call after the platform (the I/O APIC)
 * and before the ACPI tables, which list the slots. */
int vm_virtio_create(struct vm *vm, char *why, size_t why_len);
/* After the I/O thread has stopped; safe after a failed or no create. */
void vm_virtio_destroy(struct vm *vm);
/* The disk images' locks, for a live migration's hand-over: the source lets
 * them go once it has committed to stopping, the destination (built with
 * disks_lock_later) takes them on the go, before its guest runs. Lock: 0,
 * or -1 with "--disk PATH: in use by another process". */
int vm_disks_lock(struct vm *vm, char *why, size_t why_len);
void vm_disks_unlock(struct vm *vm);
/* --stats: what the virtio devices moved (nothing when there is nothing to
 * say). After the I/O thread has stopped. */
void vm_virtio_stats_print(FILE *f, const struct vm *vm);

#endif
