"""Exit cost: VM exits per second from a guest that does nothing but exit.

The guest (bench/guests/exitloop.c, built by `make bench-guests` into
build/bench/exitloop.elf) is a Multiboot kernel, so Ringvisor and QEMU boot
the same file. Its command line ends with "KIND COUNT"; it performs COUNT
exits of one kind in a tight loop at CPL 0, then writes the debug-exit port:

  port-I/O round trip   OUT to port 0x80 (POST code), which both VMMs answer
                        without side effects. Ringvisor engines, QEMU TCG, and
                        QEMU KVM if it boots the guest on this host (else the
                        row says why it was skipped).
  MMIO read round trip  32-bit read of the I/O APIC's IOREGSEL (0xfec00000).
                        Ringvisor engines and QEMU. Under QEMU KVM the I/O APIC
                        lives in the host kernel (kernel-irqchip=on, QEMU's
                        default for pc), so that read never reaches QEMU.
  hypercall round trip  abi_version (nr 0), the hypercall that does no work
                        (docs/guest-abi.md). Ringvisor engines only: QEMU has
                        no such ABI.

Method. A run is the wall time of the whole process, start to exit. For each
subject and case, runs with COUNT = N and COUNT = 0 (the same boot and exit
path without the loop) alternate, ctx.repeat times each. The boot is taken as
the median of the COUNT = 0 runs, and each COUNT = N run gives one value,
N / (t_N - median t_0), so the spread shown is that of the loop runs and the
boot's own noise enters once, through its median. Rates thus include the few
guest instructions of the loop around each exit. On the software engines
(ringvisor interp, QEMU TCG) an "exit" is a call from the CPU loop into the
device model; on KVM it is a KVM_RUN return to user space and re-entry (for
Ringvisor's hypercall plus reading and writing the registers).

N is calibrated per subject and case, since rates differ by two orders of
magnitude (nested "PVM" KVM exits ~1e5/s, the interpreter ~1e7/s): a pilot
runs COUNT = 0 once, then COUNT = 1000, 10000, ... (or scaled on the last
estimate) until the loop takes at least PILOT_MIN_S; N is then the pilot's
rate times TARGET_S, rounded to two significant digits. The pilot runs are
not reported. The note of each row gives N and the boot time subtracted.

References: port I/O against "qemu kvm" when it runs, else "qemu tcg" (else
a Ringvisor engine, as below): the established VMM on the same accelerator.
MMIO and hypercalls against "ringvisor kvm", else "ringvisor interp": QEMU KVM
answers this MMIO read in the host kernel and has no hypercall, so there is
no like-for-like QEMU figure. A subject that fails once (QEMU KVM unable to
start, say) is recorded as skipped, with QEMU's last line, for every case.

ctx.smoke: one row, port I/O on the first of interp (else the first engine),
N = SMOKE_N, one run of each count, no calibration: checks the harness."""
import math
import os
import subprocess
import time

import lib

GROUP = "exit cost"
UNIT = "exits/s"
CASES = [("pio", "port-I/O round trip"), ("mmio", "MMIO read round trip"), ("hcall", "hypercall round trip")]
REFERENCES = {"pio": ["qemu kvm", "qemu tcg", "ringvisor kvm", "ringvisor interp"],
              "mmio": ["ringvisor kvm", "ringvisor interp"],
              "hcall": ["ringvisor kvm", "ringvisor interp"]}
QEMU_KINDS = ("pio", "mmio")
QEMU_ACCELS = ("tcg", "kvm")
# What a row measures beyond its name.
SUBJECT_NOTES = {("qemu kvm", "mmio"): "answered by the host kernel's I/O APIC (kernel-irqchip=on), not by QEMU"}
GUEST = "exitloop.elf"
MEM = "64M"
TARGET_S = 2.0        # loop time aimed at per run
PILOT_MIN_S = 0.5     # loop time a pilot must reach before its rate is trusted
PILOT_START = 1000
N_MAX = 2**32 - 1     # the guest counts in 32 bits
SMOKE_N = 500_000     # ~0.1 s on the interpreter here; far above process-start noise
RUN_TIMEOUT_S = 300
DONE_STATUS = 1       # debug-exit value 0, on Ringvisor and on QEMU alike...
DONE_LINE = "exitloop: done"  # ...but QEMU also exits with 1 when it cannot start


class RunError(Exception):
    pass


def ringvisor_argv(ctx, engine, guest, kind, n):
    return [ctx.rv, "run", "--engine", engine, "--mem", MEM, "--append", f"{kind} {n}", guest]


