"""Asynchronous tasks and remote_env on Tencent Cloud (issue 13), end to end on
the fake Tencent Cloud: the packaged handler runs in the fake SCF with its
execution role's temporary credentials (TENCENTCLOUD_SECRETID / SECRETKEY /
SESSIONTOKEN, as SCF gives them), so the calls it makes itself (SCF Invoke
with InvocationType Event, COS objects) are judged by the official SDK
signers in the fake and must carry the role's session token.

- @task (Zappa's import path and hoist's): the request returns before the
  task runs (the task waits for a COS object the test puts afterwards), the
  task runs once, on the stage's alias (a failing one three times, then to
  the dead-letter queue, as SCF does); with capture_response
  get_async_response returns its result from the response object in the
  stage's default COS bucket (throttled and failed calls from the function
  sent again); a payload over SCF's 128 KB is a clear
  exception in the caller; an unchanged update writes nothing; undeploy
  leaves nothing of the stage;
- remote_env cos://: visible to the app; a missing object, a non-object
  JSON, either feature with manage_roles false and no role_arn,
  async_source "sns", and an s3:// or oss:// remote_env are refused with
  exit 2 before anything is sent or created;
- the execution role: without role_arn hoist creates CAM role
  hoist-<function>-<region> trusted by SCF only, with one policy granting
  exactly the remote_env object, the response prefix and invoking the
  function (the fake lets the function's role credentials do only that),
  waits for SCF to take the new role, reads back creates whose answers were
  lost, updates the policy in place, and undeploy removes both; a role_arn
  role, or a role of hoist's name hoist did not make, is never touched."""
import json
import sys

import pytest

from tc_helpers import (APPID, REGION, SECRET_ID, SECRET_KEY, fake_post, fake_requests, fetch,
                        node, state, writes_since)
from fakecloud.polling import wait_until

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]
                       / "templates" / "python"))
import hoist_tencent  # noqa: E402

FN = "hoistapp-dev"
BUCKET = f"hoist-{REGION}-{APPID}"
CFG = f"cfg-{APPID}"
ROLE = "qcs::cam::uin/100000000001:roleName/hoist-tasks"
DLQ = "qcs::cmq:ap-guangzhou:uin/100000000001:queueName/pies-dlq"
UIN = "100000000001"
MANAGED = f"hoist-{FN}-{REGION}"          # the execution role (and policy) hoist makes

# The account owner's own grant, through the official CAM client (so the fake's CAM
# is judged by it): a policy allowing the gate objects, attached to hoist's role.
GATES = r"""
const http = require('http'), net = require('net');
const { Client } = require('tencentcloud-sdk-nodejs').cam.v20190116;
const [port, id, key, role, resource] = process.argv.slice(1);
class ToFake extends http.Agent { createConnection(o, cb) { return net.connect(+port, '127.0.0.1', cb); } }
const c = new Client({ credential: { secretId: id, secretKey: key }, region: '',
  profile: { httpProfile: { endpoint: 'cam.tencentcloudapi.com', protocol: 'http://', agent: new ToFake() } } });
(async () => {
  const doc = { version: '2.0', statement: [{ effect: 'allow', action: ['name/cos:GetObject'],
                                              resource: [resource] }] };
  const p = await c.CreatePolicy({ PolicyName: 'pies-gates', PolicyDocument: JSON.stringify(doc) });
  const attached = await c.AttachRolePolicy({ PolicyId: p.PolicyId, AttachRoleName: role });
  console.log(JSON.stringify({ policy: p, attached }));
})().catch((e) => { console.error(e); process.exit(1); });
"""

