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
  with exit 2, and so is either feature without a role_arn (FC's
  service-linked role cannot call OSS or FC)."""
import json
import sys
import time

from ali_helpers import ACCOUNT, AKID, REGION, SECRET, http, state
from fakecloud.polling import wait_until

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]
                       / "templates" / "python"))
import hoist_aliyun  # noqa: E402

FN = "hoistapp-dev"
BUCKET = f"hoist-{ACCOUNT}-{REGION}"
ROLE = f"acs:ram::{ACCOUNT}:role/hoist-tasks"

APP = r'''import json, os, time
from urllib.parse import parse_qs

from zappa.asynchronous import task, get_async_response
import hoist_aliyun


@task(capture_response=True)
def bake(flavour, tag):
    bucket = "hoist-%s-%s" % (os.environ["FC_ACCOUNT_ID"], os.environ["FC_REGION"])
    deadline = time.time() + 20
    while time.time() < deadline:        # the test opens the gate after the request
        try:
            hoist_aliyun.oss_get(bucket, "gates/" + tag)
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


def test_tasks_and_remote_env_on_aliyun(run, ali_project, ali_env, fake_aliyun, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ENDPOINT_URL", fake_aliyun.url)
    oss(fake_aliyun, "PUT", "cfg-bkt")
    d = ali_project({"async_response_table": "pies", "remote_env": "oss://cfg-bkt/app.json",
                     "site_packages": None})
    (d / "app.py").write_text(APP)

    r = run(["deploy", "dev"], cwd=d, env=ali_env)
    assert r.returncode == 2 and "role_arn" in r.stderr and "oss:PutObject" in r.stderr, r.stderr
    d = ali_project({"async_response_table": "pies", "remote_env": "oss://cfg-bkt/app.json",
                     "role_arn": ROLE, "site_packages": None})
    r = run(["deploy", "dev"], cwd=d, env=ali_env)
    assert r.returncode == 2 and "remote_env oss://cfg-bkt/app.json cannot be read" in r.stderr
    assert "NoSuchKey" in r.stderr
    assert not state(fake_aliyun).get("fc", {}).get("functions")       # nothing was created
    oss(fake_aliyun, "PUT", "cfg-bkt", "app.json", b'{"DB_URL": "mysql://x"}')
    r = run(["deploy", "dev"], cwd=d, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()

    status, _, body = http(fake_aliyun, url + "/env")
    assert status == 200 and json.loads(body) == {"DB_URL": "mysql://x"}
    status, _, body = http(fake_aliyun, url + "/bake?flavour=apple&tag=t1")
    assert status == 200, body
    ans = json.loads(body)
    assert ans["sent"] is True and ans["response_id"]

    def response():
        return json.loads(http(fake_aliyun, url + "/response?id=" + ans["response_id"])[2])

    assert wait_until(response) == {"status": "in progress", "response": "N/A"}   # started, gated
    oss(fake_aliyun, "PUT", BUCKET, "gates/t1", b"open")
    wait_until(lambda: response()["status"] == "complete")
    assert response() == {"status": "complete", "response": {"pie": "apple"}}
    objects = state(fake_aliyun)["oss"]["buckets"][BUCKET]["objects"]
    assert f"{FN}/async-responses/pies/{ans['response_id']}.json" in objects

    r = run(["undeploy", "dev", "-y"], cwd=d, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    objects = state(fake_aliyun)["oss"]["buckets"].get(BUCKET, {}).get("objects", {})
    assert not [k for k in objects if k.startswith(f"{FN}/")]
