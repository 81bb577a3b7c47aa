#!/usr/bin/env python3
"""Pause, resume and snapshot through the control socket (docs/api.md), and
the snapshot restored on another engine.

The guest is guests/ticker: "count N" every 10 ms, its clocks checked at each
step (a FAIL line if one jumped or stalled). On each engine of
tests/engines.sh (ENGINES overrides it) that this host can run:
  - `ctl pause` answers "paused", and while paused the guest prints nothing;
    `ctl status` says paused; `ctl resume` answers "running" and the count
    goes on;
  - `ctl snapshot DIR` of the running VM writes the directory and the VM runs
    on; a snapshot of a paused VM leaves it paused; a snapshot into a
    directory that is not empty fails (ctl exit 1, one line) and the VM runs
    on;
  - `ctl stop` ends it with status 0, and its output is "count 0", "count 1",
    ... with no line lost or repeated and no FAIL line;
  - the running VM's snapshot, restored on the next engine of the list (the
    same one when only one runs here), goes on with the line after the last
    one printed before the snapshot reply, again with none lost, repeated or
    failed.

One PASS/FAIL line per check, SKIP for an engine the host cannot run, then
"N passed, N failed, N skipped".

Usage: api_control.py RINGVISOR TICKER_GUEST"""
import os
import sys
import tempfile
import time

import ringvisor_proc
from engines import engine_list, engine_problem
from ringvisor_proc import consecutive

RV, GUEST = sys.argv[1], sys.argv[2]
checks = ringvisor_proc.Checks("api-control")
check = checks.check


def Guest(args, sock):
    return ringvisor_proc.Guest(RV, args, sock)


def ctl(*args, timeout=60):
    return ringvisor_proc.ctl(RV, *args, timeout=timeout)


def pause_and_resume(engine, vm):
    rc, out, err = ctl(vm.sock, "pause")
    check(f"{engine}: ctl pause answers paused", rc == 0 and "state: paused" in out, f"{rc} {out!r} {err!r}")
    rc, out, _ = ctl(vm.sock, "status")
    check(f"{engine}: status of a paused VM", rc == 0 and "state: paused" in out, f"{rc} {out!r}")
    time.sleep(0.1)  # what was written before the pause reaches the reader
    before = vm.last_count()
    time.sleep(0.4)
    after = vm.last_count()
    check(f"{engine}: nothing printed while paused", after == before, f"count {before} then {after}")
    rc, out, err = ctl(vm.sock, "pause")
    check(f"{engine}: a second pause fails, exit 1, one line", rc == 1 and len(err.splitlines()) == 1,
          f"{rc} {err!r}")
    rc, out, err = ctl(vm.sock, "resume")
    check(f"{engine}: ctl resume answers running", rc == 0 and "state: running" in out, f"{rc} {out!r} {err!r}")
    check(f"{engine}: the count goes on after resume", vm.wait_count(after + 5, 10), f"stuck at {vm.last_count()}")


def settled_count(vm):
    """The last count once no new one has come for 300 ms (the guest prints
    every 10 ms), as read from a paused VM."""
    last = vm.last_count()
    for _ in range(50):
        time.sleep(0.3)
        now = vm.last_count()
        if now == last:
            return now
        last = now
    return last


def snapshots(engine, vm, tmp):
    """The running VM's snapshot directory and the counts before and after
    the request (the snapshot lies between them)."""
    running = os.path.join(tmp, "running")
    paused = os.path.join(tmp, "paused")
    low = vm.last_count()
    rc, out, err = ctl(vm.sock, "snapshot", running)
    # What the guest printed before the snapshot may still be on its way to
    # our reader (on a busy host the count read when ctl answered was one
    # behind): paused, the output stops, and the last count once it has
    # stopped coming is one the snapshot cannot be past.
    ctl(vm.sock, "pause")
    high = settled_count(vm)
    ctl(vm.sock, "resume")
    files = sorted(os.listdir(running)) if os.path.isdir(running) else []
    check(f"{engine}: snapshot of the running VM", rc == 0 and "state: running" in out and
          files == ["config.json", "memory", "state"], f"{rc} {out!r} {err!r}, files {files}")
    check(f"{engine}: the VM runs on after its snapshot", vm.wait_count(high + 5, 10), f"stuck at {vm.last_count()}")

    ctl(vm.sock, "pause")
    rc, out, err = ctl(vm.sock, "snapshot", paused)
    check(f"{engine}: snapshot of a paused VM leaves it paused",
          rc == 0 and "state: paused" in out and os.path.isfile(os.path.join(paused, "state")),
          f"{rc} {out!r} {err!r}")
    ctl(vm.sock, "resume")

    before = os.listdir(running)
    rc, out, err = ctl(vm.sock, "snapshot", running)
    check(f"{engine}: snapshot into a directory not empty: exit 1, one line, left as it was",
          rc == 1 and "failed" in err and len(err.splitlines()) == 1 and os.listdir(running) == before,
          f"{rc} {err!r}")
    mark = vm.last_count()
    check(f"{engine}: the VM runs on after a refused snapshot", vm.wait_count(mark + 5, 10),
          f"stuck at {vm.last_count()}")
    return running, low, high


def restored_on(engine, target, snap, low, high, tmp):
    vm = Guest(["restore", snap, "--engine", target], os.path.join(tmp, "restored.sock"))
    ok = vm.wait_count(high + 10, 30)
    rc, _, err = ctl(vm.sock, "stop") if ok else (None, "", "")
    status = vm.end()
    counts = vm.counts()
    first = counts[0] if counts else None
    check(f"{engine} -> {target}: the restored VM goes on from the snapshot",
          ok and rc == 0 and status == 0 and first is not None and low + 1 <= first <= high + 1 and
          consecutive(counts, first) and not vm.fails(),
          f"counts {counts[:3]}...{counts[-3:]} (snapshot between {low} and {high}), ctl {rc} {err!r}, "
          f"status {status}, fails {vm.fails()[:2]}, stderr {vm.stderr()[-300:]!r}")


def on_engine(engine, target):
    with tempfile.TemporaryDirectory(prefix="rv-apictl-") as tmp:
        vm = Guest(["run", "--engine", engine, GUEST], os.path.join(tmp, "vm.sock"))
        if not vm.wait_count(10):
            check(f"{engine}: the guest counts", False, f"status {vm.end(1)}, stderr {vm.stderr()[-300:]!r}")
            return
        pause_and_resume(engine, vm)
        snap, low, high = snapshots(engine, vm, tmp)
        rc, out, err = ctl(vm.sock, "stop")
        status = vm.end()
        counts = vm.counts()
        check(f"{engine}: stopped with status 0; no count lost or repeated, no clock check failed",
              rc == 0 and status == 0 and consecutive(counts, 0) and not vm.fails(),
              f"ctl {rc} {err!r}, status {status}, {len(counts)} counts, fails {vm.fails()[:2]}")
        restored_on(engine, target, snap, low, high, tmp)


def main():
    runnable = checks.runnable(RV, engine_list(), engine_problem)
    try:
        for i, engine in enumerate(runnable):
            on_engine(engine, runnable[(i + 1) % len(runnable)])
    except Exception as e:  # a hang or a broken reply is a failure, reported as one
        check("the checks ran to their end", False, f"{type(e).__name__}: {e}")
    return checks.summary()


sys.exit(main())
