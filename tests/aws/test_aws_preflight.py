"""Pre-flight on AWS (issue 12 item 23): a package that lacks the app's
dependency is refused before anything is uploaded or created."""
from aws_helpers import fake_requests, state


def test_missing_dependency_refused_before_any_upload(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    (d / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 2, r.stderr
    assert "No module named 'flask'" in r.stderr and "nothing was uploaded" in r.stderr
    # only the read that says whether the stage is deployed; no upload, nothing created
    assert {q["operation"] for q in fake_requests(fake_aws)} <= {"GetFunction"}
    assert not state(fake_aws).get("lambda") and not state(fake_aws).get("s3")
