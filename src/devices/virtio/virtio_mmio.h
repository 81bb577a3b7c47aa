/* The virtio-mmio transport (virtio 1.x §4.2), modern only: Version 2, and
 * VIRTIO_F_VERSION_1 always offered and required; no legacy registers (no
 * GuestPageSize, QueueAlign, QueuePFN). One transport serves every device: a
 * back end (blk, net, rng, console) fills a struct virtio_device_ops and
 * reaches its queues only through the functions below.
 *
 * Registers (§4.2.2, Table 4.1), 32-bit, at offsets in the 0x200-byte window:
 *   0x000 MagicValue 0x74726976 ("virt")  0x004 Version 2
 *   0x008 DeviceID (ops)  0x00c VendorID VIRTIO_MMIO_VENDOR_ID
 *   0x010 DeviceFeatures, the 32 bits DeviceFeaturesSel (0x014) selects
 *   0x020 DriverFeatures, the 32 bits DriverFeaturesSel (0x024) selects;
 *         ignored once FEATURES_OK is set
 *   0x030 QueueSel  0x034 QueueNumMax (0 for a queue that does not exist)
 *   0x038 QueueNum  0x044 QueueReady  0x050 QueueNotify (a queue index)
 *   0x060 InterruptStatus (bit 0 used buffer, bit 1 configuration change)
 *   0x064 InterruptACK  0x070 Status  0x0fc ConfigGeneration
 *   0x080/0x084 QueueDesc, 0x090/0x094 QueueDriver, 0x0a0/0x0a4 QueueDevice
 *   0x0b0/0x0b4 SHMLen: all ones (no shared memory region exists)
 *   0x100 on: the device's configuration space (ops->config_read/write)
 * Write-only registers read 0; writes to read-only ones are ignored.
 *
 * Access sizes: the driver must use aligned 32-bit accesses to the registers,
 * and accesses of a field's own width to the configuration space (§4.2.2.2).
 * The window takes 1, 2 and 4 bytes (the bus splits a qword into dwords, as
 * it does for the I/O APIC). A register access of another width or
 * misaligned reads 0 and its write is ignored (logged, rate-limited); a
 * configuration access must be naturally aligned and inside ops->config_size,
 * else it reads 0 and writes are ignored.
 *
 * Status (§2.1, §3.1.1): bits only accumulate until the driver writes 0,
 * which resets the device (registers, interrupt status, every queue, then
 * the wait for the work, then ops->reset). Setting FEATURES_OK succeeds only
 * if the driver accepted VIRTIO_F_VERSION_1 and nothing that was not
 * offered; otherwise the bit stays clear and the driver, reading it back,
 * sees the refusal. Setting DRIVER_OK kicks the work if any queue is ready,
 * so buffers made available before are seen. QueueReady = 1 checks the
 * queue's layout (virtq_enable) and the size against QueueNumMax; queue
 * registers of a ready queue ignore writes.
 *
 * A guest violation (a malformed chain, a bad queue layout) sets
 * DEVICE_NEEDS_RESET, logs one rate-limited line, and, if DRIVER_OK is set,
 * raises the configuration-change interrupt (§2.1.2). The device then pops
 * nothing until the driver resets it. Nothing the guest does ends the VMM.
 *
 * The interrupt is a level: the line is high while InterruptStatus is not 0.
 *
 * Threads: vCPU threads access the registers; the back end's work runs on
 * the I/O thread (host/event_loop.h), in the transport's struct
 * virtio_worker. A notification of a live queue (and DRIVER_OK with a ready
 * queue) only kicks the worker, one eventfd write, so a vCPU never does a
 * back end's work; the I/O thread then runs ops->work under the worker's
 * lock. A reset (Status 0) resets the registers and queues, then waits for
 * a work in progress to end and calls ops->reset, if the back end has one,
 * before a new work may start (virtio_worker_quiesce): once the driver's
 * Status write completes, nothing from before the reset is pushed or
 * written into guest memory.
 *
 * Locks: the device's mutex guards all of struct virtio_mmio but the worker,
 * queues included; the worker's mutex is held while ops->work runs and
 * guards the back end's own state (what each back end's header says). Back-
 * end ops are called without the device mutex (so they may call back in);
 * irq.set is called with it held. Lock order: worker, then this device, then
 * the interrupt controller's locks (vm/platform.h). */
