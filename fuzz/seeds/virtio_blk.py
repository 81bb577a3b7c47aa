#!/usr/bin/env python3
"""Writes seed inputs for fuzz/fuzz_virtio_blk.c (its header comment gives the
format): requests a Linux driver sends, so that fuzzing starts past the
request layout checks -- a read, a write, a flush, a get-id, a discard, a
write through an indirect table, a read split over descriptors with the status
sharing the last one, and the same on the read-only disk.

  fuzz/seeds/virtio_blk.py DIR      (the seed corpus is fuzz/corpus/virtio_blk)
"""
import struct

from seed_dir import write_seeds

DESC, AVAIL, USED, HDR, STATUS, BUF, TABLE = 0x0000, 0x1000, 0x2000, 0x3000, 0x3100, 0x4000, 0x3800
NEXT, WRITE, INDIRECT = 1, 2, 4
T_IN, T_OUT, T_FLUSH, T_GET_ID, T_DISCARD = 0, 1, 4, 8, 11
EVENT_IDX, INDIRECT_F, RO, CONFIG = 1, 2, 4, 8


def seed(flags, requests, size_log2=3, second=0):
    """requests: a list of (header type, sector, descriptors, extra RAM
    writes); each request's descriptors are placed consecutively."""
    ram = bytearray(0x5000)
    index = 0
    heads = []
    for n, (rtype, sector, descs, extra) in enumerate(requests):
        hdr = HDR + 0x20 * n
        struct.pack_into("<IIQ", ram, hdr, rtype, 0, sector)
        heads.append(index)
        for k, (addr, length, fl) in enumerate(descs):
            addr = hdr if addr == "hdr" else addr
            nxt = index + 1 if k + 1 < len(descs) else 0
            struct.pack_into("<QIHH", ram, DESC + 16 * index, addr, length, fl | (NEXT if k + 1 < len(descs) else 0), nxt)
            index += 1
        for addr, data in extra:
            ram[addr:addr + len(data)] = data
    size = 1 << size_log2
    for i, h in enumerate(heads):
        struct.pack_into("<H", ram, AVAIL + 4 + 2 * (i % size), h)
    return bytes([size_log2, flags, len(heads), second, 0, 0, 0, 0]) + bytes(ram)


def rw(rtype, sector, length, writable):
    return (rtype, sector, [("hdr", 16, 0), (BUF, length, WRITE if writable else 0), (STATUS, 1, WRITE)], [])


def seeds():
    yield "read", seed(0, [rw(T_IN, 2, 1024, True)])
    yield "write", seed(EVENT_IDX, [rw(T_OUT, 5, 512, False)])
    yield "flush-get-id", seed(CONFIG, [(T_FLUSH, 0, [("hdr", 16, 0), (STATUS, 1, WRITE)], []),
                                        rw(T_GET_ID, 0, 20, True)])
    segs = struct.pack("<QII", 8, 8, 0) + struct.pack("<QII", 30, 2, 0)
    yield "discard", seed(0, [(T_DISCARD, 0, [("hdr", 16, 0), (BUF, 32, 0), (STATUS, 1, WRITE)], [(BUF, segs)])])
    table = struct.pack("<QIHH", HDR, 16, NEXT, 1) + struct.pack("<QIHH", BUF, 2048, NEXT, 2) + \
        struct.pack("<QIHH", STATUS, 1, WRITE, 0)
    yield "indirect-write", seed(INDIRECT_F, [(T_OUT, 60, [(TABLE, len(table), INDIRECT)], [(TABLE, table)])])
    yield "split-read-status-shared", seed(0, [(T_IN, 1, [("hdr", 16, 0), (BUF, 300, WRITE), (BUF + 0x400, 213, WRITE)], [])])
    yield "ro-write-read", seed(RO, [rw(T_OUT, 0, 512, False), rw(T_IN, 15, 512, True)], second=0)
    yield "beyond-end", seed(0, [rw(T_IN, 64, 512, True), rw(T_OUT, 0xFFFFFFFFFFFFFFFF, 512, False)])


if __name__ == "__main__":
    write_seeds(seeds(), "fuzz/corpus/virtio_blk")
