"""hoist deploy / update / status / invoke / manage / rollback / undeploy on
Tencent Cloud, end to end against the fake (tests/fakecloud/faketencent.py,
judged by Tencent's SDK code): examples/flask with a vendored Flask, every
function setting checked in the fake's state, one version, one alias, one
function URL; requests to the fake function URL run the packaged code; the
no-change update proven from the requests the fake received; nothing of the
stage left after undeploy."""
import json
import re

import pytest

from tc_helpers import WRITES, actions_since, fake_requests, fetch, state, writes_since

FN = "flaskdemo-dev"
URL_RE = re.compile(r"^https://1250000000-[0-9a-f]{10}\.ap-guangzhou\.tencentscf\.com$")
DLQ = "qcs::cmq:ap-guangzhou:uin/100000000001:queueName/flaskdemo-dlq"
def settings(site_packages, **extra):
    s = {
        "provider": "tencent",
        "project_name": "flaskdemo",
        "app_function": "app.app",
        "region": "ap-guangzhou",
        "runtime": "python3.10",
        "site_packages": str(site_packages),
        "exclude": ["*.so"],
        "memory_size": 1024,
        "timeout_seconds": 45,
        "environment_variables": {"GREETING": "hi", "MODE": "test"},
        "vpc_config": {"VpcId": "vpc-abc123", "SubnetId": "subnet-def456"},
        "role_arn": "qcs::cam::uin/100000000001:roleName/SCF_QcsRole",
        "dead_letter_arn": DLQ,
        "layers": ["flask-deps:3"],
        "lambda_description": "the flask demo",
        "tags": {"team": "web"},
        "keep_warm": False,
        "events": [{"function": "tasks.heartbeat", "expression": "rate(5 minutes)"}],
    }
    s.update(extra)
    return s


@pytest.fixture
def flask_project(flask_example, flask_site_packages):
    """write(**settings) -> examples/flask with a hoist.json for stage dev."""
    return lambda **extra: flask_example(settings(flask_site_packages, **extra))


