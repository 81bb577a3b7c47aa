#!/usr/bin/env python3
"""A Linux guest snapshotted in the middle of its work on one engine and
restored on another (issue 15). The snap initramfs (scripts/build-linux-guest.sh)
mounts vda, an ext4 image made here, starts a writer appending 3000 lines to a
file on it and a SHA-256 of 64 MiB of zeros, both in the background, and prints
SNAP-NOW, at which the test-only hook (RINGVISOR_TEST_SNAPSHOT_AT) snapshots
the VM and stops it. Each job stops half-way until /tmp/snap-go exists, which
this test makes from the guest's shell once the guest has moved, so both are
in flight at the snapshot on any host. Checks:
  - the snapshot is taken (status 0, the hook's line) with both jobs still
    running (neither has printed its result yet);
  - right after `ringvisor restore` on the other engine, the guest's uptime
    goes on from the one it printed before the snapshot (not by the seconds
    the snapshot lay on disk) and runs at the host's pace around a sleep;
  - the restored guest finishes both jobs: the digest is the host's
    (hashlib) and the writer wrote all its lines;
  - the shell answers (arithmetic done by the guest), unmounts vda and powers
    off with status 0;
  - after power-off e2fsck finds the image clean and debugfs reads the 3000
    lines back.
Then the same guest migrated live at SNAP-NOW (`ctl migrate` to a
`run --incoming` destination on loopback, both processes on the one disk
image): the source exits 0 and the destination passes the same checks.
Pairs: each engine that boots Linux here (tests/engines.sh; kvm only where it
runs guest kernels in hardware) restored on the next one in the list, so with
interp and dbt both directions. Prints one line per check and "N passed, N
failed, N skipped"; the hook's line gives the snapshot's time and size, and
restore's --stats its time to the VM loaded and to the vCPU's first run.

Usage: snapshot_linux.py RINGVISOR LINUX_DIR"""
import hashlib
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

import ringvisor_proc
from engines import engine_list, engine_problem, hw_kvm_problem

rv, linux_dir = sys.argv[1], sys.argv[2]
counts = {"passed": 0, "failed": 0, "skipped": 0}
DIGEST = hashlib.sha256(bytes(64 << 20)).hexdigest()
LINES = 3000
WAIT = 3  # seconds between the snapshot and the restore: a jump would show them


def check(case, name, ok, detail=""):
    counts["passed" if ok else "failed"] += 1
    print(("PASS: " if ok else "FAIL: ") + f"snapshot-linux {case} {name}" + ("" if ok else ": " + detail))
    return ok


def linux_engines():
    usable = []
    for e in engine_list():
        why = engine_problem(rv, e) or (hw_kvm_problem(rv) if e == "kvm" else None)
        if why:
            counts["skipped"] += 1
            print(f"SKIP: snapshot-linux {e}: {why}")
        else:
            usable.append(e)
    return usable


def boot_and_snapshot(engine, disk, snap):
    """Boots the snap guest on ENGINE until the hook has snapshotted it into SNAP."""
    env = dict(os.environ, RINGVISOR_TEST_SNAPSHOT_AT="SNAP-NOW:" + snap)
    p = subprocess.run([rv, "run", "--engine", engine, "--mem", "512M", "--append", "console=ttyS0 quiet",
                        "--initrd", os.path.join(linux_dir, "initrd-snap.gz"), "--disk", disk,
                        os.path.join(linux_dir, "vmlinuz")],
                       stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=900)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


