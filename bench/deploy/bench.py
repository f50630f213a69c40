"""Measure hoist on AWS against the fake (tests/fakecloud), see run.sh.

Scenarios, each run RUNS times (after one warm-up) on examples/flask with
Flask and Django vendored (a ~9 MiB zip, like issue 14's app):
  deploy              a fresh stage (undeployed between runs; app.py changed
                      since its last package, by the --all scenarios below)
  no-change update    right after the deploy
  one-file update     app.py changed
  status
  no-change update +20ms, status +20ms   the same with every answer 20 ms late
                      (the fake's "slow" fault on every call), as a cloud's round
                      trip: reads that do not need each other's answers go side
                      by side, so these grow by 20 ms per round trip, not per call
  deploy --no-preflight   the deploy without its pre-flight import (its cost)
  --all (4 stages)    deploy --all of four such stages, against one stage
                      deployed alone and the four one at a time (--jobs 1);
                      app.py is changed before each of the three, so every
                      stage packages with one changed file in each
For each: median wall time; the fake's own share of it (the sum of the
time it spent on each request, its "took": unzipping and checking a 9 MiB
upload is most of a deploy's) and so hoist's share, wall minus the fake's
(--all's requests overlap, so no split there); CPU seconds (user + system)
of hoist with its children and of the fake (this process's threads): figures
a loaded machine stretches less than wall time; peak RSS of the largest
process (each --all stage is a process of its own); requests; and write
requests (anything but Get*/List*/Describe*/Head*).
Ratios are taken between figures of the same run.  BASE=/path/to/other/hoist
measures the same scenarios with that binary too, alternating, and prints
new/base.
"""
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from fakecloud import services  # noqa: E402
from fakecloud.fakeaws import DEFAULT_KEYS, Fake  # noqa: E402

DIST = pathlib.Path("/usr/lib/python3/dist-packages")
VENDORED = ("flask", "werkzeug", "jinja2", "markupsafe", "itsdangerous", "click", "blinker",
            "django")
READS = ("Get", "List", "Describe", "Head")
LATENCY = 0.02   # seconds added to each answer in the "+20ms" scenarios
MEASURE = ROOT / "bench" / "measure.py"


def fake_requests(fake):
    with urllib.request.urlopen(fake.url + "/__fake/requests") as r:
        return json.load(r)


class Bench:
    def __init__(self, fake, work, env):
        self.fake, self.work, self.env = fake, work, env

    def latency(self, seconds):
        """Every request answered `seconds` late (0: the fake's own pace)."""
        def post(path, doc):
            rq = urllib.request.Request(self.fake.url + path, data=json.dumps(doc).encode(),
                                        method="POST")
            urllib.request.urlopen(rq).read()
        post("/__fake/reset-faults", {})
        if seconds:
            post("/__fake/faults", {"operation": "*", "kind": "slow", "count": -1,
                                    "delay": seconds})

    def run(self, hoist, *args, cwd=None, must=True):
        """-> (wall s, peak RSS MiB, requests, writes, the fake's time s, hoist's CPU s,
        the fake's CPU s)."""
        n0 = len(fake_requests(self.fake))
        cpu0 = time.process_time()   # this process's: the fake's threads, all but idle else
        p = subprocess.run([sys.executable, str(MEASURE), "--once", "--", hoist, "-q", *args],
                           cwd=cwd or self.work / "app", env=self.env, capture_output=True,
                           text=True)
        fake_cpu = time.process_time() - cpu0
        last = p.stderr.strip().splitlines()[-1]
        fields = dict(kv.split("=") for kv in last.split())
        if fields["exit"] != "0":
            if must:
                sys.exit(f"bench: hoist {' '.join(args)} failed:\n{p.stderr}")
            return None
        reqs = fake_requests(self.fake)[n0:]
        ops = [q["operation"] for q in reqs]
        writes = [o for o in ops if not o.startswith(READS)]
        fake_s = sum(q.get("took", 0) for q in reqs)
        return (float(fields["wall_s"]), float(fields["peak_rss_mib"]), len(ops), len(writes),
                fake_s, float(fields["cpu_s"]), fake_cpu)


