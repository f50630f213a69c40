"""The kill-at-every-request converge check (issue 12).

deploy, update and undeploy run against the fake AWS; the fake SIGKILLs hoist
when it receives request k — before the request acts, or after it acted and
before hoist hears the answer — for every k.  After each kill the same
command is run again and must converge: exactly one function, one REST API,
the rules the settings ask for, the new code published and served through the
API; after undeploy nothing of the stage is left (function, API, rules, role,
artifacts, lock marker).  A deploy killed after it finished its work is
re-run into "already deployed … did you mean 'hoist update dev'?" (exit 1):
true, and the stage is checked all the same.

Used by tests/aws/test_kill_converge.py (a few k per command, in make check)
and run on its own for every k, printing the table:

    make killpoints     (or: python3 tests/aws/killpoints.py [--hoist build/hoist]
                         [--only deploy|update|undeploy])
"""
import copy
import json
import os
import subprocess
import sys
import tempfile

FN = "hoistapp-dev"
APP = '''def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"%s"]
'''
SETTINGS = {"provider": "aws", "project_name": "hoistapp", "app_function": "app.app",
            "aws_region": "us-east-1", "runtime": "python3.12", "touch": False,
            "keep_warm": True,
            "events": [{"function": "app.app", "name": "nightly", "expression": "rate(1 day)"}]}
RULES = [f"{FN}-keep_warm", f"{FN}-nightly"]


