"""The rest of a stage's life on the fake Alibaba Cloud: status, invoke,
rollback (the alias moves back), schedule (timers converge; a fired timer
runs the function with its kwargs), tail (3,000 lines over many pages, each
once, in order), request (signed for a function-auth trigger; unsigned is
refused by the fake with 403), undeploy (nothing left)."""
import json
import time

from ali_helpers import writes_since, ACCOUNT, REGION, actions_since, admin, http, requests, state

READS = ("Get", "List", "Describe")


def deploy(run, proj, env, stage="dev"):
    r = run(["deploy", stage], cwd=proj, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_status_invoke_and_rollback(run, ali_project, ali_env, fake_aliyun):
    proj = ali_project()
    url = deploy(run, proj, ali_env)
    http(fake_aliyun, url + "/")
    r = run(["--json", "status", "dev"], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["function"] == "hoistapp-dev" and st["url"] == url and st["version"] == "1"
    assert st["runtime"] == "python3.12" and st["state"] == "Active"
    assert st["invocations_24h"] >= 1 and st["errors_24h"] == 0

    r = run(["invoke", "dev", "--payload", '{"command": "tasks.report"}'], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    r = run(["invoke", "dev", "tasks.cleanup"], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    assert "cleaned" in r.stdout
    assert "cleanup ran" in r.stderr

    (proj / "app.py").write_text((proj / "app.py").read_text().replace(
        "hello from hoist on aliyun", "version two"))
    assert run(["update", "dev"], cwd=proj, env=ali_env, timeout=120).returncode == 0
    assert http(fake_aliyun, url + "/")[2] == b"version two"
    r = run(["rollback", "dev", "-n", "1"], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == url
    assert state(fake_aliyun)["fc"]["functions"]["hoistapp-dev"]["aliases"]["dev"]["versionId"] == "1"
    assert http(fake_aliyun, url + "/")[2] == b"hello from hoist on aliyun"
    r = run(["rollback", "dev", "-n", "5"], cwd=proj, env=ali_env)
    assert r.returncode == 1 and "cannot roll back 5 versions" in r.stderr
    # update after a rollback puts the stage back on the newest code, uploading nothing
    n0 = len(requests(fake_aliyun))
    assert run(["update", "dev"], cwd=proj, env=ali_env, timeout=120).returncode == 0
    writes = writes_since(fake_aliyun, n0)
    assert writes == ["UpdateAlias"], writes
    assert http(fake_aliyun, url + "/")[2] == b"version two"


def test_schedule_converges_and_fires(run, ali_project, ali_env, fake_aliyun):
    events = [{"name": "nightly", "function": "tasks.report", "expression": "cron(0 2 * * ? *)",
               "kwargs": {"who": "fc", "n": 2}},
              {"name": "often", "function": "tasks.cleanup", "expression": "rate(5 minutes)"}]
    proj = ali_project({"events": events, "keep_warm": True})
    deploy(run, proj, ali_env)
    f = state(fake_aliyun)["fc"]["functions"]["hoistapp-dev"]
    timers = {n: json.loads(t["triggerConfig"]) for n, t in f["triggers"].items()
              if t["triggerType"] == "timer"}
    assert timers["hoist-nightly"]["cronExpression"] == "0 0 2 * * ?"
    assert timers["hoist-often"]["cronExpression"] == "@every 5m"
    assert timers["hoist-keep_warm"]["cronExpression"] == "@every 4m"
    assert json.loads(timers["hoist-nightly"]["payload"]) == {
        "hoist_event": {"name": "nightly", "function": "tasks.report", "kwargs": {"who": "fc", "n": 2}}}
    fired = admin(fake_aliyun, "/__fake/fire-timer", {"function": "hoistapp-dev", "trigger": "hoist-nightly"})
    assert "report [('n', 2), ('who', 'fc')]" in fired["logs"], fired
    # nothing changed: schedule writes nothing
    n0 = len(requests(fake_aliyun))
    r = run(["schedule", "dev"], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    assert all(a.startswith(READS) for a in actions_since(fake_aliyun, n0))
    # one event changes, one goes away: only the difference is written
    proj = ali_project({"events": [dict(events[0], expression="rate(1 hour)")], "keep_warm": True})
    n0 = len(requests(fake_aliyun))
    r = run(["schedule", "dev"], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    writes = writes_since(fake_aliyun, n0)
    assert sorted(writes) == ["DeleteTrigger", "UpdateTrigger"], writes
    r = run(["unschedule", "dev"], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    f = state(fake_aliyun)["fc"]["functions"]["hoistapp-dev"]
    assert list(f["triggers"]) == ["hoist-http"]


def test_tail_many_pages_each_line_once_in_order(run, ali_project, ali_env, fake_aliyun):
    proj = ali_project()
    deploy(run, proj, ali_env)
    lines = [f"line {i:04d}" for i in range(3000)]
    t0 = int(time.time()) - 300
    admin(fake_aliyun, "/__fake/logs", {"project": f"hoist-{ACCOUNT}-{REGION}", "logstore": "hoistapp-dev",
                                        "topic": "FCLogs:hoistapp-dev", "lines": lines, "time": t0,
                                        "spread": 0.05})
    n0 = len(requests(fake_aliyun, "sls", "GetLogs"))
    r = run(["tail", "dev", "--since", "1h", "--no-follow"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    got = [l.split("line ", 1)[1] for l in r.stdout.splitlines() if "line " in l]
    assert got == [f"{i:04d}" for i in range(3000)]
    pages = requests(fake_aliyun, "sls", "GetLogs")[n0:]
    assert len(pages) >= 60   # 30 pages of 100, each first answered Incomplete
    r = run(["tail", "dev", "--since", "1h", "--no-follow", "--filter", "line 0042"],
            cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    assert [l for l in r.stdout.splitlines() if "line " in l][-1].endswith("line 0042")


def test_request_signed_trigger_and_unsigned_refused(run, ali_project, ali_env, fake_aliyun):
    proj = ali_project({"iam_authorization": True})
    url = deploy(run, proj, ali_env)
    trig = state(fake_aliyun)["fc"]["functions"]["hoistapp-dev"]["triggers"]["hoist-http"]
    assert json.loads(trig["triggerConfig"])["authType"] == "function"
    status, _, body = http(fake_aliyun, url + "/")
    assert status == 403 and b"required HTTP header Date was not specified" in body
    r = run(["request", "dev", "/echo?x=1%202&y=z", "-d", "hi"], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"method": "POST", "path": "/echo", "args": {"x": "1 2", "y": "z"},
                                    "body": "hi"}
    r = run(["request", "dev", "GET", "/"], cwd=proj,
            env=dict(ali_env, ALIBABA_CLOUD_ACCESS_KEY_SECRET="not-the-secret"))
    assert r.returncode == 1
    assert "403" in r.stderr or "SignatureNotMatch" in r.stdout + r.stderr


def test_undeploy_leaves_nothing(run, ali_project, ali_env, fake_aliyun):
    proj = ali_project({"events": [{"name": "often", "function": "tasks.cleanup",
                                    "expression": "rate(5 minutes)"}],
                        "dead_letter_arn": f"acs:mns:{REGION}:{ACCOUNT}:/queues/dlq/messages"})
    deploy(run, proj, ali_env)
    f = state(fake_aliyun)["fc"]["functions"]["hoistapp-dev"]
    assert f["async"]["dev"]["destinationConfig"]["onFailure"]["destination"].startswith("acs:mns:")
    r = run(["undeploy", "dev", "--yes", "--remove-logs"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    s = state(fake_aliyun)
    assert s["fc"]["functions"] == {}
    assert s["sls"]["projects"] == {}
    assert all(not b["objects"] for b in s.get("oss", {}).get("buckets", {}).values())
    r = run(["status", "dev"], cwd=proj, env=ali_env)
    assert r.returncode == 1 and "is not deployed" in r.stderr
    r = run(["undeploy", "dev", "--yes"], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
