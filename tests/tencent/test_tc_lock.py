"""The stage lock on Tencent Cloud: besides the lock file on this machine
(core, tests/aws/test_stage_lock.py), a marker object
hoist-locks/<region>/<function>.json in the COS artifacts bucket, created with
x-cos-forbid-overwrite just before the first write and deleted at the end.  A
stale marker is taken over through a claim key only one run can create."""
import hashlib
import json
import os
import socket
import subprocess
import time

from tc_helpers import APPID, fake_requests, state
from test_tc_faults import fault

FN = "hoistapp-dev"
BUCKET = f"hoist-ap-guangzhou-{APPID}"
KEY = f"hoist-locks/ap-guangzhou/{FN}.json"
MSG = "stage dev is being changed by another run since "
READS = ("Get", "List", "Describe", "Search", "Head")


def env_of(tmp_path, tc_env, state_dir="state"):
    """The environment the `run` fixture gives hoist (for Popen); another state_dir
    stands for another machine."""
    e = dict(os.environ, HOME=str(tmp_path / "home"), XDG_STATE_HOME=str(tmp_path / state_dir))
    e.pop("VIRTUAL_ENV", None)
    for k, v in tc_env.items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = str(v)
    return e


def objects(fake):
    return state(fake).get("cos", {}).get(BUCKET, {}).get("objects", {})


def marker(fake):
    return objects(fake).get(KEY)


def put_object(fake, key, doc, age=0):
    """Store an object as another run would have (age: seconds old)."""
    data = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode() \
        if isinstance(doc, dict) else doc
    with fake.lock:
        b = fake.st("cos").setdefault(BUCKET, {"region": "ap-guangzhou", "objects": {},
                                              "created": "2026-01-01T00:00:00.000Z"})
        b["objects"][key] = {"data": data, "meta": {}, "mtime": "2026-01-01T00:00:00.000Z",
                             "etag": '"' + hashlib.md5(data).hexdigest() + '"',
                             "at": time.time() - age}
    return data


def put_marker(fake, **fields):
    now = int(time.time())
    doc = {"boot": open("/proc/sys/kernel/random/boot_id").read().strip(), "command": "deploy",
           "expires": now + 3600, "hoist": "0.1.0", "host": socket.gethostname(), "pid": 1,
           "run": "0" * 32, "since": now - 60, "user": "ci"}
    doc.update(fields)
    return put_object(fake, KEY, doc)


def stage_writes(fake, n0=0):
    """What changed something, but the marker's own requests and the bucket."""
    return [q["action"] for q in fake_requests(fake)[n0:]
            if not q["action"].startswith(READS) and q["action"] != "Invoke"
            and not q["params"].get("Key", "").startswith(KEY) and q["action"] != "PutBucket"]