class Guest:
    """A restored guest whose console is a pipe each way."""

    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = b""

    def read_until(self, want, timeout):
        """Reads until the regular expression WANT (bytes) matches."""
        end = time.time() + timeout
        while not re.search(want, self.out) and time.time() < end:
            r, _, _ = select.select([self.p.stdout], [], [], 0.5)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                if not chunk:
                    break
                self.out += chunk
        return re.search(want, self.out) is not None

    def type(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def finish(self, timeout):
        try:
            rest, err = self.p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rest, err = self.p.communicate()
        self.out += rest
        return self.p.returncode, err.decode(errors="replace")


def value_after(text, key):
    """The word after KEY (a shell prompt may come before it on its line)."""
    m = re.search(re.escape(key) + r" (\S+)", text)
    return m.group(1) if m else None


def guest_clock(case, g, start, saved):
    """The guest's clock goes on from the saved uptime as the host's runs:
    no jump by the WAIT seconds the snapshot lay on disk, no stall (kvmclock
    going back would stall Linux's clock until it caught up), as read from
    /proc/uptime by the guest's shell around a sleep, while the background
    jobs still run."""
    g.type("echo U1 $(cut -d' ' -f1 /proc/uptime) U; sleep 2; echo U2 $(cut -d' ' -f1 /proc/uptime) U")
    ok1 = g.read_until(rb"U1 [0-9.]+ U", 120)
    t1 = time.monotonic()
    ok2 = ok1 and g.read_until(rb"U2 [0-9.]+ U", 120)
    t2 = time.monotonic()
    text = g.out.decode(errors="replace")
    m1, m2 = re.search(r"U1 ([0-9.]+) U", text), re.search(r"U2 ([0-9.]+) U", text)
    try:
        u1, u2 = float(m1.group(1)), float(m2.group(1))
    except (AttributeError, ValueError):
        check(case, "the guest reads its clock after the restore", False, repr(text[-300:]))
        return
    check(case, f"no jump: the guest's uptime goes on from the saved {saved:.2f} s",
          ok2 and 0 <= u1 - saved <= t1 - start + 1.5,
          f"{u1 - saved:.2f} s later in the guest, {t1 - start:.2f} s on the host since the restore began")
    check(case, "no stall: the guest's clock runs as the host's across a sleep 2",
          ok2 and u2 - u1 >= 1.9 and abs((u2 - u1) - (t2 - t1)) < 1.5,
          f"guest {u2 - u1:.2f} s, host {t2 - t1:.2f} s")


def one_pair(src, dst, work):
    case = f"{src}->{dst}"
    disk, snap = make_disk(work, src), os.path.join(work, f"{src}-snap")
    status, out, err = boot_and_snapshot(src, disk, snap)
    hook = [line for line in err.splitlines() if "test snapshot:" in line]
    if not check(case, f"snapshot taken on {src} at SNAP-NOW", status == 0 and "SNAP-NOW" in out
                 and hook and " in " in hook[0], f"status {status}, {hook or err.strip()[-300:]}"):
        return
    print(f"INFO: snapshot-linux {case} {hook[0].split('test snapshot: ', 1)[1]}")
    check(case, "the writer and the digest were still running at the snapshot",
          "SNAP-DIGEST" not in out and "SNAP-WRITER-DONE" not in out, out[-300:])
    time.sleep(WAIT)
    start = time.monotonic()
    g = Guest([rv, "restore", snap, "--engine", dst, "--stats"])
    goes_on(case, g, src, dst, disk, start, out, "restore ")


def make_disk(work, name):
    disk = os.path.join(work, f"{name}-vda.img")
    os.makedirs(os.path.join(work, "tree"), exist_ok=True)
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", os.path.join(work, "tree"), disk, "16M"], check=True,
                   stdout=subprocess.DEVNULL)
    return disk


def wait_stderr(g, want, timeout):
    """Reads G's stderr until it holds WANT (bytes)."""
    err, end = b"", time.time() + timeout
    while want not in err and time.time() < end and g.p.poll() is None:
        r, _, _ = select.select([g.p.stderr], [], [], 0.5)
        if r:
            err += os.read(g.p.stderr.fileno(), 65536)
    return want in err


