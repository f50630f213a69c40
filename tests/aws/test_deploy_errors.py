"""Bad input for hoist deploy/update on AWS: each is a clear message with
the right exit status, and (where the spec says so) nothing reaches AWS."""

from aws_helpers import fake_post, fake_requests, state

FN = "hoistapp-dev"


def test_no_credentials(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    env = dict(aws_env, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    r = run(["deploy", "dev"], cwd=d, env=env)
    assert r.returncode == 1
    assert "no AWS credentials found" in r.stderr
    assert "AWS_ACCESS_KEY_ID" in r.stderr and "no-aws-credentials" in r.stderr
    assert r.stdout == ""
    assert fake_requests(fake_aws) == []


def test_unknown_region(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False, "aws_region": "us-esat-1"})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 2
    assert "us-esat-1" in r.stderr and "us-east-1" in r.stderr
    assert fake_requests(fake_aws) == []


def test_bucket_owned_by_someone_else(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False, "slim_handler": True, "s3_bucket": "their-bucket"})
    fake_post(fake_aws, "/__fake/foreign-buckets", {"buckets": ["their-bucket"]})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 1
    assert "S3 bucket 'their-bucket'" in r.stderr and "403" in r.stderr
    assert '"s3_bucket"' in r.stderr
    s = state(fake_aws)
    assert not s.get("lambda") and not s.get("iam_roles")   # nothing was created


def test_package_over_the_unzipped_limit(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    with open(d / "huge.bin", "wb") as f:      # sparse: 600 MB unzipped, no disk used
        f.truncate(600 * 1000 * 1000)
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 2, r.stderr
    assert "unzipped" in r.stderr and "huge.bin" not in r.stdout
    ops = {(q["service"], q["operation"]) for q in fake_requests(fake_aws)}
    # reads only: whether the stage is deployed is asked before packaging (item 22),
    # the account, role and bucket while it is built
    assert ops <= {("sts", "GetCallerIdentity"), ("lambda", "GetFunction"), ("iam", "GetRole"),
                   ("s3", "HeadBucket")}, ops
    assert not state(fake_aws).get("lambda")


def test_deploy_of_a_deployed_stage(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    n0 = len(fake_requests(fake_aws))
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 1
    assert f"stage 'dev' is already deployed at {url}; did you mean 'hoist update dev'?" in r.stderr
    writes = [q["operation"] for q in fake_requests(fake_aws)[n0:]
              if q["operation"].startswith(("Create", "Update", "Put", "Delete"))]
    assert writes == []


def test_update_of_an_undeployed_stage(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 1
    assert f"stage 'dev' is not deployed: there is no Lambda function {FN}" in r.stderr
    assert "hoist deploy dev" in r.stderr
    for cmd in (["status", "dev"], ["rollback", "dev"], ["invoke", "dev", "--raw", "1"]):
        r = run(cmd, cwd=d, env=aws_env)
        assert r.returncode == 1, cmd
        assert "is not deployed" in r.stderr, cmd
    assert not state(fake_aws).get("lambda")


def test_undeploy_of_a_half_deployed_stage(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    fake_post(fake_aws, "/__fake/faults", {"operation": "CreateFunction", "kind": "500", "count": -1})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 1
    assert list(state(fake_aws)["iam_roles"]) == [f"{FN}-HoistLambdaExecutionRole"]
    r = run(["undeploy", "dev", "-y"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert state(fake_aws)["iam_roles"] == {}


def test_role_arn_and_foreign_role_are_never_deleted(run, aws_env, aws_project, fake_aws, boto):
    iam = boto("iam")
    iam.create_role(RoleName=f"{FN}-HoistLambdaExecutionRole", AssumeRolePolicyDocument="{}")
    d = aws_project({"keep_warm": False, "manage_roles": False})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert state(fake_aws)["iam_roles"][f"{FN}-HoistLambdaExecutionRole"]["policies"] == {}
    r = run(["undeploy", "dev", "-y"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    s = state(fake_aws)
    assert s["lambda"] == {} and list(s["iam_roles"]) == [f"{FN}-HoistLambdaExecutionRole"]
