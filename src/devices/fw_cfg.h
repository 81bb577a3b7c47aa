/* QEMU's firmware configuration device (fw_cfg), its traditional port
 * interface only, so that test kernels written for QEMU run unchanged. Facts
 * from QEMU's docs/specs/fw_cfg.rst ("Guest-side Hardware Interface").
 *
 * Registration (done by the VM owner): one range, port FW_CFG_PORT_SEL, length
 * FW_CFG_PORT_COUNT, fw_cfg_ops, opaque the struct fw_cfg. The spec puts the
 * data port one above the selector and says the two "overlap, and can not be
 * mapped separately" (a 16-bit selector write spans the data port), so one
 * device owns both.
 *
 * The interface:
 *   - Selector, port 0x510: a 16-bit write selects an item and sets the data
 *     offset to 0. Bit 14 of the key is the old write-enable flag and names the
 *     same item as the key without it (spec, "Ranges"); bit 15 selects the
 *     architecture-specific items, of which none is offered.
 *   - Data, port 0x511: each 8-bit read returns the next byte of the selected
 *     item; past its end, or for an item not offered, reads return 0.
 *
 * Items offered (all read-only):
 *   0x0000 signature    4 bytes "QEMU"
 *   0x0001 ID           u32 little-endian 1: bit 0, the traditional interface;
 *                       bit 1 (DMA) clear, so there is no DMA register at 0x514
 *   0x0002 UUID         16 zero bytes (no UUID configured)
 *   0x0003 RAM size     u64 little-endian: guest RAM in bytes
 *   0x0004 nographic    u16 little-endian 1: there is no display
 *   0x0005 CPU count    u16 little-endian
 *   0x000f max CPUs     u16 little-endian, the CPU count: no hot-plug
 *   0x0019 file dir     u32 big-endian entry count 0: no files
 * Key numbers and widths of 0x0002-0x000f: the well-known keys of QEMU's
 * fw_cfg (the spec defers to its source for those); QEMU 7.2 answers them so.
 *
 * Choices where the spec leaves room. The spec gives the selector as write-only
 * and 16 bits wide, and the port data register as 8 bits wide, and only those
 * two accesses do anything. The device implements byte and word accesses
 * (fw_cfg_ops.sizes): the bus splits a wider one as an ISA bus does (a dword
 * write at 0x510 is a selector write of its low word, then a word to the
 * unclaimed 0x512; a word read at 0x511 reads the next data byte, then 0xff
 * from 0x512). Every other access (selector reads, byte writes to the
 * selector, a word at the data port, which the bus never passes whole) reads 0
 * and writes nothing, and none of them moves the data offset. Data writes are
 * ignored without moving the offset: the spec makes them no-ops since QEMU 2.4.
 * QEMU 7.2 answers the same but for its TCG port accesses wider than the device
 * (handed to fw_cfg whole, which ignores them) and its byte read of the
 * selector port, which returns the next data byte; here it reads 0.
 *
 * Threads: the vCPU thread accesses the ports; the mutex makes any thread safe.
 * The device calls nothing outside itself. */
#ifndef RV_FW_CFG_H
#define RV_FW_CFG_H

#include <pthread.h>
#include <stdint.h>

#include "state/device_state.h"
#include "vm/bus.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_COUNT 2

/* Selector keys of the items offered. */
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_ID 0x0001
#define FW_CFG_UUID 0x0002
#define FW_CFG_RAM_SIZE 0x0003
#define FW_CFG_NOGRAPHIC 0x0004
#define FW_CFG_NB_CPUS 0x0005
#define FW_CFG_MAX_CPUS 0x000f
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_ITEM_COUNT 8
#define FW_CFG_ITEM_MAX 16 /* the longest item, the UUID */

struct fw_cfg_config {
	uint64_t ram_bytes;
	uint16_t ncpus;
};

struct fw_cfg_item {
	uint16_t key;
	uint8_t len; /* <= FW_CFG_ITEM_MAX */
	uint8_t data[FW_CFG_ITEM_MAX];
};

struct fw_cfg {
	pthread_mutex_t lock;
	struct fw_cfg_item items[FW_CFG_ITEM_COUNT]; /* fixed at init */
	const struct fw_cfg_item *selected;	     /* NULL: nothing offered under the key */
	uint8_t offset;				     /* next byte of selected; <= its len */
};

extern const struct io_device_ops fw_cfg_ops; /* opaque: the struct fw_cfg */

/* Builds the items from cfg (not kept). Until the guest's first selector
 * write nothing is selected and data reads return 0 (the spec gives no reset
 * selection). */
void fw_cfg_init(struct fw_cfg *f, const struct fw_cfg_config *cfg);
void fw_cfg_destroy(struct fw_cfg *f);

/* Saved state (docs/snapshot-format.md, section "fw-cfg"); dev: the struct
 * fw_cfg. The items are configuration, built again by fw_cfg_init; only the
 * selection and the data offset are state. Reset: nothing selected. */
extern const struct device_state_ops fw_cfg_state_ops;

#endif
