"""Live migration on loopback (issue 15, docs/migration.md): a 256 MiB guest
moved between two processes of the same program over TCP on 127.0.0.1, on
each engine that runs here, and QEMU's TCG in the same sitting. Two guests,
both Multiboot so that QEMU boots the same files (guests/migidle.c): migidle
prints a count every 10 ms and halts in between; migdirty writes one byte of
every page of 64 MiB over and over between its counts.

Rows, for each guest: the total time (from the migrate command to the source
done: ringvisor's `ctl migrate` returning, QEMU's query-migrate
"total-time") and the downtime. Ringvisor's downtime is the source's time
from pausing the VM for the last round to sending the go (its --stats line)
plus the destination's from receiving the go to its vCPU's first run (its
--stats line): the time no side runs the guest, short of the go's trip
through loopback. QEMU's is its own "downtime" figure (the source stopped
until the migration completed, its destination's start not counted). QEMU
is given the same 300 ms downtime target (its default) and no bandwidth
limit (its default of 128 MiB/s would make it the bottleneck). The note
says how many rounds ringvisor's pre-copy ran and the pages of its last
round (docs/migration.md, "Rounds")."""
import os
import re
import subprocess
import tempfile
import threading
import time

import lib
from qmp import QMP

MEM = "256M"
GUESTS = (("migidle", "idle guest"), ("migdirty", "guest writing 64 MiB"))
PAUSED = re.compile(r"^migrate +([0-9]+) rounds, .* paused ([0-9.]+) ms to the go \(([0-9]+) pages", re.M)
GO = re.compile(r"^incoming .* ([0-9.]+) ms from the go to the vCPU's first run", re.M)


class Proc:
    """A process whose stdout and stderr are collected on threads."""

    def __init__(self, args):
        self.out, self.err = [], []
        self.p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        for stream, into in ((self.p.stdout, self.out), (self.p.stderr, self.err)):
            threading.Thread(target=lambda s=stream, i=into: i.extend(line.rstrip("\n") for line in s),
                             daemon=True).start()

    def wait_for(self, lines, text, timeout=30):
        end = time.time() + timeout
        while time.time() < end and self.p.poll() is None:
            if any(text in line for line in list(lines)):
                return True
            time.sleep(0.01)
        return False

    def finish(self, timeout=30):
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        time.sleep(0.05)  # the readers take the last lines
        return "\n".join(self.err)


def ringvisor_once(ctx, engine, guest, tmp):
    """(total ms, downtime ms, rounds, last round pages) or a reason string."""
    uri = f"tcp:127.0.0.1:{lib.free_port()}"
    dst = Proc([ctx.rv, "run", "--incoming", uri, "--engine", engine, "--stats", "--api-sock",
                os.path.join(tmp, "dst.sock")])
    src = Proc([ctx.rv, "run", "--engine", engine, "--mem", MEM, "--stats", "--api-sock",
                os.path.join(tmp, "src.sock"), os.path.join(ctx.guests_dir, guest + ".elf")])
    try:
        if not dst.wait_for(dst.err, "waiting for a migration") or not src.wait_for(src.out, "count 20"):
            return "the guests did not start"
        t0 = time.monotonic()
        p = subprocess.run([ctx.rv, "ctl", os.path.join(tmp, "src.sock"), "migrate", uri], capture_output=True,
                           text=True, stdin=subprocess.DEVNULL)
        total = (time.monotonic() - t0) * 1000
        if p.returncode != 0:
            return f"migrate failed: {p.stderr.strip()[:120]}"
        src_err = src.finish()
        dst.wait_for(dst.out, "count", 10)
        subprocess.run([ctx.rv, "ctl", os.path.join(tmp, "dst.sock"), "stop"], capture_output=True,
                       stdin=subprocess.DEVNULL)
        dst_err = dst.finish()
        a, b = PAUSED.search(src_err), GO.search(dst_err)
        if not a or not b:
            return "no --stats line"
        return total, float(a.group(2)) + float(b.group(1)), int(a.group(1)), int(a.group(3))
    finally:
        for proc in (src, dst):
            if proc.p.poll() is None:
                proc.p.kill()
                proc.p.wait()


def qemu_once(ctx, guest, tmp):
    """(total ms, downtime ms) or a reason string."""
    port = lib.free_port()
    common = [ctx.qemu, "-accel", "tcg", "-m", MEM, "-display", "none", "-serial", "stdio", "-monitor", "none",
              "-kernel", os.path.join(ctx.guests_dir, guest + ".elf")]
    dst = Proc([*common, "-qmp", f"unix:{tmp}/dst.qmp,server=on,wait=off", "-incoming", f"tcp:127.0.0.1:{port}"])
    src = Proc([*common, "-qmp", f"unix:{tmp}/src.qmp,server=on,wait=off"])
    qmp = None
    try:
        if not src.wait_for(src.out, "count 20"):
            return "the guest did not start"
        qmp = QMP(f"{tmp}/src.qmp", timeout=10)
        qmp.cmd("migrate-set-parameters", **{"downtime-limit": 300, "max-bandwidth": 100 << 30})
        qmp.cmd("migrate", uri=f"tcp:127.0.0.1:{port}")
        end = time.time() + 120
        while time.time() < end:
            info = qmp.cmd("query-migrate") or {}
            if info.get("status") == "completed":
                return float(info["total-time"]), float(info["downtime"])
            if info.get("status") in ("failed", "cancelled"):
                return f"migration {info.get('status')}"
            time.sleep(0.02)
        return "did not complete within 120 s"
    finally:
        if qmp:
            qmp.close()
        for proc in (src, dst):
            proc.p.kill()
            proc.p.wait()


def run(ctx):
    subjects = [(f"ringvisor {e}", e) for e in ctx.engines] + [("qemu tcg", None)]
    out = []
    for guest, what in GUESTS:
        for name, engine in subjects:
            totals, downs, note = [], [], ""
            for r in range(ctx.repeat):
                if engine is None and not ctx.qemu:
                    note = "skipped: no qemu-system-x86_64"
                    break
                ctx.log(f"migrate {r + 1}/{ctx.repeat}: {name}, {guest}")
                with tempfile.TemporaryDirectory(prefix="rv-benchmig-") as tmp:
                    m = qemu_once(ctx, guest, tmp) if engine is None else ringvisor_once(ctx, engine, guest, tmp)
                if isinstance(m, str):
                    note, totals, downs = m, [], []
                    break
                totals.append(m[0])
                downs.append(m[1])
                if engine:
                    note = f"{m[2]} rounds, {m[3]} pages in the last"
            for case, values in ((f"total time, {what} ({MEM[:-1]} MiB)", totals), (f"downtime, {what}", downs)):
                out.append(lib.Measurement("migration", case, name, "ms", values, reference="qemu tcg",
                                           note=note))
    return out
