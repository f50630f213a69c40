"""measure.py — run a command N times (after one warm-up) and print the
median wall time and the peak RSS of the largest process of the command's
process tree (Linux reports the largest one, not their sum).

    python3 bench/measure.py N LABEL -- CMD [ARG...]
    python3 bench/measure.py --once -- CMD [ARG...]

Prints one line: LABEL median_s=… min_s=… max_s=… peak_rss_mib=…
(--once: wall_s=… peak_rss_mib=… cpu_s=… exit=… for a single run, the
command's own stdout and stderr kept; cpu_s is user + system time of the
command and the children it waited for).  Used by the bench/*/run.sh scripts so every
figure comes with a baseline measured in the same run.

Peak RSS survives exec on Linux and a forked child starts with its
parent's, so the command is forked from this small interpreter, never from
a big one (a bench that imports botocore runs `measure.py --once`).
"""
import os
import statistics
import sys
import time


def once(cmd, quiet=True):
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        if quiet:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    dt = time.perf_counter() - t0
    once.cpu = ru.ru_utime + ru.ru_stime   # the command's and its reaped children's
    return dt, ru.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status)


def main():
    cmd = sys.argv[sys.argv.index("--") + 1:]
    if sys.argv[1] == "--once":
        dt, rss, code = once(cmd, quiet=False)
        sys.stdout.flush()
        print(f"wall_s={dt:.4f} peak_rss_mib={rss:.1f} cpu_s={once.cpu:.4f} exit={code}",
              file=sys.stderr)
        sys.exit(code)
    n = int(sys.argv[1])
    label = sys.argv[2]
    runs = []
    for i in range(n + 1):
        dt, rss, code = once(cmd)
        if code != 0:
            raise SystemExit(f"measure: {' '.join(cmd)} failed (exit {code})")
        if i:
            runs.append((dt, rss))
    walls = [r[0] for r in runs]
    print(f"{label} median_s={statistics.median(walls):.3f} min_s={min(walls):.3f} "
          f"max_s={max(walls):.3f} peak_rss_mib={max(r[1] for r in runs):.1f}")


if __name__ == "__main__":
    main()
