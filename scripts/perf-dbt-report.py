#!/usr/bin/env python3
"""Where a dbt run's time goes, by guest block: perf's samples in the
translation cache named with the /tmp/perf-PID.map that `ringvisor run
--perfmap` wrote. perf 6.1 reads that map only for anonymous memory, and the
cache is a memfd (two views of one file, for W^X), so this joins them itself.

    perf record -o perf.data ringvisor run --engine dbt --perfmap ... KERNEL
    scripts/perf-dbt-report.py perf.data /tmp/perf-PID.map [--top N] [--time 50%-100%]

Prints the blocks with the most samples, then the share of samples by DSO."""
import argparse
import bisect
import collections
import subprocess
import sys


def load_map(path):
    """Sorted [(start, end, name)]; a later line for the same start wins (a
    flushed cache is filled again from its start)."""
    by_start = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) == 3:
                start, size = int(parts[0], 16), int(parts[1], 16)
                by_start[start] = (start + size, parts[2])
    return sorted((s, e, n) for s, (e, n) in by_start.items())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("perf_data")
    ap.add_argument("perf_map")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--time", help="only samples in this time range, as perf script's --time takes it "
                    "(e.g. 50%%-100%%: the second half of the run, past a boot)")
    args = ap.parse_args()
    spans = load_map(args.perf_map)
    starts = [s for s, _, _ in spans]
    argv = ["perf", "script", "-i", args.perf_data, "-F", "ip,dso"] + (["--time", args.time] if args.time else [])
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    blocks, dsos, total = collections.Counter(), collections.Counter(), 0
    for line in out.splitlines():
        parts = line.split(None, 1)
        if len(parts) != 2:
            continue
        total += 1
        ip, dso = int(parts[0], 16), parts[1].strip("() ")
        if "ringvisor-dbt" in dso:
            i = bisect.bisect_right(starts, ip) - 1
            if i >= 0 and ip < spans[i][1]:
                blocks[spans[i][2]] += 1
                dso = "translated blocks"
            else:
                dso = "translation cache, outside blocks (shared exits)"
        dsos[dso] += 1
    if not total:
        sys.exit("no samples")
    print(f"{'samples':>8} {'share':>7}  block")
    for name, n in blocks.most_common(args.top):
        print(f"{n:8d} {100 * n / total:6.2f}%  {name}")
    print()
    for dso, n in dsos.most_common(12):
        print(f"{n:8d} {100 * n / total:6.2f}%  {dso}")


if __name__ == "__main__":
    main()
