#!/usr/bin/env python3
"""make bench: every benchmark in one sitting on this machine, printed as one
table of medians, min-max and ratios against the reference measured in the
same sitting (docs/benchmarks.md explains each row).

Usage: run.py [--smoke] [--repeat N] [--only MODULE,...] [--report FILE]
Environment: RINGVISOR, GUESTS_DIR, BENCH_DIR, LINUX_DIR, QEMU."""
import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402

# Explicit registration, in report order.
MODULES = ["boot", "guest_work", "io", "snapshot", "migrate", "exit_cost", "mips"]  # boot also gives memory and the boot MIPS
SMOKE_MODULES = ["exit_cost"]


def load(name):
    """bench/NAME.py as a module of its own name-space: by path, since a
    benchmark's name may be a standard module's too ("io", which Python has
    imported before this script runs, so importlib.import_module would
    return it)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", os.path.join(os.path.dirname(__file__),
                                                                               f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def detect_engines(rv, guests_dir):
    engines = []
    out = subprocess.run([rv, "engines"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.match(r"^(\S+) available$", line)
        if m:
            engines.append(m.group(1))
    # Which of them --engine auto would trust with a kernel, and why not the others.
    notes = {}
    err = subprocess.run([rv, "run", "--engine", "auto", os.path.join(guests_dir, "hello.elf")],
                         capture_output=True, text=True, stdin=subprocess.DEVNULL).stderr
    m = re.search(r"passed over (.*)\)", err)
    if m:
        for part in m.group(1).split("; "):
            name, _, why = part.partition(": ")
            notes[name] = why
    linux = [e for e in engines if e not in notes]
    return engines, linux, notes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="one tiny case: checks the harness, measures nothing")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="")
    ap.add_argument("--report", default="")
    args = ap.parse_args()
    rv = os.environ.get("RINGVISOR", "build/ringvisor")
    guests = os.environ.get("GUESTS_DIR", "build/guests")
    engines, linux_engines, notes = detect_engines(rv, guests)
    ctx = lib.Context(rv=rv, guests_dir=guests, bench_dir=os.environ.get("BENCH_DIR", "build/bench"),
                      linux_dir=os.environ.get("LINUX_DIR", "build/linux"),
                      qemu=os.environ.get("QEMU", shutil.which("qemu-system-x86_64") or ""),
                      repeat=1 if args.smoke else args.repeat, smoke=args.smoke, engines=engines,
                      linux_engines=linux_engines, engine_notes=notes)
    names = SMOKE_MODULES if args.smoke else MODULES
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    results = []
    start = time.monotonic()
    for name in names:
        ctx.log(f"{name} ...")
        results += load(name).run(ctx)
    lines = [f"Measured {time.strftime('%Y-%m-%d')} on {lib.machine()}; {ctx.repeat} runs each, "
             f"in {time.monotonic() - start:.0f} s.", ""] + lib.table(results)
    print("\n".join(lines))
    if args.report:
        with open(args.report, "w") as f:
            f.write("\n".join(lines) + "\n")
    # The smoke checks the harness: every row it promised is there and measured.
    if args.smoke:
        measured = [m for m in results if m.values]
        if not measured or len(measured) != len(results):
            sys.exit("bench smoke: a row has no measurement")
        print(f"{len(measured)} passed, 0 failed, 0 skipped")


if __name__ == "__main__":
    main()
