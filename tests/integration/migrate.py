#!/usr/bin/env python3
"""Live migration between two ringvisor processes on loopback
(docs/migration.md).

The guest is guests/ticker: "count N" every 10 ms, its clocks checked at each
step (a FAIL line if one jumped or stalled). For each engine of
tests/engines.sh (ENGINES overrides it) that this host can run, to the same
engine and to the next one of the list:
  - `ringvisor run --incoming tcp:127.0.0.1:PORT` waits; `ctl migrate` on the
    source answers "stopping", the source exits 0, and the destination goes
    on counting after the source has gone: the source's lines then the
    destination's are 0, 1, 2, ... with none lost or repeated and no FAIL
    line; `ctl stop` ends the destination with status 0.
Then, once per engine:
  - a destination stopped (SIGSTOP) as the stream begins and killed
    (SIGKILL) while the source sends: `ctl migrate` fails (exit 1, one line)
    and the source counts on, none lost or repeated, no FAIL line;
  - a migration to a port nobody listens on fails the same way;
  - a destination whose options refuse the machine (a --disk the source
    does not have) answers with its reason, which the source's failure
    quotes; the source counts on, and the destination exits 2.
And for each engine to the next, guests/migdirty (writing one byte of every
page of 64 MiB, pass after pass, and checking each page holds what the last
pass left): counts as above, and no FAIL line on the destination, which a
page the dirty log missed would give.
And on the first engine: hostile streams sent to a destination (garbage, a
stream cut short, a page beyond RAM, a state length over the limit) are
refused with one line and status 2, the reason sent back, and nothing runs.

One PASS/FAIL line per check, SKIP for an engine the host cannot run, then
"N passed, N failed, N skipped".

Usage: migrate.py RINGVISOR TICKER_GUEST MIGDIRTY_GUEST"""
import os
import signal
import socket
import struct
import sys
import tempfile
import threading
import time

import ringvisor_proc
from engines import engine_list, engine_problem
from ringvisor_proc import consecutive

RV, GUEST, DIRTY_GUEST = sys.argv[1], sys.argv[2], sys.argv[3]
checks = ringvisor_proc.Checks("migrate")
check = checks.check


def Guest(args, sock):
    return ringvisor_proc.Guest(RV, args, sock)


def ctl(*args, timeout=60):
    return ringvisor_proc.ctl(RV, *args, timeout=timeout)


def incoming(engine, tmp, name, *extra):
    """A destination listening on a free port: (Guest, its URI)."""
    uri = f"tcp:127.0.0.1:{ringvisor_proc.free_port()}"
    dst = Guest(["run", "--incoming", uri, "--engine", engine, *extra], os.path.join(tmp, name + ".sock"))
    if not dst.wait_stderr("waiting for a migration"):
        check(f"{name}: the destination listens", False, f"stderr {dst.stderr()[-300:]!r}")
        return None, uri
    return dst, uri


def source(engine, tmp, name, guest=GUEST):
    src = Guest(["run", "--engine", engine, guest], os.path.join(tmp, name + ".sock"))
    if not src.wait_count(20):
        check(f"{name}: the guest counts", False, f"status {src.end(1)}, stderr {src.stderr()[-300:]!r}")
        return None
    return src


def migrates(engine, target, tmp, guest=GUEST, what=""):
    name = f"{engine} -> {target}{what}"
    dst, uri = incoming(target, tmp, "dst")
    src = source(engine, tmp, "src", guest) if dst else None
    if not src:
        return
    rc, out, err = ctl(src.sock, "migrate", uri)
    check(f"{name}: ctl migrate answers stopping", rc == 0 and "state: stopping" in out, f"{rc} {out!r} {err!r}")
    status = src.end()
    check(f"{name}: the source exits 0", status == 0, f"status {status}, stderr {src.stderr()[-300:]!r}")
    last = src.last_count()
    running = dst.wait_count(last + 30, 20) and dst.proc.poll() is None
    check(f"{name}: the destination counts on after the source exited", running,
          f"last source count {last}, destination's {dst.last_count()}, stderr {dst.stderr()[-300:]!r}")
    rc, _, err = ctl(dst.sock, "stop")
    dst_status = dst.end()
    counts = joined_counts(src, dst)
    check(f"{name}: no count lost or repeated, no clock check failed",
          consecutive(counts, 0) and not src.fails() and not dst.fails() and dst.counts() and
          dst.counts()[-1] > last,
          f"source ...{src.counts()[-3:]} then {src.tail!r}, destination {dst.lines[:3]}..., "
          f"fails {(src.fails() + dst.fails())[:2]}")
    check(f"{name}: ctl stop ends the destination with 0", rc == 0 and dst_status == 0,
          f"ctl {rc} {err!r}, status {dst_status}, stderr {dst.stderr()[-300:]!r}")


def joined_counts(src, dst):
    """The counts of both outputs as the guest wrote them: a line the source
    was in the middle of when it stopped ("count 3") is finished by the
    destination's first one ("2")."""
    lines = src.lines + dst.lines
    if src.tail and dst.lines:
        lines = src.lines + [src.tail + dst.lines[0]] + dst.lines[1:]
    return [int(m.group(1)) for m in map(ringvisor_proc.COUNT.match, lines) if m]