def qemu_argv(ctx, accel, guest, kind, n):
    # -nodefaults: no VGA or NIC to initialise; port 0x80 and the I/O APIC are
    # part of the pc machine itself.
    return [ctx.qemu, "-accel", accel, "-M", "pc", "-nodefaults", "-m", MEM, "-kernel", guest,
            "-append", f"{kind} {n}", "-serial", "stdio", "-display", "none", "-monitor", "none",
            "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]


def timed_run(argv):
    """Wall seconds of one run that ended as the guest intended, else RunError."""
    start = time.monotonic()
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise RunError(f"no exit within {RUN_TIMEOUT_S} s") from None
    elapsed = time.monotonic() - start
    if p.returncode != DONE_STATUS or DONE_LINE not in p.stdout.splitlines():
        last = (p.stderr.strip().splitlines() or p.stdout.strip().splitlines() or [""])[-1]
        raise RunError(f"status {p.returncode}: {last}".rstrip(": "))
    return elapsed


def two_digits(x):
    """x rounded to two significant digits, as an int."""
    scale = 10 ** max(0, int(math.floor(math.log10(x))) - 1)
    return int(round(x / scale) * scale)


def calibrate(ctx, label, run):
    """N such that the loop takes about TARGET_S, from pilots of growing count."""
    t0 = run(0)
    n = PILOT_START
    while True:
        loop = run(n) - t0
        if loop >= PILOT_MIN_S or n >= N_MAX:
            break
        if loop < PILOT_MIN_S / 10:
            n *= 10
        else:
            n = math.ceil(n * min(10.0, max(2.0, 1.5 * PILOT_MIN_S / loop)))
        n = min(n, N_MAX)
    n = min(N_MAX, max(PILOT_START, two_digits(n * TARGET_S / max(loop, 1e-3))))
    ctx.log(f"exit_cost: {label}: pilot {n / TARGET_S:,.0f} exits/s, N = {n:,}")
    return n


def measure(ctx, subject, case, kind, run):
    m = lib.Measurement(group=GROUP, case=case, subject=subject, unit=UNIT, values=[], better="higher")
    label = f"{subject} {kind}"
    try:
        n = SMOKE_N if ctx.smoke else calibrate(ctx, label, run)
        t0s, tns = [], []
        for _ in range(ctx.repeat):
            t0s.append(run(0))
            tns.append(run(n))
    except RunError as e:
        ctx.log(f"exit_cost: {label}: {e}")
        m.note = f"skipped: {e}"
        return m
    boot = lib.median(t0s)
    m.values = [n / (t - boot) for t in tns if t > boot]
    m.note = f"N = {n:,} per run, minus boot (COUNT = 0, median {boot:.3f} s)"
    if (subject, kind) in SUBJECT_NOTES:
        m.note += "; " + SUBJECT_NOTES[(subject, kind)]
    if len(m.values) < len(tns):
        m.note += f"; {len(tns) - len(m.values)} runs no slower than the boot, dropped"
    return m


def guest_path(ctx):
    path = os.path.join(ctx.bench_dir, GUEST)
    if not os.path.exists(path):
        raise SystemExit(f"bench: {path} is missing: make bench-guests")
    return path


def set_references(rows):
    for kind, case in CASES:
        case_rows = [m for m in rows if m.case == case]
        have = {m.subject for m in case_rows if m.values}
        ref = next((s for s in REFERENCES[kind] if s in have), "")
        for m in case_rows:
            m.reference = ref


def run(ctx):
    guest = guest_path(ctx)
    if ctx.smoke:
        engine = "interp" if "interp" in ctx.engines else ctx.engines[0]
        return [measure(ctx, f"ringvisor {engine}", CASES[0][1], "pio",
                        lambda n: timed_run(ringvisor_argv(ctx, engine, guest, "pio", n)))]
    rows = []
    skipped = {}  # subject -> note: one that failed is not tried again (a timeout costs minutes)

    def add(subject, case, kind, run):
        if subject in skipped:
            m = lib.Measurement(group=GROUP, case=case, subject=subject, unit=UNIT, values=[],
                                better="higher", note=skipped[subject])
        else:
            m = measure(ctx, subject, case, kind, run)
            if not m.values:
                skipped[subject] = m.note
        rows.append(m)

    if not ctx.qemu:
        skipped.update({f"qemu {a}": "skipped: no qemu-system-x86_64" for a in QEMU_ACCELS})
    for kind, case in CASES:
        for engine in ctx.engines:
            add(f"ringvisor {engine}", case, kind,
                lambda n, e=engine, k=kind: timed_run(ringvisor_argv(ctx, e, guest, k, n)))
        if kind in QEMU_KINDS:
            for accel in QEMU_ACCELS:
                add(f"qemu {accel}", case, kind,
                    lambda n, a=accel, k=kind: timed_run(qemu_argv(ctx, a, guest, k, n)))
    set_references(rows)
    return rows
