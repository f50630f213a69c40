"""Plain helpers for tests/tencent (importable by test modules, unlike conftest):
the fake's keys and admin endpoints, and node scripts run with the pinned SDKs."""
import json
import os
import pathlib
import subprocess
import urllib.request

from fakecloud.faketencent import APPID, DEFAULT_KEYS  # noqa: F401

SECRET_ID, SECRET_KEY = next(iter(DEFAULT_KEYS.items()))
REGION = "ap-guangzhou"
NODE_MODULES = pathlib.Path(__file__).resolve().parent.parent / "node_modules"


def fake_requests(fake, service=None, action=None):
    """The signed requests the fake received, optionally filtered."""
    with urllib.request.urlopen(fake.url + "/__fake/requests") as r:
        reqs = json.load(r)
    return [q for q in reqs if (service is None or q["service"] == service)
            and (action is None or q["action"] == action)]


def actions_since(fake, n0):
    return [(q["service"], q["action"]) for q in fake_requests(fake)[n0:]]


def fake_post(fake, path, doc):
    req = urllib.request.Request(fake.url + path, data=json.dumps(doc).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def state(fake):
    with urllib.request.urlopen(fake.url + "/__fake/state") as r:
        return json.load(r)


def node(script, *args, timeout=60):
    """Run a node script with the pinned SDKs on NODE_PATH; -> parsed JSON of its stdout."""
    env = dict(os.environ, NODE_PATH=str(NODE_MODULES))
    r = subprocess.run(["node", "-e", script, "--", *map(str, args)], capture_output=True,
                       text=True, timeout=timeout, env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


WRITES = {"CreateFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration",
          "PublishVersion", "CreateAlias", "UpdateAlias", "CreateTrigger", "UpdateTrigger",
          "DeleteTrigger", "CreateLogset", "CreateTopic", "PutObject", "PutBucket",
          "DeleteFunction", "DeleteFunctionVersion", "DeleteObject", "CreateRole",
          "UpdateAssumeRolePolicy", "DeleteRole", "CreatePolicy", "UpdatePolicy",
          "DeletePolicy", "AttachRolePolicy", "DetachRolePolicy"}


def writes_since(fake, n0):
    """What changed something since request n0, the stage lock's marker aside."""
    return [(q["service"], q["action"]) for q in fake_requests(fake)[n0:]
            if q["action"] in WRITES
            and not q["params"].get("Key", "").startswith("hoist-locks/")]


def fetch(fake, url, path="/", data=None, headers=None):
    """A request to the fake function URL `url` (the fake routes by Host)."""
    host = url.split("://", 1)[1]
    req = urllib.request.Request(fake.url + path, data=data, method="POST" if data else "GET",
                                 headers=dict(headers or {}, Host=host))
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()
