"""measure.py — run a command N times (after one warm-up) and print the
median wall time and the largest peak RSS of the command's process tree.

    python3 bench/measure.py N LABEL -- CMD [ARG...]

Prints one line: LABEL median_s=… min_s=… max_s=… peak_rss_mib=…
Used by the bench/*/run.sh scripts so every figure comes with a baseline
measured in the same run.
"""
import os
import statistics
import sys
import time


def once(cmd):
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    dt = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"measure: {' '.join(cmd)} failed ({status})")
    return dt, ru.ru_maxrss / 1024.0


def main():
    n = int(sys.argv[1])
    label = sys.argv[2]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    once(cmd)
    runs = [once(cmd) for _ in range(n)]
    walls = [r[0] for r in runs]
    print(f"{label} median_s={statistics.median(walls):.3f} min_s={min(walls):.3f} "
          f"max_s={max(walls):.3f} peak_rss_mib={max(r[1] for r in runs):.1f}")


if __name__ == "__main__":
    main()