class Harness:
    """One project and environment on one fake; runs hoist and judges the result."""

    def __init__(self, hoist, fake, workdir, env):
        self.hoist, self.fake, self.dir = hoist, fake, workdir
        self.proj = os.path.join(workdir, "proj")
        os.makedirs(self.proj, exist_ok=True)
        with open(os.path.join(self.proj, "hoist.json"), "w") as f:
            json.dump({"dev": SETTINGS}, f)
        self.app("v1")
        self.pidfile = os.path.join(workdir, "hoist.pid")
        self.env = dict(os.environ, HOME=os.path.join(workdir, "home"),
                        XDG_STATE_HOME=os.path.join(workdir, "state"), **env)
        self.env.pop("VIRTUAL_ENV", None)

    def app(self, version):
        with open(os.path.join(self.proj, "app.py"), "w") as f:
            f.write(APP % f"hello {version}")

    # the fake's state, saved and put back between trials
    def snapshot(self):
        with self.fake.lock:
            return copy.deepcopy(self.fake.state)

    def restore(self, snap):
        with self.fake.lock:
            self.fake.state = copy.deepcopy(snap)
            self.fake.faults = []
            self.fake.kill = None

    def requests(self):
        with self.fake.lock:
            return len(self.fake.requests)

    def ops(self, n0, n1=None):
        with self.fake.lock:
            return [q["operation"] for q in self.fake.requests[n0:n1]]

    def run(self, args, kill=None, timeout=120):
        """hoist args; kill = (k, "before"|"after"): SIGKILLed at its request k.
        Returns (exit status, stderr, operations it sent)."""
        n0 = self.requests()
        if kill:
            with self.fake.lock:
                self.fake.kill = {"at": n0 + kill[0], "when": kill[1], "pidfile": self.pidfile}
        p = subprocess.run(["/bin/sh", "-c", 'echo $$ > "$0"; exec "$@"', self.pidfile,
                            self.hoist] + args, cwd=self.proj, env=self.env,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout)
        with self.fake.lock:
            self.fake.kill = None
        return p.returncode, p.stderr, self.ops(n0)

    # what a converged stage looks like
    def deployed_problems(self, version):
        s = self.snapshot()
        bad = []
        fns = s.get("lambda", {})
        if list(fns) != [FN]:
            return [f"functions {sorted(fns)}"]
        f = fns[FN]
        apis = s.get("apigateway", {}).get("apis", {})
        if len(apis) != 1:
            bad.append(f"{len(apis)} REST APIs")
        rules = s.get("events_rules", {})
        if sorted(rules) != RULES:
            bad.append(f"rules {sorted(rules)}")
        elif any(len(r["targets"]) != 1 for r in rules.values()):
            bad.append("a rule without its target")
        vs = f["versions"]
        newest = vs[max(vs, key=int)] if vs else None
        if not newest or newest["code"] != f["code"]:
            bad.append("$LATEST is not published")
        bad += self.live_markers(s)
        return bad + self.serving_problems(version)

    def serving_problems(self, version):
        """`hoist request dev /` must answer the app of `version`."""
        r = subprocess.run([self.hoist, "request", "dev", "/"], cwd=self.proj, env=self.env,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        if r.returncode != 0 or r.stdout.strip() != f"hello {version}":
            return [f"serves {r.stdout.strip()!r} (exit {r.returncode})"]
        return []

    def gone_problems(self):
        s = self.snapshot()
        bad = []
        if s.get("lambda"):
            bad.append(f"functions {sorted(s['lambda'])}")
        if s.get("apigateway", {}).get("apis"):
            bad.append(f"{len(s['apigateway']['apis'])} REST APIs")
        if s.get("events_rules"):
            bad.append(f"rules {sorted(s['events_rules'])}")
        if s.get("iam_roles"):
            bad.append(f"roles {sorted(s['iam_roles'])}")
        objs = [k for b in s.get("s3", {}).values() for k in b["objects"]]
        if objs:
            bad.append(f"objects {objs}")
        return bad

    @staticmethod
    def live_markers(s):
        """Lock markers of a run still alive.  A killed run's marker may stay (killed
        during or after its release, the re-run changing nothing): the next run that
        changes the stage takes it over, on this machine at once (its pid is gone)."""
        bad = []
        for b in s.get("s3", {}).values():
            for k, o in b["objects"].items():
                if not k.startswith("hoist-locks/"):
                    continue
                pid = json.loads(o["data"]).get("pid", 0)
                if pid <= 0 or os.path.exists(f"/proc/{pid}"):
                    bad.append(f"lock marker of a live run (pid {pid})")
        return bad


class Scenario:
    """A command, the state it starts from, and what converged means after it."""

    def __init__(self, name, args, prepare, check):
        self.name, self.args, self.prepare, self.check = name, args, prepare, check


def scenarios(h):
    empty = h.snapshot()

    def deployed_v1():
        h.restore(empty)
        h.app("v1")
        rc, err, _ = h.run(["deploy", "dev"])
        assert rc == 0, err
        return h.snapshot()

    v1 = deployed_v1()

    def start_empty():
        h.restore(empty)
        h.app("v1")

    def start_v1_with_v2_code():
        h.restore(v1)
        h.app("v2")

    def start_v1():
        h.restore(v1)
        h.app("v1")

    return [
        Scenario("deploy", ["deploy", "dev"], start_empty, lambda: h.deployed_problems("v1")),
        Scenario("update", ["update", "dev"], start_v1_with_v2_code,
                 lambda: h.deployed_problems("v2")),
        Scenario("undeploy", ["undeploy", "dev", "-y"], start_v1, h.gone_problems),
    ]


def trial(h, sc, k, when):
    """Kill at request k, run again, judge: (operation at k, problems)."""
    sc.prepare()
    rc, err, ops = h.run(sc.args, kill=(k, when))
    op = ops[k] if k < len(ops) else "-"
    if rc not in (-9, 0):          # 0: the kill point was never reached (fewer requests)
        return op, [f"killed run exited {rc}: {err.strip().splitlines()[-1:]}"]
    rc, err, _ = h.run(sc.args)
    # killed after the deploy finished its work: the stage is deployed, and deploy says so
    done = sc.name == "deploy" and rc == 1 and "is already deployed at" in err
    if rc != 0 and not done:
        return op, [f"re-run exited {rc}: " + " | ".join(err.strip().splitlines()[-3:])]
    return op, sc.check()


def reference(h, sc):
    """The requests an uninterrupted run makes (and that it converges)."""
    sc.prepare()
    rc, err, ops = h.run(sc.args)
    assert rc == 0, err
    problems = sc.check()
    assert not problems, problems
    return ops


def run_table(h, only=None, ks=None, out=sys.stdout):
    """Every trial of every scenario (or the k chosen by ks(ops)); returns the failures."""
    failures = []
    for sc in scenarios(h):
        if only and sc.name not in only:
            continue
        ops = reference(h, sc)
        picks = ks(ops) if ks else range(len(ops))
        print(f"\n{sc.name}: {len(ops)} requests uninterrupted", file=out)
        print(f"  {'k':>3}  {'request':<34} {'kill before':<12} {'kill after':<12}", file=out)
        for k in picks:
            row = []
            for when in ("before", "after"):
                op, problems = trial(h, sc, k, when)
                row.append("converged" if not problems else "FAILED")
                if problems:
                    failures.append((sc.name, k, when, op, problems))
            print(f"  {k:>3}  {ops[k]:<34} {row[0]:<12} {row[1]:<12}", file=out, flush=True)
    for f in failures:
        print("FAILED %s k=%d %s (%s): %s" % (f[0], f[1], f[2], f[3], "; ".join(f[4])),
              file=out)
    return failures


def main():
    import argparse
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.dirname(here))
    os.environ.setdefault("HOIST_FAKE_SETTLE", "0.01")
    from fakecloud.fakeaws import DEFAULT_KEYS, Fake
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hoist", default=os.path.join(here, "..", "..", "build", "hoist"))
    ap.add_argument("--only", action="append")
    a = ap.parse_args()
    fake = Fake().start()
    akid, secret = next(iter(DEFAULT_KEYS.items()))
    try:
        with tempfile.TemporaryDirectory(prefix="hoist-killpoints-") as d:
            env = {"AWS_ENDPOINT_URL": fake.url, "AWS_ACCESS_KEY_ID": akid,
                   "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "us-east-1",
                   "AWS_CONFIG_FILE": os.path.join(d, "none"),
                   "AWS_SHARED_CREDENTIALS_FILE": os.path.join(d, "none"),
                   "HOIST_HTTP_BACKOFF_MS": "1"}
            for k in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
                os.environ.pop(k, None)
            h = Harness(os.path.abspath(a.hoist), fake, d, env)
            failures = run_table(h, only=a.only)
    finally:
        fake.stop()
    print(f"\n{'all converged' if not failures else f'{len(failures)} failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
