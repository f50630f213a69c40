"""hoist update on AWS: --zip FILE (hashed here, skipped when Lambda has the
same CodeSha256), --no-upload (configuration only), and num_retained_versions
pruning that never deletes a version an alias points to."""

from aws_helpers import fake_requests, ops_since, state

FN = "hoistapp-dev"


def test_zip_and_no_upload(run, aws_env, aws_project, fake_aws, tmp_path):
    d = aws_project({"keep_warm": False})
    z = tmp_path / "pkg.zip"
    r = run(["package", "dev", "-o", z], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    r = run(["deploy", "dev", "--zip", z], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev", "--zip", z], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert "UpdateFunctionCode" not in ops_since(fake_aws, n0)
    # a code change and a memory change, with --no-upload: only the configuration moves
    (d / "app.py").write_text((d / "app.py").read_text() + "\n# changed\n")
    d = aws_project({"keep_warm": False, "memory_size": 2048})
    (d / "app.py").write_text((d / "app.py").read_text() + "\n# changed\n")
    sha = state(fake_aws)["lambda"][FN]["config"]["CodeSha256"]
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev", "--no-upload"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    ops = ops_since(fake_aws, n0)
    assert "UpdateFunctionCode" not in ops and ops.count("UpdateFunctionConfiguration") == 1
    cfg = state(fake_aws)["lambda"][FN]["config"]
    assert cfg["MemorySize"] == 2048 and cfg["CodeSha256"] == sha
    # without --no-upload the new code goes
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert state(fake_aws)["lambda"][FN]["config"]["CodeSha256"] != sha


def test_retained_versions_keep_aliased_ones(run, aws_env, aws_project, fake_aws, boto):
    d = aws_project({"keep_warm": False, "num_retained_versions": 2})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    boto("lambda").create_alias(FunctionName=FN, Name="live", FunctionVersion="1")
    for i in range(3):
        (d / "app.py").write_text((d / "app.py").read_text() + f"\n# v{i + 2}\n")
        r = run(["update", "dev"], cwd=d, env=aws_env)
        assert r.returncode == 0, r.stderr
    versions = sorted(state(fake_aws)["lambda"][FN]["versions"], key=int)
    assert versions == ["1", "3", "4"]      # the 2 newest + the one "live" uses
    deleted = [q["params"]["Qualifier"] for q in fake_requests(fake_aws, "lambda", "DeleteFunction")]
    assert "1" not in deleted and "2" in deleted
