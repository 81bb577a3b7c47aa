/* The small PC ports a booting kernel touches, each a range of its own:
 *
 *   0x80   POST code / I/O delay (pc_misc_post_ops): writes are counted and the
 *          last value kept; reads return 0xff. Linux writes here as an I/O delay.
 *   0x92   System control port A (pc_misc_port92_ops): bit 0 = fast reset (a
 *          write with it set requests a reset), bit 1 = A20 gate, stored and read
 *          back (starts set; memory never masks A20); bit 0 reads 0.
 *   0x60   i8042 data (pc_misc_i8042_data_ops): reads 0, writes ignored.
 *   0x64   i8042 status/command (pc_misc_i8042_cmd_ops): status reads 0 (no
 *          output pending, input buffer empty), so a driver probing the
 *          controller times out waiting for an answer and finds none. Commands
 *          0xf0-0xff pulse output-port bits 0-3 where the command's bit is 0; bit
 *          0 is the CPU reset line, so 0xfe (and every even 0xfX) requests a
 *          reset. Other commands are ignored.
 *   0xcf9  Reset control register (pc_misc_cf9_ops): bits 1 (SYS_RST) and 3
 *          (FULL_RST) are stored and read back; a write with bit 2 (RST_CPU) and
 *          bit 1 set requests a (hard) reset. Register it as one byte: a PCI host
 *          bridge taking 0xcf8-0xcff must pass byte accesses at 0xcf9 here.
 *
 * A reset request calls reset(opaque), once per request and without the lock
 * held; the VM owner decides what a reset does. Every port takes byte accesses
 * only (.sizes): the bus splits a wider one, so `in ax, 0x92` reads 0x92 and
 * then whatever port 0x93 answers (0xff when unclaimed), as on an ISA bus.
 *
 * Threads: any vCPU may access the ports; the state is under the lock. */
#ifndef RV_PC_MISC_H
#define RV_PC_MISC_H

#include <pthread.h>
#include <stdint.h>

#include "state/device_state.h"
#include "vm/bus.h"

#define PC_MISC_POST_PORT 0x80
#define PC_MISC_PORT92 0x92
#define PC_MISC_I8042_DATA 0x60
#define PC_MISC_I8042_CMD 0x64
#define PC_MISC_CF9_PORT 0xcf9
/* Every range above is one port long. */
#define PC_MISC_PORT_LEN 1

struct pc_misc {
	pthread_mutex_t lock;
	unsigned long post_writes;
	uint8_t post_code; /* the last value written to port 0x80 */
	uint8_t port92;	   /* stored bits of system control port A */
	uint8_t cf9;	   /* stored bits of the reset control register */
	void (*reset)(void *opaque);
	void *opaque;
};

extern const struct io_device_ops pc_misc_post_ops;
extern const struct io_device_ops pc_misc_port92_ops;
extern const struct io_device_ops pc_misc_i8042_data_ops;
extern const struct io_device_ops pc_misc_i8042_cmd_ops;
extern const struct io_device_ops pc_misc_cf9_ops;

/* reset must not be NULL. */
void pc_misc_init(struct pc_misc *m, void (*reset)(void *opaque), void *opaque);
void pc_misc_destroy(struct pc_misc *m);

/* Saved state (docs/snapshot-format.md, section "pc-misc"); dev: the struct
 * pc_misc. Reset: what pc_misc_init leaves. */
extern const struct device_state_ops pc_misc_state_ops;

#endif
