"""The stage lock (issue 12 item 8): two runs on one stage at once never both
change it.  Same machine: a lock file under the state directory.  Other
machines: a marker object in the stage's bucket, taken with S3 conditional
writes just before the first write, removed at the end; a marker left by a
dead run is taken over, a live one refuses with a clear message."""
import contextlib
import fcntl
import json
import os
import socket
import subprocess
import time

from aws_helpers import (BUCKET, KEY, env_of, fake_post, fake_requests, marker, start,
                         state, wait_for)

FN = "hoistapp-dev"
MSG = "stage dev is being changed by another run since "
WRITE_PREFIXES = ("Create", "Update", "Put", "Delete", "Publish", "Tag", "Untag", "Add",
                  "Remove", "Import", "Request", "Change")


def put_marker(boto, **fields):
    now = int(time.time())
    doc = {"boot": open("/proc/sys/kernel/random/boot_id").read().strip(), "command": "deploy",
           "expires": now + 3600, "hoist": "0.1.0", "host": socket.gethostname(), "pid": 1,
           "run": "0" * 32, "since": now - 60, "user": "ci"}
    doc.update(fields)
    s3 = boto("s3")
    try:
        s3.create_bucket(Bucket=BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=json.dumps(doc, sort_keys=True,
                                                          separators=(",", ":")).encode())
    return doc


def stage_writes(fake_aws, n0=0):
    return [q["operation"] for q in fake_requests(fake_aws)[n0:]
            if q["operation"].startswith(WRITE_PREFIXES)
            and q["params"].get("Key", "") != KEY and q["operation"] != "CreateBucket"]


@contextlib.contextmanager
def deploy_held_at_create_function(hoist, d, env, fake_aws):
    """A deploy that holds the lock, stopped by the fake inside CreateFunction;
    yields its Popen, then lets it finish and checks it succeeded."""
    fake_post(fake_aws, "/__fake/faults", {"operation": "CreateFunction", "kind": "block",
                                           "delay": 60})
    a = start(hoist, ["deploy", "dev"], d, env)
    try:
        wait_for(lambda: fake_requests(fake_aws, "lambda", "CreateFunction"))
        yield a
    finally:
        fake_post(fake_aws, "/__fake/release", {})
        out, err = a.communicate(timeout=60)
    assert a.returncode == 0, err
    s = state(fake_aws)
    assert len(s["apigateway"]["apis"]) == 1 and list(s["lambda"]) == [FN]
    assert marker(fake_aws) is None, "the marker is removed at the end"


def test_a_second_run_on_this_machine_is_refused_at_once(hoist, run, aws_env, aws_project,
                                                        fake_aws, tmp_path):
    d = aws_project({"keep_warm": False})
    with deploy_held_at_create_function(hoist, d, env_of(tmp_path, aws_env), fake_aws) as a:
        n0 = len(fake_requests(fake_aws))
        for cmd in (["deploy", "dev"], ["update", "dev"], ["undeploy", "dev", "-y"],
                    ["schedule", "dev"], ["rollback", "dev"]):
            r = run(cmd, cwd=d, env=aws_env)
            assert r.returncode == 1, (cmd, r.stderr)
            assert MSG in r.stderr and "wait or use --force-unlock" in r.stderr, r.stderr
            assert "(hoist deploy by " in r.stderr and f"pid {a.pid})" in r.stderr
        assert len(fake_requests(fake_aws)) == n0, "a refused run sent nothing"
        # reading is not changing: status goes ahead
        assert "being changed" not in run(["status", "dev"], cwd=d, env=aws_env).stderr


def test_a_run_on_another_machine_meets_the_marker(hoist, aws_env, aws_project, fake_aws,
                                                   tmp_path):
    d = aws_project({"keep_warm": False})
    with deploy_held_at_create_function(hoist, d, env_of(tmp_path, aws_env), fake_aws) as a:
        assert marker(fake_aws), "the marker is taken before the first write"
        # another runner: its own state directory, so only the marker can stop it
        other = env_of(tmp_path, aws_env, "state-other")
        b = subprocess.run([hoist, "deploy", "dev"], cwd=str(d), env=other, capture_output=True,
                           text=True, stdin=subprocess.DEVNULL, timeout=60)
        assert b.returncode == 1, b.stderr
        assert MSG in b.stderr and "wait or use --force-unlock" in b.stderr, b.stderr
        assert f"pid {a.pid})" in b.stderr


