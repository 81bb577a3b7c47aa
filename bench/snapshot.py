"""Snapshot and restore of the default Linux guest (issue 15): the shell
initramfs of scripts/build-linux-guest.sh in 512 MiB, booted on each engine
that runs Linux at speed here and on QEMU TCG, snapshotted once its shell's
banner appears, then restored on the same engine or QEMU.

- ringvisor: `ringvisor ctl SOCK snapshot DIR` through the control socket,
  timed around the ctl command (pause, every file written and fsync'd, the
  directory renamed into place, resume); restore's time from the command's
  start to the vCPU's first run (its --stats).
- QEMU 7.2 (no snapshot-to-directory of its own): `stop`, then `migrate` to
  "exec:cat > FILE" over QMP, its bandwidth limit lifted, until
  query-migrate says completed, timed from before `stop` (the file is not
  fsync'd); restore: a fresh QEMU with -incoming "exec:cat FILE", timed
  from its start to query-status saying "running" (polled every 2 ms).

Rows: those times, the bytes of guest RAM written (ringvisor: the memory
file's allocated data, zero pages being holes; QEMU: the whole file, zero
pages being flags) and ringvisor's state file."""
import os
import re
import shutil
import subprocess
import threading
import time

import lib
from qmp import QMP

BANNER = "Ctrl-A x quits"
RESTORE = re.compile(r"^restore .* ([0-9.]+) ms to the vCPU's first run", re.M)