#ifndef RV_VIRTIO_MMIO_H
#define RV_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/irq.h"
#include "devices/virtio/virtio_worker.h"
#include "devices/virtio/virtqueue.h"
#include "log.h"
#include "state/state_stream.h"
#include "vm/bus.h"
#include "vm/memory.h"

#define VIRTIO_MMIO_WINDOW 0x200
#define VIRTIO_MMIO_CONFIG_MAX 0x100 /* bytes of configuration space at most */
#define VIRTIO_MMIO_MAX_QUEUES 8
/* "Ring", little-endian: any value will do; the spec asks nothing of it. */
#define VIRTIO_MMIO_VENDOR_ID 0x676e6952u
/* InterruptStatus bits (§4.2.2). */
#define VIRTIO_MMIO_INT_USED 1u
#define VIRTIO_MMIO_INT_CONFIG 2u

/* What a back end gives the transport. Offsets and sizes of config accesses
 * are already checked (offset + size <= config_size, naturally aligned).
 * Every op gets the opaque given to virtio_mmio_init. */
struct virtio_device_ops {
	uint32_t device_id;	/* VIRTIO_ID_* */
	unsigned num_queues;	/* 1..VIRTIO_MMIO_MAX_QUEUES */
	uint16_t queue_num_max; /* QueueNumMax: a power of two <= VIRTQ_MAX_SIZE */
	uint16_t max_in_flight; /* per queue; 0: the queue size */
	uint32_t config_size;	/* <= VIRTIO_MMIO_CONFIG_MAX */
	uint64_t (*config_read)(void *opaque, uint32_t offset, unsigned size);
	/* Optional: NULL ignores configuration writes. */
	void (*config_write)(void *opaque, uint32_t offset, unsigned size, uint64_t value);
	/* The back end's work, on the I/O thread under the worker's lock: serve
	 * what every queue holds (one kick may stand for notifications of
	 * several queues, and for the back end's own virtio_mmio_kick). */
	void (*work)(void *opaque);
	/* Optional, for what a back end keeps beyond its queues: called on the
	 * resetting vCPU thread once the transport is reset, under the worker's
	 * lock (no work runs meanwhile; the device lock is not held). */
	void (*reset)(void *opaque);
};

struct virtio_mmio_queue {
	uint16_t num;
	bool ready;
	uint64_t desc_gpa, driver_gpa, device_gpa;
	struct virtq vq;
};

struct virtio_mmio {
	pthread_mutex_t lock;
	const char *name; /* for log lines */
	const struct virtio_device_ops *ops;
	void *opaque;
	uint64_t device_features; /* offered: the back end's and the transport's */
	uint64_t driver_features; /* accepted by the driver */
	uint32_t device_features_sel;
	uint32_t driver_features_sel;
	uint32_t queue_sel;
	uint32_t status;
	uint32_t interrupt_status;
	uint32_t config_generation;
	int line_level;
	struct irq_line irq;
	struct log_ratelimit log;
	struct virtio_mmio_queue queues[VIRTIO_MMIO_MAX_QUEUES];
	/* Runs ops->work; its event source goes on the I/O thread's loop. */
	struct virtio_worker worker;
};

/* The MMIO window's ops: register VIRTIO_MMIO_WINDOW bytes with opaque the
 * struct virtio_mmio. */
extern const struct io_device_ops virtio_mmio_ops;

/* 0, or -1 with a one-line reason in why: ops break the limits above (a
 * programming error of the back end, found at start-up), or no eventfd for
 * the worker. device_features: the back end's feature bits; the transport
 * adds VERSION_1, EVENT_IDX and INDIRECT_DESC. */
int virtio_mmio_init(struct virtio_mmio *dev, const char *name, const struct guest_memory *mem,
		     const struct virtio_device_ops *ops, void *opaque, uint64_t device_features, struct irq_line irq,
		     char *why, size_t why_len);
void virtio_mmio_destroy(struct virtio_mmio *dev);

/* The back end's side, any thread. Pop: 1 a chain, 0 nothing (queue not
 * ready, device not DRIVER_OK or needing reset, ring empty), negative: a
 * violation, and the device now needs reset. Push: 0, or negative (the queue
 * went away in a reset, or the back end pushed what it may not; a used length
 * beyond the chain's writable bytes puts the device into NEEDS_RESET).
 * After pushing, notify_used interrupts the driver if it wants that. */
