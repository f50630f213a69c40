"""deploy --all on AWS: four stages side by side against the fake (their
first calls all arrive before the first answer leaves), one failing stage
(its role does not exist and manage_roles is false) leaves the other three
deployed, the exit status is the worst, --json is one array in file order."""
import json

from aws_helpers import fake_post, fake_requests, state

STAGES = ("dev", "staging", "prod", "qa")


def write(d, broken=None):
    stages = {}
    for n in STAGES:
        stages[n] = {"provider": "aws", "project_name": "allaws", "app_function": "app.app",
                     "aws_region": "us-east-1", "touch": False, "keep_warm": False}
    if broken:
        stages[broken]["manage_roles"] = False
    (d / "hoist.json").write_text(json.dumps(stages))


def test_deploy_all_side_by_side(run, aws_env, aws_project, fake_aws):
    d = aws_project()
    write(d, broken="prod")
    # every GetFunction waits a second: side by side, all four arrive before any answer
    fake_post(fake_aws, "/__fake/faults", {"operation": "GetFunction", "kind": "slow",
                                           "count": 4, "delay": 1.0})
    n0 = len(fake_requests(fake_aws))
    r = run(["--json", "deploy", "--all", "--jobs", "4"], cwd=d, env=aws_env, timeout=120)
    assert r.returncode == 1, r.stderr
    ops = [q["operation"] for q in fake_requests(fake_aws)[n0:]]
    assert ops[:4] == ["GetFunction"] * 4, ops[:8]
    doc = json.loads(r.stdout)
    assert [e["stage"] for e in doc] == list(STAGES)
    assert "manage_roles is false" in doc[2]["error"]["message"]
    fns = state(fake_aws)["lambda"]
    assert sorted(fns) == ["allaws-dev", "allaws-qa", "allaws-staging"]
    for e in doc[:2] + doc[3:]:
        assert e["url"].startswith("https://") and e["action"] == "deploy"
    assert "== prod ==" in r.stderr and "1 of 4 stages failed: prod" in r.stderr

    # the same stages one at a time: the same outcome, without the overlap
    write(d)
    n0 = len(fake_requests(fake_aws))
    fake_post(fake_aws, "/__fake/faults", {"operation": "GetFunction", "kind": "slow",
                                           "count": 1, "delay": 0.2})
    r = run(["update", "--all", "--jobs", "1"], cwd=d, env=aws_env, timeout=120)
    assert r.returncode == 1 and "stage 'prod' is not deployed" in r.stderr, r.stderr
    ops = [q["operation"] for q in fake_requests(fake_aws)[n0:]]
    assert ops[:2] != ["GetFunction", "GetFunction"]
    r = run(["deploy", "prod"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    r = run(["update", "--all"], cwd=d, env=aws_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.split()) == 4