def project(work):
    sp = work / "site-packages"
    for name in VENDORED:
        if (DIST / name).is_dir():
            shutil.copytree(DIST / name, sp / name, symlinks=False, ignore_dangling_symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
    app = work / "app"
    shutil.copytree(ROOT / "examples" / "flask", app,
                    ignore=shutil.ignore_patterns(".venv", "__pycache__", "*.zip"))
    stage = {"provider": "aws", "project_name": "flaskdemo", "app_function": "app.app",
             "aws_region": "us-east-1", "site_packages": str(sp),
             # the fake's Invoke starts a fresh Python and imports Flask (~1-3 s): the
             # fake's cost, not hoist's; touch is measured by the tests, not here
             "touch": False,
             "events": [{"function": "tasks.heartbeat", "expression": "rate(5 minutes)"}]}
    (app / "hoist.json").write_text(json.dumps({"bench": stage}))
    (app / "all.json").write_text(json.dumps({f"s{i}": stage for i in range(1, 5)}))
    return app


def one_round(b, hoist, app, n):
    """One run of every scenario with `hoist`; -> {scenario: figures}."""
    out = {}

    def edit(what):   # each stage then packages with one changed file, in every scenario
        with open(app / "app.py", "a") as f:
            f.write(f"\n# bench edit {n} {what}\n")
    edit("deploy")   # a package its pre-flight has not seen: deploy pays for it, as a first one does
    out["deploy"] = b.run(hoist, "deploy", "bench")
    out["no-change update"] = b.run(hoist, "update", "bench")
    edit("one")
    out["one-file update"] = b.run(hoist, "update", "bench")
    out["status"] = b.run(hoist, "status", "bench")
    # the same two with every answer LATENCY late, as a cloud's round trip: what reads
    # made side by side save (the fake answers each call on a thread of its own)
    b.latency(LATENCY)
    out[f"no-change update +{LATENCY * 1000:.0f}ms"] = b.run(hoist, "update", "bench")
    out[f"status +{LATENCY * 1000:.0f}ms"] = b.run(hoist, "status", "bench")
    b.latency(0)
    b.run(hoist, "undeploy", "bench", "-y")
    edit("np")   # a package not pre-flighted before: what --no-preflight saves
    out["deploy --no-preflight"] = b.run(hoist, "deploy", "bench", "--no-preflight")
    b.run(hoist, "undeploy", "bench", "-y")
    edit("s1")
    out["deploy 1 of 4 stages"] = b.run(hoist, "-s", "all.json", "deploy", "s1")
    b.run(hoist, "-s", "all.json", "undeploy", "s1", "-y")
    edit("all")
    out["deploy --all (4)"] = b.run(hoist, "-s", "all.json", "deploy", "--all")
    b.run(hoist, "-s", "all.json", "undeploy", "--all", "-y")
    edit("jobs 1")
    # an older hoist (BASE) has no --jobs: its --all is one at a time already
    out["deploy --all --jobs 1"] = (b.run(hoist, "-s", "all.json", "deploy", "--all", "--jobs", "1",
                                          must=False) or out["deploy --all (4)"])
    b.run(hoist, "-s", "all.json", "undeploy", "--all", "-y", must=False)
    return out


def med(rounds, key, i):
    return statistics.median(r[key][i] for r in rounds)


def report(name, rounds):
    print(f"{name}:")
    print(f"  {'scenario':24} {'wall s':>8} {'fake s':>7} {'hoist s':>8} {'peak MiB':>9} "
          f"{'requests':>9} {'writes':>7} {'hoist cpu':>9} {'fake cpu':>8}")
    for key in rounds[0]:
        own = statistics.median(r[key][0] - r[key][4] for r in rounds)
        split = "--all" not in key and "ms" not in key   # requests side by side: no split
        print(f"  {key:24} {med(rounds, key, 0):8.3f} "
              f"{(f'{med(rounds, key, 4):7.3f}' if split else '      -')} "
              f"{(f'{own:8.3f}' if split else '       -')} "
              f"{max(r[key][1] for r in rounds):9.1f} {med(rounds, key, 2):9.0f} "
              f"{med(rounds, key, 3):7.0f} {med(rounds, key, 5):9.3f} {med(rounds, key, 6):8.3f}")

    def ratio(a, b):
        return statistics.median(r[a][0] / r[b][0] for r in rounds)
    print(f"  ratios (same run): no-change update/deploy {ratio('no-change update', 'deploy'):.2f}, "
          f"one-file update/deploy {ratio('one-file update', 'deploy'):.2f}, "
          f"--all 4/1 stage {ratio('deploy --all (4)', 'deploy 1 of 4 stages'):.2f}, "
          f"--all 4/one at a time {ratio('deploy --all (4)', 'deploy --all --jobs 1'):.2f}, "
          f"no-change update +20ms/+0 {ratio('no-change update +20ms', 'no-change update'):.2f}, "
          f"deploy/deploy --no-preflight {ratio('deploy', 'deploy --no-preflight'):.2f}")


def main():
    hoist, runs = sys.argv[1], int(sys.argv[2])
    base = os.environ.get("BASE")
    load0 = f"{os.getloadavg()[0]:.2f}"
    work = pathlib.Path(tempfile.mkdtemp())
    fake = Fake().start()
    try:
        app = project(work)
        akid, secret = next(iter(DEFAULT_KEYS.items()))
        env = dict(os.environ, AWS_ENDPOINT_URL=fake.url, AWS_ACCESS_KEY_ID=akid,
                   AWS_SECRET_ACCESS_KEY=secret, AWS_REGION="us-east-1", HOME=str(work),
                   XDG_CACHE_HOME=str(work / "cache"), XDG_STATE_HOME=str(work / "state"),
                   AWS_CONFIG_FILE=str(work / "none"),
                   AWS_SHARED_CREDENTIALS_FILE=str(work / "none"))
        for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "VIRTUAL_ENV"):
            env.pop(k, None)
        b = Bench(fake, work, env)
        # BASE keeps its own caches: a hoist of another version distrusts the package cache
        # (and pre-flight records) the other one made, so sharing one would make both cold
        bb = Bench(fake, work, dict(env, XDG_CACHE_HOME=str(work / "cache-base")))
        new, old = [], []
        for n in range(runs + 1):           # the first round warms up (and the package cache)
            fake.reset()
            r = one_round(b, hoist, app, n)
            if n:
                new.append(r)
            if base:
                fake.reset()
                r = one_round(bb, base, app, n)
                if n:
                    old.append(r)
        z = sorted((work / "cache").glob("hoist/flaskdemo-bench-*/package.zip"))
        if z:
            print(f"app: examples/flask with {', '.join(VENDORED)} vendored; "
                  f"zip {z[0].stat().st_size / 1048576:.1f} MiB; {runs} runs, medians")
        print(f"fake: a function settles (Pending -> Active, InProgress -> Successful) "
              f"{services.SETTLE_SECONDS:g} s after each change (HOIST_FAKE_SETTLE; real "
              f"Lambda takes seconds); HOIST_HTTP_BACKOFF_MS={os.environ.get('HOIST_HTTP_BACKOFF_MS', '-')}")
        print(f"load average: {load0} at the start, {os.getloadavg()[0]:.2f} at the end "
              f"({os.cpu_count()} processors)")
        report(hoist, new)
        if base:
            report(base, old)
            print("new/base (median of per-run ratios):")
            for key in new[0]:
                rs = [a[key][0] / c[key][0] for a, c in zip(new, old)]
                print(f"  {key:24} {statistics.median(rs):.2f}")
        print("targets: deploy <= 0.4 s, no-change update <= 0.15 s with 0 writes, "
              "one-file update <= 0.3 s, --all of 4 <= 1.5x one stage, <= 20 MiB each")
    finally:
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