def one_migration(src, dst, work):
    """The snap guest migrated live from SRC to DST at SNAP-NOW (no hook):
    the same checks as after a restore, the disk shared by both processes."""
    case = f"{src}=>{dst} (live migration)"
    disk = make_disk(work, f"mig-{src}")
    uri = f"tcp:127.0.0.1:{ringvisor_proc.free_port()}"
    d = Guest([rv, "run", "--incoming", uri, "--engine", dst, "--disk", disk, "--stats"])
    if not check(case, "the destination listens", wait_stderr(d, b"waiting for a migration", 60)):
        d.finish(5)
        return
    sock = os.path.join(work, f"mig-{src}.sock")
    s = Guest([rv, "run", "--engine", src, "--mem", "512M", "--append", "console=ttyS0 quiet",
               "--initrd", os.path.join(linux_dir, "initrd-snap.gz"), "--disk", disk, "--api-sock", sock, "--stats",
               os.path.join(linux_dir, "vmlinuz")])
    if not check(case, f"the guest boots on {src} to SNAP-NOW", s.read_until(rb"SNAP-NOW", 900),
                 repr(s.out[-300:])):
        s.finish(5)
        d.finish(5)
        return
    start = time.monotonic()
    p = subprocess.run([rv, "ctl", sock, "migrate", uri], capture_output=True, text=True, timeout=300)
    status, err = s.finish(60)
    out = s.out.decode(errors="replace")
    check(case, "ctl migrate answers stopping and the source exits 0",
          p.returncode == 0 and "stopping" in p.stdout and status == 0,
          f"ctl {p.returncode} {p.stdout!r} {p.stderr!r}, source status {status}: {err.strip()[-300:]}")
    check(case, "the writer and the digest were still running at the migration",
          "SNAP-DIGEST" not in out and "SNAP-WRITER-DONE" not in out, out[-300:])
    for line in err.splitlines():
        if line.startswith("migrate "):
            print(f"INFO: snapshot-linux {case} {line}")
    goes_on(case, d, src, dst, disk, start, out, "incoming ")


def goes_on(case, g, src, dst, disk, start, out, stats):
    """The moved guest G: its clock, both jobs finished right, the shell,
    power-off, and the disk image after it."""
    guest_clock(case, g, start, float(value_after(out, "snap-uptime:") or "nan"))
    g.type("touch /tmp/snap-go")
    got = g.read_until(rb"SNAP-DIGEST [0-9a-f]{64}", 900) and g.read_until(rb"SNAP-WRITER-DONE [0-9]+\r?\n", 300)
    text = g.out.decode(errors="replace")
    check(case, f"the digest computed partly on {src}, partly on {dst} is the host's",
          value_after(text, "SNAP-DIGEST") == DIGEST, f"got {value_after(text, 'SNAP-DIGEST')!r}, {text[-300:]!r}")
    check(case, f"the writer wrote its {LINES} lines", got and value_after(text, "SNAP-WRITER-DONE") == str(LINES),
          repr(text[-300:]))
    # The answer is computed by the guest's shell, so the echo of the typed
    # line does not match it.
    g.type("echo A$((6*7))A; umount /mnt && echo UMOUNT-$((1+1))-OK")
    check(case, "the shell answers", g.read_until(rb"A42A", 120), repr(g.out[-300:]))
    check(case, "vda unmounts", g.read_until(rb"UMOUNT-2-OK", 120), repr(g.out[-300:]))
    g.type("poweroff -f")
    status, err = g.finish(120)
    check(case, "powers off with status 0", status == 0, f"status {status}: {err.strip()[-300:]}")
    for line in err.splitlines():
        if line.startswith(stats):
            print(f"INFO: snapshot-linux {case} {line}")
    fsck = subprocess.run(["e2fsck", "-fn", disk], capture_output=True, text=True)
    check(case, "e2fsck finds vda's file system clean", fsck.returncode == 0, fsck.stdout.strip()[-300:])
    lines = subprocess.run(["debugfs", "-R", "cat /lines", disk], capture_output=True, text=True).stdout
    check(case, f"the {LINES} lines are in the image", lines.splitlines() == [f"line {i}" for i in range(LINES)],
          f"{len(lines.splitlines())} lines")


def main():
    build = subprocess.run(["scripts/build-linux-guest.sh", linux_dir, "snap"], capture_output=True, text=True)
    if build.returncode != 0:
        print("SKIP: snapshot-linux: cannot build the guest from Debian packages: " + build.stderr.strip()[-200:])
        counts["skipped"] += 1
    else:
        engines = linux_engines()
        if len(engines) < 2:
            print("SKIP: snapshot-linux: fewer than two engines boot Linux here")
            counts["skipped"] += 1
        work = tempfile.mkdtemp()
        try:
            for i, src in enumerate(engines if len(engines) > 1 else []):
                one_pair(src, engines[(i + 1) % len(engines)], work)
                one_migration(src, engines[(i + 1) % len(engines)], work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    return 1 if counts["failed"] else 0


sys.exit(main())
