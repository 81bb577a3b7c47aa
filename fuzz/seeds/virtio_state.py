#!/usr/bin/env python3
"""Writes seed inputs for fuzz/fuzz_virtio_state.c (its header comment gives
the input's format; docs/snapshot-format.md the payload's): a virtio-net with
both queues running, buffers offered and a frame waiting in its backlog; a
console with input waiting; an rng with a request not yet served; a device
that needs reset with a chain in flight.

  fuzz/seeds/virtio_state.py DIR      (the seed corpus is fuzz/corpus/virtio_state)
"""
import struct

from seed_dir import write_seeds

NET, CONSOLE, RNG = 0, 1, 2
WRITE = 2
VERSION_1, EVENT_IDX, INDIRECT = 1 << 32, 1 << 29, 1 << 28
MAC, STATUS = 1 << 5, 1 << 16
RUNNING = 0x0F  # ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK
NEEDS_RESET = 0x40
QSIZE = 8


def desc(q):
    return 0x2000 * q


def avail(q):
    return desc(q) + 0x1000


def used(q):
    return desc(q) + 0x1400


BUF = 0x8000


def queue(q, last_avail=0, used_idx=0, in_flight=()):
    part = struct.pack("<H?QQQ", QSIZE, True, desc(q), avail(q), used(q))
    part += struct.pack("<??HHH??H", True, True, last_avail, used_idx, used_idx, True, False, len(in_flight))
    for head, writable in in_flight:
        part += struct.pack("<HI", head, writable)
    return part


def transport(nqueues, features, status=RUNNING, queues=None):
    part = struct.pack("<IBQIIIIII", 1, nqueues, features | VERSION_1 | EVENT_IDX | INDIRECT, 0, 0, 0, status, 0, 0)
    return part + b"".join(queues or [queue(q) for q in range(nqueues)])


def ram_with_buffers(queues, count):
    ram = bytearray(0x6000)
    for q in queues:
        for i in range(count):
            struct.pack_into("<QIHH", ram, desc(q) + 16 * i, BUF + 0x800 * i, 0x800, WRITE, 0)
            struct.pack_into("<H", ram, avail(q) + 4 + 2 * i, i)
        struct.pack_into("<H", ram, avail(q) + 2, count)
    return bytes(ram).rstrip(b"\0")


def seed(kind, payload, ram):
    return bytes([kind]) + struct.pack("<H", len(payload)) + payload + ram


def seeds():
    frame = b"\xff" * 6 + bytes([0x52, 0x54, 0, 0x12, 0x34, 0x56]) + b"\x08\x06" + bytes(46)
    net_own = bytes([0x52, 0x54, 0, 0x12, 0x34, 0x56]) + struct.pack("<II", 1, len(frame)) + frame
    yield "net-backlog", seed(NET, transport(2, MAC | STATUS) + net_own, ram_with_buffers([0], 2))
    console_own = struct.pack("<I", 5) + b"hello"
    yield "console-input", seed(CONSOLE, transport(2, 0) + console_own, ram_with_buffers([0], 1))
    yield "rng-request", seed(RNG, transport(1, 0), ram_with_buffers([0], 1))
    broken = transport(1, 0, RUNNING | NEEDS_RESET, [queue(0, 1, 0, [(0, 0x800)])])
    yield "rng-needs-reset-in-flight", seed(RNG, broken, ram_with_buffers([0], 1))


write_seeds(seeds(), "fuzz/corpus/virtio_state")