int virtio_mmio_pop(struct virtio_mmio *dev, unsigned q, struct virtq_chain *chain);
int virtio_mmio_push(struct virtio_mmio *dev, unsigned q, uint16_t head, uint32_t written);
void virtio_mmio_notify_used(struct virtio_mmio *dev, unsigned q);
/* The back end found a chain of queue q that breaks its device type's rules
 * (what: for the log line): the device needs reset, as for a malformed
 * chain. Nothing happens unless q is live. */
void virtio_mmio_device_error(struct virtio_mmio *dev, unsigned q, const char *what);
/* The next chain of queue q, for a back end that drains the queue with
 * driver notifications off: pop; when there is none, notifications are
 * turned back on and the queue is looked at once more (§2.7.10: the driver
 * may have added chains just before, without notifying), and if a chain is
 * there they are off again. Returns as pop does. */
int virtio_mmio_pop_next(struct virtio_mmio *dev, unsigned q, struct virtq_chain *chain);
/* Driver notification suppression of queue q (virtq_enable_notify). */
void virtio_mmio_disable_notify(struct virtio_mmio *dev, unsigned q);
bool virtio_mmio_enable_notify(struct virtio_mmio *dev, unsigned q);
/* The back end changed its configuration: new generation, and the
 * configuration-change interrupt once the driver is running. */
void virtio_mmio_config_changed(struct virtio_mmio *dev);
/* Any thread: ops->work will run (again) on the I/O thread, e.g. when host
 * input came for the guest, or a work stopped with more to do so that other
 * back ends get their turn. */
void virtio_mmio_kick(struct virtio_mmio *dev);
/* The features the driver accepted (0 until FEATURES_OK). */
uint64_t virtio_mmio_features(struct virtio_mmio *dev);

/* The device as virtio_mmio_init leaves it: what a Status 0 write resets,
 * the configuration generation back at 0, then ops->reset, if the back end
 * has one. With the worker's lock held (virtio_worker_quiesce), so no work
 * runs meanwhile; takes the device lock. */
void virtio_mmio_power_on_reset(struct virtio_mmio *dev);

/* Saved state (virtio_mmio_state.c; docs/snapshot-format.md has the
 * fields). Each virtio device saves one section: the transport's part (its
 * own version first, then the registers and every queue's layout and
 * virtqueue state) followed by the back end's own part. A back end
 * describes its own part here; its ops get the opaque given to
 * virtio_mmio_init, and any of them may be NULL (nothing of its own). */
struct virtio_state_part {
	void (*save)(void *opaque, struct state_writer *w);
	/* version: the section's (the back end's device_state_ops.version).
	 * 0, or -1 with r's error set. */
	int (*load)(void *opaque, struct state_reader *r, uint32_t version);
	/* What it keeps, as at power-on. */
	void (*reset)(void *opaque);
};

/* The transport's part's own version: a back end's section version says
 * which of its own fields follow. */
#define VIRTIO_MMIO_STATE_VERSION 1u

/* What a back end's device_state_ops call. Each runs with the worker's lock
 * held (virtio_worker_quiesce): a work in progress ends first, and since
 * every back end pushes each chain it pops within one run of its work, no
 * chain is then in flight (the drain; docs/snapshot-format.md) but in a
 * device that needs reset, which pops and pushes nothing more until the
 * driver resets it. load checks every value against the device's limits
 * (the file is hostile); on any error the device is powered on afresh
 * (virtio_mmio_power_on_reset and own->reset) and -1 returned with r's
 * error set. After a load the work is kicked, so chains the driver made
 * available and the device had not taken are served (guest RAM must hold
 * the snapshot's contents by then). Nothing here writes guest RAM. */
void virtio_mmio_state_save(struct virtio_mmio *dev, const struct virtio_state_part *own, struct state_writer *w);
int virtio_mmio_state_load(struct virtio_mmio *dev, const struct virtio_state_part *own, struct state_reader *r,
			   uint32_t version);
void virtio_mmio_state_reset(struct virtio_mmio *dev, const struct virtio_state_part *own);

#endif
