#!/usr/bin/env python3
"""Writes seed inputs for fuzz/fuzz_migration_stream.c: live-migration
streams as a source sends them (docs/migration.md, "The stream") of a 2 MiB
machine: one round only, two rounds with a page sent again and one zeroed,
and a stream that ends with a state whose CRC is right but whose section
is one the destination does not know (the sink only checks the CRC, so it
loads).

  fuzz/seeds/migration_stream.py DIR  (the seed corpus is fuzz/corpus/migration_stream)
"""
import json
import struct
import zlib

from seed_dir import write_seeds

CONFIG, PAGE, ZERO, ROUND, STATE, END = 1, 2, 3, 4, 5, 6


def header():
    return b"RVMIGRT\n" + struct.pack("<HHI", 1, 0, 4096)


def config(mem=2 << 20):
    text = json.dumps({
        "format": "ringvisor-snapshot",
        "version": {"major": 1, "minor": 0},
        "engine": "interp",
        "cpu": "baseline",
        "memory_bytes": mem,
        "boot": {"format": "auto"},
        "rng": True,
        "consoles": {"com1": True, "virtio": False},
        "disks": [],
        "net": {"mode": "none"},
    }).encode()
    return struct.pack("<BI", CONFIG, len(text)) + text


def page(index, byte):
    return struct.pack("<BQ", PAGE, index) + bytes([byte]) * 4096


def zero(index):
    return struct.pack("<BQ", ZERO, index)


def round_mark(n, pages):
    return struct.pack("<BIQ", ROUND, n, pages)


def state():
    body = b"RVSTATE\n" + struct.pack("<HHI", 1, 0, 0)
    name = b"seed"
    body += struct.pack("<B", len(name)) + name + struct.pack("<II", 1, 4) + struct.pack("<I", 42)
    body += b"\0"
    body += struct.pack("<I", zlib.crc32(body))
    return struct.pack("<BI", STATE, len(body)) + body


def end(rounds, pages):
    return struct.pack("<BIQ", END, rounds, pages)


def seeds():
    yield "one-round", header() + config() + page(0, 0xAA) + page(511, 0x55) + round_mark(1, 2) + state() + end(1, 2)
    yield "two-rounds", (header() + config() + page(0, 0xAA) + page(7, 0x11) + round_mark(1, 2) + page(7, 0x22) +
                         zero(0) + round_mark(2, 2) + state() + end(2, 4))
    yield "no-pages", header() + config() + round_mark(1, 0) + state() + end(1, 0)


write_seeds(seeds(), "fuzz/corpus/migration_stream")
