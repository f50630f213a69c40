"""Asynchronous tasks and remote_env on Alibaba Cloud (issue 13), end to end
on the fake Alibaba Cloud: the packaged handler runs in the fake FC with its
role's STS credentials, so the calls it makes itself (InvokeFunction with
x-fc-invocation-type Async, OSS objects) are judged by the official SDK
signers in the fake.

- @task (Zappa's import path): the request returns before the task runs (the
  task waits for an OSS object the test puts afterwards), the task runs once,
  and with capture_response get_async_response returns its result from the
  response object in the stage's bucket; undeploy removes those objects;
- remote_env oss://: visible to the app; a missing object refused at deploy
  with exit 2;
- the function's role: without role_arn hoist makes hoist-fc-<function>,
  trusted by fc.aliyuncs.com only, with one policy granting exactly the
  remote_env object, the response prefix, InvokeFunction on the function and
  the stage's logstore; the function runs with that role's session (the fake
  judges each of its calls by the role's policy); a role RAM has not
  propagated yet is retried; a second update writes nothing; undeploy
  removes role and policy.  manage_roles false without role_arn: exit 2
  naming the grants.  A role named in role_arn, or a role of hoist's name
  hoist did not make, is never changed or deleted."""
import json
import sys
import uuid

from ali_helpers import ACCOUNT, AKID, REGION, SECRET, admin, http, requests, state, \
    writes_since
from fakecloud.polling import wait_until

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]
                       / "templates" / "python"))
import hoist_aliyun  # noqa: E402

FN = "hoistapp-dev"
BUCKET = f"hoist-{ACCOUNT}-{REGION}"
OUR_ROLE = "hoist-fc-" + FN
LOGS = f"acs:log:{REGION}:{ACCOUNT}:project/hoist-{ACCOUNT}-{REGION}/logstore/{FN}"

APP = r'''import json, os, time
from urllib.parse import parse_qs

from zappa.asynchronous import task, get_async_response
import hoist_aliyun


GATES = os.environ["FC_FUNCTION_NAME"] + "/async-responses/pies/gates/"


@task(capture_response=True)
def bake(flavour, tag):
    bucket = "hoist-%s-%s" % (os.environ["FC_ACCOUNT_ID"], os.environ["FC_REGION"])
    deadline = time.time() + 20
    while time.time() < deadline:        # the test opens the gate after the request
        try:
            hoist_aliyun.oss_get(bucket, GATES + tag)   # where the role may read
            break
        except hoist_aliyun.AliyunError:
            time.sleep(0.05)
    print("BAKED", flavour, tag)
    return {"pie": flavour}


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    q = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if path == "/bake":
        r = bake(q["flavour"], tag=q["tag"])
        out = {"sent": bool(r.sent), "response_id": r.response_id}
    elif path == "/response":
        out = get_async_response(q["id"])
    else:
        out = {k: os.environ.get(k) for k in ("DB_URL",)}
    body = json.dumps(out).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
'''


def oss(fake, method, bucket, key=None, data=b""):
    """A signed OSS request from the test (bucket creation, objects)."""
    host = f"{bucket}.oss-{REGION}.aliyuncs.com"
    h = {"host": host}
    hoist_aliyun.oss4_sign(method, bucket, key, {}, h, REGION, (AKID, SECRET, None))
    return hoist_aliyun._send(f"{method} {bucket}/{key}", method, host, "/" + (key or ""), {}, h,
                              data, "OSS")


def ram(action, **params):
    """A signed RAM call from the test (an RPC action, parameters in the query)."""
    host = "ram.aliyuncs.com"
    h = {"host": host, "x-acs-action": action, "x-acs-version": "2015-05-01",
         "x-acs-date": hoist_aliyun._now_acs(), "x-acs-signature-nonce": uuid.uuid4().hex}
    hoist_aliyun.acs3_sign("POST", "/", params, h, b"", (AKID, SECRET, None))
    return json.loads(hoist_aliyun._send("RAM " + action, "POST", host, "/", params, h, b"",
                                         "RAM")[2])


