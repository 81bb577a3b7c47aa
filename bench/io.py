"""Disk and network I/O of the default Linux guest through virtio-blk and
virtio-net (user networking, libslirp), on each ringvisor engine that runs
Linux at speed here and on QEMU with TCG, the reference: QEMU's microvm with
the same virtio-mmio devices, kernel, modules, initramfs and command line.

The guest is the io initramfs of scripts/build-linux-guest.sh: the test
initramfs's virtio modules, then bench-io.sh, which runs each workload once
per boot, reads /proc/uptime before and after it (CLOCK_BOOTTIME, printed in
10 ms steps) and prints one line per workload, then powers off. Boot time is
not in the numbers. Two disks: vda, read-only, an image whose 4 KiB blocks
each begin with their index (so every random read is checked), and vdb, a
fresh sparse file per run to write to.

  sequential read    busybox dd of MIB MiB from vda, 1 MiB requests, O_DIRECT
  sequential write   busybox dd of MIB MiB of zeros to vdb, 1 MiB requests,
                     O_DIRECT, then fsync (a FLUSH request)
  random read        READS reads of 4 KiB at random offsets of vda, one at a
                     time (queue depth 1), O_DIRECT: bench/guests/randread.c
  download           busybox wget of NET MiB of random bytes from a web server
                     on the host's loopback (python3 -m http.server), through
                     the slirp gateway 10.0.2.2, into the guest's RAM; its
                     SHA-256 is checked after the timing
  ping               busybox ping -A of the slirp gateway 10.0.2.2, PINGS echo
                     requests, each sent when the previous answer came; the
                     average round trip ping prints (slirp answers an echo to
                     its own address itself, without a host socket)

Both VMMs read and write the image files through the host's page cache, so the
disk rows measure the virtio path and the VMM, not the host's disk (but for
the write's final fsync).

QEMU's microvm has no HPET or PM timer, and under TCG on a busy host Linux's
PIT calibration of the TSC can fail (tests/integration/linux-boot.sh); it is
given tsc_early_khz, the host's TSC rate, which QEMU's TCG passes through, so
that the guest's clock, which times everything here, runs at the right rate.

Also, on each ringvisor engine: the VM exits one 4 KiB read costs (MMIO and
port I/O; the note adds exits of every reason), from `--stats` of two boots
with only vda, one running READS random reads and one running randread with
no read; the difference divided by READS. That includes whatever else exits
while the reads run (timer interrupts, mostly).

Environment (for development; the interpreter boots in about 20 s):
BENCH_IO_MIB, BENCH_IO_READS, BENCH_IO_NET_MIB override MIB (256), READS
(10000) and NET (64)."""
import hashlib
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

import lib

GROUP = "I/O"
PINGS = 20
BLOCK = 4096
RUN_TIMEOUT_S = 900
LINE = re.compile(rb"^BENCH-IO (\S+) (\d+) ([0-9.]+) ([0-9.]+) (\S+)\r?$", re.M)
STAT_REASONS = ("port-io", "mmio", "all exits")
STAT = re.compile(rf"^({'|'.join(STAT_REASONS)})\s+(\d+)", re.M)
TIMED = "timed in the guest (/proc/uptime, 10 ms steps)"


def sizes():
    """(MIB, READS, NET) as the environment sets them."""
    def env(name, default):
        return max(1, int(os.environ.get(name, default)))
    return env("BENCH_IO_MIB", 256), env("BENCH_IO_READS", 10000), env("BENCH_IO_NET_MIB", 64)


def make_read_image(path, mib):
    """MIB MiB, each 4 KiB block starting with its index (64-bit little endian)."""
    per_mib = (1 << 20) // BLOCK
    with open(path, "wb") as f:
        for m in range(mib):
            buf = bytearray(1 << 20)
            for j in range(per_mib):
                struct.pack_into("<Q", buf, j * BLOCK, m * per_mib + j)
            f.write(buf)


def fresh_write_image(path, mib):
    with open(path, "wb") as f:
        f.truncate(mib << 20)


