"""Interpreter throughput on the integer loop (bench/guests/intloop.S): guest
MIPS as ringvisor's --stats reports it (instructions executed / time in guest),
on each software engine. The Linux boot's MIPS comes from bench/boot.py."""
import os
import re
import subprocess

import lib

SOFTWARE_ENGINES = ("interp", "dbt")


def run(ctx):
    guest = os.path.join(ctx.bench_dir, "intloop.elf")
    out = []
    for e in ctx.engines:
        if e not in SOFTWARE_ENGINES:
            continue
        values = []
        for r in range(ctx.repeat):
            ctx.log(f"integer loop {r + 1}/{ctx.repeat}: {e}")
            err = subprocess.run([ctx.rv, "run", "--engine", e, "--stats", guest], capture_output=True, text=True,
                                 stdin=subprocess.DEVNULL).stderr
            m = re.search(r"^MIPS in guest\s+([0-9.]+)", err, re.M)
            if m:
                values.append(float(m.group(1)))
        out.append(lib.Measurement("interpreter throughput", "integer loop", f"ringvisor {e}", "MIPS", values,
                                   better="higher", note="" if values else "failed: no MIPS line"))
    return out
