#!/usr/bin/env python3
"""Writes inputs for fuzz/fuzz_decode.c: opcode sweeps (every opcode of each map,
with each mandatory prefix, in register and memory forms) and the edges of the
page (an instruction crossing into RAM, the end of RAM, a not-present page, the
MMIO hole).

  fuzz/seeds/decode.py DIR          the seed corpus (fuzz/corpus/decode)
  fuzz/seeds/decode.py --full DIR   every ModRM reg and rm, every mode, REX.W too:
                                    for the list of unimplemented instructions
"""
import os
import sys

MODES = {"real": 0, "prot16": 1, "prot32": 2, "compat16": 3, "compat32": 4, "long64": 5}
MAPS = {"1byte": b"", "0f": b"\x0f", "0f38": b"\x0f\x38", "0f3a": b"\x0f\x3a"}
PREFIXES = {"none": b"", "66": b"\x66", "f2": b"\xf2", "f3": b"\xf3"}
PAGE = 4096
# After each instruction: bytes for an immediate or displacement, which decode
# as ADD [rAX], AL when nothing takes them, so the next sweep entry stays aligned.
FILL = b"\x00" * 6


def header(mode, offset=0, layout=0):
    return bytes([mode, offset & 0xFF, offset >> 8, layout])


def sweep(prefix, opmap, modrms, rex=b""):
    out = []
    for op in range(256):
        for m in modrms:
            out.append(prefix + rex + opmap + bytes([op, m]) + FILL)
    return out


def chunks(insns, size):
    cur = b""
    for i in insns:
        if len(cur) + len(i) > size:
            yield cur
            cur = b""
        cur += i
    if cur:
        yield cur


def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def edges(d):
    # A 7-byte instruction (48 c7 c0 imm32: MOV RAX, imm32 in 64-bit mode) that
    # starts 3 bytes before the page end, for each next-page kind; and one cut off
    # at the end of the page.
    insn = b"\x48\xc7\xc0\x78\x56\x34\x12"
    for mode in (MODES["long64"], MODES["prot32"]):
        for kind in range(4):
            layout = kind | 4
            write(d, "edge-m%d-next%d" % (mode, kind), header(mode, PAGE - 3, layout) + insn)
            write(d, "edge-m%d-end%d" % (mode, kind), header(mode, 0, layout | 8) + b"\x90" * 20 + insn[:3])
    write(d, "edge-not-ram", header(MODES["long64"], 0x10, 0x10) + b"\x90\x90")


def main():
    full = sys.argv[1] == "--full"
    d = sys.argv[-1]
    os.makedirs(d, exist_ok=True)
    if full:
        modes = MODES
        modrms = [0x00 | r << 3 for r in range(8)] + [0xC0 | r << 3 | rm for r in range(8) for rm in range(8)]
    else:
        modes = {k: MODES[k] for k in ("real", "prot32", "long64")}
        modrms = [0x00, 0xC0]
    for mname, mode in modes.items():
        for pname, prefix in PREFIXES.items():
            for oname, opmap in MAPS.items():
                rexes = [b""] + ([b"\x48"] if full and mode == MODES["long64"] else [])
                for rex in rexes:
                    insns = sweep(prefix, opmap, modrms, rex)
                    for n, c in enumerate(chunks(insns, PAGE - 64)):
                        name = "sweep-%s-%s-%s%s-%d" % (mname, pname, oname, "-rexw" if rex else "", n)
                        write(d, name, header(mode, 0, 4) + c)
    edges(d)


main()
