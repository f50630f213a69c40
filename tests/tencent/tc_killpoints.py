"""The kill-at-every-request converge check on Tencent Cloud (the AWS one is
tests/aws/killpoints.py, whose scenarios and table this reuses).

deploy, update and undeploy run against the fake Tencent Cloud; the fake
SIGKILLs hoist when it receives request k — API 3.0 or COS — before the
request acts, or after it acted and before hoist hears the answer, for every
k.  After each kill the same command is run again and must converge: one
function, its newest code published and the stage alias on it, one function
URL trigger and the timers the settings ask for on that alias, one CLS topic,
no lock marker of a live run, and the URL serving the new code; after
undeploy nothing of the stage is left (function, triggers, COS objects but a
dead run's marker).  A deploy killed after it finished its work is re-run
into "already deployed … did you mean 'hoist update dev'?" (exit 1): true,
and the stage is checked all the same.

Used by tests/tencent/test_tc_kill_converge.py (a few k per command, in make
check) and run on its own for every k, printing the table:

    python3 tests/tencent/tc_killpoints.py [--hoist build/hoist] [--only deploy|update|undeploy]
"""
import json
import os
import pathlib
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "aws"))
sys.path.insert(0, str(HERE.parent))
from killpoints import Harness, run_table  # noqa: E402

FN = "hoistapp-dev"
SETTINGS = {"provider": "tencent", "project_name": "hoistapp", "app_function": "app.app",
            "region": "ap-guangzhou", "runtime": "python3.10", "keep_warm": True, "touch": False,
            "events": [{"function": "app.app", "name": "nightly", "expression": "rate(1 day)"}]}
TIMERS = sorted([f"{FN}-keep_warm", f"{FN}-nightly"])


class TcHarness(Harness):
    """killpoints.Harness for the fake Tencent Cloud."""

    def __init__(self, hoist, fake, workdir, env):
        super().__init__(hoist, fake, workdir, env)
        with open(os.path.join(self.proj, "hoist.json"), "w") as f:
            json.dump({"dev": SETTINGS}, f)

    def ops(self, n0, n1=None):
        with self.fake.lock:
            return [q["action"] for q in self.fake.requests[n0:n1]]

    def deployed_problems(self, version):
        s = self.snapshot()
        fns = s.get("scf", {})
        if list(fns) != [FN]:
            return [f"functions {sorted(fns)}"]
        f, bad = fns[FN], []
        vs = f["versions"]
        newest = max(vs, key=int) if vs else None
        if not newest or vs[newest]["code"] != f["code"]:
            bad.append("$LATEST is not published")
        alias = f["aliases"].get("dev")
        if not alias or alias["FunctionVersion"] != newest:
            bad.append(f"alias dev on {alias and alias['FunctionVersion']}, newest {newest}")
        urls = [t for t in f["triggers"] if t["Type"] == "http"]
        if len(urls) != 1 or urls[0]["Qualifier"] != "dev":
            bad.append(f"{len(urls)} function URL triggers")
        timers = sorted(t["TriggerName"] for t in f["triggers"] if t["Type"] == "timer")
        if timers != TIMERS or any(t["Qualifier"] != "dev" for t in f["triggers"]
                                   if t["Type"] == "timer"):
            bad.append(f"timers {timers}")
        topics = [t for t in s.get("cls_topics", {}).values() if t.get("TopicName") == FN]
        if len(topics) != 1:
            bad.append(f"{len(topics)} CLS topics")
        bad += self.live_markers(s)
        return bad + self.serving_problems(version)

    def gone_problems(self):
        s = self.snapshot()
        bad = []
        if s.get("scf"):
            bad.append(f"functions {sorted(s['scf'])}")
        objs = [k for b in s.get("cos", {}).values() for k in b["objects"]
                if not k.startswith("hoist-locks/")]
        if objs:
            bad.append(f"objects {objs}")
        return bad + self.live_markers(s)

    def live_markers(self, s):
        """Lock markers of a run still alive (a killed run's may stay: see killpoints.py)."""
        bad = []
        with self.fake.lock:
            buckets = self.fake.state.get("cos", {})
            for b in buckets.values():
                for k, o in b["objects"].items():
                    if k.startswith("hoist-locks/") and k.endswith(".json"):
                        pid = json.loads(o["data"]).get("pid", 0)
                        if pid <= 0 or os.path.exists(f"/proc/{pid}"):
                            bad.append(f"lock marker of a live run (pid {pid})")
        return bad


def tc_env(fake):
    from fakecloud.faketencent import DEFAULT_KEYS
    sid, key = next(iter(DEFAULT_KEYS.items()))
    return {"TENCENTCLOUD_ENDPOINT_URL": fake.url, "TENCENTCLOUD_SECRET_ID": sid,
            "TENCENTCLOUD_SECRET_KEY": key, "HOIST_HTTP_BACKOFF_MS": "1", "HOIST_POLL_MS": "1"}


def main():
    import argparse
    from fakecloud.faketencent import Fake
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hoist", default=str(HERE.parent.parent / "build" / "hoist"))
    ap.add_argument("--only", action="append")
    a = ap.parse_args()
    for k in ("TENCENTCLOUD_SESSION_TOKEN", "TENCENTCLOUD_PROFILE", "TENCENTCLOUD_REGION"):
        os.environ.pop(k, None)
    fake = Fake().start()
    try:
        with tempfile.TemporaryDirectory(prefix="hoist-tc-killpoints-") as d:
            h = TcHarness(os.path.abspath(a.hoist), fake, d, tc_env(fake))
            failures = run_table(h, only=a.only)
    finally:
        fake.stop()
    print(f"\n{'all converged' if not failures else f'{len(failures)} failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