class Booted:
    """A VMM process of the shell guest, its console read on a thread until
    the banner appears."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            if BANNER.encode() in line:
                self.ready.set()

    def wait_banner(self, timeout=300):
        return self.ready.wait(timeout) and self.proc.poll() is None

    def end(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def ringvisor_round(ctx, engine, scratch):
    """(snapshot ms, data MiB, state KiB, restore ms), or a reason string."""
    sock, snap = os.path.join(scratch, "vm.sock"), os.path.join(scratch, "snap")
    vm = Booted([ctx.rv, "run", "--engine", engine, "--mem", lib.LINUX_MEM, "--append", lib.LINUX_APPEND,
                 "--initrd", os.path.join(ctx.linux_dir, "initrd-shell.gz"), "--api-sock", sock,
                 os.path.join(ctx.linux_dir, "vmlinuz")])
    try:
        if not vm.wait_banner():
            return "the guest's shell did not come up"
        t0 = time.monotonic()
        p = subprocess.run([ctx.rv, "ctl", sock, "snapshot", snap], capture_output=True, text=True)
        ms = (time.monotonic() - t0) * 1000
        if p.returncode:
            return f"snapshot failed: {p.stderr.strip()}"
        subprocess.run([ctx.rv, "ctl", sock, "stop"], capture_output=True)
    finally:
        vm.end()
    data = os.stat(os.path.join(snap, "memory")).st_blocks * 512 / 2**20
    state = os.path.getsize(os.path.join(snap, "state")) / 1024
    p = subprocess.Popen([ctx.rv, "restore", snap, "--engine", engine, "--stats"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, err = p.communicate("poweroff -f\n", timeout=300)
    except subprocess.TimeoutExpired:
        p.kill()
        return "restore did not power off"
    m = RESTORE.search(err)
    if p.returncode != 0 or not m:
        return f"restore failed: status {p.returncode}"
    return ms, data, state, float(m.group(1))


def qemu_argv(ctx, qmp_path):
    return [ctx.qemu, "-accel", "tcg", "-m", lib.LINUX_MEM, "-nographic", "-no-reboot",
            "-kernel", os.path.join(ctx.linux_dir, "vmlinuz"),
            "-initrd", os.path.join(ctx.linux_dir, "initrd-shell.gz"), "-append", lib.LINUX_APPEND,
            "-qmp", f"unix:{qmp_path},server=on,wait=off"]


def qemu_round(ctx, scratch):
    """(save ms, file MiB, None, restore ms), or a reason string."""
    qmp_path, state = os.path.join(scratch, "qmp.sock"), os.path.join(scratch, "qemu.state")
    vm = Booted(qemu_argv(ctx, qmp_path))
    try:
        if not vm.wait_banner():
            return "the guest's shell did not come up"
        q = QMP(qmp_path)
        # Migration's default limit (128 MiB/s) would time the cap, not
        # the work: lifted, as savevm runs unlimited.
        q.cmd("migrate-set-parameters", **{"max-bandwidth": 1 << 40})
        t0 = time.monotonic()
        q.cmd("stop")
        q.cmd("migrate", uri=f"exec:cat > {state}")
        while (q.cmd("query-migrate") or {}).get("status") not in ("completed", "failed", "cancelled"):
            time.sleep(0.002)
        ms = (time.monotonic() - t0) * 1000
        q.cmd("quit")
        q.close()
    finally:
        vm.end()
    size = os.path.getsize(state) / 2**20
    if os.path.exists(qmp_path):
        os.unlink(qmp_path)
    t0 = time.monotonic()
    vm = subprocess.Popen(qemu_argv(ctx, qmp_path) + ["-incoming", f"exec:cat {state}"], stdin=subprocess.PIPE,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        q = QMP(qmp_path)
        # The state was saved stopped, and QEMU keeps a stopped guest
        # stopped after an incoming migration: `cont` once it is loaded.
        while (status := (q.cmd("query-status") or {}).get("status")) != "running":
            if time.monotonic() - t0 > 120:
                return f"QEMU's incoming migration did not finish (status {status})"
            if status in ("paused", "postmigrate"):
                q.cmd("cont")
            else:
                time.sleep(0.002)
        restore_ms = (time.monotonic() - t0) * 1000
        q.cmd("quit")
        q.close()
    finally:
        try:
            vm.wait(30)
        except subprocess.TimeoutExpired:
            vm.kill()
            vm.wait()
    return ms, size, None, restore_ms


def run(ctx):
    why = lib.build_linux_guest(ctx, "shell")
    os.makedirs(ctx.bench_dir, exist_ok=True)
    subjects = [(f"ringvisor {e}", e) for e in ctx.linux_engines]
    subjects.append(("qemu tcg", None))
    rows = {}
    for name, engine in subjects:
        note = why and f"skipped: {why}"
        if engine is None and not ctx.qemu:
            note = "skipped: no qemu-system-x86_64"
        rows[name] = {"snap": [], "data": [], "state": [], "restore": [], "note": note}
        for r in range(ctx.repeat if not note else 0):
            ctx.log(f"snapshot {r + 1}/{ctx.repeat}: {name}")
            scratch = os.path.join(ctx.bench_dir, "snapshot-" + name.replace(" ", "-"))
            shutil.rmtree(scratch, ignore_errors=True)
            os.makedirs(scratch)
            try:
                t = ringvisor_round(ctx, engine, scratch) if engine else qemu_round(ctx, scratch)
            except (OSError, RuntimeError) as e:
                t = f"failed: {e}"
            shutil.rmtree(scratch, ignore_errors=True)
            if isinstance(t, str):
                rows[name]["note"] = t
                break
            for key, v in zip(("snap", "data", "state", "restore"), t):
                if v is not None:
                    rows[name][key].append(v)
    out = []
    for key, case, unit in (("snap", "snapshot of a 512 MiB Linux guest at its shell", "ms"),
                            ("data", "guest RAM written (zero pages left out)", "MiB"),
                            ("state", "the state file (ringvisor)", "KiB"),
                            ("restore", "restore to the guest running", "ms")):
        for name, d in rows.items():
            if key == "state" and name == "qemu tcg":
                continue
            out.append(lib.Measurement("snapshot", case, name, unit, d[key] if not d["note"] else [],
                                       reference="qemu tcg" if key != "state" else "", note=d["note"] or ""))
    return out