def runs_on(name, src, rc, err, what):
    """The source's migrate failed (exit 1, one line with what) and it counts on."""
    mark = src.last_count()
    check(f"{name}: ctl migrate fails, exit 1, one line", rc == 1 and len(err.splitlines()) == 1 and what in err,
          f"{rc} {err!r}")
    check(f"{name}: the source counts on", src.wait_count(mark + 20, 10) and src.proc.poll() is None,
          f"stuck at {src.last_count()}, stderr {src.stderr()[-300:]!r}")


def source_survives(engine, tmp):
    src = source(engine, tmp, "survivor")
    if not src:
        return

    # Killed half-way: stopped before it reads, so the stream fills the
    # socket's buffers, then killed while the source sends or waits.
    dst, uri = incoming(engine, tmp, "killed")
    if dst:
        dst.proc.send_signal(signal.SIGSTOP)
        reply = {}
        t = threading.Thread(target=lambda: reply.update(r=ctl(src.sock, "migrate", uri)))
        t.start()
        time.sleep(0.3)
        dst.proc.kill()
        t.join(60)
        dst.end()
        rc, _, err = reply.get("r", (None, "", "no reply"))
        runs_on(f"{engine}: destination killed half-way", src, rc, err, "migrate:")

    rc, _, err = ctl(src.sock, "migrate", f"tcp:127.0.0.1:{ringvisor_proc.free_port()}")
    runs_on(f"{engine}: nobody listening", src, rc, err, "Connection refused")

    disk = os.path.join(tmp, "disk.img")
    with open(disk, "wb") as f:
        f.truncate(1 << 20)
    dst, uri = incoming(engine, tmp, "refusing", "--disk", disk)
    if dst:
        rc, _, err = ctl(src.sock, "migrate", uri)
        runs_on(f"{engine}: the destination refuses the machine", src, rc, err, "the destination refused")
        status = dst.end()
        check(f"{engine}: a refusing destination exits 2, one line", status == 2 and
              len([line for line in dst.err_lines if "error" in line]) == 1, f"status {status} {dst.stderr()!r}")

    rc, _, err = ctl(src.sock, "stop")
    status = src.end()
    check(f"{engine}: after three failed migrations no count lost or repeated, no clock check failed",
          rc == 0 and status == 0 and consecutive(src.counts(), 0) and not src.fails(),
          f"ctl {rc} {err!r}, status {status}, counts ...{src.counts()[-3:]}, fails {src.fails()[:2]}")


def hostile(engine, tmp):
    """Streams a destination must refuse: one line, status 2, nothing run."""
    config = b'{"format": "ringvisor-snapshot", "version": {"major": 1, "minor": 0}, "engine": "interp", ' \
             b'"cpu": "baseline", "memory_bytes": 2097152, "boot": {"format": "auto"}, "rng": true, ' \
             b'"consoles": {"com1": true, "virtio": false}, "disks": [], "net": {"mode": "none"}}'
    header = b"RVMIGRT\n" + struct.pack("<HHI", 1, 0, 4096) + struct.pack("<BI", 1, len(config)) + config
    cases = [("garbage", b"GET / HTTP/1.0\r\n\r\n", "wrong magic"),
             ("cut after the config", header, "the stream ended after"),
             ("a page beyond RAM", header + struct.pack("<BQ", 2, 512) + bytes(4096), "page 512: RAM has 512 pages"),
             ("a huge state length", header + struct.pack("<BI", 5, 0xFFFFFFFF), "state of 4294967295 bytes")]
    for name, data, reason in cases:
        dst, uri = incoming(engine, tmp, "hostile")
        if not dst:
            continue
        with socket.create_connection(("127.0.0.1", int(uri.rsplit(":", 1)[1]))) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            answer = s.recv(4096)
        status = dst.end()
        errors = [line for line in dst.err_lines if "error" in line]
        check(f"{engine}: a hostile stream ({name}): status 2, one line, refused to the sender, nothing ran",
              status == 2 and len(errors) == 1 and reason in errors[0] and not dst.lines and
              answer[:1] == b"\x82" and reason.encode() in answer,
              f"status {status}, stderr {dst.stderr()!r}, stdout {dst.lines[:2]}, answer {answer[:80]!r}")


def main():
    runnable = checks.runnable(RV, engine_list(), engine_problem)
    try:
        for i, engine in enumerate(runnable):
            for target in dict.fromkeys([engine, runnable[(i + 1) % len(runnable)]]):
                with tempfile.TemporaryDirectory(prefix="rv-migrate-") as tmp:
                    migrates(engine, target, tmp)
            # A guest that writes 64 MiB over and over and checks each page
            # holds what it last wrote: a write the source's dirty log
            # missed shows on the destination as a FAIL line.
            with tempfile.TemporaryDirectory(prefix="rv-migrate-") as tmp:
                migrates(engine, runnable[(i + 1) % len(runnable)], tmp, DIRTY_GUEST, " (writing 64 MiB)")
            with tempfile.TemporaryDirectory(prefix="rv-migrate-") as tmp:
                source_survives(engine, tmp)
                if i == 0:
                    hostile(engine, tmp)
    except Exception as e:  # a hang or a broken reply is a failure, reported as one
        check("the checks ran to their end", False, f"{type(e).__name__}: {e}")
    return checks.summary()


sys.exit(main())
