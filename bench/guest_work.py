"""CPU-bound work inside the guest, timed by the guest: busybox sha256sum and
gzip -1 over 64 MiB read from /dev/zero, on each ringvisor engine that runs
Linux at speed here, on QEMU with TCG, and natively on the host (the reference).

The guest is the bench initramfs of scripts/build-linux-guest.sh: its init runs
bench-work.sh, which reads /proc/uptime before and after each pipeline
(CLOCK_BOOTTIME, printed in 10 ms steps) and prints one line per workload, then
powers off. Each boot runs each workload once; boot time is not in the numbers.
The native reference runs the same busybox binary (the one packed in the
initramfs) on the same script, timed the same way by the host's /proc/uptime,
with PATH holding only busybox's applets and pinned to one host CPU, as the
guest's pipeline shares its one vCPU. Every result (the digest, the compressed
size) must equal the native one, else the run counts as failed.

Environment: BENCH_GUEST_WORK_MIB overrides the 64 MiB (for development: the
interpreter takes about a second per MiB and workload)."""
import hashlib
import os
import re
import shutil
import subprocess
import tempfile

import lib

WORKLOADS = (("sha256sum", "sha256sum"), ("gzip-1", "gzip -1"))  # (tag in the guest's line, case name)
LINE = re.compile(rb"^BENCH-WORK (\S+) (\d+) ([0-9.]+) ([0-9.]+) (\S+)\r?$", re.M)
def parse(output, nbytes):
    """{tag: (seconds, result)} from the lines of one run."""
    found = {}
    for tag, n, start, end, result in LINE.findall(output):
        if int(n) == nbytes:
            found[tag.decode()] = (round(float(end) - float(start), 2), result.decode())
    return found


def run_vm(argv, nbytes, timeout):
    """(results, None) or (None, why it failed)."""
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"no poweroff within {timeout} s"
    found = parse(p.stdout, nbytes)
    if p.returncode != 0:
        return None, f"status {p.returncode}"
    if len(found) != len(WORKLOADS):
        return None, "missing BENCH-WORK lines"
    return found, None


class Native:
    """The host running the guest's busybox on the guest's script."""

    def __init__(self, linux_dir, scratch):
        self.busybox = os.path.abspath(os.path.join(linux_dir, "busybox"))
        self.script = os.path.abspath(os.path.join(linux_dir, "bench-work.sh"))
        self.bin = os.path.join(scratch, "bin")
        os.makedirs(self.bin)
        subprocess.run([self.busybox, "--install", "-s", self.bin], check=True)
        # One CPU, as in the guest: head and the worker share it.
        self.cpu = min(os.sched_getaffinity(0))

    def __call__(self, nbytes, timeout):
        env = {"PATH": self.bin, "bench_bytes": str(nbytes)}
        try:
            p = subprocess.run([self.busybox, "sh", self.script], env=env, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=timeout,
                               preexec_fn=lambda: os.sched_setaffinity(0, {self.cpu}))
        except subprocess.TimeoutExpired:
            return None, f"not done within {timeout} s"
        found = parse(p.stdout, nbytes)
        if p.returncode != 0 or len(found) != len(WORKLOADS):
            return None, f"status {p.returncode}, {len(found)} BENCH-WORK lines"
        return found, None


def zeros_sha256(nbytes):
    h, block = hashlib.sha256(), bytes(1 << 20)
    for _ in range(nbytes >> 20):
        h.update(block)
    h.update(bytes(nbytes & ((1 << 20) - 1)))
    return h.hexdigest()


def provides(ctx, engine, model):
    """Whether `ringvisor engines` lists model for engine ("cpu ENGINE: MODELS (not ...)")."""
    out = subprocess.run([ctx.rv, "engines"], capture_output=True, text=True).stdout
    m = re.search(rf"^cpu {re.escape(engine)}: ([^(\n]*)", out, re.M)
    return bool(m) and model in m.group(1).split()


def subjects(ctx, nbytes):
    """[(name, argv or None for native, note)]: native first, so that its results check the others.
    Then the same on dbt and QEMU TCG with an x86-64-v3 CPU, where glibc in the
    guest picks its AVX2 string and memory functions (QEMU 7.2's TCG has AVX2:
    `-cpu max`)."""
    initrd = os.path.join(ctx.linux_dir, "initrd-bench.gz")
    append = f"{lib.LINUX_APPEND} bench_bytes={nbytes}"
    out = [("native", None, "")] + lib.linux_subjects(ctx, initrd, append)
    v3 = [("ringvisor dbt --cpu v3" if name.startswith("ringvisor") else "qemu tcg -cpu max", argv, note)
          for name, argv, note in lib.linux_subjects(ctx, initrd, append, ringvisor_args=("--cpu", "v3"),
                                                      qemu_args=("-cpu", "max"))
          if name in ("ringvisor dbt", "qemu tcg")]
    for name, argv, note in v3:
        if name.startswith("ringvisor") and not note and not provides(ctx, "dbt", "v3"):
            note = "skipped: dbt does not provide --cpu v3 here"
        out.append((name, argv, note))
    return out


def run(ctx):
    if ctx.smoke:
        return []
    mib = max(1, int(os.environ.get("BENCH_GUEST_WORK_MIB", "64")))
    nbytes = mib << 20
    timeout = 300 + 30 * mib  # the interpreter needs about 2 s per MiB for both workloads
    subs = subjects(ctx, nbytes)
    notes = {name: note for name, _, note in subs}
    values = {name: {tag: [] for tag, _ in WORKLOADS} for name, _, _ in subs}
    why = lib.build_linux_guest(ctx, "bench")
    if why:
        notes = {name: note or f"skipped: cannot build the guest: {why}" for name, note in notes.items()}
    scratch = tempfile.mkdtemp(prefix="guest_work.")
    try:
        native = None
        if not notes["native"]:
            try:
                native = Native(ctx.linux_dir, scratch)
            except (OSError, subprocess.CalledProcessError) as e:
                notes["native"] = f"failed: cannot install the busybox applets: {e}"
        expect = {"sha256sum": zeros_sha256(nbytes)}
        for r in range(ctx.repeat):
            for name, argv, _ in subs:
                if notes[name]:
                    continue
                ctx.log(f"guest work {mib} MiB {r + 1}/{ctx.repeat}: {name}")
                found, fail = native(nbytes, timeout) if argv is None else run_vm(argv, nbytes, timeout)
                if found and argv is None:
                    expect.setdefault("gzip-1", found["gzip-1"][1])
                wrong = [t for t in found or {} if t in expect and found[t][1] != expect[t]]
                if wrong:
                    fail = "wrong result: " + ", ".join(f"{t} gave {found[t][1]}, expected {expect[t]}" for t in wrong)
                if fail:
                    ctx.log(f"{name}: {fail}")
                    notes[name] = f"failed: {fail}"
                    continue
                for tag, _ in WORKLOADS:
                    values[name][tag].append(found[tag][0])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    out = []
    for tag, case in WORKLOADS:
        for name, argv, _ in subs:
            timed = "the guest's busybox on the host, one CPU" if name == "native" else "timed in the guest"
            out.append(lib.Measurement("guest work", f"{case} {mib} MiB", name, "s",
                                       [] if notes[name] else values[name][tag], reference="native",
                                       note=notes[name] or f"{timed} (/proc/uptime, 10 ms steps)"))
    return out
