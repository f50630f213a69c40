"""The stage lock on aliyun: the marker hoist-locks/<region>/<function>.json
in the stage's OSS bucket, taken with x-oss-forbid-overwrite just before the
first write and removed at the end; a live marker of another run refuses
with a clear message and nothing changed, an expired one is taken over,
--force-unlock takes over any."""
import json
import os
import time

from ali_helpers import ACCOUNT, REGION, requests, state, writes_since

BUCKET = f"hoist-{ACCOUNT}-{REGION}"
KEY = f"hoist-locks/{REGION}/hoistapp-dev.json"
MSG = "stage dev is being changed by another run since "


def put_marker(fake, **fields):
    """A marker as another machine's run leaves it, straight into the fake's OSS."""
    now = int(time.time())
    doc = {"boot": "0" * 36, "command": "deploy", "expires": now + 3600, "hoist": "0.1.0",
           "host": "ci-runner-7", "pid": 4242, "run": "0" * 32, "since": now - 60, "user": "ci"}
    doc.update(fields)
    data = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    path = os.path.join(fake.tmp, "objects", "marker-" + str(now))
    with open(path, "wb") as f:
        f.write(data)
    with fake.lock:
        b = fake.st("oss").setdefault("buckets", {}).setdefault(
            BUCKET, {"region": REGION, "created": now, "objects": {}, "acl": "private"})
        b["objects"][KEY] = {"path": path, "size": len(data), "etag": '"X"', "crc64": "0",
                             "meta": {}, "ctype": "application/json", "mtime": now}
    return doc


def marker(fake):
    return state(fake).get("oss", {}).get("buckets", {}).get(BUCKET, {}).get("objects", {}).get(KEY)


def test_deploy_takes_and_releases_the_marker(run, ali_project, ali_env, fake_aliyun):
    r = run(["deploy", "dev"], cwd=ali_project(), env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    puts = [q for q in requests(fake_aliyun, "oss", "PutObject") if q["params"]["key"] == KEY]
    # NoSuchBucket, the bucket is created, the marker stored; removed at the end
    assert len(puts) == 2 and marker(fake_aliyun) is None
    assert [q["action"] for q in requests(fake_aliyun, "oss")][-2:] == ["GetObject", "DeleteObject"]
    first_write = next(i for i, q in enumerate(requests(fake_aliyun))
                       if not q["action"].startswith(("Get", "List", "Describe")))
    assert requests(fake_aliyun)[first_write]["params"]["key"] == KEY


def test_a_live_marker_refuses_then_force_unlock(run, ali_project, ali_env, fake_aliyun):
    proj = ali_project()
    put_marker(fake_aliyun)
    n0 = len(requests(fake_aliyun))
    r = run(["deploy", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 1
    assert MSG in r.stderr and "ci-runner-7" in r.stderr and "--force-unlock" in r.stderr
    assert writes_since(fake_aliyun, n0) == []
    assert state(fake_aliyun).get("fc", {}).get("functions", {}) == {}
    r = run(["deploy", "dev", "--force-unlock"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert marker(fake_aliyun) is None


def test_an_expired_marker_is_taken_over(run, ali_project, ali_env, fake_aliyun):
    put_marker(fake_aliyun, expires=int(time.time()) - 10)
    r = run(["deploy", "dev"], cwd=ali_project(), env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "warning" in r.stderr and marker(fake_aliyun) is None


def test_undeploy_sweeps_a_dead_runs_marker(run, ali_project, ali_env, fake_aliyun):
    proj = ali_project()
    assert run(["deploy", "dev"], cwd=proj, env=ali_env, timeout=120).returncode == 0
    put_marker(fake_aliyun, expires=int(time.time()) - 10)
    r = run(["undeploy", "dev", "--yes"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert marker(fake_aliyun) is None
