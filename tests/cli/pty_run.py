"""Running hoist with its stderr on a terminal (a pty), for the tests of what
it prints there; stdout stays a pipe."""
import os
import pty
import subprocess


def run_on_pty(args, cwd, env, timeout=60):
    """-> (CompletedProcess with stdout bytes, everything written on the terminal as str)."""
    master, slave = pty.openpty()
    p = subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE, stderr=slave,
                       stdin=subprocess.DEVNULL, env=env, timeout=timeout)
    os.close(slave)
    err = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    return p, err.decode()
