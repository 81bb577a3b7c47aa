#!/usr/bin/env python3
"""Random bytes as guest code: ringvisor must survive whatever the guest does.

Each case is a kernel whose code is random bytes, entered in real mode (a flat
binary), 32-bit protected mode (ELF32) or long mode (ELF64). The guest may
triple-fault, write the debug-exit port, call the exit hypercall, halt, or spin;
any of those endings is fine. What fails: ringvisor killed by a signal, an
engine internal error (status 6), or a sanitizer report on stderr.

The same cases run on every engine of tests/engines.sh (ENGINES overrides it).
Random code runs in guest kernel mode, so kvm takes part only where it runs
guest kernels in hardware (`ringvisor engines` says --engine auto would choose
it); there KVM's own refusal of an instruction it cannot emulate
(KVM_EXIT_INTERNAL_ERROR, which QEMU reports as an emulation failure too) is a
legitimate ending. An engine left out is one SKIP line with the reason (one
skip in the summary).

Usage: chaos.py RINGVISOR [COUNT] [SEED]"""
import os
import random
import struct
import subprocess
import sys
import tempfile

from engines import engine_list, engine_problem, hw_kvm_problem

rv = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 150
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261121
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


def run(engine, path, extra):
    try:
        p = subprocess.run([rv, "run", "--engine", engine, "--mem", "16M"] + extra + [path],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=1)
        return p.returncode, p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return "timeout", ""


def report_excerpt(err):
    """A sanitizer report from its first line (what and where), else the end of stderr."""
    lines = err.strip().splitlines()
    for n, line in enumerate(lines):
        if "ERROR: AddressSanitizer" in line or "runtime error:" in line or "ERROR: UndefinedBehavior" in line:
            return lines[n:n + 6]
    return lines[-8:]


def chaos(engine):
    """Runs the COUNT cases on ENGINE; returns (passed, failed)."""
    rng = random.Random(seed)
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(count):
            kind = ("flat", "elf32", "elf64")[i % 3]
            code = bytes(rng.getrandbits(8) for _ in range(4096))
            path = os.path.join(tmp, f"case{i}")
            with open(path, "wb") as f:
                f.write(code if kind == "flat" else elf(code, kind == "elf64"))
            status, err = run(engine, path, ["--format", "flat"] if kind == "flat" else [])
            bad = None
            if isinstance(status, int) and status < 0:
                bad = f"killed by signal {-status}"
            elif status == 6 and not (engine == "kvm" and "KVM_EXIT_INTERNAL_ERROR" in err):
                bad = "engine internal error"
            elif "Sanitizer" in err or "runtime error" in err:
                bad = "sanitizer report"
            if bad:
                failed += 1
                keep = f"/tmp/chaos-{engine}-{seed}-{i}"
                with open(keep, "wb") as f:
                    f.write(open(path, "rb").read())
                print(f"FAIL: chaos {engine} case {i} ({kind}): {bad}; kernel kept as {keep}")
                print("  " + "\n  ".join(report_excerpt(err)))
            else:
                passed += 1
    return passed, failed


passed = failed = skipped = 0
for engine in engine_list():
    why = engine_problem(rv, engine) or (hw_kvm_problem(rv) if engine == "kvm" else None)
    if why:
        print(f"SKIP: chaos {engine} ({count} cases): {why}")
        skipped += 1
        continue
    p, f = chaos(engine)
    print(f"{'PASS' if f == 0 else 'FAIL'}: chaos {engine}: {p} of {count} cases survived")
    passed, failed = passed + p, failed + f
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
