"""Bad input on a tencent stage: each gets a clear message and the right exit
status, and nothing reaches the fake Tencent Cloud (nothing changed)."""
import pytest

from tc_helpers import fake_requests, state


def nothing_changed(fake):
    assert not [q for q in fake_requests(fake) if not q["action"].startswith(("Get", "Describe",
                                                                             "List"))]
    assert not state(fake).get("scf")


@pytest.mark.parametrize("settings,exit_status,message", [
    ({"apigateway_enabled": True}, 2, "API Gateway product was retired"),
    ({"runtime": "python3.12"}, 2, "runtime: python3.12 is not offered by Tencent SCF"),
    ({"runtime": "python3.13"}, 2, "python3.9 and python3.10"),
    ({"memory_size": 4096}, 2, "memory_size: 4096 is out of range 128–3072 for tencent"),
    ({"memory_size": 192}, 2, "memory_size: 192 must be a multiple of 128 for tencent"),
    ({"events": [{"function": "tasks.cleanup", "expression": "rate(7 minutes)"}]}, 2,
     "rate(7 minutes) cannot run on tencent"),
    ({"events": [{"function": "tasks.cleanup", "expression": "cron(0 3 * * ? 2150)"}]}, 2,
     "years 1970-2099"),
    ({"keep_warm": True, "keep_warm_expression": "rate(90 minutes)"}, 2, "no exact cron form"),
    ({"xray_tracing": True}, 2, "xray_tracing is not supported by the tencent provider"),
    ({"dead_letter_arn": "arn:aws:sqs:us-east-1:123456789012:q"}, 2,
     "SCF's dead-letter queue is a CMQ queue or topic"),
    ({"layers": ["arn:aws:lambda:us-east-1:1:layer:x:1"]}, 2, "is not an SCF layer"),
    ({"vpc_config": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}}, 2,
     "SubnetIds and SecurityGroupIds are AWS's"),
    ({"function_url_enabled": False}, 2, "only HTTP front door is its function URL"),
    ({"region": "ap-guangzho"}, 2, "did you mean 'ap-guangzhou'"),
    ({"region": "us-east-1"}, 2, "unknown region 'us-east-1' for Tencent SCF"),
])
def test_bad_settings(run, tc_env, tc_project, tc_fake, settings, exit_status, message):
    d = tc_project(settings)
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == exit_status, r.stderr
    assert message in r.stderr, r.stderr
    nothing_changed(tc_fake)


def test_no_credentials(run, tc_env, tc_project, tc_fake, tmp_path):
    d = tc_project()
    r = run(["deploy", "dev"], cwd=d, env=dict(tc_env, TENCENTCLOUD_SECRET_ID=None,
                                               TENCENTCLOUD_SECRET_KEY=None))
    assert r.returncode == 1
    assert "no Tencent Cloud credentials found" in r.stderr
    assert "TENCENTCLOUD_SECRET_ID" in r.stderr and ".tencentcloud/credentials" in r.stderr
    assert fake_requests(tc_fake) == []


def test_wrong_key_is_the_providers_refusal(run, tc_env, tc_project, tc_fake):
    d = tc_project()
    r = run(["deploy", "dev"], cwd=d, env=dict(tc_env, TENCENTCLOUD_SECRET_KEY="not-the-key"))
    assert r.returncode == 1
    assert "AuthFailure.SignatureFailure" in r.stderr
    assert "credentials came from environment" in r.stderr
    assert "not-the-key" not in r.stderr
    nothing_changed(tc_fake)


def test_profile_credentials_and_session_token(run, tc_env, tc_project, tc_fake, tmp_path):
    """Keys from ~/.tencentcloud/credentials (profile via TENCENTCLOUD_PROFILE); a session
    token travels as X-TC-Token, which the fake requires for these keys."""
    d = tc_project()
    home = tmp_path / "home" / ".tencentcloud"
    home.mkdir(parents=True)
    (home / "credentials").write_text("[ci]\nsecret_id = AKIDFAKEHOIST\n"
                                      "secret_key = fake/tencent+secret\ntoken = tok-123\n")
    tc_fake.tokens["AKIDFAKEHOIST"] = "tok-123"
    env = dict(tc_env, TENCENTCLOUD_SECRET_ID=None, TENCENTCLOUD_SECRET_KEY=None,
               TENCENTCLOUD_PROFILE="ci")
    r = run(["deploy", "dev"], cwd=d, env=env)
    assert r.returncode == 0, r.stderr
    r = run(["-vv", "status", "dev"], cwd=d, env=env)
    assert r.returncode == 0, r.stderr
    assert "tok-123" not in r.stderr and "fake/tencent+secret" not in r.stderr
    assert "X-TC-Token: <redacted>" in r.stderr
    r = run(["status", "dev"], cwd=d, env=dict(env, TENCENTCLOUD_PROFILE="nope"))
    assert r.returncode == 2 and "profile 'nope' not found" in r.stderr


def test_not_deployed(run, tc_env, tc_project, tc_fake):
    d = tc_project()
    for cmd in (["update", "dev"], ["status", "dev"], ["invoke", "dev", "a.b"],
                ["rollback", "dev"], ["tail", "dev", "--no-follow"], ["schedule", "dev"]):
        r = run(cmd, cwd=d, env=tc_env)
        assert r.returncode == 1, (cmd, r.stderr)
        assert "is not deployed" in r.stderr and "hoist deploy dev" in r.stderr, cmd
    r = run(["undeploy", "dev", "--yes"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr          # nothing to remove is not an error
    nothing_changed(tc_fake)
