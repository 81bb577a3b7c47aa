#!/usr/bin/env python3
"""Drives `ringvisor run` on a pseudo-terminal as a person would: types into the
echo guest, uses the Ctrl-A escapes, and checks the exit status and that the
terminal settings are restored, on every engine of tests/engines.sh (ENGINES
overrides it). Prints one PASS/FAIL line per check and engine, one SKIP line per
check on an engine this host cannot run, then "N passed, N failed, N skipped".

Usage: console_pty.py RINGVISOR ECHO_GUEST"""
import fcntl
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time

from engines import engine_list, engine_problem
from pty_spawn import spawn_on_pty

RV, GUEST = sys.argv[1], sys.argv[2]
results = []
skipped = 0
CHECKS = ["typed keys reach the guest", "Ctrl-A x exits 0", "terminal restored after Ctrl-A x",
          "Ctrl-A Ctrl-A sends one Ctrl-A", "Ctrl-C goes to the guest",
          "guest runs on when stdout's reader goes away", "terminal restored when stdout's reader goes away",
          "SIGALRM ends ringvisor as it would", "terminal restored after SIGALRM",
          "terminal restored after SIGSEGV", "SIGTSTP stops ringvisor", "terminal restored while stopped",
          "raw again and the guest reads after SIGCONT", "terminal restored after a stop and continue"]


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


def stty_g(fd):
    return subprocess.run(["stty", "-g"], stdin=fd, capture_output=True, text=True).stdout.strip()


def wait_status(pid, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(st)
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return None


def pipe_session(engine):
    """Issue 11, class 5: stdin is the terminal, stdout a pipe whose reader goes
    away; the guest then writes. Returns (status, stty -g before, after)."""
    master, slave = pty.openpty()
    before = stty_g(slave)
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        os.dup2(slave, 0)
        os.dup2(wr, 1)
        os.dup2(slave, 2)
        # As a shell starts it: Python ignores SIGPIPE, and exec keeps that.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.execv(RV, [RV, "run", "--engine", engine, GUEST])
    os.close(wr)
    out = read_until(rd, b"echo ready")
    os.close(rd)
    # Echoed keys, then "bye": every byte now goes to a pipe without a reader.
    time.sleep(0.2)
    os.write(master, b"abc.")
    status = wait_status(pid, 20)
    after = stty_g(slave)
    os.close(master)
    os.close(slave)
    return status, before, after, out


def attrs_text(attrs):
    """termios.tcgetattr's attributes in stty -g's form (flags and control characters, in hex)."""
    cc = [c[0] if isinstance(c, bytes) else c for c in attrs[6]]
    return ":".join(f"{x:x}" for x in attrs[:4] + cc)


def signal_session(engine, sig):
    """Sends sig to ringvisor on a terminal; returns (status, stty -g before, after)."""
    # The attributes before are the ones spawn_on_pty read before the fork: read
    # after it, they race with ringvisor entering raw mode and may already be raw.
    pid, master, slave, before = spawn_on_pty([RV, "run", "--engine", engine, GUEST])
    read_until(master, b"echo ready")
    os.kill(pid, sig)
    status = wait_status(pid, 20)
    after = termios.tcgetattr(slave)
    os.close(master)
    os.close(slave)
    return status, attrs_text(before), attrs_text(after)


def wait_stopped(pid, timeout):
    """True once pid is stopped (waitpid WUNTRACED), False if it is not within timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        done, st = os.waitpid(pid, os.WNOHANG | os.WUNTRACED)
        if done:
            return os.WIFSTOPPED(st)
        time.sleep(0.05)
    return False


def stop_continue_session(engine):
    """kill -TSTP, then -CONT: the terminal is the user's while ringvisor is stopped
    and the guest's again after. Returns the attributes before, while stopped, after
    SIGCONT and at the end, whether it stopped, the echo after SIGCONT and the status."""
    pid, master, slave, before = spawn_on_pty([RV, "run", "--engine", engine, GUEST])
    read_until(master, b"echo ready")
    os.kill(pid, signal.SIGTSTP)
    stopped = wait_stopped(pid, 20)
    while_stopped = termios.tcgetattr(slave)
    os.kill(pid, signal.SIGCONT)
    time.sleep(0.3)
    resumed = termios.tcgetattr(slave)
    os.write(master, b"ok")
    echo = read_until(master, b"OK", 20)
    os.write(master, b"\x01x")
    status = wait_status(pid, 20)
    end = termios.tcgetattr(slave)
    os.close(master)
    os.close(slave)
    return before, while_stopped, resumed, end, stopped, echo, status


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

    status, before, after, out = pipe_session(engine)
    check(engine, "guest runs on when stdout's reader goes away", status == 0,
          f"status {status} (-13: killed by SIGPIPE); saw {out[-80:]!r}")
    check(engine, "terminal restored when stdout's reader goes away", before == after, f"{before} != {after}")

    status, before, after = signal_session(engine, signal.SIGALRM)
    check(engine, "SIGALRM ends ringvisor as it would", status == -signal.SIGALRM, f"status {status}")
    check(engine, "terminal restored after SIGALRM", before == after, f"{before} != {after}")
    # Under ASan its own handler reports and exits; either way the terminal is back.
    status, before, after = signal_session(engine, signal.SIGSEGV)
    check(engine, "terminal restored after SIGSEGV", status is not None and before == after,
          f"status {status}: {before} != {after}")

    before, while_stopped, resumed, end, stopped, echo, status = stop_continue_session(engine)
    check(engine, "SIGTSTP stops ringvisor", stopped)
    check(engine, "terminal restored while stopped", attrs_text(while_stopped) == attrs_text(before),
          f"{attrs_text(while_stopped)} != {attrs_text(before)}")
    raw = not (resumed[3] & (termios.ICANON | termios.ECHO | termios.ISIG))
    check(engine, "raw again and the guest reads after SIGCONT", raw and b"OK" in echo,
          f"lflag {resumed[3]:#x}, output {echo[-100:]!r}")
    check(engine, "terminal restored after a stop and continue",
          status == 0 and attrs_text(end) == attrs_text(before), f"status {status}: {attrs_text(end)}")


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