def test_ops_before_the_first_write_take_no_marker(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    assert run(["deploy", "dev"], cwd=d, env=aws_env).returncode == 0
    puts = [q for q in fake_requests(fake_aws, "s3", "PutObject") if q["params"]["Key"] == KEY]
    # (the first meets NoSuchBucket: the marker creates the bucket, then is stored)
    assert puts and all(q["params"]["IfNoneMatch"] == "*" for q in puts)
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=aws_env)      # nothing changed: nothing written
    assert r.returncode == 0, r.stderr
    assert [q["operation"] for q in fake_requests(fake_aws)[n0:]
            if q["service"] == "s3" and q["operation"] in ("PutObject", "DeleteObject")] == []
    assert marker(fake_aws) is None


def test_a_marker_left_by_a_dead_run_here_is_taken_over(run, aws_env, aws_project, fake_aws,
                                                        boto):
    d = aws_project({"keep_warm": False})
    p = subprocess.Popen(["true"])
    p.wait()                      # a pid that is certainly gone
    put_marker(boto, pid=p.pid)
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert "took over the lock of stage dev from a run since" in r.stderr
    assert "its process on this machine is gone" in r.stderr
    assert marker(fake_aws) is None


def test_an_expired_marker_is_taken_over(run, aws_env, aws_project, fake_aws, boto):
    d = aws_project({"keep_warm": False})
    now = int(time.time())
    put_marker(boto, host="ci-runner-7", pid=4242, since=now - 7200, expires=now - 3600)
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert "took over the lock of stage dev" in r.stderr and "it expired" in r.stderr


def test_a_live_marker_elsewhere_refuses_until_force_unlock(run, aws_env, aws_project, fake_aws,
                                                            boto):
    d = aws_project({"keep_warm": False})
    doc = put_marker(boto, host="ci-runner-7", pid=4242, user="ann")
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 1
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(doc["since"]))
    assert (f"stage dev is being changed by another run since {since} (hoist deploy by "
            f"ann@ci-runner-7, pid 4242); wait or use --force-unlock") in r.stderr, r.stderr
    assert stage_writes(fake_aws) == [], "refused before anything was changed"
    assert not state(fake_aws).get("lambda")
    assert marker(fake_aws) is not None, "someone else's marker is left alone"
    r = run(["deploy", "dev", "--force-unlock"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert "took over the lock of stage dev" in r.stderr and "--force-unlock" in r.stderr
    assert marker(fake_aws) is None


def test_the_local_lock_file(run, aws_env, aws_project, fake_aws, tmp_path):
    d = aws_project({"keep_warm": False})
    lockdir = tmp_path / "state" / "hoist" / "locks"
    lockdir.mkdir(parents=True)
    path = lockdir / f"aws-{FN}-us-east-1.lock"
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(json.dumps({"command": "update", "user": "bob", "host": "here", "pid": 77,
                            "since": 0, "expires": 1}))
        f.flush()
        r = run(["deploy", "dev"], cwd=d, env=aws_env)
        assert r.returncode == 1
        assert ("stage dev is being changed by another run since 1970-01-01 00:00:00 UTC "
                "(hoist update by bob@here, pid 77); wait or use --force-unlock") in r.stderr
        assert fake_requests(fake_aws) == [], "refused before any request"
        r = run(["--force-unlock", "deploy", "dev"], cwd=d, env=aws_env)
        assert r.returncode == 0, r.stderr
        assert "--force-unlock: stage dev is locked on this machine by another run" in r.stderr
    r = run(["undeploy", "dev", "-y"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert oct(os.stat(lockdir).st_mode & 0o777) == "0o700"
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
