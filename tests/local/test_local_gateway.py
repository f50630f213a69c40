"""The local provider end to end: deploy, requests through the URL, status,
update under load, rollback, tail, schedules, invoke, undeploy."""
import json
import os
import threading
import time

from local_support import wait_for


def deployed(stage):
    r = stage.run("deploy", stage.name)
    assert r.returncode == 0, r.stderr
    return r


def test_deploy_requests_status_undeploy(make_stage):
    s = make_stage()
    r = deployed(s)
    # stdout carries only the URL; the headline is the last line on stderr
    assert r.stdout.strip() == s.url
    assert r.stderr.strip().splitlines()[-1] == "Deployment complete!: " + s.url

    code, headers, body = s.get("/hello?x=1&x=2")
    assert code == 200
    j = json.loads(body)
    assert j["path"] == "/hello" and j["method"] == "GET" and j["version"] == "v1"
    assert "x=1" in j["query"] and "x=2" in j["query"]
    assert headers["X-Version"] == "v1"

    code, _, body = s.get("/echo", data=b'{"a": 1}', headers={"Content-Type": "application/json"})
    assert code == 200 and json.loads(body)["body"] == '{"a": 1}'
    assert json.loads(body)["method"] == "POST"

    # outside the stage path: API Gateway's 403
    import urllib.request, urllib.error
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/elsewhere" % s.port, timeout=5)
        assert False, "expected 403"
    except urllib.error.HTTPError as e:
        assert e.code == 403

    # one cold start per worker, not per request: pids repeat
    pids = {json.loads(s.get("/p")[2])["pid"] for _ in range(10)}
    assert 1 <= len(pids) <= 2

    r = s.run("status", s.name, "--json")
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["url"] == s.url and st["state"] == "running" and st["version"] == 1
    assert st["pid"] == s.pid() and st["requests"] >= 12
    r = s.run("status", s.name)
    assert s.url in r.stdout and "running" in r.stdout

    gw = s.pid()
    assert gw and s.processes_in_dir()
    r = s.run("undeploy", s.name)  # no terminal, no -y: refused, nothing changed
    assert r.returncode == 2 and "--yes" in r.stderr
    assert s.get("/")[0] == 200
    r = s.run("undeploy", s.name, "-y")
    assert r.returncode == 0, r.stderr
    assert not s.dir.exists()
    assert wait_for(lambda: not s.processes_in_dir(), 5)
    assert not os.path.exists("/proc/%d" % gw) or \
        open("/proc/%d/status" % gw).read().find("zombie") >= 0


