"""What the benchmark modules share: the context of one sitting, measurements,
and the report (medians, min-max, ratio to the reference of the same case).

A module is a file bench/<name>.py with `run(ctx) -> list[Measurement]`; it is
listed in bench/run.py. Benchmarks are not tests: nothing here passes or fails
on a number."""
import dataclasses
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys


@dataclasses.dataclass
class Measurement:
    group: str       # "boot", "guest work", "exit cost", ...
    case: str        # "to init marker", "sha256sum 64 MiB", ...
    subject: str     # "ringvisor interp", "qemu tcg", "native", ...
    unit: str        # "s", "exits/s", "MIPS", "MiB"
    values: list     # one per run, floats; empty when skipped
    better: str = "lower"        # or "higher"
    reference: str = ""          # subject the ratio is taken against (same group and case)
    note: str = ""               # why skipped, or what the number includes


@dataclasses.dataclass
class Context:
    rv: str                      # the ringvisor binary
    guests_dir: str              # build/guests
    bench_dir: str               # build/bench: benchmark guests and scratch files
    linux_dir: str               # build/linux (scripts/build-linux-guest.sh)
    qemu: str                    # qemu-system-x86_64, or "" if absent
    repeat: int                  # runs per measurement
    smoke: bool                  # CI smoke: one tiny case, harness format only
    engines: list                # ringvisor engines that run here (ringvisor engines)
    linux_engines: list          # those --engine auto would use for a kernel, i.e. at speed
    engine_notes: dict           # engine -> why it is not in linux_engines

    def log(self, msg):
        print(f"bench: {msg}", file=sys.stderr, flush=True)


# The default Linux guest as boot.py and guest_work.py run it.
LINUX_MEM = "512M"
LINUX_APPEND = "console=ttyS0 quiet"
BUILD_LINUX_GUEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "build-linux-guest.sh")


def build_linux_guest(ctx, mode):
    """None when scripts/build-linux-guest.sh has filled ctx.linux_dir for this
    initramfs mode, else its last error line."""
    try:
        r = subprocess.run([BUILD_LINUX_GUEST, ctx.linux_dir, mode], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
    except OSError as e:
        return str(e)
    return None if r.returncode == 0 else (r.stderr.strip().splitlines() or ["failed"])[-1]


def linux_subjects(ctx, initrd, append, ringvisor_args=(), qemu_args=(), qemu_append=""):
    """[(subject, argv, note)] booting the kernel of ctx.linux_dir with this
    initramfs: each ringvisor engine (the note says why one does not run Linux at
    speed here; "" when it does), then QEMU TCG (argv None when there is none),
    whose command line is append plus qemu_append."""
    kernel = os.path.join(ctx.linux_dir, "vmlinuz")
    out = []
    for e in ctx.engines:
        argv = [ctx.rv, "run", "--engine", e, "--mem", LINUX_MEM, "--append", append, "--initrd", initrd,
                *ringvisor_args, kernel]
        out.append((f"ringvisor {e}", argv, "" if e in ctx.linux_engines else ctx.engine_notes.get(e, "skipped")))
    if ctx.qemu:
        out.append(("qemu tcg", [ctx.qemu, "-accel", "tcg", "-m", LINUX_MEM, "-nographic", "-no-reboot", *qemu_args,
                                 "-kernel", kernel, "-initrd", initrd,
                                 "-append", f"{append} {qemu_append}".strip()], ""))
    else:
        out.append(("qemu tcg", None, "skipped: no qemu-system-x86_64"))
    return out


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on (as of now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def median(values):
    return statistics.median(values) if values else float("nan")


def fmt(v):
    if v != v:  # NaN
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def table(measurements):
    """The report as Markdown table lines."""
    lines = ["| group | case | subject | median | min-max | runs | ratio | note |",
             "|---|---|---|---|---|---|---|---|"]
    for m in measurements:
        ref = next((r for r in measurements if r.group == m.group and r.case == m.case
                    and r.subject == m.reference and r.values), None)
        if m.values:
            value = f"{fmt(median(m.values))} {m.unit}"
            spread = f"{fmt(min(m.values))}-{fmt(max(m.values))}"
        else:
            value, spread = "skipped", ""
        ratio = ""
        if m.values and ref is not None:
            ratio = f"{median(m.values) / median(ref.values):.2f}x {m.reference}"
            if ref is m:
                ratio = "1.00 (reference)"
        better = f"{m.better} is better" if m.values else ""
        note = "; ".join(x for x in (better, m.note) if x)
        lines.append(f"| {m.group} | {m.case} | {m.subject} | {value} | {spread} | {len(m.values)} | {ratio} | {note} |")
    return lines


def machine():
    """One line describing where the numbers were measured."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    qemu = ""
    if shutil.which("qemu-system-x86_64"):
        out = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout
        qemu = ", " + out.splitlines()[0] if out else ""
    return f"{cpu}, {os.cpu_count()} CPUs, {mem:.0f} GiB, Linux {platform.release()}{qemu}"


def translation_cache_rss(pid):
    """MiB of ringvisor's dbt translation cache resident: a memfd of its own
    ("ringvisor-dbt"), mapped twice (written, executed); the written view holds
    every page of code, so the larger of the two counts, once."""
    best, rss, in_cache = 0.0, 0.0, False
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if fields and "-" in fields[0] and not fields[0].endswith(":"):
                in_cache = "ringvisor-dbt" in line
            elif in_cache and fields[0] == "Rss:":
                rss = int(fields[1]) / 1024
                best = max(best, rss)
    return best


def rss_beyond_guest_ram(pid):
    """Resident memory of a process beyond the guest RAM it touched, in MiB:
    with guest RAM in a memfd (ringvisor; QEMU with memory-backend-memfd) that
    is everything that is not shared memory (heap, caches, code) plus, for
    ringvisor's dbt, its translation cache, a memfd too."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                fields[key] = int(rest.split()[0]) / 1024
    cache = translation_cache_rss(pid)
    return (fields.get("RssAnon", 0) + fields.get("RssFile", 0) + cache,
            fields.get("RssShmem", 0) - cache)
