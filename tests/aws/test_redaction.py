"""-vv traces every AWS request, and no secret reaches the terminal: not the
secret key, not the session token, not a signature."""
import re

from aws_helpers import fake_post, fake_requests, state

TOKEN = "FQoGZXIvYXdzEXAMPLESESSIONTOKENvalue0123456789"


def test_vv_traces_requests_with_secrets_redacted(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    env = dict(aws_env, AWS_SESSION_TOKEN=TOKEN)
    r = run(["-vv", "deploy", "dev"], cwd=d, env=env)
    assert r.returncode == 0, r.stderr
    assert fake_requests(fake_aws), "the deploy reached the fake"
    err = r.stderr
    # the requests are traced ...
    assert re.search(r"^> POST http://127\.0\.0\.1:\d+/2015-03-31/functions", err, re.M)
    assert re.search(r"authorization: <redacted>", err, re.I)
    assert re.search(r"x-amz-security-token: <redacted>", err, re.I)
    # ... and nothing secret is in them
    assert aws_env["AWS_SECRET_ACCESS_KEY"] not in err
    assert TOKEN not in err
    assert not re.search(r"Signature=[0-9a-f]{64}", err)
    assert r.stdout.strip().startswith("https://")


def test_a_refused_signature_does_not_print_the_token(run, aws_env, aws_project, fake_aws):
    """AWS's SignatureDoesNotMatch quotes the canonical request, token included
    (issue 12 item 1): at every verbosity, and in --json errors, it is hidden."""
    d = aws_project({"keep_warm": False})
    env = dict(aws_env, AWS_SESSION_TOKEN=TOKEN, AWS_SECRET_ACCESS_KEY="not/the+right/secret1")
    for flags in (["-q"], [], ["-vv"], ["--json"]):
        r = run(flags + ["deploy", "dev"], cwd=d, env=env)
        assert r.returncode == 1, r.stderr
        out = r.stdout + r.stderr
        assert "InvalidSignatureException" in out or "SignatureDoesNotMatch" in out, out
        assert "x-amz-security-token:<redacted>" in out, out    # the echo is there, redacted
        assert TOKEN not in out and "not/the+right/secret1" not in out, flags
    assert not state(fake_aws).get("lambda")


def test_a_provider_message_quoting_the_token_is_redacted(run, aws_env, aws_project, fake_aws):
    """Whatever a provider's error text quotes (here the fake's answer to an
    expired token names it), the session token hoist loaded never reaches the
    terminal."""
    d = aws_project({"keep_warm": False})
    env = dict(aws_env, AWS_SESSION_TOKEN=TOKEN)
    fake_post(fake_aws, "/__fake/faults", {"operation": "GetCallerIdentity", "kind": "echo_token",
                                           "count": -1})
    r = run(["-vv", "deploy", "dev"], cwd=d, env=env)
    assert r.returncode == 1
    assert "ExpiredToken" in r.stderr and "<redacted>" in r.stderr
    assert TOKEN not in r.stderr + r.stdout