def test_update_under_load_then_rollback(make_stage):
    s = make_stage()
    deployed(s)
    codes, versions, stop = [], [], threading.Event()

    def load():
        while not stop.is_set():
            code, h, body = s.get("/load")
            codes.append(code)
            if code == 200:
                versions.append(json.loads(body)["version"])

    threads = [threading.Thread(target=load) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    (s.proj / "app.py").write_text((s.proj / "app.py").read_text().replace('"v1"', '"v2"'))
    r = s.run("update", s.name)
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join()
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == s.url
    assert "Your updated hoist deployment is live!: " + s.url in r.stderr
    assert codes and all(c == 200 for c in codes), sorted(set(codes))
    assert versions[0] == "v1" and versions[-1] == "v2"
    assert json.loads(s.get("/")[2])["version"] == "v2"

    r = s.run("rollback", s.name, "-n", "1")
    assert r.returncode == 0, r.stderr
    assert json.loads(s.get("/")[2])["version"] == "v1"
    assert json.loads(s.run("status", s.name, "--json").stdout)["version"] == 1
    r = s.run("rollback", s.name, "-n", "5")
    assert r.returncode == 1 and "retained" in r.stderr



def test_tail_shows_requests(make_stage):
    s = make_stage()
    deployed(s)
    assert s.get("/tailme")[0] == 200
    r = s.run("tail", s.name, "--no-follow")
    assert r.returncode == 0, r.stderr
    assert '"GET /dev/tailme HTTP/1.1" 200' in r.stdout   # the app is mounted at /dev
    assert "serving /tailme v1" in r.stdout
    assert "START RequestId" not in r.stdout          # platform lines need -v
    r = s.run("tail", s.name, "--no-follow", "-v")
    assert "START RequestId" in r.stdout and "REPORT RequestId" in r.stdout
    assert "Max Memory Used" in r.stdout
    r = s.run("tail", s.name, "--no-follow", "--http")
    lines = r.stdout.strip().splitlines()
    assert lines and all('"GET /' in l for l in lines)
    r = s.run("tail", s.name, "--no-follow", "--non-http")
    assert "serving /tailme" in r.stdout and '"GET /dev/tailme' not in r.stdout
    r = s.run("tail", s.name, "--no-follow", "--filter", "tailme")
    assert all("tailme" in l for l in r.stdout.strip().splitlines())
    r = s.run("tail", s.name, "--no-follow", "--since", "2999-01-01T00:00:00Z")
    assert r.returncode == 0 and r.stdout == ""
    r = s.run("tail", s.name, "--no-follow", "--since", "yesterday-ish")
    assert r.returncode == 2


def test_schedule_fires_and_unschedule(make_stage):
    # HOIST_LOCAL_TIME_SCALE=60 (set by the fixture): a minute per second
    s = make_stage(settings={"events": [{"function": "tasks.tick",
                                         "expression": "rate(1 minute)"}]})
    deployed(s)
    st = json.loads(s.run("status", s.name, "--json").stdout)
    assert st["scheduled"] is True
    assert [x["expression"] for x in st["schedules"]] == ["rate(1 minute)"]

    def ticked():
        return "tick-marker from the timer" in s.run("tail", s.name, "--no-follow").stdout
    assert wait_for(ticked, 10)

    r = s.run("unschedule", s.name)
    assert r.returncode == 0, r.stderr
    st = json.loads(s.run("status", s.name, "--json").stdout)
    assert st["scheduled"] is False and st["schedules"] == []
    r = s.run("schedule", s.name)
    assert r.returncode == 0 and "rate(1 minute)" in r.stderr


def test_invoke_runs_in_a_worker(make_stage):
    s = make_stage()
    deployed(s)
    r = s.run("invoke", s.name, "tasks.tick")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ticked"
    assert "tick-marker" in r.stderr
    r = s.run("invoke", s.name, "--raw", "print(6 * 7)")
    assert r.returncode == 0, r.stderr
    assert "42" in r.stdout + r.stderr
    r = s.run("invoke", s.name, "--raw", "1/0")
    assert r.returncode == 1 and "ZeroDivisionError" in r.stderr


def set_version(s, v):
    text = (s.proj / "app.py").read_text()
    old = text.split('VERSION = "')[1].split('"')[0]
    (s.proj / "app.py").write_text(text.replace('VERSION = "%s"' % old, 'VERSION = "%s"' % v))


def test_num_retained_versions(make_stage):
    s = make_stage(settings={"num_retained_versions": 2})
    deployed(s)
    for v in ("v2", "v3", "v4", "v5"):
        set_version(s, v)
        r = s.run("update", s.name)
        assert r.returncode == 0, r.stderr
    assert json.loads(s.get("/")[2])["version"] == "v5"
    kept = sorted(int(p.name) for p in (s.dir / "versions").iterdir() if p.is_dir())
    assert kept == [3, 4, 5], kept


GREETING_APP = '''
import json, os

VERSION = "v1"

def app(environ, start_response):
    out = json.dumps({"greeting": os.environ.get("GREETING"), "version": VERSION}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [out]
'''


def test_update_no_upload_changes_configuration_only(make_stage):
    s = make_stage(settings={"environment_variables": {"GREETING": "one"},
                             "local_concurrency": 1},
                   files={"app.py": GREETING_APP})
    deployed(s)
    assert json.loads(s.get("/")[2]) == {"greeting": "one", "version": "v1"}
    set_version(s, "v2")  # a code change that --no-upload must not deploy
    s.write_settings(environment_variables={"GREETING": "two"}, local_concurrency=3)
    r = s.run("update", s.name, "--no-upload")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == s.url
    assert json.loads(s.get("/")[2]) == {"greeting": "two", "version": "v1"}
    st = json.loads(s.run("status", s.name, "--json").stdout)
    assert st["version"] == 2 and st["concurrency"] == 3
    v2 = json.loads((s.dir / "versions" / "2.json").read_text())
    v1 = json.loads((s.dir / "versions" / "1.json").read_text())
    assert v2["hoist_code_sha256"] == v1["hoist_code_sha256"]
    assert 'VERSION = "v1"' in (s.dir / "versions" / "2" / "app.py").read_text()
    assert "two" in (s.dir / "versions" / "2" / "hoist_settings.py").read_text()
    assert "two" not in (s.dir / "versions" / "1" / "hoist_settings.py").read_text()
    # rollback returns to version 1's configuration; a plain update ships the code
    assert s.run("rollback", s.name, "-n", "1").returncode == 0
    assert json.loads(s.get("/")[2]) == {"greeting": "one", "version": "v1"}
    assert s.run("update", s.name).returncode == 0
    assert json.loads(s.get("/")[2]) == {"greeting": "two", "version": "v2"}


def test_update_line_names_the_domain(make_stage):
    """SPEC §1: with `domain` set, the update headline is Zappa's
    "https://<domain> (<url>)"; stdout still carries the bare URL."""
    s = make_stage(settings={"domain": "api.example.test"})
    deployed(s)
    s.write_settings(environment_variables={"V": "2"})
    r = s.run("update", s.name)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == s.url
    assert r.stderr.strip().splitlines()[-1] == \
        "Your updated hoist deployment is live!: https://api.example.test (%s)" % s.url
    doc = json.loads(s.run("update", s.name, "--json").stdout)
    assert doc["domain_url"] == "https://api.example.test" and doc["url"] == s.url
