"""Zappa's keys that used to be refused or dropped, now honoured on AWS and
proven by what the fake AWS (botocore's models) received: efs_config
(Lambda FileSystemConfigs inside vpc_config, the role allowed to mount it),
an explicit project_name longer than 15 characters, ephemeral_storage as
{"Size": N}, aws_endpoint_urls, delete_zip and use_apigateway."""
import json

from aws_helpers import fake_requests, ops_since, state

AP = "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0"
VPC = {"SubnetIds": ["subnet-1a2b"], "SecurityGroupIds": ["sg-9f8e"]}


def test_efs_config_mounts_the_access_point_in_the_vpc(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False, "apigateway_enabled": False, "vpc_config": VPC,
                     "efs_config": {"Arn": AP, "LocalMountPath": "/mnt/data"}})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    create = fake_requests(fake_aws, "lambda", "CreateFunction")[0]["params"]
    assert create["FileSystemConfigs"] == [{"Arn": AP, "LocalMountPath": "/mnt/data"}]
    assert create["VpcConfig"]["SubnetIds"] == ["subnet-1a2b"]
    cfg = state(fake_aws)["lambda"]["hoistapp-dev"]["config"]
    assert cfg["FileSystemConfigs"] == [{"Arn": AP, "LocalMountPath": "/mnt/data"}]
    # the role may mount and write that access point, nothing wider
    pol = json.loads(state(fake_aws)["iam_roles"]["hoistapp-dev-HoistLambdaExecutionRole"]
                     ["policies"]["hoist-permissions"])
    efs = [s for s in pol["Statement"] if "elasticfilesystem:ClientMount" in s["Action"]]
    assert efs and efs[0]["Condition"] == {"StringEquals": {"elasticfilesystem:AccessPointArn": AP}}
    # unchanged: no configuration call; removed: FileSystemConfigs emptied
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert "UpdateFunctionConfiguration" not in ops_since(fake_aws, n0)
    # Zappa's list form, with the default mount path
    d = aws_project({"keep_warm": False, "apigateway_enabled": False, "vpc_config": VPC,
                     "efs_config": [{"Arn": AP}]})
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert state(fake_aws)["lambda"]["hoistapp-dev"]["config"]["FileSystemConfigs"] == \
        [{"Arn": AP, "LocalMountPath": "/mnt/efs"}]
    d = aws_project({"keep_warm": False, "apigateway_enabled": False, "vpc_config": VPC})
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    upd = fake_requests(fake_aws, "lambda", "UpdateFunctionConfiguration")[-1]["params"]
    assert upd["FileSystemConfigs"] == []
    assert "FileSystemConfigs" not in state(fake_aws)["lambda"]["hoistapp-dev"]["config"]


def test_efs_config_refusals_name_the_key_and_change_nothing(run, aws_env, aws_project, fake_aws):
    cases = [
        ({"efs_config": {"Arn": AP}}, "efs_config needs vpc_config"),
        ({"vpc_config": VPC, "efs_config": True}, "does not create EFS file systems"),
        ({"vpc_config": VPC, "efs_config": {"LocalMountPath": "/mnt/x"}}, "without Arn"),
        ({"vpc_config": VPC, "efs_config": [{"Arn": AP}, {"Arn": AP}]}, "one file system"),
        ({"vpc_config": VPC, "efs_config": {"Arn": AP, "ThroughputMode": "bursting"}},
         "ThroughputMode"),
        ({"vpc_config": VPC, "efs_config": {"Arn": AP, "LocalMountPath": "/data"}},
         "LocalMountPath: must be /mnt/"),
        ({"vpc_config": VPC, "efs_config": {"Arn": "arn:aws:s3:::bucket"}}, "not an EFS access point"),
        ({"provider": "local", "efs_config": {"Arn": AP}},
         "efs_config is not supported by the local provider (supported by: aws)"),
    ]
    for settings, needle in cases:
        d = aws_project(settings)
        r = run(["deploy", "dev"], cwd=d, env=aws_env)
        assert r.returncode == 2, (settings, r.stderr)
        assert needle in r.stderr and "efs_config" in r.stderr, (settings, r.stderr)
    assert fake_requests(fake_aws) == []


def test_long_project_name_ephemeral_size_and_zappa_spellings(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False, "project_name": "dev_event_zappa_test_flask_app",
                     "ephemeral_storage": {"Size": 2048}, "use_apigateway": False,
                     "aws_endpoint_urls": {"lambda": fake_aws.url}, "delete_zip": True})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    fn = "dev-event-zappa-test-flask-app-dev"
    create = fake_requests(fake_aws, "lambda", "CreateFunction")[0]["params"]
    assert create["FunctionName"] == fn and create["EphemeralStorage"] == {"Size": 2048}
    # the role name stays within IAM's 64 characters, unique by a hash of the function
    roles = list(state(fake_aws)["iam_roles"])
    assert len(roles) == 1 and len(roles[0]) <= 64 and roles[0].endswith("-HoistLambdaExecutionRole")
    assert roles[0].startswith(fn[:30])
    # use_apigateway: false (Zappa's old name) means no API Gateway
    assert not fake_requests(fake_aws, "apigateway", "CreateRestApi")
    r = run(["settings", "dev"], cwd=d, env=aws_env)
    out = json.loads(r.stdout)
    assert out["ephemeral_storage"] == 2048 and out["endpoint_urls"] == {"lambda": fake_aws.url}
    assert out["apigateway_enabled"] is False
