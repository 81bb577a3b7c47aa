"""A minimal client of QEMU's machine protocol (QMP) on a UNIX socket, for the
benchmarks that drive QEMU as the reference: one command at a time, events
kept aside, nothing else."""
import json
import socket
import time


class QMP:
    def __init__(self, path, timeout=60.0):
        """Connects to QEMU's -qmp unix:PATH,server=on,wait=off socket once it
        exists, and negotiates capabilities."""
        end = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.time() > end:
                    raise
                time.sleep(0.002)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.events = []
        self._line()  # the greeting
        self.cmd("qmp_capabilities")

    def _line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError("QMP connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        """The command's "return" value; raises on an "error" reply."""
        self.sock.sendall(json.dumps({"execute": name, "arguments": args} if args else {"execute": name})
                          .encode() + b"\n")
        while True:
            msg = self._line()
            if "event" in msg:
                self.events.append(msg)
            elif "error" in msg:
                raise RuntimeError(f"QMP {name}: {msg['error'].get('desc')}")
            else:
                return msg.get("return")

    def close(self):
        self.sock.close()
