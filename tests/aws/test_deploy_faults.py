"""Faults the fake injects during hoist deploy/update on AWS: each is
survived by retrying, or ends with exit 1, a clear message and a state that
running the command again completes — never a second function or API."""
import json
import os

from aws_helpers import fake_post, fake_requests, state

FN = "hoistapp-dev"


def fault(fake_aws, operation, kind, count=1):
    fake_post(fake_aws, "/__fake/faults", {"operation": operation, "kind": kind, "count": count})


def clear_faults(fake_aws):
    with fake_aws.lock:
        fake_aws.faults.clear()


def test_throttled_create_function_is_retried(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    fault(fake_aws, "CreateFunction", "throttle", 2)
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert list(state(fake_aws)["lambda"]) == [FN]
    # 2 throttled, 1 refused while the new role propagates, 1 accepted
    assert len(fake_requests(fake_aws, "lambda", "CreateFunction")) == 4


def test_connection_reset_during_inline_upload(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    fault(fake_aws, "CreateFunction", "reset", 1)
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert list(state(fake_aws)["lambda"]) == [FN]
    # reset, refused while the role propagates, accepted: one function, not two
    assert len(fake_requests(fake_aws, "lambda", "CreateFunction")) == 3


def test_api_gateway_500_then_rerun_completes(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    fault(fake_aws, "PutIntegration", "500", -1)
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 1
    assert "PutIntegration" in r.stderr and "ServiceException" in r.stderr
    assert "hoist deploy dev" in r.stderr            # what to do next
    assert list(state(fake_aws)["lambda"]) == [FN]   # the function is kept
    clear_faults(fake_aws)
    n0 = len(fake_requests(fake_aws))
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith(".execute-api.us-east-1.amazonaws.com/dev")
    s = state(fake_aws)
    assert list(s["lambda"]) == [FN]
    assert len(s["apigateway"]["apis"]) == 1
    ops = [(q["service"], q["operation"]) for q in fake_requests(fake_aws)[n0:]]
    assert ("lambda", "CreateFunction") not in ops
    assert ("lambda", "UpdateFunctionCode") not in ops   # same code: not sent again
    # now it is deployed: a third deploy refuses
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 1
    assert "did you mean 'hoist update dev'?" in r.stderr


def test_create_function_failing_then_rerun(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    fault(fake_aws, "CreateFunction", "500", -1)
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 1
    assert "CreateFunction" in r.stderr
    assert state(fake_aws).get("lambda", {}) == {}
    clear_faults(fake_aws)
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    s = state(fake_aws)
    assert list(s["lambda"]) == [FN] and list(s["iam_roles"]) == [f"{FN}-HoistLambdaExecutionRole"]


def test_slim_bundle_multipart_upload_survives_resets(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False, "slim_handler": True, "s3_bucket": "hoist-test-artifacts"})
    (d / "blob.bin").write_bytes(os.urandom(20 * 1024 * 1024))   # > 16 MiB: multipart
    fault(fake_aws, "UploadPart", "reset", 1)
    fault(fake_aws, "CompleteMultipartUpload", "throttle", 1)
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    s = state(fake_aws)
    objs = s["s3"]["hoist-test-artifacts"]["objects"]
    assert list(objs) == [f"{FN}/current_project.tar.gz"]   # the tarball stays; no zip left
    assert objs[f"{FN}/current_project.tar.gz"]["data"]["__bytes__"] > 20 * 1024 * 1024
    assert len(fake_requests(fake_aws, "s3", "UploadPart")) == 3   # 2 parts + 1 retried
    assert fake_requests(fake_aws, "s3", "CreateBucket")[0]["params"].get(
        "CreateBucketConfiguration") is None                        # us-east-1: none
    # the function reads it: its policy allows exactly that object
    pol = json.loads(s["iam_roles"][f"{FN}-HoistLambdaExecutionRole"]["policies"]["hoist-permissions"])
    assert {"Effect": "Allow", "Action": ["s3:GetObject"],
            "Resource": f"arn:aws:s3:::hoist-test-artifacts/{FN}/current_project.tar.gz"} in pol["Statement"]
    # no change: nothing uploaded again
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    ops = [q["operation"] for q in fake_requests(fake_aws)[n0:]]
    assert not {"PutObject", "UploadPart", "CreateMultipartUpload", "UpdateFunctionCode"} & set(ops)


def test_bucket_outside_us_east_1_gets_location_constraint(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False, "slim_handler": True, "aws_region": "eu-west-1"})
    r = run(["deploy", "dev"], cwd=d, env=dict(aws_env, AWS_REGION="eu-west-1"))
    assert r.returncode == 0, r.stderr
    cb = fake_requests(fake_aws, "s3", "CreateBucket")
    assert len(cb) == 1
    assert cb[0]["params"]["Bucket"] == "hoist-123456789012-eu-west-1"
    assert cb[0]["params"]["CreateBucketConfiguration"] == {"LocationConstraint": "eu-west-1"}
    assert ".execute-api.eu-west-1.amazonaws.com/dev" in r.stdout