def test_the_marker_is_held_while_a_deploy_changes_the_stage(hoist, tc_env, tc_project, tc_fake,
                                                            tmp_path):
    d = tc_project()
    fault(tc_fake, "CreateFunction", "slow", 1, delay=4)
    a = subprocess.Popen([hoist, "deploy", "dev"], cwd=str(d), env=env_of(tmp_path, tc_env),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        t0 = time.time()
        while not fake_requests(tc_fake, "scf", "CreateFunction") and time.time() - t0 < 30:
            time.sleep(0.02)
        m = marker(tc_fake)
        assert m, "the marker is taken before the first write"
        with tc_fake.lock:
            doc = json.loads(tc_fake.state["cos"][BUCKET]["objects"][KEY]["data"])
        assert doc["pid"] == a.pid and doc["command"] == "deploy"
        # the first thing written (its first PUT met NoSuchBucket: it made the bucket)
        puts = fake_requests(tc_fake, "cos", "PutObject")
        assert [q["params"]["Key"] for q in puts] == [KEY, KEY]
        assert len(fake_requests(tc_fake, "cos", "PutBucket")) == 1
        assert stage_writes(tc_fake)[0] == "CreateLogset"
        # another runner (its own state directory: only the marker can stop it)
        n0 = len(fake_requests(tc_fake))
        b = subprocess.run([hoist, "deploy", "dev"], cwd=str(d),
                           env=env_of(tmp_path, tc_env, "state-other"), capture_output=True,
                           text=True, stdin=subprocess.DEVNULL, timeout=60)
        assert b.returncode == 1, b.stderr
        assert MSG in b.stderr and "wait or use --force-unlock" in b.stderr, b.stderr
        assert f"pid {a.pid})" in b.stderr
        assert stage_writes(tc_fake, n0) == [], "the refused run changed nothing"
    finally:
        out, err = a.communicate(timeout=60)
    assert a.returncode == 0, err
    assert list(state(tc_fake)["scf"]) == [FN]
    assert marker(tc_fake) is None, "the marker is removed at the end"


def test_a_run_that_changes_nothing_takes_no_marker(run, tc_env, tc_project, tc_fake):
    d = tc_project()
    assert run(["deploy", "dev"], cwd=d, env=tc_env).returncode == 0
    n0 = len(fake_requests(tc_fake))
    r = run(["update", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert [q["action"] for q in fake_requests(tc_fake, "cos")[n0:]
            if q["action"] in ("PutObject", "DeleteObject", "PutBucket")] == []
    assert marker(tc_fake) is None


def test_a_live_marker_elsewhere_refuses_until_force_unlock(run, tc_env, tc_project, tc_fake):
    d = tc_project()
    now = int(time.time())
    put_marker(tc_fake, host="ci-runner-7", pid=4242, user="ann", since=now - 60)
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 1
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(now - 60))
    assert (f"stage dev is being changed by another run since {since} (hoist deploy by "
            f"ann@ci-runner-7, pid 4242); wait or use --force-unlock") in r.stderr, r.stderr
    assert stage_writes(tc_fake) == [], "refused before anything was changed"
    assert not state(tc_fake).get("scf")
    assert marker(tc_fake) is not None, "someone else's marker is left alone"
    r = run(["deploy", "dev", "--force-unlock"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert "took over the lock of stage dev" in r.stderr and "--force-unlock" in r.stderr
    assert marker(tc_fake) is None
    claims = [k for k in objects(tc_fake) if k.startswith(KEY + ".takeover/")]
    assert len(claims) == 1, "the take-over went through a claim"
    # undeploy removes the claims with the rest
    r = run(["undeploy", "dev", "--yes"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert objects(tc_fake) == {}


def test_an_expired_marker_is_taken_over(run, tc_env, tc_project, tc_fake):
    d = tc_project()
    now = int(time.time())
    put_marker(tc_fake, host="ci-runner-7", pid=4242, since=now - 7200, expires=now - 3600)
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert "took over the lock of stage dev" in r.stderr and "it expired" in r.stderr
    assert marker(tc_fake) is None


def test_a_stale_marker_claimed_by_another_run_is_not_taken_twice(run, tc_env, tc_project,
                                                                  tc_fake):
    d = tc_project()
    now = int(time.time())
    put_marker(tc_fake, host="ci-runner-7", pid=4242, since=now - 7200, expires=now - 3600)
    etag = objects(tc_fake)[KEY]["etag"].strip('"')
    # another run claimed this very marker a moment ago and is replacing it
    put_object(tc_fake, f"{KEY}.takeover/_{etag}_", b'{"run":"other"}')
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 1
    assert "its lock kept changing hands; try again" in r.stderr, r.stderr
    assert stage_writes(tc_fake) == []
    # a claim that old was left by a run that died in the middle: it no longer counts
    put_object(tc_fake, f"{KEY}.takeover/_{etag}_", b'{"run":"other"}', age=120)
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert "took over the lock of stage dev" in r.stderr
    assert marker(tc_fake) is None


def test_a_marker_put_whose_answer_was_lost_is_ours(run, tc_env, tc_project, tc_fake):
    d = tc_project()
    # stored, then the connection drops: the retry meets 409 and reads back its own bytes
    fault(tc_fake, "cos:PutObject", "reset_after", 1, key=KEY)
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert "being changed by another run" not in r.stderr
    assert len([q for q in fake_requests(tc_fake, "cos", "PutObject")
                if q["params"]["Key"] == KEY]) == 2
    assert marker(tc_fake) is None


def test_an_interrupted_deploy_removes_its_marker(hoist, run, tc_env, tc_project, tc_fake,
                                                  tmp_path):
    import signal
    d = tc_project()
    fault(tc_fake, "CreateFunction", "slow", 1, delay=3)
    a = subprocess.Popen([hoist, "deploy", "dev"], cwd=str(d), env=env_of(tmp_path, tc_env),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while not fake_requests(tc_fake, "scf", "CreateFunction") and time.time() - t0 < 30:
        time.sleep(0.02)
    assert marker(tc_fake)
    a.send_signal(signal.SIGTERM)
    out, err = a.communicate(timeout=60)
    assert a.returncode == 143, err
    assert marker(tc_fake) is None, "released even after an interrupt"
    # the next run finishes the job
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert list(state(tc_fake)["scf"]) == [FN]


def test_undeploy_removes_a_marker_a_killed_run_left(run, tc_env, tc_project, tc_fake):
    d = tc_project()
    p = subprocess.Popen(["true"])
    p.wait()                      # a pid that is certainly gone
    put_marker(tc_fake, pid=p.pid)
    r = run(["-v", "undeploy", "dev", "--yes"], cwd=d, env=tc_env)   # nothing else to remove
    assert r.returncode == 0, r.stderr
    assert "removed the lock marker a stopped run left" in r.stderr, r.stderr
    assert marker(tc_fake) is None
    # a live one elsewhere is left alone (and the undeploy that writes nothing goes ahead)
    put_marker(tc_fake, host="ci-runner-7", pid=4242)
    r = run(["undeploy", "dev", "--yes"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert marker(tc_fake) is not None
