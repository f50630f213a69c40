"""Measure hoist deploy / no-change update / peak memory against the fake
Tencent Cloud (see run.sh)."""
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from bench_support import (LATENCY, fake_requests as requests, flask_project, latency,  # noqa: E402
                           write_blob)
from fakecloud.faketencent import DEFAULT_KEYS, Fake  # noqa: E402

WRITES = {"CreateFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration",
          "PublishVersion", "CreateAlias", "UpdateAlias", "CreateTrigger", "UpdateTrigger",
          "DeleteTrigger", "CreateLogset", "CreateTopic", "PutObject", "PutBucket", "DeleteObject"}


def main():
    hoist, runs = sys.argv[1], int(sys.argv[2])
    work = pathlib.Path(tempfile.mkdtemp())
    fake = Fake().start()
    try:
        proj = flask_project(work, "flask", {
            "provider": "tencent", "project_name": "flaskdemo", "app_function": "app.app",
            "region": "ap-guangzhou", "runtime": "python3.10", "exclude": ["*.so"],
            # the fake's Invoke starts a fresh Python and imports Flask (~1 s): the
            # fake's cost, not hoist's (as bench/deploy)
            "touch": False,
            "events": [{"function": "tasks.heartbeat", "expression": "rate(5 minutes)"}]})
        sid, key = next(iter(DEFAULT_KEYS.items()))
        env = dict(os.environ, TENCENTCLOUD_ENDPOINT_URL=fake.url, TENCENTCLOUD_SECRET_ID=sid,
                   TENCENTCLOUD_SECRET_KEY=key, HOME=str(work))
        for k in ("TENCENTCLOUD_SESSION_TOKEN", "TENCENTCLOUD_PROFILE", "TENCENTCLOUD_REGION"):
            env.pop(k, None)

        def timed(*args):
            n0 = len(requests(fake))
            t0 = time.monotonic()
            r = subprocess.run([hoist, "-q", *args], cwd=proj, env=env, capture_output=True,
                               text=True)
            dt = time.monotonic() - t0
            if r.returncode:
                sys.exit(f"bench: hoist {' '.join(args)} failed:\n{r.stderr}")
            return dt, requests(fake)[n0:]

        def peak_rss_mib(*args):
            """Max RSS of one hoist run (GNU time: its child is forked from a small
            process, so the count is hoist's own, not this Python's pre-exec pages)."""
            r = subprocess.run(["/usr/bin/time", "-f", "%M", hoist, "-q", *args], cwd=proj,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
            if r.returncode:
                sys.exit(f"bench: hoist {' '.join(args)} failed:\n{r.stderr}")
            return int(r.stderr.strip().splitlines()[-1]) / 1024.0

        dep, upd, one, slow_upd, slow_st = [], [], [], [], []
        for _ in range(runs):
            fake.reset()
            dt, reqs = timed("deploy", "bench")
            dep.append((dt, len(reqs)))
            dt, reqs = timed("update", "bench")
            writes = [q for q in reqs if q["action"] in WRITES]
            uploads = [q for q in reqs if q["action"] in ("PutObject", "UpdateFunctionCode")
                       and not q["params"].get("Key", "").startswith("hoist-locks/")]
            upd.append((dt, len(reqs), len(writes), len(uploads)))
            with open(proj / "app.py", "a") as f:   # one changed file: code, config, publish
                f.write(f"\n# bench edit {time.time()}\n")
            dt, reqs = timed("update", "bench")
            one.append((dt, len(reqs), len([q for q in reqs if q["action"] in WRITES])))
            # every answer LATENCY late, as a cloud's round trip: reads made ahead, side by
            # side, cost their longest chain instead of one round trip each
            latency(fake, LATENCY)
            slow_upd.append(timed("update", "bench")[0])
            slow_st.append(timed("status", "bench")[0])
            latency(fake, 0)
            timed("undeploy", "bench", "-y")
        med = statistics.median
        print(f"deploy:            median {med(d[0] for d in dep):.3f} s, "
              f"{med(d[1] for d in dep):.0f} requests  (runs: "
              + ", ".join(f"{d[0]:.3f}" for d in dep) + ")")
        print(f"no-change update:  median {med(u[0] for u in upd):.3f} s, "
              f"{med(u[1] for u in upd):.0f} requests, {max(u[2] for u in upd)} writes, "
              f"{max(u[3] for u in upd)} uploads  (runs: "
              + ", ".join(f"{u[0]:.3f}" for u in upd) + ")")
        print(f"one-file update:   median {med(u[0] for u in one):.3f} s, "
              f"{med(u[1] for u in one):.0f} requests, {med(u[2] for u in one):.0f} writes  "
              "(runs: " + ", ".join(f"{u[0]:.3f}" for u in one) + ")")
        ms = f"+{LATENCY * 1000:.0f}ms"
        print(f"no-change update {ms}: median {med(slow_upd):.3f} s; status {ms}: median "
              f"{med(slow_st):.3f} s (every answer {LATENCY * 1000:.0f} ms late)")

        rows = []
        for label, mib in (("small (baseline)", 0), ("6 MiB", 6), ("64 MiB", 64)):
            write_blob(proj / "blob.bin", mib)
            fake.reset()
            pkg = peak_rss_mib("package", "bench", "--no-cache", "-o", str(work / "p.zip"))
            rss = peak_rss_mib("deploy", "bench")
            via = "COS" if any(q["action"] == "PutObject" and
                               not q["params"]["Key"].startswith("hoist-locks/")
                               for q in requests(fake)) else "inline"
            rows.append((label, rss, via, pkg))
            timed("undeploy", "bench", "-y")
        base = rows[0][1]
        for label, rss, via, pkg in rows:
            print(f"peak memory, deploy {label:<17} {rss:6.1f} MiB ({via}; "
                  f"{rss / base:.2f}x the small package; hoist package alone {pkg:.1f} MiB)")
        print("targets: no-change update 0 writes and 0 uploads; peak memory <= 20 MB; "
              "deploy <= 0.4 s, one-file update <= 0.3 s (as on AWS)")
    finally:
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
