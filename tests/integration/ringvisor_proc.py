"""What the Python tests that drive a counting guest through the control
socket share (api_control.py, migrate.py): a ringvisor process whose output
is read line by line on threads, `ringvisor ctl`, and the check that counts
are consecutive. Processes still running when the test ends are killed."""
import atexit
import re
import socket
import subprocess
import threading
import time

COUNT = re.compile(r"count (\d+)$")
started = []


@atexit.register
def kill_leftovers():
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


class Guest:
    """A ringvisor process (run, restore, run --incoming) with --api-sock,
    its stdout and stderr read line by line on threads."""

    def __init__(self, rv, args, sock):
        self.sock = sock
        self.lines = []
        self.err_lines = []
        self.tail = ""  # stdout's last line, if the process ended in the middle of it
        self.lock = threading.Lock()
        self.proc = subprocess.Popen([rv, *args, "--api-sock", sock], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started.append(self.proc)
        self.readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self.lines), daemon=True),
                        threading.Thread(target=self._read, args=(self.proc.stderr, self.err_lines), daemon=True)]
        for r in self.readers:
            r.start()

    def _read(self, stream, into):
        for line in stream:
            # A stop ends the guest at once, possibly in the middle of a line
            # ("count 1" of "count 106"): only whole lines count, and the
            # rest is kept aside (a migrated guest finishes it elsewhere).
            if not line.endswith("\n"):
                if into is self.lines:
                    self.tail = line
                break
            with self.lock:
                into.append(line[:-1])

    def counts(self):
        with self.lock:
            return [int(m.group(1)) for m in map(COUNT.match, self.lines) if m]

    def last_count(self):
        c = self.counts()
        return c[-1] if c else -1

    def fails(self):
        with self.lock:
            return [line for line in self.lines if line.startswith("FAIL")]

    def wait_count(self, n, timeout=30.0):
        """True once "count N" (or a later one) has been printed."""
        end = time.time() + timeout
        while time.time() < end and self.proc.poll() is None:
            if self.last_count() >= n:
                return True
            time.sleep(0.02)
        return self.last_count() >= n

    def wait_stderr(self, text, timeout=10.0):
        """True once a line of stderr holds text."""
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                if any(text in line for line in self.err_lines):
                    return True
            if self.proc.poll() is not None:
                time.sleep(0.1)  # the reader may still hold the last lines
                with self.lock:
                    return any(text in line for line in self.err_lines)
            time.sleep(0.02)
        return False

    def end(self, timeout=30.0):
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            status = None
        for r in self.readers:
            r.join(5)
        return status

    def stderr(self):
        with self.lock:
            return "\n".join(self.err_lines) if self.proc.poll() is not None else ""


def ctl(rv, *args, timeout=60):
    p = subprocess.run([rv, "ctl", *args], capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on (as of now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def consecutive(counts, first):
    """Whether counts is first, first + 1, ... (a line lost or repeated breaks it)."""
    return bool(counts) and counts == list(range(first, first + len(counts)))


class Checks:
    """One PASS/FAIL/SKIP line per check, prefixed by the suite's name, and
    the "N passed, N failed, N skipped" line at the end."""

    def __init__(self, suite):
        self.suite = suite
        self.passed = self.failed = self.skipped = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS: {self.suite} {name}")
        else:
            self.failed += 1
            print(f"FAIL: {self.suite} {name}: {detail}")

    def runnable(self, rv, engines, problem):
        """The engines this host runs; a SKIP line for each other one (problem(rv, engine): why not, or None)."""
        out = []
        for engine in engines:
            why = problem(rv, engine)
            if why:
                print(f"SKIP: {self.suite} {engine}: {why}")
                self.skipped += 1
            else:
                out.append(engine)
        return out

    def summary(self):
        print(f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped")
        return 1 if self.failed else 0
