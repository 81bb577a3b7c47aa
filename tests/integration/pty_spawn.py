"""Starting ringvisor on a fresh pseudo-terminal, as a user at a terminal would."""
import fcntl
import os
import pty
import termios


def spawn_on_pty(argv):
    """Forks and execs argv with a new pty as its controlling terminal and its
    stdin, stdout and stderr. Returns (pid, master, slave, the slave's termios
    attributes before the program ran). The pty being the controlling terminal
    matters: a Ctrl-C that raw mode failed to disarm arrives as SIGINT."""
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.execv(argv[0], argv)
    return pid, master, slave, before
