/* Hostile guest, issue 11 class 7 (ISA widths): 16- and 32-bit port
 * accesses to devices that decode one port. On the ISA bus a wider access
 * is split into byte cycles, so each byte of the result comes from its own
 * port: the device's register for its port, all ones for a port no device
 * claims (docs/guest-abi.md, "Machine"). The values: port 0x92 reads 0x02
 * (A20 on, no reset), the i8042 status (0x64) and data (0x60) read 0 when
 * nothing is pending, 0xcf9 reads 0 after reset; 0x91, 0x93, 0x65-0x67,
 * 0xcfa-0xcfc and 0x5f have no device. Reads only: writes to these ports
 * reset the machine.
 * Before the fix, a device answered the whole width: in ax,0x92 read
 * 0x0002. QEMU 7.2 is no reference here: it repeats the byte of a one-port
 * device (in ax,0x92 reads 0x0202) and reads unassigned ports as 0. */
#include <stdint.h>

#include "io.h"
#include "test.h"

int main(void)
{
	printf("hostile: wide port reads from one-port devices\n");
	expect_eq("IN AL from 0x92", inb(0x92), 0x02);
	expect_eq("IN AX from 0x92: 0x93 reads all ones", inw(0x92), 0xff02);
	expect_eq("IN EAX from 0x92", inl(0x92), 0xffffff02);
	expect_eq("IN AX from 0x91: the high byte is port 0x92", inw(0x91), 0x02ff);
	expect_eq("IN AX from 0x64", inw(0x64), 0xff00);
	expect_eq("IN EAX from 0x64", inl(0x64), 0xffffff00);
	expect_eq("IN AX from 0x5f: the high byte is port 0x60", inw(0x5f), 0x00ff);
	expect_eq("IN AX from 0xcf9", inw(0xcf9), 0xff00);
	expect_eq("IN EAX from 0xcf9", inl(0xcf9), 0xffffff00);
	expect_eq("IN EAX from 0x60: bytes 2 and 3 are ports 0x62 and 0x63", inl(0x60) >> 16, 0xffff);
	test_done();
}