def trust(service):
    return json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": [service]}}]})


def deploy_app(run, d, env):
    r = run(["deploy", "dev"], cwd=d, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return r


def test_tasks_and_remote_env_on_aliyun(run, ali_project, ali_env, fake_aliyun, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ENDPOINT_URL", fake_aliyun.url)
    oss(fake_aliyun, "PUT", "cfg-bkt")
    settings = {"async_response_table": "pies", "remote_env": "oss://cfg-bkt/app.json",
                "site_packages": None}
    d = ali_project(dict(settings, manage_roles=False))
    (d / "app.py").write_text(APP)

    r = run(["deploy", "dev"], cwd=d, env=ali_env)
    assert r.returncode == 2 and "role_arn" in r.stderr and "oss:PutObject" in r.stderr, r.stderr
    assert "manage_roles is false" in r.stderr
    d = ali_project(settings)
    r = run(["deploy", "dev"], cwd=d, env=ali_env)
    assert r.returncode == 2 and "remote_env oss://cfg-bkt/app.json cannot be read" in r.stderr
    assert "NoSuchKey" in r.stderr
    assert not state(fake_aliyun).get("fc", {}).get("functions")       # nothing was created
    assert not state(fake_aliyun).get("ram", {}).get("roles")
    oss(fake_aliyun, "PUT", "cfg-bkt", "app.json", b'{"DB_URL": "mysql://x"}')
    admin(fake_aliyun, "/__fake/ram-settle", {"refusals": 2})   # RAM propagation
    try:
        r = deploy_app(run, d, ali_env)
    finally:
        admin(fake_aliyun, "/__fake/ram-settle", {"refusals": 0})
    assert len(requests(fake_aliyun, "fc", "CreateFunction")) == 3   # refused twice, retried
    url = r.stdout.strip()

    # the role: trusted by FC only, one policy with exactly these grants, used by the function
    ram_state = state(fake_aliyun)["ram"]
    role = ram_state["roles"][OUR_ROLE]
    assert json.loads(role["AssumeRolePolicyDocument"])["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["fc.aliyuncs.com"]}}]
    assert role["policies"] == [OUR_ROLE]
    pol = ram_state["policies"][OUR_ROLE]
    fn_arn = f"acs:fc:{REGION}:{ACCOUNT}:functions/{FN}"
    assert json.loads(pol["versions"][pol["default"]])["Statement"] == [
        {"Effect": "Allow", "Action": ["fc:InvokeFunction"], "Resource": [fn_arn, fn_arn + "/*"]},
        {"Effect": "Allow", "Action": ["oss:GetObject"], "Resource": ["acs:oss:*:*:cfg-bkt/app.json"]},
        {"Effect": "Allow", "Action": ["oss:GetObject", "oss:PutObject"],
         "Resource": [f"acs:oss:*:*:{BUCKET}/{FN}/async-responses/pies/*"]},
        {"Effect": "Allow", "Action": ["log:PostLogStoreLogs"], "Resource": [LOGS]}]
    assert state(fake_aliyun)["fc"]["functions"][FN]["config"]["role"] == role["Arn"]

    status, _, body = http(fake_aliyun, url + "/env")
    assert status == 200 and json.loads(body) == {"DB_URL": "mysql://x"}
    status, _, body = http(fake_aliyun, url + "/bake?flavour=apple&tag=t1")
    assert status == 200, body
    ans = json.loads(body)
    assert ans["sent"] is True and ans["response_id"]

    def response():
        return json.loads(http(fake_aliyun, url + "/response?id=" + ans["response_id"])[2])

    assert wait_until(response) == {"status": "in progress", "response": "N/A"}   # started, gated
    oss(fake_aliyun, "PUT", BUCKET, f"{FN}/async-responses/pies/gates/t1", b"open")
    wait_until(lambda: response()["status"] == "complete")
    assert response() == {"status": "complete", "response": {"pie": "apple"}}
    objects = state(fake_aliyun)["oss"]["buckets"][BUCKET]["objects"]
    assert f"{FN}/async-responses/pies/{ans['response_id']}.json" in objects

    # the function signed its own calls with the role's session, and the role allowed each
    own = [q for q in requests(fake_aliyun) if (q.get("access_key") or "").startswith("STS.NRole")]
    assert {q["action"] for q in own} >= {"GetObject", "PutObject", "InvokeFunction"}
    decisions = state(fake_aliyun)["ram"]["decisions"]
    assert decisions and all(x["allowed"] and x["role"] == role["Arn"] for x in decisions)

    # nothing changed: no write call, the role untouched
    n0 = len(requests(fake_aliyun))
    r = run(["update", "dev"], cwd=d, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert writes_since(fake_aliyun, n0) == []

    r = run(["undeploy", "dev", "-y"], cwd=d, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    objects = state(fake_aliyun)["oss"]["buckets"].get(BUCKET, {}).get("objects", {})
    assert not [k for k in objects if k.startswith(f"{FN}/")]
    ram_state = state(fake_aliyun)["ram"]
    assert OUR_ROLE not in ram_state["roles"] and OUR_ROLE not in ram_state["policies"]


def test_roles_hoist_did_not_make_are_left_alone(run, ali_project, ali_env, fake_aliyun,
                                                 monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ENDPOINT_URL", fake_aliyun.url)
    oss(fake_aliyun, "PUT", "cfg-own")
    oss(fake_aliyun, "PUT", "cfg-own", "env.json", b'{"DB_URL": "pg://own"}')
    # a role of hoist's name that someone else made: refused, not touched
    ram("CreateRole", RoleName=OUR_ROLE, AssumeRolePolicyDocument=trust("fc.aliyuncs.com"),
        Description="made by hand")
    d = ali_project({"remote_env": "oss://cfg-own/env.json", "site_packages": None})
    (d / "app.py").write_text(APP)
    r = run(["deploy", "dev"], cwd=d, env=ali_env, timeout=120)
    assert r.returncode == 1 and f"RAM role {OUR_ROLE} exists and hoist did not create it" \
        in r.stderr, r.stderr
    assert state(fake_aliyun)["ram"]["roles"][OUR_ROLE]["policies"] == []
    ram("DeleteRole", RoleName=OUR_ROLE)

    # role_arn: the user's role is used as it is and outlives the stage
    doc = json.dumps({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": ["oss:GetObject"], "Resource": ["acs:oss:*:*:cfg-own/*"]}]})
    own = ram("CreateRole", RoleName="app-own", AssumeRolePolicyDocument=trust("fc.aliyuncs.com"),
              Description="the team's role")["Role"]["Arn"]
    ram("CreatePolicy", PolicyName="app-own", PolicyDocument=doc)
    ram("AttachPolicyToRole", PolicyType="Custom", PolicyName="app-own", RoleName="app-own")
    before = state(fake_aliyun)["ram"]
    d = ali_project({"remote_env": "oss://cfg-own/env.json", "role_arn": own,
                     "site_packages": None})
    n0 = len(requests(fake_aliyun))
    r = deploy_app(run, d, ali_env)
    assert state(fake_aliyun)["fc"]["functions"][FN]["config"]["role"] == own
    status, _, body = http(fake_aliyun, r.stdout.strip() + "/env")
    assert status == 200 and json.loads(body) == {"DB_URL": "pg://own"}
    r = run(["undeploy", "dev", "-y"], cwd=d, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert not [q for q in requests(fake_aliyun)[n0:] if q["product"] == "ram" and
                not q["action"].startswith(("Get", "List"))]
    after = state(fake_aliyun)["ram"]
    assert after["roles"]["app-own"] == before["roles"]["app-own"]
    assert after["policies"]["app-own"] == before["policies"]["app-own"]
    assert OUR_ROLE not in after["roles"]
    ram("DetachPolicyFromRole", PolicyType="Custom", PolicyName="app-own", RoleName="app-own")
    ram("DeletePolicy", PolicyName="app-own")
    ram("DeleteRole", RoleName="app-own")
