"""Snapshot and restore of the default Linux guest (issue 15): the shell
initramfs of scripts/build-linux-guest.sh in 512 MiB, booted on each engine
that runs Linux at speed here, snapshotted by the test-only hook
(RINGVISOR_TEST_SNAPSHOT_AT) when its shell's banner appears, then restored on
the same engine with --stats and powered off. Rows: the snapshot's time (the
hook's measure: pause excluded, from the first file opened to the directory
renamed into place and synced), the bytes of guest RAM the memory file holds
(zero pages are holes), the state file's size, and restore's time from the
command's start to the vCPU's first run (--stats; config.json, state and
memory checked, the VM built, RAM mapped, state loaded). QEMU is not
compared here yet."""
import os
import re
import shutil
import subprocess

import lib

BANNER = "Ctrl-A x quits"
HOOK = re.compile(r"test snapshot: .* in ([0-9.]+) ms: state ([0-9]+) bytes, memory [0-9]+ MiB with ([0-9.]+) MiB")
RESTORE = re.compile(r"^restore .* ([0-9.]+) ms to the vCPU's first run", re.M)


def snapshot(ctx, engine, snap):
    """(ms, state bytes, data MiB) of one snapshot at the shell, or a reason string."""
    env = dict(os.environ, RINGVISOR_TEST_SNAPSHOT_AT=f"{BANNER}:{snap}")
    p = subprocess.run([ctx.rv, "run", "--engine", engine, "--mem", lib.LINUX_MEM, "--append", lib.LINUX_APPEND,
                        "--initrd", os.path.join(ctx.linux_dir, "initrd-shell.gz"),
                        os.path.join(ctx.linux_dir, "vmlinuz")],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=600)
    m = HOOK.search(p.stderr)
    if p.returncode != 0 or not m:
        return f"snapshot failed: status {p.returncode}"
    return float(m.group(1)), int(m.group(2)), float(m.group(3))


def restore(ctx, engine, snap):
    """ms from restore's start to the vCPU's first run, or a reason string."""
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
    return float(m.group(1))


def run(ctx):
    why = lib.build_linux_guest(ctx, "shell")
    os.makedirs(ctx.bench_dir, exist_ok=True)
    rows = {}
    for engine in ctx.linux_engines:
        name = f"ringvisor {engine}"
        rows[name] = {"snap": [], "state": [], "data": [], "restore": [], "note": why and f"skipped: {why}"}
        for r in range(ctx.repeat if not why else 0):
            ctx.log(f"snapshot {r + 1}/{ctx.repeat}: {name}")
            snap = os.path.join(ctx.bench_dir, f"snapshot-{engine}")
            shutil.rmtree(snap, ignore_errors=True)
            s = snapshot(ctx, engine, snap)
            t = restore(ctx, engine, snap) if not isinstance(s, str) else s
            shutil.rmtree(snap, ignore_errors=True)
            if isinstance(t, str):
                rows[name]["note"] = t
                break
            rows[name]["snap"].append(s[0])
            rows[name]["state"].append(s[1] / 1024)
            rows[name]["data"].append(s[2])
            rows[name]["restore"].append(t)
    out = []
    for key, case, unit in (("snap", "snapshot of a 512 MiB Linux guest at its shell", "ms"),
                            ("data", "its memory file's data (zero pages are holes)", "MiB"),
                            ("state", "its state file", "KiB"),
                            ("restore", "restore to the vCPU's first run", "ms")):
        for name, d in rows.items():
            out.append(lib.Measurement("snapshot", case, name, unit, d[key] if not d["note"] else [],
                                       note=d["note"] or ""))
    return out
