#!/usr/bin/env python3
"""The default guest as a person uses it: boots the Debian kernel with the busybox
shell initramfs on a pseudo-terminal, types a command, reads its answer, quits
with Ctrl-A x, and checks the exit status and the restored terminal. On every
engine of tests/engines.sh (ENGINES overrides it); kvm only where it runs guest
kernels in hardware (`ringvisor engines` says --engine auto would choose it),
since an unmodified Linux needs that. A skipped engine is one SKIP line.

Usage: linux_shell.py RINGVISOR LINUX_DIR (LINUX_DIR as scripts/build-linux-guest.sh fills it)"""
import os
import select
import subprocess
import sys
import termios
import time

from engines import engine_list, engine_problem, hw_kvm_problem
from pty_spawn import spawn_on_pty

rv, linux_dir = sys.argv[1], sys.argv[2]
results = []


def check(engine, name, ok, detail=""):
    results.append(ok)
    print(("PASS: " if ok else "FAIL: ") + f"linux shell {engine} " + name + ("" if ok else ": " + detail))


build = subprocess.run(["scripts/build-linux-guest.sh", linux_dir, "shell"], capture_output=True, text=True)
if build.returncode != 0:
    print("SKIP: linux shell: cannot build the guest from Debian packages: " + build.stderr.strip()[-200:])
    print("0 passed, 0 failed, 1 skipped")
    sys.exit(0)

def shell_session(engine):
    """Boots the shell guest on ENGINE on a fresh pseudo-terminal and runs the checks."""
    pid, master, slave, before = spawn_on_pty(
        [rv, "run", "--engine", engine, "--mem", "512M", "--append", "console=ttyS0 quiet",
         "--initrd", os.path.join(linux_dir, "initrd-shell.gz"), os.path.join(linux_dir, "vmlinuz")])

    def read_until(want, timeout):
        buf, end = b"", time.time() + timeout
        while want not in buf and time.time() < end:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    buf += os.read(master, 4096)
                except OSError:
                    break
        return buf

    out = read_until(b"Ctrl-A x quits", 300)
    check(engine, "reaches the busybox shell", b"Ctrl-A x quits" in out, repr(out[-300:]))
    time.sleep(1)
    # The answer must come from the guest: arithmetic by its shell, its CPU's name.
    os.write(master, b"echo hi $((1+2)); grep -m1 'model name' /proc/cpuinfo\r")
    out = read_until(b"Ringvisor virtual CPU", 60)
    check(engine, "typed commands run in the guest", b"hi 3" in out and b"Ringvisor virtual CPU" in out,
          repr(out[-300:]))

    def guest_uptime():
        """The guest's clock (/proc/uptime, 10 ms resolution) and the host's
        monotonic clock halfway through the round trip that read it."""
        t0 = time.monotonic()
        # The markers are computed by the guest's shell, so the echo of the typed
        # line does not match them.
        os.write(master, b"echo U$((6*7))U $(cut -d' ' -f1 /proc/uptime) E$((6*7))E\r")
        out = read_until(b"E42E", 30)
        t1 = time.monotonic()
        try:
            return float(out.split(b"U42U ")[1].split(b" E42E")[0]), (t0 + t1) / 2, t1 - t0
        except (IndexError, ValueError):
            return None, None, None

    # Guest time follows the host: over a minute of an idle shell the guest clock
    # may differ from the host's by under 1% (600 ms); the reading's own latency
    # (one shell round trip each, typically a few ms) counts against it.
    g0, h0, lat0 = guest_uptime()
    time.sleep(60)
    g1, h1, lat1 = guest_uptime()
    if g0 is None or g1 is None:
        check(engine, "the guest clock can be read", False, "no /proc/uptime answer")
    else:
        drift = abs((g1 - g0) - (h1 - h0)) / (h1 - h0)
        check(engine, f"guest clock drift over {h1 - h0:.0f} s is under 1% ({drift * 100:.3f}%)", drift < 0.01,
              f"guest {g1 - g0:.3f} s, host {h1 - h0:.3f} s, read latencies {lat0:.3f}/{lat1:.3f} s")
    os.write(master, b"\x01x")
    status, end = None, time.time() + 20
    while time.time() < end:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(st)
            break
        time.sleep(0.1)
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    check(engine, "Ctrl-A x exits with status 0", status == 0, f"status {status}")
    check(engine, "the terminal is restored", termios.tcgetattr(slave) == before, "settings differ")
    os.close(master)
    os.close(slave)


skipped = 0
for engine in engine_list():
    why = engine_problem(rv, engine) or (hw_kvm_problem(rv) if engine == "kvm" else None)
    if why:
        print(f"SKIP: linux shell {engine}: {why}")
        skipped += 1
    else:
        shell_session(engine)
print(f"{sum(results)} passed, {len(results) - sum(results)} failed, {skipped} skipped")
sys.exit(0 if all(results) else 1)
