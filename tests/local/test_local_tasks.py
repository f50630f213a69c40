"""Asynchronous tasks on the local provider (issue 13): @task through Zappa's
import path and hoist's, task_sns and run(); the request returns before the
task runs (the task blocks on a file the test creates afterwards), the task
runs once, on another of the gateway's workers, and with capture_response
get_async_response reads its result from the stage's response files.
remote_env: a local JSON file loaded at cold start; a missing or non-object
file is refused at deploy with exit 2."""
import json
import time

APP = '''
import json, os, time
from urllib.parse import parse_qs

from zappa.asynchronous import task, get_async_response   # Zappa's import path
import hoist_tasks

GATE = os.environ["GATE_DIR"]


@task(capture_response=True)
def slow_add(a, b, tag):
    """Blocks until the test opens the gate: proves the request did not wait."""
    deadline = time.time() + 20
    while not os.path.exists(os.path.join(GATE, "open")) and time.time() < deadline:
        time.sleep(0.02)
    with open(os.path.join(GATE, "ran-" + tag), "a") as f:
        f.write("%d\\n" % os.getpid())
    return {"sum": a + b, "pid": os.getpid()}


@hoist_tasks.task_sns
def via_sns(tag):
    with open(os.path.join(GATE, "ran-" + tag), "a") as f:
        f.write("%d\\n" % os.getpid())


def plain(tag):
    with open(os.path.join(GATE, "ran-" + tag), "a") as f:
        f.write("%d\\n" % os.getpid())


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    q = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if path == "/task":
        r = slow_add(1, 2, tag=q["tag"])
        out = {"sent": bool(r.sent), "response_id": r.response_id, "pid": os.getpid()}
    elif path == "/sns":
        r = via_sns(q["tag"])
        out = {"sent": bool(r.sent)}
    elif path == "/run":
        r = hoist_tasks.run(plain, [q["tag"]])
        out = {"sent": bool(r.sent)}
    elif path == "/response":
        out = get_async_response(q["id"])
    elif path == "/env":
        out = {k: os.environ.get(k) for k in ("DB_URL", "SHARED", "API_KEY")}
    else:
        out = {"path": path}
    body = json.dumps(out).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
'''


def get_json(stage, path):
    status, _, body = stage.get(path)
    assert status == 200, body
    return json.loads(body)


def wait_file(path, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().split()
        time.sleep(0.05)
    raise AssertionError("%s never appeared" % path)


def test_tasks_run_asynchronously_on_the_gateway_workers(make_stage, tmp_path):
    gate = tmp_path / "gate"
    gate.mkdir()
    (tmp_path / "env.json").write_text(json.dumps({"DB_URL": "sqlite:///x", "SHARED": "remote"}))
    s = make_stage(settings={"local_concurrency": 2, "async_response_table": "responses",
                             "async_source": "sns", "timeout_seconds": 30,
                             "remote_env": "../env.json",
                             "environment_variables": {"SHARED": "mine", "API_KEY": "k"}},
                   files={"app.py": APP})
    s.env["GATE_DIR"] = str(gate)
    r = s.run("deploy", s.name)
    assert r.returncode == 0, r.stderr

    # remote_env: loaded before the app, environment_variables win over it (Zappa)
    assert get_json(s, "/env") == {"DB_URL": "sqlite:///x", "SHARED": "mine", "API_KEY": "k"}

    started = time.time()
    ans = get_json(s, "/task?tag=one")
    assert ans["sent"] is True and ans["response_id"]
    assert not (gate / "ran-one").exists()          # answered before the task ran
    deadline = time.time() + 10          # the task starts (and stays gated) on its own time
    while True:
        pending = get_json(s, "/response?id=" + ans["response_id"])
        if pending is not None or time.time() > deadline:
            break
        time.sleep(0.02)
    assert pending == {"status": "in progress", "response": "N/A"}
    (gate / "open").write_text("")
    pids = wait_file(gate / "ran-one")
    assert len(pids) == 1, pids                      # once
    deadline = time.time() + 10
    while True:
        done = get_json(s, "/response?id=" + ans["response_id"])
        if done["status"] == "complete" or time.time() > deadline:
            break
        time.sleep(0.05)
    assert done == {"status": "complete", "response": {"sum": 3, "pid": int(pids[0])}}
    assert get_json(s, "/response?id=no-such-id") is None
    assert time.time() - started < 20

    assert get_json(s, "/sns?tag=two") == {"sent": True}
    assert len(wait_file(gate / "ran-two")) == 1
    assert get_json(s, "/run?tag=three") == {"sent": True}
    assert len(wait_file(gate / "ran-three")) == 1
    files = list((s.dir / "async_responses" / "responses").glob("*.json"))
    assert [f.name for f in files] == [ans["response_id"] + ".json"]
    log = s.run("tail", s.name, "--no-follow")
    assert "queued" in log.stdout, log.stdout


def test_remote_env_checked_at_deploy(make_stage, tmp_path):
    s = make_stage(settings={"remote_env": "env.json"})
    r = s.run("deploy", s.name)
    assert r.returncode == 2 and "remote_env" in r.stderr and "cannot be read" in r.stderr
    for bad, why in [('["A", "B"]', "JSON object of strings"), ('{"A": 1}', "must be a string"),
                     ('{"A": ', "not JSON")]:
        (s.proj / "env.json").write_text(bad)
        r = s.run("deploy", s.name)
        assert r.returncode == 2, r.stderr
        assert why in r.stderr, r.stderr
    assert not s.dir.exists()                       # nothing was changed
    (s.proj / "env.json").write_text('{"A": "1"}')
    r = s.run("deploy", s.name)
    assert r.returncode == 0, r.stderr
    (s.proj / "env.json").write_text('{"A": [1]}')
    r = s.run("update", s.name)
    assert r.returncode == 2 and "must be a string" in r.stderr
    assert s.get("/")[0] == 200                    # still serving the deployed version
