"""hoist deploy / update / status / invoke / rollback / undeploy on AWS,
end to end against the fake (tests/fakecloud): examples/flask with a
vendored Flask, every function setting checked in the fake's state, the
no-change update proven from the requests the fake received, the handler
run for real by the fake's Invoke, and nothing of the stage left after
undeploy."""
import json
import re

import pytest

from aws_helpers import ACCOUNT, REGION, fake_requests, state

FN = "flaskdemo-dev"
ROLE = f"{FN}-HoistLambdaExecutionRole"
URL_RE = re.compile(r"^https://[a-z0-9]+\.execute-api\.us-east-1\.amazonaws\.com/dev$")
DLQ = f"arn:aws:sqs:{REGION}:{ACCOUNT}:flaskdemo-dlq"


def settings(site_packages, **extra):
    s = {
        "provider": "aws",
        "project_name": "flaskdemo",
        "app_function": "app.app",
        "aws_region": REGION,
        "runtime": "python3.12",
        "site_packages": str(site_packages),
        "memory_size": 1024,
        "timeout_seconds": 45,
        "architecture": "arm64",
        "exclude": ["*.so"],             # markupsafe's speedups: x86_64 only; pure Python works
        "environment_variables": {"GREETING": "hi", "MODE": "test"},
        "vpc_config": {"SubnetIds": ["subnet-2", "subnet-1"], "SecurityGroupIds": ["sg-1"]},
        "xray_tracing": True,
        "dead_letter_arn": DLQ,
        "ephemeral_storage": 1024,
        "tags": {"team": "web"},
        "keep_warm": False,
        "events": [{"function": "tasks.heartbeat", "expression": "rate(5 minutes)"}],
    }
    s.update(extra)
    return s


@pytest.fixture
def flask_project(flask_example, flask_site_packages):
    """write(**settings) -> examples/flask with a hoist.json for stage dev."""
    return lambda **extra: flask_example(settings(flask_site_packages, **extra))


def between(fake_aws, start):
    return [(q["service"], q["operation"]) for q in fake_requests(fake_aws)[start:]]


