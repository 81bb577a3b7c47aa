/* The guest RAM the virtio fuzzers (fuzz_virtq, fuzz_virtio_blk) drive their
 * queues in: two regions with guard pages (guarded_ram.h), 64 KiB at 0, which
 * an input fills, and 4 KiB at 4 GiB, so that a buffer the checks let through
 * in error faults when touched and a chain may span regions. */
#ifndef RV_FUZZ_VIRTIO_RAM_H
#define RV_FUZZ_VIRTIO_RAM_H

#include <stddef.h>
#include <stdint.h>

#include "support/guarded_ram.h"

#define VIRTIO_FUZZ_LOW_SIZE 0x10000ull
#define VIRTIO_FUZZ_HIGH_GPA 0x100000000ull
#define VIRTIO_FUZZ_HIGH_SIZE 0x1000ull

/* The virtio-mmio registers (virtio 1.x, 4.2.2) the device fuzzers write as a
 * driver does. */
#define R_DEVICE_FEATURES 0x010
#define R_DEVICE_FEATURES_SEL 0x014
#define R_DRIVER_FEATURES 0x020
#define R_DRIVER_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080
#define R_QUEUE_DRIVER 0x090
#define R_QUEUE_DEVICE 0x0a0
#define R_CONFIG 0x100

void virtio_fuzz_ram_init(struct guarded_ram *r);
/* Zeroes both regions, then copies image (up to the low region's size) to 0. */
void virtio_fuzz_ram_load(struct guarded_ram *r, const uint8_t *image, size_t len);

#endif