def host_tsc_khz():
    """The host's TSC rate in kHz when the host kernel knows it (tsc_known_freq:
    "cpu MHz" is then the TSC's), else None."""
    mhz, known = None, False
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "cpu MHz" and mhz is None:
                    mhz = float(value)
                elif key.strip() == "flags":
                    known = known or "tsc_known_freq" in value.split()
    except (OSError, ValueError):
        return None
    return round(mhz * 1000) if known and mhz else None


class WebServer:
    """python3 -m http.server on the host's loopback, serving DIR."""

    def __init__(self, directory):
        self.port = lib.free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory",
                                      directory, str(self.port)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise OSError("the web server did not start")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def run_vm(argv, timeout):
    """({tag: (amount, seconds, result)}, stderr, None) or (None, stderr, why it failed)."""
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "", f"no poweroff within {timeout} s"
    err = p.stderr.decode(errors="replace")
    if p.returncode != 0:
        return None, err, f"status {p.returncode}: {(err.strip().splitlines() or [''])[-1]}"
    found = {}
    for tag, amount, start, end, result in LINE.findall(p.stdout):
        found[tag.decode()] = (int(amount), round(float(end) - float(start), 2), result.decode())
    return found, err, None


def value(tag, amount, seconds, result, expect_sha):
    """(the row's value, None) or (None, why the run does not count)."""
    if tag == "ping":
        try:
            return float(result), None
        except ValueError:
            return None, f"no round-trip line from ping (got '{result}')"
    if tag == "wget" and result != expect_sha:
        return None, f"wrong SHA-256 of the download: {result}"
    if tag != "wget" and result != "0":
        return None, f"{'wrong reads' if tag == 'rand-read' else 'dd status'} {result}"
    if seconds <= 0:
        return None, "done within one 10 ms step of /proc/uptime"
    return amount / seconds, None


def outcome(tag, found, fail, expect_sha):
    """value() of one workload of a run, or why there is none."""
    if fail:
        return None, fail
    if tag not in found:
        return None, "no BENCH-IO line"
    return value(tag, *found[tag], expect_sha)


def cases(mib, reads, net):
    """[(tag, case, unit, better, what the row includes)] in report order."""
    return [("seq-read", f"sequential read {mib} MiB (dd, 1 MiB, O_DIRECT)", "MiB/s", "higher", TIMED),
            ("seq-write", f"sequential write {mib} MiB (dd, 1 MiB, O_DIRECT, fsync)", "MiB/s", "higher",
             f"{TIMED}; includes the final fsync"),
            ("rand-read", f"4 KiB random read, queue depth 1, O_DIRECT ({reads} reads)", "IOPS", "higher",
             f"{TIMED}; every block checked"),
            ("wget", f"download {net} MiB from the host through slirp (wget)", "MiB/s", "higher",
             f"{TIMED}; into guest RAM; SHA-256 checked"),
            ("ping", "ping round trip to the slirp gateway 10.0.2.2", "ms", "lower",
             f"average of {PINGS} echoes (ping -A) as busybox ping reports it")]


def exit_counts(argv, timeout):
    """{reason: count} from --stats, or None."""
    found, err, fail = run_vm(argv, timeout)
    if fail or "rand-read" not in found or found["rand-read"][2] != "0":
        return None
    counts = {k: int(v) for k, v in STAT.findall(err)}
    return counts if len(counts) == 3 else None