def test_deploy_update_status_invoke_rollback_undeploy(run, aws_env, flask_project, fake_aws):
    d = flask_project()

    # ---- deploy
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    assert URL_RE.match(url), r.stdout
    assert f"Deployment complete!: {url}" in r.stderr
    s = state(fake_aws)
    assert list(s["iam_roles"]) == [ROLE]
    role = s["iam_roles"][ROLE]
    assert {"Key": "hoist:managed", "Value": "true"} in role["Tags"]
    trust = json.loads(role["AssumeRolePolicyDocument"])
    assert sorted(trust["Statement"][0]["Principal"]["Service"]) == [
        "apigateway.amazonaws.com", "lambda.amazonaws.com"]
    pol = json.loads(role["policies"]["hoist-permissions"])
    actions = {a for st in pol["Statement"] for a in st["Action"]}
    assert {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments",
            "sqs:SendMessage", "ec2:CreateNetworkInterface"} <= actions
    assert {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": DLQ} in pol["Statement"]
    assert list(s["lambda"]) == [FN]
    fn = s["lambda"][FN]
    cfg = fn["config"]
    assert cfg["Runtime"] == "python3.12"
    assert cfg["Handler"] == "hoist_handler.handler"
    assert cfg["Role"] == f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
    assert cfg["MemorySize"] == 1024 and cfg["Timeout"] == 45
    assert cfg["Environment"] == {"Variables": {"GREETING": "hi", "MODE": "test"}}
    assert sorted(cfg["VpcConfig"]["SubnetIds"]) == ["subnet-1", "subnet-2"]
    assert cfg["VpcConfig"]["SecurityGroupIds"] == ["sg-1"]
    assert cfg["TracingConfig"] == {"Mode": "Active"}
    assert cfg["DeadLetterConfig"] == {"TargetArn": DLQ}
    assert cfg["Architectures"] == ["arm64"]
    assert cfg["EphemeralStorage"] == {"Size": 1024}
    assert fn["tags"] == {"team": "web", "hoist:digest": fn["tags"]["hoist:digest"]}
    assert list(fn["versions"]) == ["1"]
    # small package: inline upload, nothing left in S3
    assert all(not b["objects"] for b in s.get("s3", {}).values())
    # IAM propagation was waited out: the first CreateFunction was refused, the retry worked;
    # the role being new, the code went once through S3 (a retry does not upload it again)
    creates = fake_requests(fake_aws, "lambda", "CreateFunction")
    assert len(creates) == 2 and all("S3Key" in q["params"]["Code"] for q in creates)
    assert len([q for q in fake_requests(fake_aws, "s3", "PutObject")
                if q["params"]["Key"].endswith(".zip")]) == 1
    assert not fake_requests(fake_aws, "lambda", "UpdateFunctionCode")
    # the front door: REST API, ANY on / and /{proxy+}, AWS_PROXY, stage dev
    apis = list(s["apigateway"]["apis"].values())
    assert len(apis) == 1 and apis[0]["name"] == FN
    assert url.startswith(f"https://{apis[0]['id']}.execute-api.")
    paths = {r["path"]: r["resourceMethods"] for r in apis[0]["resources"].values()}
    assert sorted(paths) == ["/", "/{proxy+}"]
    for methods in paths.values():
        assert list(methods) == ["ANY"]
        integ = methods["ANY"]["methodIntegration"]
        assert integ["type"] == "AWS_PROXY" and integ["uri"].endswith(
            f"function:{FN}/invocations")
    assert list(apis[0]["stages"]) == ["dev"]
    assert any(st["Principal"] == {"Service": "apigateway.amazonaws.com"} for st in fn["policy"])
    # the example's timer: one rule targeting the function
    rules = s["events_rules"]
    assert [r for r in rules if FN in r] == [f"{FN}-tasks-heartbeat"], rules

    # ---- no-change update: no code upload, no configuration call
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == url
    ops = between(fake_aws, n0)
    assert ("lambda", "UpdateFunctionCode") not in ops
    assert ("lambda", "UpdateFunctionConfiguration") not in ops
    assert ("lambda", "PublishVersion") not in ops
    assert not [o for o in ops if o[0] == "s3" and o[1] in ("PutObject", "UploadPart")]
    assert ("lambda", "CreateFunction") not in ops
    assert "Nothing changed" in r.stderr      # tests/aws/test_nochange.py: the exact reads

    # ---- status
    r = run(["--json", "status", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["function"] == FN and st["state"] == "Active"
    assert st["url"] == url
    assert st["versions"] == [1] and st["version"] == 1
    # deploy's touch; a no-change update does not touch (nothing new to warm)
    assert st["invocations_24h"] == 1 and st["errors_24h"] == 0
    cw = fake_requests(fake_aws, "cloudwatch", "GetMetricStatistics")
    assert {q["params"]["MetricName"] for q in cw} == {"Invocations", "Errors"}
    assert all(q["params"]["Period"] == 86400 for q in cw)
    r = run(["status", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert FN in r.stdout and url in r.stdout
    assert "Last 24 hours: 1 invocation, 0 errors" in r.stdout

    # ---- invoke: the fake runs the packaged handler
    r = run(["invoke", "dev", "--raw", "x = 6\nx * 7"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "42"
    assert "START RequestId" in r.stderr      # the decoded log tail
    r = run(["invoke", "dev", "tasks.heartbeat"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"
    assert "heartbeat at" in r.stderr
    ev = {"httpMethod": "GET", "path": "/", "headers": {"Host": "x.example"},
          "multiValueHeaders": {"Host": ["x.example"]}, "queryStringParameters": None,
          "multiValueQueryStringParameters": None, "body": None, "isBase64Encoded": False,
          "requestContext": {"stage": "dev", "path": "/dev/", "identity": {"sourceIp": "1.2.3.4"}},
          "pathParameters": None, "stageVariables": None, "resource": "/"}
    r = run(["invoke", "dev", "--payload", json.dumps(ev)], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    resp = json.loads(r.stdout)
    assert resp["statusCode"] == 200 and "Hello from hoist!" in resp["body"]
    r = run(["invoke", "dev", "--raw", "1/0"], cwd=d, env=aws_env)
    assert r.returncode == 1
    assert "ZeroDivisionError" in r.stderr

    # ---- a code change: uploaded, new version; then roll back to version 1
    v1_sha = state(fake_aws)["lambda"][FN]["config"]["CodeSha256"]
    app = d / "app.py"
    app.write_text(app.read_text().replace("Hello from hoist!", "Hello again!"))
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    ops = between(fake_aws, n0)
    assert ops.count(("lambda", "UpdateFunctionCode")) == 1
    assert ("lambda", "UpdateFunctionConfiguration") not in ops
    assert ops.count(("lambda", "PublishVersion")) == 1
    fn = state(fake_aws)["lambda"][FN]
    assert fn["config"]["CodeSha256"] != v1_sha
    assert sorted(fn["versions"]) == ["1", "2"]

    r = run(["rollback", "dev", "-n", "1"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == url
    fn = state(fake_aws)["lambda"][FN]
    assert fn["config"]["CodeSha256"] == v1_sha
    assert sorted(fn["versions"]) == ["1", "2", "3"]
    r = run(["invoke", "dev", "--payload", json.dumps(ev)], cwd=d, env=aws_env)
    assert "Hello from hoist!" in json.loads(r.stdout)["body"]
    r = run(["rollback", "dev", "-n", "5"], cwd=d, env=aws_env)
    assert r.returncode == 1
    assert "cannot roll back 5 versions" in r.stderr

    # ---- undeploy: everything of the stage goes
    r = run(["undeploy", "dev", "--yes", "--remove-logs"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    s = state(fake_aws)
    assert s["lambda"] == {}
    assert s["iam_roles"] == {}
    assert s["apigateway"]["apis"] == {}
    assert not [r for r in s.get("events_rules", {}) if FN in r]
    assert all(not [k for k in b["objects"] if k.startswith(FN + "/")] for b in s.get("s3", {}).values())
    assert ("logs", "DeleteLogGroup") in between(fake_aws, 0)


def test_a_zip_over_4_mib_goes_through_s3_and_is_removed(run, aws_env, aws_project, fake_aws):
    """Above 4 MiB the code goes through S3 (raw bytes, a quarter fewer than an inline
    base64 body; its SHA-256 the package's), on update as on deploy, and the object is
    deleted once Lambda has it; below, one inline request."""
    import os
    d = aws_project({"keep_warm": False})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    (d / "blob.bin").write_bytes(os.urandom(5 * 1024 * 1024))   # stored as is: a 5 MiB zip
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    reqs = fake_requests(fake_aws)[n0:]
    code = [q for q in reqs if q["operation"] == "UpdateFunctionCode"]
    assert len(code) == 1 and "S3Key" in code[0]["params"] and "ZipFile" not in code[0]["params"]
    key = code[0]["params"]["S3Key"]
    puts = [q for q in reqs if q["operation"] == "PutObject" and q["params"]["Key"] == key]
    dels = [q for q in reqs if q["operation"] == "DeleteObject" and q["params"]["Key"] == key]
    assert len(puts) == 1 and len(dels) == 1
    assert all(key not in b["objects"] for b in state(fake_aws)["s3"].values())
    # the function runs that code: its hash is the package's
    fn = state(fake_aws)["lambda"][next(iter(state(fake_aws)["lambda"]))]
    assert fn["config"]["CodeSize"] > 5 * 1024 * 1024
    # back under 4 MiB: inline again
    (d / "blob.bin").unlink()
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    code = [q for q in fake_requests(fake_aws)[n0:] if q["operation"] == "UpdateFunctionCode"]
    assert len(code) == 1 and "ZipFile" in code[0]["params"]
