"""Signals during an AWS deploy (issue 12 item 4): hoist stops at the next safe
point with 128 + signal, removes its temporary package (it holds the
environment variables), releases the stage lock, and a re-run converges.  A
long upload stops in the middle; a second signal leaves at once."""
import json
import os
import signal
import subprocess
import time
import zipfile

from aws_helpers import (BUCKET, KEY, env_of, fake_post, fake_requests, marker, start, state, wait_for,
                         write_handler)

FN = "hoistapp-dev"


def tmp_env(tmp_path, aws_env):
    t = tmp_path / "tmp"
    t.mkdir(exist_ok=True)
    return dict(env_of(tmp_path, aws_env), TMPDIR=str(t)), t


def test_sigterm_during_a_call_stops_after_it_cleans_up_and_unlocks(
        hoist, run, aws_env, aws_project, fake_aws, tmp_path):
    d = aws_project({"keep_warm": False, "environment_variables": {"API_TOKEN": "s3cr3t"}})
    env, tmp = tmp_env(tmp_path, aws_env)
    fake_post(fake_aws, "/__fake/faults", {"operation": "CreateFunction", "kind": "block",
                                           "delay": 60})
    p = start(hoist, ["deploy", "dev"], d, env)
    wait_for(lambda: fake_requests(fake_aws, "lambda", "CreateFunction"))
    assert os.listdir(tmp), "the package is in TMPDIR while the deploy runs"
    p.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    n0 = len(fake_requests(fake_aws))
    fake_post(fake_aws, "/__fake/release", {})      # the call in flight finishes...
    out, err = p.communicate(timeout=30)
    assert p.returncode == 143, err
    assert "interrupted (SIGTERM)" in err and "run 'hoist deploy dev' again" in err
    ops = [q["operation"] for q in fake_requests(fake_aws)[n0:]]
    # ... then nothing but the lock's release
    assert set(ops) <= {"GetCallerIdentity", "GetObject", "DeleteObject"}, ops
    assert os.listdir(tmp) == [] and marker(fake_aws) is None and out == ""
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    s = state(fake_aws)
    assert list(s["lambda"]) == [FN] and len(s["apigateway"]["apis"]) == 1


def test_a_second_signal_leaves_at_once(hoist, run, aws_env, aws_project, fake_aws, tmp_path):
    d = aws_project({"keep_warm": False})
    env, tmp = tmp_env(tmp_path, aws_env)
    fake_post(fake_aws, "/__fake/faults", {"operation": "CreateFunction", "kind": "block",
                                           "delay": 60})
    p = start(hoist, ["deploy", "dev"], d, env)
    try:
        wait_for(lambda: fake_requests(fake_aws, "lambda", "CreateFunction"))
        p.send_signal(signal.SIGINT)
        time.sleep(0.2)
        assert p.poll() is None, "the first waits for the call in flight"
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=10)
        assert p.returncode == 130
        assert os.listdir(tmp) == [], "the temporary package is gone"
    finally:
        fake_post(fake_aws, "/__fake/release", {})
    assert marker(fake_aws) is not None, "left behind: the process is gone"
    r = run(["deploy", "dev"], cwd=d, env=aws_env)   # takes the dead run's lock over
    assert r.returncode == 0, r.stderr
    assert "its process on this machine is gone" in r.stderr


def test_a_long_upload_stops_in_the_middle(hoist, aws_env, aws_project, fake_aws, tmp_path):
    d = aws_project({"keep_warm": False, "apigateway_enabled": False})
    z = tmp_path / "big.zip"          # over the inline limit: uploaded to S3
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        write_handler(zf)
        zf.writestr("blob.bin", os.urandom(51 * 1024 * 1024))
    env, _ = tmp_env(tmp_path, aws_env)
    # the fake stops reading the first part half-way: hoist is inside the transfer
    fake_post(fake_aws, "/__fake/faults", {"match": "partNumber=", "kind": "stall_body",
                                           "delay": 60})
    p = start(hoist, ["deploy", "dev", "--zip", str(z)], d, env)
    try:
        wait_for(lambda: fake_requests(fake_aws, "s3", "CreateMultipartUpload"))
        time.sleep(0.3)
        t0 = time.time()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
        assert p.returncode == 130, err
        assert time.time() - t0 < 5, "it did not wait for the upload's answer"
        assert "interrupted (SIGINT)" in err
    finally:
        fake_post(fake_aws, "/__fake/release", {})
    assert not state(fake_aws).get("lambda"), "nothing was created"
    assert marker(fake_aws) is None
    assert fake_requests(fake_aws, "s3", "AbortMultipartUpload"), "S3 drops the parts"
    assert [q for q in fake_requests(fake_aws, "s3", "PutObject") if q["params"]["Key"] != KEY] \
        == []


def test_ctrl_c_during_a_long_invoke_returns_at_once(hoist, run, aws_env, aws_project, fake_aws,
                                                    tmp_path):
    """A read or an invocation changes nothing: an interrupt cuts it short
    (the function goes on in the cloud) instead of waiting for its answer."""
    d = aws_project({"keep_warm": False, "apigateway_enabled": False})
    assert run(["deploy", "dev"], cwd=d, env=aws_env).returncode == 0
    env, _ = tmp_env(tmp_path, aws_env)
    p = start(hoist, ["invoke", "dev", "--raw", "import time; time.sleep(20)"], d, env)
    try:
        wait_for(lambda: fake_requests(fake_aws, "lambda", "Invoke"))
        time.sleep(0.3)
        t0 = time.time()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=15)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, err
    assert time.time() - t0 < 5 and "interrupted (SIGINT)" in err


def test_sigterm_to_hoist_alone_reaches_every_stage_of_all(hoist, run, aws_env, aws_project,
                                                           fake_aws, tmp_path):
    """A CI runner's timeout signals hoist's pid, not its process group: with
    --all the stages run in child processes, and each is told once, stops at
    its next safe point and releases its lock; no process is left behind."""
    d = aws_project({"keep_warm": False})
    one = json.loads((d / "hoist.json").read_text())["dev"]
    (d / "hoist.json").write_text(json.dumps({"dev": one, "prod": one}))
    env, tmp = tmp_env(tmp_path, aws_env)
    fake_post(fake_aws, "/__fake/faults", {"operation": "CreateFunction", "kind": "block",
                                           "delay": 60, "count": -1})
    p = start(hoist, ["deploy", "--all", "-j", "2"], d, env)
    try:
        wait_for(lambda: len(fake_requests(fake_aws, "lambda", "CreateFunction")) == 2)
        fake_post(fake_aws, "/__fake/reset-faults", {})
        kids = [int(x) for x in open("/proc/%d/task/%d/children" % (p.pid, p.pid)).read().split()]
        assert len(kids) == 2
        p.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        fake_post(fake_aws, "/__fake/release", {})
        out, err = p.communicate(timeout=30)
    finally:
        fake_post(fake_aws, "/__fake/release", {})
        if p.poll() is None:
            p.kill()
    assert p.returncode == 143, err
    assert err.count("interrupted (SIGTERM)") >= 2, err
    assert marker(fake_aws) is None
    assert KEY.replace("-dev.json", "-prod.json") not in \
        state(fake_aws).get("s3", {}).get(BUCKET, {}).get("objects", {})
    for k in kids:
        assert not os.path.exists("/proc/%d" % k) or \
            open("/proc/%d/stat" % k).read().split()[2] == "Z", "a stage's process is left"
    assert os.listdir(tmp) == []
    r = run(["deploy", "--all"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert sorted(state(fake_aws)["lambda"]) == ["hoistapp-dev", "hoistapp-prod"]
