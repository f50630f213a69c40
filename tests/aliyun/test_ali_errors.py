"""Bad input on aliyun stages: each a clear message, the right exit status,
and not one request to the (fake) cloud — nothing changed."""
import pytest

from ali_helpers import requests, writes_since


def refused(run, proj, env, fake, status, *needles, args=("deploy", "dev"), reads_ok=False):
    """Nothing sent (reads_ok: nothing but reads — the package, checked while the
    first reads run, is refused before any write or upload)."""
    r = run(list(args), cwd=proj, env=env, timeout=60)
    assert r.returncode == status, r.stderr
    for n in needles:
        assert n in r.stderr, r.stderr
    if reads_ok:
        assert writes_since(fake, 0) == []
    else:
        assert requests(fake) == []
    return r


def test_no_credentials(run, ali_project, ali_env, fake_aliyun):
    env = dict(ali_env, ALIBABA_CLOUD_ACCESS_KEY_ID=None, ALIBABA_CLOUD_ACCESS_KEY_SECRET=None)
    refused(run, ali_project(), env, fake_aliyun, 1, "no Alibaba Cloud credentials found",
            "ALIBABA_CLOUD_ACCESS_KEY_ID", "no-aliyun-config.json")


def test_unknown_region(run, ali_project, ali_env, fake_aliyun):
    refused(run, ali_project({"region": "cn-hangzou"}), ali_env, fake_aliyun, 2,
            "unknown Alibaba Cloud region 'cn-hangzou' (did you mean 'cn-hangzhou'?)")


def test_no_region(run, ali_project, ali_env, fake_aliyun):
    refused(run, ali_project({"region": None}), ali_env, fake_aliyun, 2,
            "no Alibaba Cloud region", "ALIBABA_CLOUD_REGION_ID")


def test_runtime_fc_lacks(run, ali_project, ali_env, fake_aliyun):
    refused(run, ali_project({"runtime": "python3.11"}), ali_env, fake_aliyun, 2,
            "runtime python3.11: Function Compute 3.0 has no such built-in runtime",
            "python3.9, python3.10 and python3.12")


@pytest.mark.parametrize("vpc,needle", [
    ({"VpcId": "vpc-1", "SecurityGroupId": "sg-1"}, "names VPC vpc-1 but no vSwitch"),
    ({"VpcId": "vpc-1", "VSwitchIds": [], "SecurityGroupId": "sg-1"}, "but no vSwitch"),
    ({"SubnetIds": ["vsw-1"], "SecurityGroupIds": ["sg-1"]}, "vpc_config needs VpcId"),
    ({"VpcId": "vpc-1", "SubnetIds": ["vsw-1"], "SecurityGroupIds": ["sg-1", "sg-2"]},
     "takes exactly one (SecurityGroupId)"),
])
def test_vpc_that_cannot_map(run, ali_project, ali_env, fake_aliyun, vpc, needle):
    refused(run, ali_project({"vpc_config": vpc}), ali_env, fake_aliyun, 2, needle)


@pytest.mark.parametrize("expr,needle", [
    ("cron(0 12 L * ? *)", "do not support L, W or #"),
    ("cron(0 12 * * ? 2030)", "have no year field"),
])
def test_timer_fc_cannot_express(run, ali_project, ali_env, fake_aliyun, expr, needle):
    proj = ali_project({"events": [{"name": "late", "function": "tasks.cleanup",
                                    "expression": expr}]})
    refused(run, proj, ali_env, fake_aliyun, 2, f"events[0].expression: {expr} cannot run on "
            "aliyun", needle)
    refused(run, proj, ali_env, fake_aliyun, 2, needle, args=("schedule", "dev"))


def test_front_door_keys_a_trigger_cannot_honour(run, ali_project, ali_env, fake_aliyun):
    refused(run, ali_project({"api_key_required": True}), ali_env, fake_aliyun, 2,
            "api_key_required: a Function Compute HTTP trigger has no API keys")
    refused(run, ali_project({"xray_tracing": True}), ali_env, fake_aliyun, 2, "xray_tracing")
    refused(run, ali_project({"dead_letter_arn": "arn:aws:sqs:us-east-1:1:q"}), ali_env,
            fake_aliyun, 2, "is not an Alibaba Cloud ARN")


def test_function_name_fc_refuses(run, ali_project, ali_env, fake_aliyun):
    refused(run, ali_project({"project_name": "1shop"}), ali_env, fake_aliyun, 2,
            "the function name '1shop-dev'", "not a Function Compute name")


def test_zip_over_the_oss_limit_is_refused_before_any_upload(run, ali_project, ali_env,
                                                            fake_aliyun, tmp_path, sparse_zip):
    # sparse: 500 MiB + 1 byte, no disk used; a hoist package, as --zip wants
    big = sparse_zip(tmp_path / "big.zip", 500 * 1024 * 1024 + 1, "hoistapp-dev")
    refused(run, ali_project(), ali_env, fake_aliyun, 2,
            f"{big} is 524288001 bytes: Function Compute takes at most 524288000 bytes of zip "
            "through OSS (78643200 inline); nothing was uploaded",
            args=("deploy", "dev", "--zip", str(big)), reads_ok=True)


def test_update_of_a_stage_never_deployed(run, ali_project, ali_env, fake_aliyun):
    r = run(["update", "dev"], cwd=ali_project(), env=ali_env, timeout=120)
    assert r.returncode == 1
    assert "stage 'dev' is not deployed" in r.stderr and "hoist deploy dev" in r.stderr
