"""The engine list of the test suites and the host's probe, for the Python tests.

The list is the one in tests/engines.sh (ENGINES in the environment overrides
it), so a new engine joins these tests by the same one edit as the shell
runners. What the host can run is what `ringvisor engines` says."""
import os
import subprocess

ENGINES_SH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "engines.sh")


def engine_list():
    """The engines to test on, in order: tests/engines.sh's ENGINES."""
    out = subprocess.run(["bash", "-c", '. "$1" && echo "$ENGINES"', "bash", ENGINES_SH],
                         capture_output=True, text=True, check=True).stdout
    return out.split()


def _engines_output(rv):
    p = subprocess.run([rv, "engines"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        return None, "'ringvisor engines' failed: " + (p.stdout + p.stderr).strip()[:200]
    return p.stdout.splitlines(), None


def engine_problem(rv, engine):
    """None if `ringvisor engines` says "ENGINE available", else why not (its line there)."""
    lines, err = _engines_output(rv)
    if err:
        return err
    for line in lines:
        if line.split(" ", 1)[0] == engine:
            return None if line == engine + " available" else line
    return f"'ringvisor engines' does not list {engine}"


def hw_kvm_problem(rv):
    """None if kvm runs guest kernel code in hardware here (`ringvisor engines`
    says --engine auto would choose kvm), else why not."""
    lines, err = _engines_output(rv)
    if err:
        return "cannot tell whether kvm runs guest kernels in hardware: " + err
    auto = [line[len("auto: "):] for line in lines if line.startswith("auto: ")]
    if not auto:
        return "'ringvisor engines' does not say what --engine auto chooses"
    chosen = auto[-1].split(" ", 1)[0]
    if chosen == "kvm":
        return None
    why = "it chooses " + chosen
    if "(passed over " in auto[-1]:
        for part in auto[-1].split("(passed over ", 1)[1].rstrip(")").split("; "):
            if part.startswith("kvm: "):
                why = part[len("kvm: "):]
    return "needs guest kernel mode in hardware, and --engine auto passes over kvm: " + why
