"""Pre-flight on AWS (issue 12 item 23): a package that lacks the app's
dependency is refused before anything is uploaded or created."""
from aws_helpers import fake_requests, state


def test_missing_dependency_refused_before_any_upload(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    (d / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 2, r.stderr
    assert "No module named 'flask'" in r.stderr and "the stage was not changed" in r.stderr
    # reads only (whether the stage is deployed, what the deploy reads while the
    # package is built: account, role, bucket); no upload, nothing created
    ops = {q["operation"] for q in fake_requests(fake_aws)}
    assert "GetFunction" in ops and all(o.startswith(("Get", "Head")) for o in ops), ops
    assert not state(fake_aws).get("lambda") and not state(fake_aws).get("s3")


def test_the_interpreter_is_used_not_a_shim_and_a_shim_that_fails_is_not_asked_twice(
        run, aws_env, aws_project, fake_aws, tmp_path):
    """Version managers put scripts named python3.N first on PATH (pyenv's
    shims): each start costs most of a second, and one for a version that is
    not installed fails.  Pre-flight uses the interpreter itself when PATH has
    it further on, and remembers a shim that did not start."""
    import subprocess
    import sys
    minor = int(subprocess.run(["/usr/bin/python3", "-c", "import sys; print(sys.version_info[1])"],
                               capture_output=True, text=True, check=True).stdout)
    shims, marks = tmp_path / "shims", tmp_path / "marks"
    shims.mkdir()
    marks.mkdir()
    for m, body in ((minor, f'exec /usr/bin/python3.{minor} "$@"'),
                    (minor + 1, "echo 'pyenv: version not installed' >&2; exit 127")):
        f = shims / f"python3.{m}"
        f.write_text(f"#!/bin/sh\necho x >> {marks}/{m}\n{body}\n")
        f.chmod(0o755)
    d = aws_project({"keep_warm": False, "runtime": f"python3.{minor + 1}"})
    env = dict(aws_env, PATH=f"{shims}:/usr/bin:/bin")
    r = run(["-v", "deploy", "dev"], cwd=d, env=env)
    assert r.returncode == 0, r.stderr
    assert f"pre-flight ran /usr/bin/python3.{minor}" in r.stderr, r.stderr
    assert not (marks / str(minor)).exists(), "the shim ran instead of the interpreter"
    assert (marks / str(minor + 1)).read_text() == "x\n"
    (d / "app.py").write_text((d / "app.py").read_text() + "\n# changed\n")
    r = run(["update", "dev"], cwd=d, env=env)
    assert r.returncode == 0, r.stderr
    assert "Pre-flight: the app imports from the package alone" in r.stderr
    assert (marks / str(minor + 1)).read_text() == "x\n", "the failed shim was asked again"


def test_slim_package_is_tried_from_its_files_before_its_bundle_is_uploaded(
        run, aws_env, aws_project, fake_aws):
    """A slim package's project is in the bundle, not the zip: the pre-flight imports
    from the files of both (as the slim handler's cold start would, bundle unpacked)."""
    d = aws_project({"keep_warm": False, "slim_handler": True,
                     "s3_bucket": "hoist-test-artifacts"})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert "Pre-flight: the app imports from the package alone" in r.stderr
    (d / "app.py").write_text("import yaml_not_here\n" + (d / "app.py").read_text())
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 2, r.stderr
    assert "No module named 'yaml_not_here'" in r.stderr and "the stage was not changed" in r.stderr
    ops = {q["operation"] for q in fake_requests(fake_aws)[n0:]}
    assert not ops & {"PutObject", "UploadPart", "CreateMultipartUpload", "UpdateFunctionCode",
                      "UpdateFunctionConfiguration"}


def test_all_stages_that_differ_only_in_name_import_once(run, aws_env, aws_project, fake_aws):
    """deploy --all: stages whose packages differ only in the stage's name make the same
    import, so one of them tries it and the others take its record; a stage whose
    environment differs tries its own."""
    import json
    d = aws_project({"keep_warm": False})
    base = json.loads((d / "hoist.json").read_text())["dev"]
    stages = {"s1": base, "s2": base, "s3": dict(base, environment_variables={"MODE": "x"})}
    (d / "hoist.json").write_text(json.dumps(stages))
    r = run(["deploy", "--all"], cwd=d, env=aws_env, timeout=120)
    assert r.returncode == 0, r.stderr
    tried = r.stderr.count("Pre-flight: the app imports from the package alone")
    taken = r.stderr.count("Pre-flight: this package imported with")
    assert (tried, taken) == (2, 1), r.stderr
    for s in stages:
        assert run(["undeploy", s, "-y"], cwd=d, env=aws_env).returncode == 0


def test_its_python_starts_while_deploy_asks_whether_the_stage_is_deployed(
        hoist, aws_env, aws_project, fake_aws, tmp_path):
    """Whether the stage is deployed already is a round trip (on AWS itself a TLS
    handshake too) before anything is packaged: the pre-flight's Python starts
    meanwhile, and nothing is shown or packaged until the answer is in.  A
    deployed stage is refused as before: not packaged, that Python stopped."""
    import os
    import subprocess
    from aws_helpers import env_of, fake_post, start, wait_for
    minor = int(subprocess.run(["/usr/bin/python3", "-c", "import sys; print(sys.version_info[1])"],
                               capture_output=True, text=True, check=True).stdout)
    shims, marks, tmp = tmp_path / "shims", tmp_path / "marks", tmp_path / "tmp"
    for p in (shims, marks, tmp):
        p.mkdir()
    shim = shims / f"python3.{minor}"     # all there is on PATH: it runs, and says when
    shim.write_text(f'#!/bin/sh\necho $$ >> {marks}/started\nexec /usr/bin/python3.{minor} "$@"\n')
    shim.chmod(0o755)
    d = aws_project({"keep_warm": False, "runtime": f"python3.{minor}"})
    env = dict(env_of(tmp_path, aws_env), PATH=str(shims), TMPDIR=str(tmp))

    def pids():
        f = marks / "started"
        return [int(x) for x in f.read_text().split()] if f.exists() else []

    def held_deploy():
        """deploy, its first GetFunction held until Python has started; -> (rc, stderr, pid)"""
        n0 = len(pids())
        fake_post(fake_aws, "/__fake/reset-faults", {})
        fake_post(fake_aws, "/__fake/faults", {"operation": "GetFunction", "kind": "block",
                                               "count": 1, "delay": 60})
        k0 = len(fake_requests(fake_aws, "lambda", "GetFunction"))
        p = start(hoist, ["deploy", "dev"], d, env)
        try:
            wait_for(lambda: fake_requests(fake_aws, "lambda", "GetFunction")[k0:])
            wait_for(lambda: len(pids()) > n0, timeout=20)   # while the answer is held
            held = fake_requests(fake_aws, "lambda", "GetFunction")[k0:]
            assert len(held) == 1 and "took" not in held[0], "answered already"
        finally:
            fake_post(fake_aws, "/__fake/release", {})
        out, err = p.communicate(timeout=60)
        return p.returncode, err, pids()[-1]

    rc, err, _ = held_deploy()
    assert rc == 0, err
    assert "Pre-flight: the app imports from the package alone" in err

    rc, err, pid = held_deploy()
    assert rc == 1 and "is already deployed at" in err, err
    assert "Packaging" not in err and "Pre-flight" not in err
    wait_for(lambda: not os.path.exists(f"/proc/{pid}"), timeout=10)   # stopped, reaped
    assert os.listdir(tmp) == []