def test_deploy_update_status_invoke_manage_rollback_undeploy(run, tc_env, flask_project,
                                                              tc_fake):
    d = flask_project()

    # ---- deploy
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    assert URL_RE.match(url), r.stdout
    assert f"Deployment complete!: {url}" in r.stderr
    s = state(tc_fake)
    assert list(s["scf"]) == [FN]
    fn = s["scf"][FN]
    cfg = fn["config"]
    assert cfg["Type"] == "Event" and cfg["Runtime"] == "Python3.10"
    assert cfg["Handler"] == "hoist_handler.handler"
    assert cfg["MemorySize"] == 1024 and cfg["Timeout"] == 45
    assert sorted(map(tuple, (v.values() for v in cfg["Environment"]["Variables"]))) == [
        ("GREETING", "hi"), ("MODE", "test")]
    assert cfg["VpcConfig"] == {"VpcId": "vpc-abc123", "SubnetId": "subnet-def456"}
    assert cfg["Role"] == "SCF_QcsRole"
    assert cfg["DeadLetterConfig"] == {"Type": "queue", "Name": "flaskdemo-dlq"}
    assert cfg["Layers"] == [{"LayerName": "flask-deps", "LayerVersion": 3}]
    assert fn["tags"] == [{"Key": "team", "Value": "web"}]
    assert cfg["Description"].startswith("the flask demo\nhoist code sha256 ")
    # logs go to a CLS topic hoist made, so tail works from the first deploy
    topic = s["cls_topics"][cfg["ClsTopicId"]]
    assert topic["TopicName"] == FN and topic["LogsetId"] == cfg["ClsLogsetId"]
    assert s["cls_logsets"][cfg["ClsLogsetId"]]["LogsetName"] == "hoist"
    # one version, the stage alias on it, one function URL on the alias, the timer
    assert list(fn["versions"]) == ["1"]
    assert fn["versions"]["1"]["Description"] == "hoist code sha256 " + \
        cfg["Description"].rsplit(" ", 1)[1]
    assert {k: a["FunctionVersion"] for k, a in fn["aliases"].items()} == {"dev": "1"}
    urls = [t for t in fn["triggers"] if t["Type"] == "http"]
    assert len(urls) == 1 and urls[0]["Qualifier"] == "dev"
    desc = json.loads(urls[0]["TriggerDesc"])
    assert desc["AuthType"] == "NONE" and desc["NetConfig"]["ExtranetUrl"] == url
    timers = [t for t in fn["triggers"] if t["Type"] == "timer"]
    assert [(t["TriggerName"], t["TriggerDesc"], t["Qualifier"]) for t in timers] == [
        (f"{FN}-tasks.heartbeat".replace(".", "-"), "0 */5 * * * * *", "dev")]
    # Zappa's touch: one GET / through SCF Invoke on the alias, as the function URL's event
    touches = fake_requests(tc_fake, "scf", "Invoke")
    assert len(touches) == 1 and touches[0]["params"]["Qualifier"] == "dev"
    ev = json.loads(touches[0]["params"]["ClientContext"])
    assert (ev["httpMethod"], ev["path"], ev["headers"]["user-agent"]) == ("GET", "/",
                                                                          "hoist-touch")
    # small package: inline, nothing in COS (the bucket holds the stage lock's
    # marker while the deploy runs; it is deleted at the end)
    assert all(b["objects"] == {} for b in s.get("cos", {}).values())
    assert {q["params"]["Key"] for q in fake_requests(tc_fake, "cos", "PutObject")} == \
        {f"hoist-locks/ap-guangzhou/{FN}.json"}
    # SCF was asked for the function while it was still Creating, and waited
    assert len(fake_requests(tc_fake, "scf", "GetFunction")) > 2

    # ---- the function URL runs the packaged app (an SCF event function)
    assert fetch(tc_fake, url) == (200, "Hello from hoist!\n")
    status, body = fetch(tc_fake, url, "/echo?x=1", data=b'{"a": 1}',
                         headers={"Content-Type": "application/json"})
    assert status == 200 and json.loads(body) == {"body": '{"a": 1}', "json": {"a": 1},
                                                  "query": {"x": ["1"]}}

    # ---- no-change update: reads only, no upload, no write
    n0 = len(fake_requests(tc_fake))
    r = run(["update", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == url
    assert "Code unchanged" in r.stderr
    ops = actions_since(tc_fake, n0)
    assert not [o for o in ops if o[1] in WRITES], ops

    # ---- status
    r = run(["--json", "status", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["function"] == FN and st["state"] == "Active" and st["alias"] == "dev"
    assert st["url"] == url and st["auth"] == "NONE"
    assert st["versions"] == [1] and st["version"] == 1
    assert st["code_sha256"] == cfg["Description"].rsplit(" ", 1)[1]
    assert [x["cron"] for x in st["schedules"]] == ["0 */5 * * * * *"]
    assert st["invocations_24h"] == 3 and st["errors_24h"] == 0    # touch + 2 requests
    mon = fake_requests(tc_fake, "monitor", "GetMonitorData")
    assert {q["params"]["MetricName"] for q in mon} == {"Invocation", "Error"}
    r = run(["status", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0 and url in r.stdout

    # ---- invoke / manage: Invoke RequestResponse on the alias, log on stderr
    r = run(["invoke", "dev", "tasks.heartbeat"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"
    assert "heartbeat at" in r.stderr
    inv = fake_requests(tc_fake, "scf", "Invoke")[-1]["params"]
    assert inv["Qualifier"] == "dev" and inv["LogType"] == "Tail"
    assert inv["InvocationType"] == "RequestResponse"
    assert json.loads(inv["ClientContext"]) == {"command": "tasks.heartbeat"}
    r = run(["invoke", "dev", "--raw", "1 + 1"], cwd=d, env=tc_env)
    assert r.returncode == 0 and r.stdout.strip() == "2", r.stderr
    r = run(["invoke", "dev", "nosuch.thing"], cwd=d, env=tc_env)
    assert r.returncode == 1 and "nosuch" in r.stderr
    r = run(["manage", "dev", "check"], cwd=d, env=tc_env)
    assert json.loads(fake_requests(tc_fake, "scf", "Invoke")[-1]["params"]["ClientContext"]) \
        == {"manage": "check"}

    # ---- a new version, then rollback: a pointer move
    (d / "app.py").write_text((d / "app.py").read_text().replace("Hello from hoist!",
                                                                 "Hello v2"))
    r = run(["update", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert fetch(tc_fake, url) == (200, "Hello v2\n")
    fn = state(tc_fake)["scf"][FN]
    assert sorted(fn["versions"]) == ["1", "2"] and fn["aliases"]["dev"]["FunctionVersion"] == "2"
    n0 = len(fake_requests(tc_fake))
    r = run(["rollback", "dev", "-n", "1"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == url
    assert writes_since(tc_fake, n0) == [("scf", "UpdateAlias")]
    assert fetch(tc_fake, url) == (200, "Hello from hoist!\n")
    r = run(["rollback", "dev", "-n", "5"], cwd=d, env=tc_env)
    assert r.returncode == 1 and "cannot roll back 5 versions" in r.stderr
    # the same package again: the alias goes back to version 2, nothing is uploaded
    n0 = len(fake_requests(tc_fake))
    r = run(["update", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert writes_since(tc_fake, n0) == [("scf", "UpdateAlias")]
    assert fetch(tc_fake, url) == (200, "Hello v2\n")

    # ---- deploy again is refused, before anything is packaged (reads only)
    n0 = len(fake_requests(tc_fake))
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 1 and "did you mean 'hoist update dev'" in r.stderr
    assert "Packaging" not in r.stderr and writes_since(tc_fake, n0) == []

    # ---- undeploy: nothing of the stage left (CLS only with --remove-logs)
    r = run(["undeploy", "dev", "--yes"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    s = state(tc_fake)
    assert s["scf"] == {} and s["scf_urls"] == {}
    assert list(s["cls_topics"]) == [cfg["ClsTopicId"]]
    r = run(["undeploy", "dev", "--yes", "--remove-logs"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    s = state(tc_fake)
    assert s["cls_topics"] == {} and s["cls_logsets"] == {}
    assert fetch(tc_fake, url)[0] == 404
    r = run(["status", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 1 and "not deployed" in r.stderr


def test_touch_warns_and_is_skipped_when_nothing_changed(run, tc_env, tc_project, tc_fake):
    """touch_path answering 5xx is a warning, not a failed deploy; a no-change update
    touches nothing; touch: false sends no Invoke."""
    d = tc_project({"touch": True, "touch_path": "/missing"})
    (d / "app.py").write_text((d / "app.py").read_text() + '''

@app.route("/missing")
def missing():
    return "down", 503
''')
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert "warning: touch: GET /missing answered HTTP 503; see 'hoist tail dev'" in r.stderr
    ev = json.loads(fake_requests(tc_fake, "scf", "Invoke")[0]["params"]["ClientContext"])
    assert ev["path"] == "/missing"
    n0 = len(fake_requests(tc_fake))
    r = run(["update", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert "Invoke" not in [a for _, a in actions_since(tc_fake, n0)]
    tc_project({"touch": False})
    (d / "app.py").write_text((d / "app.py").read_text() + "\n# v2\n")
    n0 = len(fake_requests(tc_fake))
    r = run(["update", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert "Invoke" not in [a for _, a in actions_since(tc_fake, n0)]
