"""Boot of the default Linux guest (the test initramfs of
scripts/build-linux-guest.sh): seconds from start to the init's first line
(RINGVISOR-INIT-MARKER) and to the end of the process (the init powers off), on
each ringvisor engine that runs Linux at speed here and on QEMU with TCG, the
reference, with the same kernel, initramfs, command line and RAM.

From the same runs: the resident memory of the VMM beyond the guest RAM it
touched, sampled when the marker appears (RssAnon + RssFile: guest RAM is a
memfd in ringvisor, and QEMU is given a memfd RAM backend so that its guest RAM
counts as shared memory too), and on the software engines the guest MIPS over
the whole boot (ringvisor's --stats)."""
import os
import re
import subprocess
import time

import lib

MARKER = b"RINGVISOR-INIT-MARKER"


def one_run(argv):
    """(seconds to marker, seconds to exit, status, (rss beyond RAM, guest RAM touched) in MiB, stderr)."""
    start = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    marker, rss = None, None
    for line in p.stdout:
        if marker is None and MARKER in line:
            marker = time.monotonic() - start
            rss = lib.rss_beyond_guest_ram(p.pid)
    err = p.stderr.read().decode(errors="replace")
    status = p.wait()
    return marker, time.monotonic() - start, status, rss, err


def run(ctx):
    initrd = os.path.join(ctx.linux_dir, "initrd-test.gz")
    # QEMU's guest RAM in a memfd, as ringvisor's, so that neither counts it below.
    subjects = lib.linux_subjects(ctx, initrd, lib.LINUX_APPEND, ringvisor_args=["--stats"],
                                  qemu_args=["-object", f"memory-backend-memfd,id=ram,size={lib.LINUX_MEM}",
                                             "-machine", "memory-backend=ram"])
    why = lib.build_linux_guest(ctx, "test")
    data = {name: {"marker": [], "total": [], "rss": [], "touched": [], "mips": []} for name, _, _ in subjects}
    notes = {name: note for name, _, note in subjects}
    if why:
        notes = {name: f"skipped: cannot build the guest: {why}" for name in notes}
    for r in range(ctx.repeat):
        for name, argv, _ in subjects:
            if notes[name]:
                continue
            ctx.log(f"boot {r + 1}/{ctx.repeat}: {name}")
            marker, total, status, rss, err = one_run(argv)
            if marker is None or status != 0:
                notes[name] = f"failed: status {status}, no marker" if marker is None else f"failed: status {status}"
                continue
            d = data[name]
            d["marker"].append(marker)
            d["total"].append(total)
            d["rss"].append(rss[0])
            d["touched"].append(rss[1])
            m = re.search(r"^MIPS in guest\s+([0-9.]+)", err, re.M)
            if m:
                d["mips"].append(float(m.group(1)))
    out = []
    for case, key in (("to init marker", "marker"), ("to poweroff", "total")):
        for name, _, _ in subjects:
            out.append(lib.Measurement("boot", case, name, "s", data[name][key] if not notes[name] else [],
                                       reference="qemu tcg", note=notes[name] or ""))
    for name, _, _ in subjects:
        d = data[name]
        touched = f"guest RAM touched: {lib.fmt(lib.median(d['touched']))} MiB" if d["touched"] else ""
        out.append(lib.Measurement("memory", "VMM resident beyond guest RAM, at the init marker", name, "MiB",
                                   d["rss"] if not notes[name] else [], reference="qemu tcg",
                                   note=notes[name] or touched))
    for name, _, _ in subjects:
        if data[name]["mips"]:
            out.append(lib.Measurement("interpreter throughput", "Linux boot to poweroff", name, "MIPS",
                                       data[name]["mips"], better="higher", note="instructions / time in guest"))
    return out
