"""Peak memory of one hoist run, for the tests that hold hoist to its memory
target (at most 20 MiB for every command).

Peak RSS survives exec on Linux, and a child forked from pytest starts with
pytest's: hoist is started from a small fresh interpreter instead, which
waits for it and prints its ru_maxrss (KiB) on the last line of stderr."""
import os
import subprocess

RSS_LIMIT_MIB = 20

LAUNCH = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, ru = os.wait4(pid, 0)
sys.stderr.write("\\n%d\\n" % ru.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def sanitized():
    """Under AddressSanitizer peak memory means nothing."""
    return os.environ.get("SANITIZE") == "1"


def run_rss(hoist, args, cwd, env=None):
    """Run hoist; -> (returncode, stderr, peak RSS in MiB).  env: changes to
    os.environ (None removes a variable)."""
    e = dict(os.environ)
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = str(v)
    p = subprocess.run(["/usr/bin/python3", "-c", LAUNCH, hoist, *map(str, args)], cwd=cwd,
                       env=e, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=120)
    err, _, kib = p.stderr.rstrip("\n").rpartition("\n")
    return p.returncode, err, int(kib) / 1024
