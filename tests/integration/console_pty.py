#!/usr/bin/env python3
"""Drives `ringvisor run` on a pseudo-terminal as a person would: types into the
echo guest, uses the Ctrl-A escapes, and checks the exit status and that the
terminal settings are restored, on every engine of tests/engines.sh (ENGINES
overrides it). Prints one PASS/FAIL line per check and engine, one SKIP line per
check on an engine this host cannot run, then "N passed, N failed, N skipped".

Usage: console_pty.py RINGVISOR ECHO_GUEST"""
import os
import pty
import select
import sys
import termios
import time

from engines import engine_list, engine_problem
from pty_spawn import spawn_on_pty

RV, GUEST = sys.argv[1], sys.argv[2]
results = []
skipped = 0
CHECKS = ["typed keys reach the guest", "Ctrl-A x exits 0", "terminal restored after Ctrl-A x",
          "Ctrl-A Ctrl-A sends one Ctrl-A", "Ctrl-C goes to the guest"]


def check(engine, name, ok, detail=""):
    assert name in CHECKS
    results.append(ok)
    print(("PASS: " if ok else "FAIL: ") + f"console {engine} {name}" + ("" if ok else ": " + detail))


def read_until(fd, want, timeout=20.0):
    buf, end = b"", time.time() + timeout
    while want not in buf and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return buf


def session(engine, keys_then_quit):
    """Runs the echo guest on a fresh pty; returns (output, status, attrs before, attrs after)."""
    # A Ctrl-C that raw mode failed to disarm would end ringvisor with status 130.
    pid, master, slave, before = spawn_on_pty([RV, "run", "--engine", engine, GUEST])
    out = read_until(master, b"echo ready")
    for keys, want in keys_then_quit:
        os.write(master, keys)
        out += read_until(master, want, 10.0) if want else b""
    deadline = time.time() + 10
    status = None
    while time.time() < deadline:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(st)
            break
        out += read_until(master, b"\x00", 0.1)
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    after = termios.tcgetattr(slave)
    os.close(master)
    os.close(slave)
    return out, status, before, after


def console_checks(engine):
    # Typing reaches the guest; Ctrl-A x quits with status 0 and restores the terminal.
    out, status, before, after = session(engine, [(b"hi", b"HI"), (b"\x01x", None)])
    check(engine, "typed keys reach the guest", b"HI" in out, repr(out[-200:]))
    check(engine, "Ctrl-A x exits 0", status == 0, f"status {status}")
    check(engine, "terminal restored after Ctrl-A x", before == after, f"{before} != {after}")

    # Ctrl-A Ctrl-A sends one Ctrl-A; Ctrl-C is a byte for the guest, not a signal.
    out, status, _, _ = session(engine, [(b"\x01\x01", b"\x01"), (b"\x03z", b"Z"), (b".", b"bye")])
    check(engine, "Ctrl-A Ctrl-A sends one Ctrl-A", b"\x01" in out.split(b"echo ready", 1)[-1], repr(out[-200:]))
    check(engine, "Ctrl-C goes to the guest", b"\x03" in out and status == 0, f"status {status} out {out[-200:]!r}")


for engine in engine_list():
    why = engine_problem(RV, engine)
    if why:
        for name in CHECKS:
            print(f"SKIP: console {engine} {name}: {why}")
        skipped += len(CHECKS)
    else:
        console_checks(engine)

print(f"{sum(results)} passed, {len(results) - sum(results)} failed, {skipped} skipped")
sys.exit(0 if all(results) else 1)