APP = r'''import json, os, time
from urllib.parse import parse_qs

from zappa.asynchronous import task, get_async_response
from hoist_tasks import task as hoist_task, AsyncException
import hoist_tencent


@task(capture_response=True)
def bake(flavour, tag):
    gates = "cfg-" + os.environ["TENCENTCLOUD_APPID"]
    deadline = time.time() + 20
    while time.time() < deadline:        # the test opens the gate after the request
        try:
            hoist_tencent.cos_get(gates, "gates/" + tag)
            break
        except hoist_tencent.TencentError:
            time.sleep(0.05)
    print("BAKED", flavour, tag)
    return {"pie": flavour}


@hoist_task
def announce(tag, blob=""):
    print("ANNOUNCED", tag)


@task
def burn(tag):
    print("BURNING", tag)
    raise RuntimeError("burnt " + tag)


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    q = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if path == "/bake":
        r = bake(q["flavour"], tag=q["tag"])
        out = {"sent": bool(r.sent), "response_id": r.response_id}
    elif path == "/announce":
        try:
            r = announce(q["tag"], blob="x" * int(q.get("size", "0")))
            out = {"sent": bool(r.sent)}
        except AsyncException as exc:
            out = {"error": str(exc)}
    elif path == "/burn":
        out = {"sent": bool(burn(q["tag"]).sent)}
    elif path == "/response":
        out = get_async_response(q["id"])
    else:
        out = {k: os.environ.get(k) for k in ("DB_URL",)}
    body = json.dumps(out).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
'''


def cos(method, bucket, key="", data=b""):
    """A COS request signed by the test (the account's own keys)."""
    host = f"{bucket}.cos.{REGION}.myqcloud.com"
    h = {"Host": host}
    h["Authorization"] = hoist_tencent.cos_sign(method, key, {}, h, (SECRET_ID, SECRET_KEY, None))
    return hoist_tencent._send(f"{method} {bucket}/{key}", method, host, "/" + key, h, data,
                               "COS")


def runs(fake, marker):
    """The asynchronous invocations whose log shows `marker`."""
    return [a for a in state(fake).get("scf_async", {}).values()
            if marker in a.get("log", "")]


def get(fake, url, path):
    status, body = fetch(fake, url, path)
    assert status == 200, body
    return json.loads(body)


def test_bad_task_settings_are_refused_before_anything_is_sent(run, tc_env, tc_project,
                                                               tc_fake):
    for extra, words in (
            ({"async_source": "sns"}, ["async_source", "no SNS"]),
            ({"remote_env": "s3://cfg/app.json"}, ["remote_env", "cos://bucket/key"]),
            ({"remote_env": "oss://cfg/app.json"}, ["remote_env", "cos://bucket/key"]),
            ({"remote_env": "cos://cfg/app.json"}, ["remote_env", "<bucket>-<appid>"])):
        d = tc_project(dict(extra, role_arn=ROLE))
        r = run(["deploy", "dev"], cwd=d, env=tc_env)
        assert r.returncode == 2, (extra, r.stderr)
        assert all(w in r.stderr for w in words), (extra, r.stderr)
    assert fake_requests(tc_fake) == []
    # "lambda", the only source SCF has, is accepted
    r = run(["settings", "dev"], cwd=tc_project({"async_source": "lambda"}), env=tc_env)
    assert r.returncode == 0, r.stderr


