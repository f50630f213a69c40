"""The local provider on bad input: what the user sees and what is left."""
import json
import socket

from local_support import wait_for


def test_deploy_twice_and_update_undeployed(make_stage):
    s = make_stage()
    r = s.run("update", s.name)
    assert r.returncode == 1
    assert "not deployed" in r.stderr and "hoist deploy dev" in r.stderr
    assert not s.dir.exists()
    assert s.run("deploy", s.name).returncode == 0
    r = s.run("deploy", s.name)
    assert r.returncode == 1
    assert "already deployed at " + s.url in r.stderr and "hoist update dev" in r.stderr
    assert s.get("/")[0] == 200
    r = s.run("undeploy", s.name, "-y")
    assert r.returncode == 0
    r = s.run("undeploy", s.name, "-y")
    assert r.returncode == 1 and "not deployed" in r.stderr


def test_port_in_use(make_stage):
    s = make_stage()
    busy = socket.socket()
    busy.bind(("127.0.0.1", s.port))
    busy.listen(1)
    try:
        r = s.run("deploy", s.name)
    finally:
        busy.close()
    assert r.returncode == 1
    assert "port %d" % s.port in r.stderr and "local_port" in r.stderr
    assert not s.dir.exists()


def test_app_that_fails_to_import(make_stage):
    s = make_stage(files={"app.py": "import json\n\ndef helper():\n    return 1 / 0\n\n"
                                    "VALUE = helper()\n"})
    r = s.run("deploy", s.name)
    assert r.returncode == 1
    assert "ZeroDivisionError" in r.stderr and "Traceback" in r.stderr
    assert "app.py" in r.stderr and "helper" in r.stderr
    assert r.stdout == ""
    assert not s.dir.exists()
    assert wait_for(lambda: not s.processes_in_dir(), 5)


def test_update_to_broken_code_keeps_serving(make_stage):
    s = make_stage()
    assert s.run("deploy", s.name).returncode == 0
    (s.proj / "app.py").write_text("raise RuntimeError('broken on purpose')\n")
    r = s.run("update", s.name)
    assert r.returncode == 1 and "broken on purpose" in r.stderr
    code, _, body = s.get("/still")
    assert code == 200 and json.loads(body)["version"] == "v1"
    assert json.loads(s.run("status", s.name, "--json").stdout)["version"] == 1


def test_worker_killed_mid_request_and_timeout(make_stage):
    s = make_stage(settings={"local_concurrency": 1, "timeout_seconds": 1})
    assert s.run("deploy", s.name).returncode == 0
    code, _, body = s.get("/crash")
    assert code == 502 and json.loads(body) == {"message": "Internal server error"}
    code, _, body = s.get("/after-crash")
    assert code == 200 and json.loads(body)["path"] == "/after-crash"
    code, _, body = s.get("/sleep")
    assert code == 504
    code, _, body = s.get("/after-timeout")
    assert code == 200
    st = json.loads(s.run("status", s.name, "--json").stdout)
    assert st["errors"] == 2 and st["requests"] == 5     # 4 + the deploy's touch of "/"
    tail = s.run("tail", s.name, "--no-follow").stdout
    assert "Task timed out after 1.00 seconds" in tail and "Runtime exited" in tail
