#!/usr/bin/env python3
"""Random bytes as guest code: ringvisor must survive whatever the guest does.

Each case is a kernel whose code is random bytes, entered in real mode (a flat
binary), 32-bit protected mode (ELF32) or long mode (ELF64). The guest may
triple-fault, write the debug-exit port, call the exit hypercall, halt, or spin;
any of those endings is fine. What fails: ringvisor killed by a signal, an
engine internal error (status 6), or a sanitizer report on stderr.

Usage: chaos.py RINGVISOR ENGINE [COUNT] [SEED]"""
import os
import random
import struct
import subprocess
import sys
import tempfile

rv, engine = sys.argv[1], sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 150
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 20261121
LOAD = 0x100000


def elf(code, is64):
    """A minimal ELF executable with one PT_LOAD segment at 1 MiB entered at its start."""
    if is64:
        ehdr = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + bytes(9), 2, 62, 1,
                           LOAD, 64, 0, 0, 64, 56, 1, 0, 0, 0)
        phdr = struct.pack("<IIQQQQQQ", 1, 7, 0x1000, LOAD, LOAD, len(code), len(code) + 0x10000, 0x1000)
    else:
        ehdr = struct.pack("<16sHHIIIIIHHHHHH", b"\x7fELF\x01\x01\x01" + bytes(9), 2, 3, 1,
                           LOAD, 52, 0, 0, 52, 32, 1, 0, 0, 0)
        phdr = struct.pack("<IIIIIIII", 1, 0x1000, LOAD, LOAD, len(code), len(code) + 0x10000, 7, 0x1000)
    head = ehdr + phdr
    return head + bytes(0x1000 - len(head)) + code


def run(path, extra):
    try:
        p = subprocess.run([rv, "run", "--engine", engine, "--mem", "16M"] + extra + [path],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=1)
        return p.returncode, p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return "timeout", ""


rng = random.Random(seed)
passed = failed = 0
with tempfile.TemporaryDirectory() as tmp:
    for i in range(count):
        kind = ("flat", "elf32", "elf64")[i % 3]
        code = bytes(rng.getrandbits(8) for _ in range(4096))
        path = os.path.join(tmp, f"case{i}")
        with open(path, "wb") as f:
            f.write(code if kind == "flat" else elf(code, kind == "elf64"))
        status, err = run(path, ["--format", "flat"] if kind == "flat" else [])
        bad = None
        if isinstance(status, int) and status < 0:
            bad = f"killed by signal {-status}"
        elif status == 6:
            bad = "engine internal error"
        elif "Sanitizer" in err or "runtime error" in err:
            bad = "sanitizer report"
        if bad:
            failed += 1
            keep = f"/tmp/chaos-{engine}-{seed}-{i}"
            with open(keep, "wb") as f:
                f.write(open(path, "rb").read())
            print(f"FAIL: chaos {engine} case {i} ({kind}): {bad}; kernel kept as {keep}")
            print("  " + "\n  ".join(err.strip().splitlines()[-8:]))
        else:
            passed += 1
print(f"{passed} passed, {failed} failed, 0 skipped")
sys.exit(1 if failed else 0)
