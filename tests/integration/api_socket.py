#!/usr/bin/env python3
"""The control socket (`ringvisor run --api-sock`, docs/api.md) of a running
guest, and its client `ringvisor ctl`.

On the first engine of tests/engines.sh (ENGINES overrides it) that this host
can run, with the spin guest (it never ends by itself):
  - a bad --api-sock path is one line on stderr and status 2, and leaves
    what was at the path alone;
  - the socket file is a socket of mode 0600; `ctl status` answers, in words
    and with --json;
  - garbage, a 10 MiB request, a client leaving mid-request and two clients
    at once (one stalled mid-request) each leave the VM running and
    answering; migrate to a port nobody listens on fails (ctl exit 1, one
    line) and the VM runs on (migrate.py checks migrations themselves)
    (api_control.py checks pause, resume and snapshot);
  - `ctl stop` ends the VM with status 0 and the socket file is gone; SIGTERM
    ends it with 143 and removes it too; a socket left by a killed ringvisor
    is taken over by the next one.
Then, on every engine of the list, `ctl stop` ends the VM with status 0 (the
stop request kicks each engine's vCPU from the server's thread).

One PASS/FAIL line per check, SKIP for an engine the host cannot run, then
"N passed, N failed, N skipped".

Usage: api_socket.py RINGVISOR SPIN_GUEST"""
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

import ringvisor_proc
from engines import engine_list, engine_problem

RV, GUEST = sys.argv[1], sys.argv[2]
MEM = 32 << 20
passed = failed = skipped = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS: api {name}")
    else:
        failed += 1
        print(f"FAIL: api {name}: {detail}")


# However this script ends, no spinning guest outlives it (ringvisor_proc
# kills what is in its list at exit).
started = ringvisor_proc.started