def test_tasks_and_remote_env_on_tencent(run, tc_env, tc_project, tc_fake, monkeypatch):
    monkeypatch.setenv("TENCENTCLOUD_ENDPOINT_URL", tc_fake.url)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", SECRET_ID)       # the test's own calls
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
    for k in ("TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SESSIONTOKEN", "TENCENTCLOUD_SESSION_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    cos("PUT", CFG)
    settings = {"async_response_table": "pies", "remote_env": f"cos://{CFG}/app.json",
                "site_packages": None}
    d = tc_project(settings)
    (d / "app.py").write_text(APP)

    # manage_roles false and no role_arn: SCF gives the function no credentials
    r = run(["deploy", "dev"], cwd=tc_project(dict(settings, manage_roles=False)), env=tc_env)
    assert r.returncode == 2 and "role_arn" in r.stderr and "manage_roles" in r.stderr, r.stderr
    assert f"cos:GetObject on qcs::cos:{REGION}:uid/{APPID}:{CFG}/app.json" in r.stderr
    assert "cos:PutObject" in r.stderr and "scf:InvokeFunction" in r.stderr
    d = tc_project(dict(settings, dead_letter_arn=DLQ))        # hoist makes the role
    (d / "app.py").write_text(APP)
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 2, r.stderr
    assert f"remote_env cos://{CFG}/app.json cannot be read" in r.stderr and "NoSuchKey" in r.stderr
    cos("PUT", CFG, "app.json", b'["DB_URL"]')
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 2 and "must be a JSON object" in r.stderr, r.stderr
    assert not state(tc_fake).get("scf") and not state(tc_fake).get("cam_roles")  # nothing made
    cos("PUT", CFG, "app.json", b'{"DB_URL": "mysql://x"}')
    monkeypatch.setattr(tc_fake, "role_settle", 0.3)       # SCF takes a new role after a while
    r = run(["deploy", "dev"], cwd=d, env=tc_env, timeout=120)
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    assert len(fake_requests(tc_fake, "scf", "CreateFunction")) > 1     # waited for the role
    s = state(tc_fake)
    assert s["scf"][FN]["config"]["Role"] == MANAGED
    role = s["cam_roles"][MANAGED]
    assert json.loads(role["PolicyDocument"]) == {"version": "2.0", "statement": [{
        "action": "name/sts:AssumeRole", "effect": "allow",
        "principal": {"service": ["scf.qcloud.com"]}}]}
    [pid] = role["policies"]
    policy = s["cam_policies"][str(pid)]
    assert policy["PolicyName"] == MANAGED
    assert json.loads(policy["PolicyDocument"])["statement"] == [
        {"effect": "allow", "action": ["name/cos:GetObject"],
         "resource": [f"qcs::cos:{REGION}:uid/{APPID}:{CFG}/app.json"]},
        {"effect": "allow", "action": ["name/cos:GetObject", "name/cos:PutObject"],
         "resource": [f"qcs::cos:{REGION}:uid/{APPID}:{BUCKET}/{FN}/async-responses/*"]},
        {"effect": "allow", "action": ["name/scf:InvokeFunction"],
         "resource": [f"qcs::scf:{REGION}:uin/{UIN}:namespace/default/function/{FN}"]}]
    # the app's own gates are its owner's business: a policy of theirs, made with the SDK
    gates = node(GATES, tc_fake.port, SECRET_ID, SECRET_KEY, MANAGED,
                 f"qcs::cos:{REGION}:uid/{APPID}:{CFG}/gates/*")
    assert gates["attached"]["RequestId"], gates

    assert get(tc_fake, url, "/env") == {"DB_URL": "mysql://x"}
    # throttled and failing-inside calls from the function are signed and sent again
    fake_post(tc_fake, "/__fake/faults", {"action": "Invoke", "kind": "throttle", "count": 2})
    fake_post(tc_fake, "/__fake/faults", {"action": "cos:PutObject", "kind": "http500",
                                          "key": f"{FN}/async-responses/"})
    ans = get(tc_fake, url, "/bake?flavour=apple&tag=t1")
    assert ans["sent"] is True and ans["response_id"]
    invokes = fake_requests(tc_fake, "scf", "Invoke")
    assert len(invokes) == 3 and invokes[-1]["params"]["InvocationType"] == "Event"
    assert invokes[-1]["params"]["Qualifier"] == "dev"       # the stage's alias
    # signed by the function with its role's temporary credentials (token checked)
    assert invokes[-1]["secret_id"] in tc_fake.tokens and invokes[-1]["secret_id"] != SECRET_ID
    reads = fake_requests(tc_fake, "cos", "GetObject")
    assert any(q["params"]["Key"] == "app.json" and q["secret_id"] == invokes[-1]["secret_id"]
               for q in reads)

    def response():
        return get(tc_fake, url, "/response?id=" + ans["response_id"])

    assert wait_until(response) == {"status": "in progress", "response": "N/A"}  # started, gated
    assert not runs(tc_fake, "BAKED apple t1")
    cos("PUT", CFG, "gates/t1", b"open")
    wait_until(lambda: response()["status"] == "complete")
    assert response() == {"status": "complete", "response": {"pie": "apple"}}
    done = runs(tc_fake, "BAKED apple t1")
    assert len(done) == 1 and done[0]["runs"] == 1 and done[0]["qualifier"] == "dev"
    objects = state(tc_fake)["cos"][BUCKET]["objects"]
    assert f"{FN}/async-responses/pies/{ans['response_id']}.json" in objects
    assert [q["secret_id"] for q in fake_requests(tc_fake, "cos", "PutObject")
            if "/async-responses/" in q["params"]["Key"]] == [invokes[-1]["secret_id"]] * 3

    # hoist's own import path; SCF's 128 KB asynchronous payload limit
    assert get(tc_fake, url, "/announce?tag=t2") == {"sent": True}
    wait_until(lambda: runs(tc_fake, "ANNOUNCED t2"))
    big = get(tc_fake, url, "/announce?tag=t3&size=140000")
    assert "Payload too large" in big["error"] and "131072" in big["error"], big
    with pytest.raises(hoist_tencent.TencentError, match="InvalidParameterValue.ClientContext"):
        hoist_tencent.scf_invoke_event(FN, json.dumps({"blob": "x" * 140000}), REGION)

    # a failing task: SCF's two retries, then the stage's dead-letter queue
    assert get(tc_fake, url, "/burn?tag=t4") == {"sent": True}
    failed = wait_until(lambda: [a for a in runs(tc_fake, "BURNING t4") if a["status"] == "failed"])
    assert failed[0]["runs"] == 3 and failed[0]["log"].count("BURNING t4") == 3
    letters = state(tc_fake)["scf_dead_letters"]["pies-dlq"]
    assert len(letters) == 1 and "burnt t4" in letters[0]["ErrorMessage"]

    # an unchanged update writes nothing for them
    n0 = len(fake_requests(tc_fake))
    r = run(["update", "dev"], cwd=d, env=tc_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert writes_since(tc_fake, n0) == []

    r = run(["undeploy", "dev", "-y"], cwd=d, env=tc_env, timeout=120)
    assert r.returncode == 0, r.stderr
    s = state(tc_fake)
    assert s["scf"] == {} and s["scf_urls"] == {}
    assert not [k for k in s["cos"].get(BUCKET, {}).get("objects", {}) if k.startswith(f"{FN}/")]
    # hoist's role and policy are gone; the owner's own policy is theirs to keep
    assert s["cam_roles"] == {}
    assert [p["PolicyName"] for p in s["cam_policies"].values()] == ["pies-gates"]


def test_roles_hoist_did_not_make_are_left_alone(run, tc_env, tc_project, tc_fake, monkeypatch):
    """role_arn: that role is used as it is (no CAM write, kept at undeploy); a role
    with hoist's name but not made by hoist is refused (exit 1), never changed."""
    from fakecloud import tc_cam
    monkeypatch.setenv("TENCENTCLOUD_ENDPOINT_URL", tc_fake.url)
    cos("PUT", CFG)
    cos("PUT", CFG, "app.json", b'{"DB_URL": "mysql://y"}')
    trust = json.dumps({"version": "2.0", "statement": [{
        "action": "name/sts:AssumeRole", "effect": "allow",
        "principal": {"service": ["scf.qcloud.com"]}}]})
    with tc_fake.lock:
        tc_cam.create_role(tc_fake, {"RoleName": "mine", "PolicyDocument": trust,
                                     "Description": "the owner's"}, {})
        tc_cam.create_role(tc_fake, {"RoleName": MANAGED, "PolicyDocument": trust,
                                     "Description": "someone else's"}, {})
    before = json.dumps(state(tc_fake)["cam_roles"], sort_keys=True)
    settings = {"remote_env": f"cos://{CFG}/app.json", "site_packages": None}
    d = tc_project(settings)
    (d / "app.py").write_text(APP)

    r = run(["deploy", "dev"], cwd=d, env=tc_env, timeout=120)
    assert r.returncode == 1, r.stderr
    assert f"CAM role {MANAGED} exists and was not created by hoist" in r.stderr, r.stderr
    assert "role_arn" in r.stderr and not state(tc_fake).get("scf")

    d = tc_project(dict(settings, role_arn=f"qcs::cam::uin/{UIN}:roleName/mine"))
    (d / "app.py").write_text(APP)
    n0 = len(fake_requests(tc_fake))
    r = run(["deploy", "dev"], cwd=d, env=tc_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert state(tc_fake)["scf"][FN]["config"]["Role"] == "mine"
    r = run(["undeploy", "dev", "-y"], cwd=d, env=tc_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert [q["action"] for q in fake_requests(tc_fake)[n0:]
            if q["service"] == "cam" and q["action"] != "GetUserAppId"] == []
    assert json.dumps(state(tc_fake)["cam_roles"], sort_keys=True) == before


def test_managed_role_converges_and_lost_answers_are_read_back(run, tc_env, tc_project, tc_fake,
                                                                monkeypatch):
    """CreateRole / CreatePolicy / AttachRolePolicy whose answers are lost (the fake acted,
    then dropped the connection) are found again, never made twice; a changed remote_env
    updates the policy in place; undeploy interrupted after the detach finishes on a re-run."""
    monkeypatch.setenv("TENCENTCLOUD_ENDPOINT_URL", tc_fake.url)
    cos("PUT", CFG)
    for key in ("a.json", "b.json"):
        cos("PUT", CFG, key, b'{"DB_URL": "mysql://z"}')
    d = tc_project({"remote_env": f"cos://{CFG}/a.json", "site_packages": None})
    (d / "app.py").write_text(APP)
    for act in ("CreateRole", "CreatePolicy", "AttachRolePolicy"):
        fake_post(tc_fake, "/__fake/faults", {"action": act, "kind": "reset_after", "count": 1})
    r = run(["deploy", "dev"], cwd=d, env=tc_env, timeout=120)
    assert r.returncode == 0, r.stderr
    s = state(tc_fake)
    assert list(s["cam_roles"]) == [MANAGED] and len(s["cam_policies"]) == 1
    assert len(s["cam_roles"][MANAGED]["policies"]) == 1
    assert len(fake_requests(tc_fake, "cam", "CreateRole")) == 2     # the retry was refused
    assert get(tc_fake, r.stdout.strip(), "/env") == {"DB_URL": "mysql://z"}

    d = tc_project({"remote_env": f"cos://{CFG}/b.json", "site_packages": None})
    (d / "app.py").write_text(APP)
    n0 = len(fake_requests(tc_fake))
    r = run(["update", "dev"], cwd=d, env=tc_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert [w for w in writes_since(tc_fake, n0) if w[0] == "cam"] == [("cam", "UpdatePolicy")]
    [policy] = state(tc_fake)["cam_policies"].values()
    assert f"{CFG}/b.json" in policy["PolicyDocument"] and "a.json" not in policy["PolicyDocument"]

    fake_post(tc_fake, "/__fake/faults", {"action": "DeletePolicy", "kind": "internal",
                                          "count": -1})
    r = run(["undeploy", "dev", "-y"], cwd=d, env=tc_env, timeout=120)
    assert r.returncode == 1 and "DeletePolicy" in r.stderr, r.stderr
    tc_fake.faults.clear()
    r = run(["undeploy", "dev", "-y"], cwd=d, env=tc_env, timeout=120)
    assert r.returncode == 0, r.stderr
    s = state(tc_fake)
    assert s["cam_roles"] == {} and s["cam_policies"] == {} and s["scf"] == {}
