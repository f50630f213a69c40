"""-vv traces every AWS request, and no secret reaches the terminal: not the
secret key, not the session token, not a signature."""
import re

from aws_helpers import fake_requests

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
