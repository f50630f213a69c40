"""The HTTP clients of one hoist process share their connections (core/http.c).
A provider's stage lock, its "deployed?" check and its deploy each have a
client, and against a cloud every new connection is a TCP and a TLS
handshake, on a deploy's critical path after its pre-flight.  Only a call
that must not be sent twice gets a connection of its own (libcurl re-sends a
request whose reused connection died before the answer), and reads made side
by side (core/beside.h) one each."""
from aws_helpers import fake_requests


def requests_of(run, fake_aws, args, d, env):
    n0 = len(fake_requests(fake_aws))
    r = run(args, cwd=d, env=env)
    assert r.returncode == 0, r.stderr
    return fake_requests(fake_aws)[n0:]


def test_an_update_and_an_undeploy_reuse_their_connections(
        run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    requests_of(run, fake_aws, ["deploy", "dev"], d, aws_env)
    (d / "app.py").write_text((d / "app.py").read_text() + "\n# changed\n")
    reqs = requests_of(run, fake_aws, ["update", "dev"], d, aws_env)
    ops = [q["operation"] for q in reqs]
    # the stage lock's marker (S3), the function's reads and writes, the front door's
    assert {"PutObject", "GetFunction", "UpdateFunctionCode", "GetRestApis"} <= set(ops), ops
    # the first four reads go side by side (the function, its role, the role's policy,
    # the function's policy), each on a connection; every later call reuses one of them
    conns = [q["conn"] for q in reqs]
    assert set(conns) == set(conns[:4]), [(q["operation"], q["conn"]) for q in reqs]

    reqs = requests_of(run, fake_aws, ["undeploy", "dev", "-y"], d, aws_env)
    assert "DeleteFunction" in [q["operation"] for q in reqs]
    assert len({q["conn"] for q in reqs}) == 1, [(q["operation"], q["conn"]) for q in reqs]
