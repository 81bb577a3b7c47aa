#!/usr/bin/env python3
"""Writes the seed corpora of the fuzzers whose seeds are built, not typed:
fuzz/corpus/loaders/ from the test guests (run `make` first) and a synthetic
bzImage. Usage: fuzz/make-seeds.py [GUESTS_DIR]  (default build/guests)."""
import os
import struct
import sys

guests = sys.argv[1] if len(sys.argv) > 1 else "build/guests"
out = "fuzz/corpus/loaders"
os.makedirs(out, exist_ok=True)

# Byte 0 of a loaders input (fuzz/fuzz_loaders.c): format in bits 0-2 (auto 0,
# elf 1, multiboot 2, flat 3, linux 4), initrd 0x08, command line 0x10, RAM
# 0x20 * (0: 2 MiB, 1: 4 MiB, 2: 16 MiB, 3: 64 MiB), flat at 0x8000 0x80.


def bzimage():
    """The smallest bzImage the Linux loader takes (as run-cli.sh's mk_bzimage)."""
    kernel = bytearray(0x400)
    kernel[0x200:0x205] = bytes([0xB0, 0x2A, 0xE6, 0xF4, 0xF4])
    setup = bytearray(0x400)
    setup[0x1F1] = 1
    struct.pack_into("<I", setup, 0x1F4, len(kernel) // 16)
    struct.pack_into("<H", setup, 0x1FE, 0xAA55)
    setup[0x201] = 0x66
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, 0x020C)
    setup[0x211] = 0x01
    struct.pack_into("<I", setup, 0x22C, 0x7FFFFFFF)
    struct.pack_into("<H", setup, 0x236, 0x0001)
    struct.pack_into("<I", setup, 0x238, 255)
    struct.pack_into("<I", setup, 0x260, 65536)
    return bytes(setup + kernel)


def seed(name, mode, kernel, initrd=None):
    data = bytes([mode])
    if initrd is not None:
        data += struct.pack("<H", len(initrd))
        data += kernel + initrd
    else:
        data += kernel
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def guest(name):
    with open(os.path.join(guests, name), "rb") as f:
        return f.read()


initrd = b"a module, or an initrd\n" * 4
seed("elf64-hello", 0x00, guest("hello.elf"))
seed("elf64-hello-asked", 0x01, guest("hello.elf"))
seed("elf32-hello32", 0x20, guest("hello32.elf"))
seed("multiboot-module", 0x0A | 0x10, guest("multiboot.elf"), initrd)
seed("multiboot-aout", 0x02, guest("mbaout.elf"))
seed("flat-hello16", 0x03, guest("hello16.bin"))
seed("flat-8000", 0x83, guest("hello16.bin"))
seed("bzimage-initrd", 0x0C | 0x10 | 0x40, bzimage(), initrd)
seed("bzimage-auto", 0x40, bzimage())
