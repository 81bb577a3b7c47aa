#!/usr/bin/env python3
"""Boot time of the default Linux guest: seconds from start to the init marker
and to the end of the process (the guest powers off), for each command given,
run alternately REPEAT times in one sitting; prints median and min-max and the
ratio of each to the first (the reference).

Usage: boot_time.py REPEAT NAME=COMMAND... (COMMAND split on spaces)"""
import statistics
import subprocess
import sys
import time

MARKER = b"RINGVISOR-INIT-MARKER"


def one_run(argv):
    start = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    marker = None
    for line in p.stdout:
        if marker is None and MARKER in line:
            marker = time.monotonic() - start
    status = p.wait()
    return marker, time.monotonic() - start, status


def summary(values):
    return f"{statistics.median(values):7.2f} s ({min(values):.2f}-{max(values):.2f})"


def main():
    repeat = int(sys.argv[1])
    runs = [(spec.split("=", 1)[0], spec.split("=", 1)[1].split()) for spec in sys.argv[2:]]
    results = {name: ([], []) for name, _ in runs}
    for _ in range(repeat):
        for name, argv in runs:
            marker, total, status = one_run(argv)
            if marker is None or status != 0:
                sys.exit(f"{name}: no init marker or status {status}")
            results[name][0].append(marker)
            results[name][1].append(total)
    ref = runs[0][0]
    print(f"{'':24} {'to init marker (median, min-max)':>34} {'ratio':>6}   {'to poweroff':>26} {'ratio':>6}")
    for name, _ in runs:
        m, t = results[name]
        rm = statistics.median(m) / statistics.median(results[ref][0])
        rt = statistics.median(t) / statistics.median(results[ref][1])
        print(f"{name:24} {summary(m):>34} {rm:6.2f}   {summary(t):>26} {rt:6.2f}")


if __name__ == "__main__":
    main()
