#!/usr/bin/env python3
"""Writes seed inputs for fuzz/fuzz_virtio_net.c (its header comment gives the
format): what Linux's driver does, so that fuzzing starts past bring-up — a
frame sent with its header in its own descriptor and in one buffer, receive
buffers filled by injected and echoed frames, an indirect transmit chain.

  fuzz/seeds/virtio_net.py DIR      (the seed corpus is fuzz/corpus/virtio_net)
"""
import os
import struct
import sys

NEXT, WRITE, INDIRECT = 1, 2, 4
EVENT_IDX, INDIRECT_F, ECHO = 1, 2, 4
NOTIFY_TX, NOTIFY_RX, RUN, INJECT, MOVE_AVAIL, RESET, REG, CONFIG = range(8)
RXQ, TXQ = 0, 1
HDR = 12


def desc(q):
    return 0x2000 * q


def avail(q):
    return desc(q) + 0x1000


BUF = 0x4000


def seed(flags, ops, ram, rx_log2=3, tx_log2=3):
    # RAM past the last non-zero byte is zero anyway.
    return bytes([flags, rx_log2, tx_log2, len(ops), 0, 0, 0, 0]) + b"".join(bytes(o) for o in ops) + bytes(ram).rstrip(b"\0")


def put_desc(ram, q, i, addr, length, flags, nxt=0):
    struct.pack_into("<QIHH", ram, desc(q) + 16 * i, addr, length, flags, nxt)


def offer(ram, q, slot, head):
    struct.pack_into("<H", ram, avail(q) + 4 + 2 * slot, head)


def frame(n):
    # An Ethernet broadcast ARP-looking frame: dst, src, type 0x0806, then bytes.
    return b"\xff" * 6 + bytes([0x52, 0x54, 0, 0x12, 0x34, 0x56]) + b"\x08\x06" + bytes(range(n - 14))


def seeds():
    ram = bytearray(0x6000)
    f = frame(60)
    ram[BUF:BUF + HDR] = bytes(HDR)
    ram[BUF + 0x100:BUF + 0x100 + len(f)] = f
    put_desc(ram, TXQ, 0, BUF, HDR, NEXT, 1)
    put_desc(ram, TXQ, 1, BUF + 0x100, len(f), 0)
    offer(ram, TXQ, 0, 0)
    yield "tx-two-descriptors", seed(EVENT_IDX, [(MOVE_AVAIL, TXQ, 1), (NOTIFY_TX, 0, 0), (RUN, 0, 0)], ram)

    ram = bytearray(0x6000)
    ram[BUF + 0x200:BUF + 0x200 + HDR + len(f)] = bytes(HDR) + f
    put_desc(ram, TXQ, 0, BUF + 0x200, HDR + len(f), 0)
    offer(ram, TXQ, 0, 0)
    for i in range(4):
        put_desc(ram, RXQ, i, BUF + 0x800 + 0x600 * i, 0x600, WRITE)
        offer(ram, RXQ, i, i)
    yield "tx-echo-rx", seed(EVENT_IDX | INDIRECT_F | ECHO,
                             [(MOVE_AVAIL, RXQ, 4), (NOTIFY_RX, 0, 0), (MOVE_AVAIL, TXQ, 1), (NOTIFY_TX, 0, 0),
                              (RUN, 0, 0), (INJECT, 0, 80), (INJECT, 5, 234), (RUN, 0, 0)], ram)

    ram = bytearray(0x6000)
    table = BUF + 0x1000
    struct.pack_into("<QIHH", ram, table, BUF, HDR, NEXT, 1)
    struct.pack_into("<QIHH", ram, table + 16, BUF + 0x100, len(f), 0, 0)
    ram[BUF:BUF + HDR] = bytes(HDR)
    ram[BUF + 0x100:BUF + 0x100 + len(f)] = f
    put_desc(ram, TXQ, 0, table, 32, INDIRECT)
    offer(ram, TXQ, 0, 0)
    yield "tx-indirect", seed(INDIRECT_F, [(MOVE_AVAIL, TXQ, 1), (NOTIFY_TX, 0, 0), (RUN, 0, 0), (RESET, 0, 0),
                                           (CONFIG, 6, 0)], ram)

    ram = bytearray(0x6000)
    yield "inject-without-buffers", seed(0, [(INJECT, 0, 60)] * 70 + [(RUN, 0, 0)], ram)


out = sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus/virtio_net"
os.makedirs(out, exist_ok=True)
for name, data in seeds():
    with open(os.path.join(out, name), "wb") as fh:
        fh.write(data)
