"""Interpreter throughput on the integer loop (bench/guests/intloop.S) and on
its SSE2 counterpart (bench/guests/simdloop.S): guest MIPS as ringvisor's
--stats reports it (instructions executed / time in guest), on each software
engine. The two side by side say what a vector instruction costs against a
scalar one. The Linux boot's MIPS comes from bench/boot.py."""
import os
import re
import subprocess

import lib

SOFTWARE_ENGINES = ("interp", "dbt")


LOOPS = (("integer loop", "intloop.elf"), ("SSE2 loop", "simdloop.elf"))


def run(ctx):
    out = []
    for case, elf in LOOPS:
        guest = os.path.join(ctx.bench_dir, elf)
        for e in ctx.engines:
            if e not in SOFTWARE_ENGINES:
                continue
            values = []
            for r in range(ctx.repeat):
                ctx.log(f"{case} {r + 1}/{ctx.repeat}: {e}")
                err = subprocess.run([ctx.rv, "run", "--engine", e, "--stats", guest], capture_output=True,
                                     text=True, stdin=subprocess.DEVNULL).stderr
                m = re.search(r"^MIPS in guest\s+([0-9.]+)", err, re.M)
                if m:
                    values.append(float(m.group(1)))
            out.append(lib.Measurement("interpreter throughput", case, f"ringvisor {e}", "MIPS", values,
                                       better="higher", note="" if values else "failed: no MIPS line"))
    return out