def run(ctx):
    if ctx.smoke:
        return []
    mib, reads, net = sizes()
    scratch = tempfile.mkdtemp(prefix="io.")
    server = None
    try:
        rimg, wimg, www = (os.path.join(scratch, n) for n in ("read.img", "write.img", "www"))
        os.makedirs(www)
        make_read_image(rimg, mib)
        data = os.urandom(net << 20)
        with open(os.path.join(www, "big"), "wb") as f:
            f.write(data)
        expect_sha = hashlib.sha256(data).hexdigest()
        del data
        server = WebServer(www)
        return measure(ctx, mib, reads, net, rimg, wimg, server.port, expect_sha)
    finally:
        if server:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def measure(ctx, mib, reads, net, rimg, wimg, port, expect_sha):
    khz = host_tsc_khz()
    initrd = os.path.join(ctx.linux_dir, "initrd-io.gz")
    append = (f"{lib.LINUX_APPEND} rv_io_mib={mib} rv_io_reads={reads} rv_http_port={port} rv_net_mib={net} "
              f"rv_pings={PINGS}")
    qemu_args = ["-M", "microvm,acpi=on", "-global", "virtio-mmio.force-legacy=false", "-cpu", "max",
                 "-drive", f"file={rimg},format=raw,if=none,id=d0,readonly=on", "-device", "virtio-blk-device,drive=d0",
                 "-drive", f"file={wimg},format=raw,if=none,id=d1", "-device", "virtio-blk-device,drive=d1",
                 "-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n0"]
    subs = lib.linux_subjects(ctx, initrd, append, ringvisor_args=["--disk", f"{rimg},ro", "--disk", wimg,
                                                                    "--net", "user"],
                              qemu_args=qemu_args, qemu_append=f"tsc_early_khz={khz}" if khz else "")
    rows = cases(mib, reads, net)
    notes = {(name, tag): note for name, _, note in subs for tag, *_ in rows}
    values = {(name, tag): [] for name, _, _ in subs for tag, *_ in rows}
    why = lib.build_linux_guest(ctx, "io")
    if why:
        notes = {k: n or f"skipped: cannot build the guest: {why}" for k, n in notes.items()}
    # The exits-per-read pairs: only vda, randread with READS reads and with none.
    pairs = {}
    for n in (0, reads):
        for name, argv, note in lib.linux_subjects(ctx, initrd, f"{lib.LINUX_APPEND} rv_io_reads={n}",
                                                   ringvisor_args=["--stats", "--disk", f"{rimg},ro"]):
            if argv and name.startswith("ringvisor") and not note and not why:
                pairs.setdefault(name, []).append(argv)
    per_read = {name: {"device": [], "all exits": [], "mmio": [], "port-io": []} for name in pairs}
    pair_notes = {name: "" for name in pairs}
    for r in range(ctx.repeat):
        for name, argv, _ in subs:
            if all(notes[(name, tag)] for tag, *_ in rows):
                continue
            ctx.log(f"io {r + 1}/{ctx.repeat}: {name}")
            fresh_write_image(wimg, mib)
            found, _, fail = run_vm(argv, RUN_TIMEOUT_S)
            for tag, *_ in rows:
                if notes[(name, tag)]:
                    continue
                v, bad = outcome(tag, found, fail, expect_sha)
                if bad:
                    ctx.log(f"{name} {tag}: {bad}")
                    notes[(name, tag)] = f"failed: {bad}"
                else:
                    values[(name, tag)].append(v)
        for name, (argv0, argv_n) in pairs.items():
            if pair_notes[name]:
                continue
            ctx.log(f"io exits per read {r + 1}/{ctx.repeat}: {name}")
            c0, cn = exit_counts(argv0, RUN_TIMEOUT_S), exit_counts(argv_n, RUN_TIMEOUT_S)
            if c0 is None or cn is None:
                pair_notes[name] = "failed: a run without --stats lines or with wrong reads"
                continue
            for k in STAT_REASONS:
                per_read[name][k].append((cn[k] - c0[k]) / reads)
            per_read[name]["device"].append(per_read[name]["mmio"][-1] + per_read[name]["port-io"][-1])
    out = []
    for tag, case, unit, better, what in rows:
        for name, _, _ in subs:
            note = notes[(name, tag)] or what
            if name == "qemu tcg" and not notes[(name, tag)]:
                note += f"; microvm, tsc_early_khz={khz}" if khz else "; microvm"
            out.append(lib.Measurement(GROUP, case, name, unit, [] if notes[(name, tag)] else values[(name, tag)],
                                       better=better, reference="qemu tcg", note=note))
    for name, d in per_read.items():
        note = pair_notes[name] or (f"mmio {lib.fmt(lib.median(d['mmio']))} + port-io "
                                    f"{lib.fmt(lib.median(d['port-io']))}; exits of every reason "
                                    f"{lib.fmt(lib.median(d['all exits']))}; --stats of {reads} reads minus "
                                    "none, over the reads; includes timer interrupts meanwhile")
        out.append(lib.Measurement(GROUP, "VM exits per 4 KiB random read (mmio + port-io)", name, "exits",
                                   [] if pair_notes[name] else d["device"], note=note))
    return out
