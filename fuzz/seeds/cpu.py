#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/fuzz_cpu.c (input format at the top of that
file): a few short programs in each mode, with the system structures in RAM,
across the end of RAM, beyond RAM and in the MMIO hole.

  fuzz/seeds/cpu.py DIR
"""
import os
import sys

REAL, PROT32, PROT32_PAGED, LONG64 = range(4)
RAM, RAM_END, BEYOND, HOLE, UNBACKED = range(5)
IF, TF, USER, CODE_AT_END, NXE, WP, SSE, IST = (1 << i for i in range(8))
CODE = 0x10000

HLT = b"\xf4"
OUT_E9 = b"\xe6\xe9"
UD2 = b"\x0f\x0b"

# Programs: (name, modes, code). Code addresses assume the code at CODE.
PROGRAMS = [
    ("nop-out-hlt", (REAL, PROT32, PROT32_PAGED, LONG64), b"\x90\x90" + OUT_E9 + HLT),
    ("ud2", (REAL, PROT32, PROT32_PAGED, LONG64), UD2 + HLT),
    ("int3", (REAL, PROT32, LONG64), b"\xcc" + HLT),
    ("int80", (PROT32, LONG64), b"\xcd\x80" + HLT),
    ("div0", (PROT32, LONG64), b"\x31\xc9\xf7\xf1" + HLT),  # xor ecx, ecx; div ecx
    # mov eax, [0xfeb00000] (the hole window), then the same store back
    ("mmio-rw", (PROT32, PROT32_PAGED), b"\xa1\x00\x00\xb0\xfe\xa3\x04\x00\xb0\xfe" + HLT),
    # in al, 0x60; out 0x80, al; hypercall port
    ("ports", (REAL, PROT32, LONG64), b"\xe4\x60\xe6\x80\xe6\xe8" + HLT),
    # sti; nop; hlt (an interrupt is scheduled by the header)
    ("sti-hlt", (REAL, PROT32, LONG64), b"\xfb\x90" + HLT + b"\xeb\xfd"),
    # mov byte [CODE + 12], 0x90 (a later byte of the same block), then ud2
    ("smc-ud2", (PROT32, PROT32_PAGED), b"\xc6\x05" + (CODE + 12).to_bytes(4, "little") + b"\x90" + UD2 + b"\x90" * 3 + HLT),
    ("smc-ud2", (LONG64,), b"\xc6\x05\x05\x00\x00\x00\x90" + UD2 + b"\x90" * 3 + HLT),
    # rep stosb with rcx = 1 (palette) to rdi = data
    ("rep-stos", (PROT32, LONG64), b"\xf3\xaa" + HLT),
    # syscall (long mode) / sysenter (32-bit)
    ("syscall", (LONG64,), b"\x0f\x05" + HLT),
    ("sysenter", (PROT32,), b"\x0f\x34" + HLT),
    ("jmp-self", (PROT32, LONG64), b"\xeb\xfe"),
]


def header(mode, places, flags, irq=0, irq_at=0, regs=None, handler=b"", cs_limit=0, missing=0x80):
    # regs: 16 palette indices: rax 0, rcx 1 (one), rdx 0, rbx data, rsp -, rbp 0, rsi data, rdi data...
    regs = regs or [0, 1, 0, 4, 0, 0, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0]
    h = bytes([mode]) + bytes(places) + bytes([flags, irq, irq_at])
    h += bytes(regs[i] | regs[i + 1] << 4 for i in range(0, 16, 2))
    return h + bytes([len(handler), cs_limit, missing]) + handler


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    layouts = {
        "ram": [RAM] * 5,
        "idt-hole": [HOLE, RAM, RAM, RAM, RAM],
        "idt-end": [RAM_END | 2 << 4, RAM, RAM, RAM, RAM],
        "stack-beyond": [RAM, RAM, RAM, BEYOND, RAM],
        "stack-end": [RAM, RAM, RAM, RAM_END | 5 << 4, RAM],
        "gdt-hole": [RAM, HOLE, RAM, RAM, RAM],
        "tss-end": [RAM, RAM, RAM_END | 1 << 4, RAM, RAM],
        "unbacked": [UNBACKED, RAM, RAM, UNBACKED, RAM],
    }
    n = 0
    for name, modes, code in PROGRAMS:
        for mode in modes:
            for lname, places in layouts.items():
                flags = SSE | WP | (IF if name == "sti-hlt" else 0)
                irq = 0x30 if name == "sti-hlt" else 0
                data = header(mode, places, flags, irq, 0) + code
                with open(os.path.join(d, "%s-m%d-%s" % (name, mode, lname)), "wb") as f:
                    f.write(data)
                n += 1
    # CPL 3 with the TSS and stack in MMIO; IST stacks; a handler that returns.
    iretq = b"\x48\xcf"
    for mode, ret in ((PROT32, b"\xcf"), (LONG64, iretq)):
        for lname, places in (("ram", [RAM] * 5), ("stack-hole", [RAM, RAM, HOLE, HOLE, RAM])):
            with open(os.path.join(d, "user-int3-m%d-%s" % (mode, lname)), "wb") as f:
                f.write(header(mode, places, USER | IST | WP, handler=b"\x90" + ret) + b"\xcc" * 4 + HLT)
    # The code ends at the end of RAM, cut in the middle of an instruction.
    for mode in (PROT32, LONG64):
        with open(os.path.join(d, "code-at-end-m%d" % mode), "wb") as f:
            f.write(header(mode, [RAM] * 5, CODE_AT_END | WP) + b"\x90\x90\xb8\x01")
    # A CS limit right after an 8-byte store into its own block: the next block
    # faults (#GP) as it is looked up, just after the written block was dropped.
    with open(os.path.join(d, "cs-limit-smc"), "wb") as f:
        f.write(header(PROT32, [RAM] * 5, WP, cs_limit=2) + b"\x3e\xc6\x05" + (CODE + 8).to_bytes(4, "little") + b"\x90" * 9)
    # A missing page after the code.
    with open(os.path.join(d, "missing-page"), "wb") as f:
        f.write(header(LONG64, [RAM] * 5, WP, missing=(CODE >> 12) + 1) + b"\x90" * 8 + b"\xe9" + (4096 - 13).to_bytes(4, "little"))


main()
