#!/usr/bin/env python3
"""Writes seed inputs for fuzz/fuzz_virtq.c (its header comment gives the
format): well-formed queues a driver would build, so that fuzzing starts past
the layout checks — direct chains, an indirect table, EVENT_IDX with indexes
about to wrap, a buffer in the high region, a full ring.

  fuzz/seeds/virtq.py DIR      (the seed corpus is fuzz/corpus/virtq)
"""
import struct

from seed_dir import write_seeds

AVAIL, USED, DESC, TABLE, BUF = 0x000, 0x040, 0x100, 0x200, 0x300
HIGH = 0x100000000
NEXT, WRITE, INDIRECT = 1, 2, 4
POP, PUSH, NOTIFY, DISABLE, ENABLE, MOVE_AVAIL, PUSH_HEAD, RESET = range(8)


def seed(size_log2, flags, ops, ram, start=0, cap=0):
    header = bytes([size_log2, flags, cap, len(ops)]) + struct.pack("<HHHH", start, DESC, AVAIL, USED) + bytes(4)
    return header + b"".join(bytes(op) for op in ops) + bytes(ram)


def ram_with(descs, heads, start=0, size=8, table=()):
    ram = bytearray(0x400)
    for i, (addr, length, flags, nxt) in enumerate(descs):
        struct.pack_into("<QIHH", ram, DESC + 16 * i, addr, length, flags, nxt)
    for i, (addr, length, flags, nxt) in enumerate(table):
        struct.pack_into("<QIHH", ram, TABLE + 16 * i, addr, length, flags, nxt)
    for i, h in enumerate(heads):
        struct.pack_into("<H", ram, AVAIL + 4 + 2 * ((start + i) % size), h)
    struct.pack_into("<H", ram, AVAIL + 2, (start + len(heads)) & 0xFFFF)
    return ram


def seeds():
    two = [(BUF, 16, NEXT, 1), (BUF + 0x40, 32, WRITE, 0), (BUF + 0x80, 8, 0, 0)]
    yield "direct", seed(3, 0, [(POP, 0, 0), (PUSH, 100, 0), (NOTIFY, 0, 0)], ram_with(two, [0, 2]))
    table = [(BUF, 16, NEXT, 1), (BUF + 0x20, 16, NEXT | WRITE, 2), (BUF + 0x40, 4, WRITE, 0)]
    yield "indirect", seed(3, 0x02, [(POP, 0, 0), (PUSH, 50, 0)],
                           ram_with([(TABLE, 48, INDIRECT, 0)], [0], table=table))
    start = 0xFFFE
    yield "event-idx-wrap", seed(3, 0x01, [(POP, 0, 0), (PUSH, 100, 0), (NOTIFY, 0, 0), (DISABLE, 0, 0),
                                           (POP, 0, 0), (ENABLE, 0, 0), (PUSH, 100, 0), (NOTIFY, 0, 0)],
                                 ram_with(two, [0, 2, 0], start=start), start=start)
    yield "high-region", seed(3, 0, [(POP, 0, 0), (PUSH, 100, 0)],
                              ram_with([(HIGH + 0xF00, 0x100, WRITE, 0)], [0]))
    full = [(BUF + 8 * i, 8, 0, 0) for i in range(8)]
    yield "full-ring-cap-2", seed(3, 0x10, [(POP, 0, 0)] * 3 + [(PUSH, 100, 0), (POP, 0, 0), (RESET, 0, 0)],
                                  ram_with(full, list(range(8))))
    yield "short-segs", seed(3, 0x20, [(POP, 0, 0)], ram_with(two, [0]), cap=0)


if __name__ == "__main__":
    write_seeds(seeds(), "fuzz/corpus/virtq")
