"""The --json contract (hoist(1), JSON OUTPUT) on Tencent: every command prints
exactly one document on stdout, errors included, with the exit status it has
without --json."""
import json

FN = "hoistapp-dev"


def one_doc(r):
    assert r.stdout.strip(), r.stderr
    return json.loads(r.stdout)      # refuses a second document


def test_every_command_prints_one_document(run, tc_env, tc_project, tc_fake):
    d = tc_project({"events": [{"function": "tasks.heartbeat",
                                "expression": "rate(5 minutes)"}]})
    # an error before anything exists: the stage's error document, exit 1
    r = run(["--json", "update", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 1
    doc = one_doc(r)
    assert doc["stage"] == "dev" and doc["error"]["exit_status"] == 1
    assert "is not deployed" in doc["error"]["message"]

    r = run(["--json", "deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    doc = one_doc(r)
    url = doc["url"]
    assert doc["stage"] == "dev" and doc["action"] and url.endswith(".tencentscf.com")

    (d / "app.py").write_text((d / "app.py").read_text() + "\n# v2\n")
    doc = one_doc(run(["--json", "update", "dev"], cwd=d, env=tc_env))
    assert doc["stage"] == "dev" and doc["url"] == url

    doc = one_doc(run(["--json", "status", "dev"], cwd=d, env=tc_env))
    assert doc["stage"] == "dev"

    r = run(["--json", "invoke", "dev", "--raw", "print('hi'); 6 * 7"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    doc = one_doc(r)
    assert doc["stage"] == "dev" and "output" in doc and "result" in doc

    doc = one_doc(run(["--json", "rollback", "dev"], cwd=d, env=tc_env))
    assert doc["stage"] == "dev" and doc["url"] == url

    doc = one_doc(run(["--json", "schedule", "dev"], cwd=d, env=tc_env))
    assert doc["stage"] == "dev" and [s["expression"] for s in doc["schedules"]] == \
        ["rate(5 minutes)"]
    doc = one_doc(run(["--json", "unschedule", "dev"], cwd=d, env=tc_env))
    assert doc["stage"] == "dev" and doc["action"]

    r = run(["--json", "rollback", "dev", "-n", "9"], cwd=d, env=tc_env)
    assert r.returncode == 1
    assert one_doc(r)["error"]["exit_status"] == 1

    doc = one_doc(run(["--json", "undeploy", "dev", "--yes"], cwd=d, env=tc_env))
    assert doc["stage"] == "dev" and doc["action"]
    assert not tc_fake.state.get("scf")
