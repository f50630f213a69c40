"""Reads that do not need each other's answers go side by side (core/beside.h,
providers/aws/ctx.c): against a cloud each call is a round trip, and side by
side they cost the longest of them.  The fake holds one request unanswered
("block") and the test sees the others arrive meanwhile; hoist then finishes
as it would have one call after another.  (The no-change update's reads:
test_nochange.py.)"""
import json
import os

from aws_helpers import env_of, fake_post, fake_requests, start, state, wait_for

FN = "hoistapp-dev"
EVENTS = [{"function": "tasks.cleanup", "expression": "rate(1 hour)"}]


def held_while(fake_aws, n0, held, seen):
    """While the fake holds `held` (unanswered), every operation in `seen` arrives too."""
    def arrived():
        reqs = fake_requests(fake_aws)[n0:]
        hold = [q for q in reqs if q["operation"] == held]
        return seen <= {q["operation"] for q in reqs} and hold and "took" not in hold[-1]
    wait_for(arrived, timeout=20)


def run_holding(hoist, fake_aws, env, d, args, held, seen):
    """hoist `args` with `held` held until `seen` arrived; -> (exit status, stdout, stderr)."""
    fake_post(fake_aws, "/__fake/reset-faults", {})
    fake_post(fake_aws, "/__fake/faults", {"operation": held, "kind": "block", "count": 1,
                                           "delay": 60})
    n0 = len(fake_requests(fake_aws))
    p = start(hoist, args, d, env)
    try:
        held_while(fake_aws, n0, held, seen)
    finally:
        fake_post(fake_aws, "/__fake/release", {})
    out, err = p.communicate(timeout=60)
    return p.returncode, out, err


def test_a_deploy_reads_the_role_beside_the_account_and_the_bucket(
        hoist, aws_env, aws_project, fake_aws, tmp_path):
    d = aws_project({"keep_warm": False})
    env = env_of(tmp_path, aws_env)
    rc, out, err = run_holding(hoist, fake_aws, env, d, ["deploy", "dev"],
                               "GetCallerIdentity", {"GetRole"})
    assert rc == 0, err
    assert out.strip().startswith("https://")
    assert FN in state(fake_aws)["lambda"]


def test_an_update_asks_for_the_upload_bucket_while_it_takes_the_lock(
        run, hoist, aws_env, aws_project, fake_aws, tmp_path):
    """A package above 4 MiB goes through S3: its bucket's HeadBucket is asked while
    the stage lock's marker is written (the first write), not after it."""
    d = aws_project({"keep_warm": False})
    (d / "blob.bin").write_bytes(os.urandom(5 * 1024 * 1024))   # stored as is: a 5 MiB zip
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    (d / "app.py").write_text((d / "app.py").read_text() + "\n# changed\n")
    env = env_of(tmp_path, aws_env)
    fake_post(fake_aws, "/__fake/reset-faults", {})
    # the lock's marker is the update's first PutObject: held, HeadBucket comes meanwhile
    rc, out, err = run_holding(hoist, fake_aws, env, d, ["update", "dev"], "PutObject",
                               {"HeadBucket"})
    assert rc == 0, err
    ops = [q["operation"] for q in fake_requests(fake_aws)]
    assert "UpdateFunctionCode" in ops


def test_status_reads_the_versions_front_door_rules_and_metrics_side_by_side(
        run, hoist, aws_env, aws_project, fake_aws, tmp_path):
    d = aws_project({"events": EVENTS, "keep_warm": False})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    r = run(["--json", "status", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    rc, out, err = run_holding(hoist, fake_aws, env_of(tmp_path, aws_env), d,
                               ["--json", "status", "dev"], "ListVersionsByFunction",
                               {"GetRestApis", "ListRuleNamesByTarget",
                                "GetMetricStatistics"})
    assert rc == 0, err
    held, free = json.loads(out), json.loads(r.stdout)
    assert list(held) == list(free)           # the same keys, in the same order
    assert held["url"] == url and held["invocations_24h"] == free["invocations_24h"]
    names = [(r["name"], r["expression"]) for r in held["schedules"]]   # "next": from now
    assert names == [(r["name"], r["expression"]) for r in free["schedules"]] and names


def test_status_fails_when_the_versions_cannot_be_read(run, aws_env, aws_project, fake_aws):
    """The published versions are the status's own: read beside the rest, a failure to
    read them is still the command's error (the others' are warnings)."""
    d = aws_project({"keep_warm": False})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    fake_post(fake_aws, "/__fake/faults", {"operation": "ListVersionsByFunction",
                                           "kind": "denied", "count": -1})
    r = run(["status", "dev"], cwd=d, env=aws_env)
    fake_post(fake_aws, "/__fake/reset-faults", {})
    assert r.returncode != 0 and "ListVersionsByFunction" in r.stderr, r.stderr
    assert "AccessDenied" in r.stderr and r.stdout == ""
