"""The code object goes to S3 while the pre-flight runs (providers/aws/upload_early.c):
the pre-flight and the upload overlap instead of following each other, and a
pre-flight that refuses the package leaves the stage and the bucket as they were."""
import os
import subprocess
import time

from aws_helpers import (BUCKET, KEY, env_of, fake_post, fake_requests, marker, start, state,
                         wait_for)
from pyshim import minor, slow_python

LAMBDA_WRITES = {"UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion",
                 "CreateFunction", "UpdateAlias"}


def big_project(aws_project, tmp_path, ended=None, sleep=1):
    """A project whose zip is over the inline limit (so it goes through S3), and a
    PATH whose only Python is a shim (tests/pyshim.py)."""
    d = aws_project({"keep_warm": False, "apigateway_enabled": False,
                     "runtime": f"python3.{minor()}"})
    (d / "blob.bin").write_bytes(os.urandom(5 * 1024 * 1024))   # stored: over 4 MiB
    return d, slow_python(tmp_path, ended, sleep)


def zips(fake_aws):
    return [k for k in state(fake_aws).get("s3", {}).get(BUCKET, {}).get("objects", {})
            if k.endswith(".zip")]


def code_sha(fake_aws):
    return state(fake_aws)["lambda"]["hoistapp-dev"]["config"]["CodeSha256"]


def test_the_code_is_uploaded_while_the_pre_flight_runs(run, aws_env, aws_project, fake_aws,
                                                        tmp_path):
    ended = tmp_path / "ended"
    d, path = big_project(aws_project, tmp_path, ended)
    env = dict(aws_env, PATH=path)
    r = run(["deploy", "dev"], cwd=d, env=env)
    assert r.returncode == 0, r.stderr
    (d / "app.py").write_text((d / "app.py").read_text() + "\n# changed\n")
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=env)
    assert r.returncode == 0, r.stderr
    assert "while the pre-flight runs" in r.stderr
    assert "Pre-flight: the app imports from the package alone" in r.stderr
    pf_end = float(ended.read_text().split()[-1])
    reqs = fake_requests(fake_aws)[n0:]
    put = [q for q in reqs if q["operation"] == "PutObject" and q["params"]["Key"].endswith(".zip")]
    ufc = [q for q in reqs if q["operation"] == "UpdateFunctionCode"]
    assert len(put) == 1 and len(ufc) == 1, [q["operation"] for q in reqs]
    assert put[0]["started"] + put[0]["took"] < pf_end, "uploaded after the pre-flight"
    assert ufc[0]["started"] > pf_end, "the function changed before the pre-flight passed"
    assert ufc[0]["params"]["S3Key"] == put[0]["params"]["Key"]
    assert zips(fake_aws) == [], "the uploaded zip is removed once Lambda has it"
    assert marker(fake_aws) is None


def test_a_refused_pre_flight_removes_what_was_uploaded_meanwhile(run, aws_env, aws_project,
                                                                 fake_aws, tmp_path):
    d, path = big_project(aws_project, tmp_path)
    env = dict(aws_env, PATH=path)
    assert run(["deploy", "dev"], cwd=d, env=env).returncode == 0
    before = code_sha(fake_aws)
    (d / "app.py").write_text("import yaml_not_here\n" + (d / "app.py").read_text())
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=env)
    assert r.returncode == 2, r.stderr
    assert "No module named 'yaml_not_here'" in r.stderr
    assert "the stage was not changed" in r.stderr
    reqs = fake_requests(fake_aws)[n0:]
    ops = [q["operation"] for q in reqs]
    put = [q for q in reqs if q["operation"] == "PutObject" and q["params"]["Key"].endswith(".zip")]
    assert put and "took" in put[0], ops     # it did go up meanwhile (the pre-flight slept)
    assert [q["params"]["Key"] for q in reqs if q["operation"] == "DeleteObject"
            and q["params"]["Key"].endswith(".zip")] == [put[0]["params"]["Key"]]
    assert not LAMBDA_WRITES & set(ops), ops
    assert code_sha(fake_aws) == before
    assert zips(fake_aws) == [] and marker(fake_aws) is None


def test_a_refused_pre_flight_stops_the_upload_where_it_is(hoist, aws_env, aws_project,
                                                          fake_aws, tmp_path):
    """The fake stops reading the zip half-way: the pre-flight's refusal does not wait
    for the transfer (held 60 s); nothing is left in the bucket."""
    d, path = big_project(aws_project, tmp_path, sleep=0)
    env = dict(env_of(tmp_path, aws_env), PATH=path)
    deploy = subprocess.run([hoist, "deploy", "dev"], cwd=d, env=env, capture_output=True,
                            text=True, timeout=120)
    assert deploy.returncode == 0, deploy.stderr
    before = code_sha(fake_aws)
    (d / "app.py").write_text("import yaml_not_here\n" + (d / "app.py").read_text())
    fake_post(fake_aws, "/__fake/faults", {"match": ".zip", "kind": "stall_body", "delay": 60,
                                           "count": 1})
    n0 = len(fake_requests(fake_aws))
    p = start(hoist, ["update", "dev"], d, env)
    try:
        t0 = time.time()
        out, err = p.communicate(timeout=30)
        took = time.time() - t0
    finally:
        fake_post(fake_aws, "/__fake/release", {})
        if p.poll() is None:
            p.kill()
    assert p.returncode == 2, err
    assert "No module named 'yaml_not_here'" in err and "while the pre-flight runs" in err
    assert took < 15, f"waited for the held upload ({took:.1f} s)"
    wait_for(lambda: marker(fake_aws) is None)
    ops = [q["operation"] for q in fake_requests(fake_aws)[n0:]]
    assert not LAMBDA_WRITES & set(ops), ops
    assert code_sha(fake_aws) == before and zips(fake_aws) == []


def test_new_inline_code_takes_the_lock_beside_the_pre_flight(run, aws_env, aws_project,
                                                             fake_aws, tmp_path):
    """A zip under the inline limit is sent with UpdateFunctionCode itself, after the
    pre-flight; the stage lock, hoist's own marker, is taken while it runs."""
    ended = tmp_path / "ended"
    d = aws_project({"keep_warm": False, "apigateway_enabled": False,
                     "runtime": f"python3.{minor()}"})
    env = dict(aws_env, PATH=slow_python(tmp_path, ended))
    assert run(["deploy", "dev"], cwd=d, env=env).returncode == 0
    (d / "app.py").write_text((d / "app.py").read_text() + "\n# changed\n")
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=env)
    assert r.returncode == 0, r.stderr
    pf_end = float(ended.read_text().split()[-1])
    reqs = fake_requests(fake_aws)[n0:]
    lock = [q for q in reqs if q["operation"] == "PutObject" and q["params"]["Key"] == KEY]
    ufc = [q for q in reqs if q["operation"] == "UpdateFunctionCode"]
    assert lock and ufc and "ZipFile" in ufc[0]["params"]
    assert lock[0]["started"] < pf_end < ufc[0]["started"]
    assert zips(fake_aws) == [] and marker(fake_aws) is None