class VM:
    """`ringvisor run --api-sock PATH` of the spin guest."""

    def __init__(self, engine, path, extra=()):
        self.path = path
        self.proc = subprocess.Popen([RV, "run", "--engine", engine, "--mem", str(MEM >> 20), "--api-sock", path,
                                      *extra, GUEST], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        started.append(self.proc)

    def wait_socket(self, timeout=20.0):
        """True once the socket accepts a connection."""
        end = time.time() + timeout
        while time.time() < end and self.proc.poll() is None:
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(self.path)
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def running(self):
        return self.proc.poll() is None

    def end(self, timeout=20.0):
        """The exit status, killing it if it has not ended within timeout."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def stderr(self):
        return self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""


def ctl(*args, timeout=20):
    p = subprocess.run([RV, "ctl", *args], capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def exchange(path, data, timeout=5.0):
    """Sends data on a fresh connection, ends the sending side, returns every
    reply line taken apart (a line that is not JSON as {"not json": line})."""
    buf = b""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        try:
            s.connect(path)
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
        except OSError:
            pass
    replies = []
    for line in buf.decode(errors="replace").splitlines():
        try:
            replies.append(json.loads(line))
        except ValueError:
            replies.append({"not json": line})
    return replies


def read_reply(s, timeout=5.0):
    """The next reply on s, or None if none came in time or the connection ended."""
    s.settimeout(timeout)
    buf = b""
    try:
        while not buf.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    except OSError:
        return None
    return json.loads(buf) if buf.endswith(b"\n") else None


def answering(vm):
    """The VM runs and its socket answers status with "running"."""
    if not vm.running():
        return False, "ringvisor has ended"
    try:
        rc, out, err = ctl("--json", vm.path, "status")
    except subprocess.TimeoutExpired:
        return False, "ctl status got no answer"
    if rc != 0:
        return False, f"ctl status: status {rc}: {err.strip()}"
    r = json.loads(out)
    return r.get("state") == "running", out.strip()


def code_of(reply):
    return (reply or {}).get("error", {}).get("code")


def bad_paths(engine, tmp, live):
    def expect_refused(name, path, want):
        p = subprocess.run([RV, "run", "--engine", engine, "--api-sock", path, GUEST], capture_output=True,
                           text=True, stdin=subprocess.DEVNULL, timeout=30)
        lines = p.stderr.splitlines()
        check(f"--api-sock {name}: one line, status 2",
              p.returncode == 2 and len(lines) == 1 and lines[0].startswith("ringvisor: error: --api-sock")
              and want in lines[0] and not p.stdout,
              f"status {p.returncode}, stdout {p.stdout[:100]!r}, stderr {p.stderr[:300]!r}")

    expect_refused("in a missing directory", os.path.join(tmp, "no", "such", "sock"), "cannot create")
    regular = os.path.join(tmp, "regular")
    with open(regular, "w") as f:
        f.write("keep me")
    expect_refused("on a regular file", regular, "not a socket")
    with open(regular) as f:
        check("--api-sock leaves a regular file alone", f.read() == "keep me")
    expect_refused("too long", "/tmp/" + "x" * 120, "at most 107 bytes")
    expect_refused("served by another ringvisor", live, "another process")


def hostile_clients(vm):
    path = vm.path
    replies = exchange(path, b"garbage\n\x00\xff{]\n[1]\n{\"cmd\":5}\n{\"cmd\":\"reboot\"}\n"
                             b"{\"cmd\":\"snapshot\",\"path\":[]}\n{\"cmd\":\"status\"}\n")
    codes = [code_of(r) for r in replies]
    check("garbage gets one error reply per line, then status",
          codes == ["parse_error", "parse_error", "invalid_request", "invalid_request", "unknown_command",
                    "invalid_argument", None] and replies[-1].get("ok") is True, str(replies))
    ok, why = answering(vm)
    check("VM runs and answers after garbage", ok, why)

    # 10 MiB in one go, from a thread: the server stops reading at 64 KiB,
    # answers too_large and closes, so the sender ends with a broken pipe.
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    sent = [0]

    def flood():
        big = b"x" * (1 << 20)
        try:
            for _ in range(10):
                s.sendall(big)
                sent[0] += len(big)
        except OSError:
            pass

    t = threading.Thread(target=flood)
    t.start()
    r = read_reply(s, 10)
    t.join(20)
    s.close()
    check("10 MiB request: too_large, connection closed before it is all sent",
          code_of(r) == "too_large" and sent[0] < (10 << 20) and not t.is_alive(), f"{r}, {sent[0]} bytes sent")
    ok, why = answering(vm)
    check("VM runs and answers after a 10 MiB request", ok, why)

    for cut in (1, 8, 15):
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(path)
            s.sendall(b'{"cmd":"status"}'[:cut])
    ok, why = answering(vm)
    check("VM runs and answers after clients left mid-request", ok, why)

    a = socket.socket(socket.AF_UNIX)
    b = socket.socket(socket.AF_UNIX)
    a.connect(path)
    b.connect(path)
    a.sendall(b'{"cmd":"sta')
    t0 = time.time()
    b.sendall(b'{"cmd":"status"}\n')
    rb = read_reply(b)
    waited = time.time() - t0
    a.sendall(b'tus"}\n')
    ra = read_reply(a)
    a.close()
    b.close()
    check("two clients at once: the second answered while the first stalls mid-request",
          (rb or {}).get("state") == "running" and waited < 2.0 and (ra or {}).get("state") == "running",
          f"{rb} after {waited:.2f} s, then {ra}")

    with socket.socket() as s:  # a port free now, nobody listening on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rc, out, err = ctl(path, "migrate", f"tcp:127.0.0.1:{port}")
    check("ctl migrate to a port nobody listens on: failed, exit 1, one line",
          rc == 1 and not out and len(err.splitlines()) == 1 and "failed" in err and "Connection refused" in err,
          f"status {rc}, stdout {out!r}, stderr {err!r}")
    rc, out, err = ctl(path, "reboot")
    check("ctl with an unknown command: exit 2", rc == 2 and len(err.splitlines()) == 1, f"{rc} {err!r}")
    ok, why = answering(vm)
    check("VM runs and answers after all of it", ok, why)


def main_engine(engine):
    with tempfile.TemporaryDirectory(prefix="rv-api-") as tmp:
        path = os.path.join(tmp, "vm.sock")
        vm = VM(engine, path)
        if not vm.wait_socket():
            check(f"{engine}: the socket answers", False, f"status {vm.end(1)}, stderr {vm.stderr()[:300]!r}")
            return
        st = os.lstat(path)
        check("socket file is a socket of mode 0600", stat.S_ISSOCK(st.st_mode) and (st.st_mode & 0o777) == 0o600,
              oct(st.st_mode))
        rc, out, err = ctl(path, "status")
        check("ctl status, in words", rc == 0 and "state: running" in out and f"engine: {engine}" in out,
              f"status {rc}: {out!r} {err!r}")
        rc, out, err = ctl("--json", path, "status")
        r = json.loads(out) if rc == 0 else {}
        check("ctl --json status", r.get("ok") is True and r.get("vcpus") == 1 and r.get("memory_bytes") == MEM
              and r.get("engine") == engine and isinstance(r.get("uptime_ms"), int), f"status {rc}: {out!r}")
        bad_paths(engine, tmp, path)
        hostile_clients(vm)
        rc, out, err = ctl(path, "stop")
        status = vm.end()
        check("ctl stop: exit 0, the reply says exit status 0", rc == 0 and "exit_status: 0" in out,
              f"status {rc}: {out!r} {err!r}")
        check("stop ends the VM with status 0", status == 0, f"status {status}, stderr {vm.stderr()[:300]!r}")
        check("socket file removed at exit", not os.path.lexists(path))
        rc, out, err = ctl(path, "status")
        check("ctl to a socket nobody serves: exit 2, one line", rc == 2 and len(err.splitlines()) == 1,
              f"{rc} {err!r}")

        vm = VM(engine, path)
        vm.wait_socket()
        vm.proc.send_signal(signal.SIGTERM)
        status = vm.end()
        check("SIGTERM: status 143, socket file removed", status == 143 and not os.path.lexists(path),
              f"status {status}, file there: {os.path.lexists(path)}")

        vm = VM(engine, path)
        vm.wait_socket()
        vm.proc.kill()
        vm.end()
        stale = os.path.lexists(path)
        vm = VM(engine, path)
        ok = vm.wait_socket()
        ctl(path, "stop")
        status = vm.end()
        check("a socket left by a killed ringvisor is taken over", stale and ok and status == 0,
              f"left: {stale}, served again: {ok}, status {status}")


def stop_on(engine):
    with tempfile.TemporaryDirectory(prefix="rv-api-") as tmp:
        path = os.path.join(tmp, "vm.sock")
        vm = VM(engine, path)
        ok = vm.wait_socket()
        rc, out, err = ctl(path, "stop") if ok else (None, "", "")
        status = vm.end()
        check(f"{engine}: ctl stop ends the VM with status 0", ok and rc == 0 and status == 0,
              f"socket {ok}, ctl {rc} {err!r}, status {status}, stderr {vm.stderr()[:200]!r}")


def main():
    global skipped
    runnable = []
    for engine in engine_list():
        why = engine_problem(RV, engine)
        if why:
            print(f"SKIP: api {engine}: {why}")
            skipped += 1
        else:
            runnable.append(engine)
    try:
        if runnable:
            main_engine(runnable[0])
        for engine in runnable:
            stop_on(engine)
    except Exception as e:  # a hang or a broken reply is a failure, reported as one
        check("the checks ran to their end", False, f"{type(e).__name__}: {e}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


sys.exit(main())
