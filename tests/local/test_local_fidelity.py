"""The local gateway runs the package as the cloud would (issue 12 items
16-19): the app is mounted at /<stage> (SCRIPT_NAME), Lambda's response
limit and error, an answer over the worker frame limit named as such, an
unchanged update reuses the version, Lambda's unzipped limit, and schedule
takes its events from the settings file."""
import json
import os
import urllib.request

from local_support import wait_for

FLASK_APP = '''
from flask import Flask, redirect, request, url_for

app = Flask(__name__)


@app.route("/where")
def where():
    return {"script_root": request.script_root, "path": request.path,
            "other": url_for("other"), "external": url_for("other", _external=True)}


@app.route("/go")
def go():
    return redirect(url_for("other"))


@app.route("/other")
def other():
    return "other"


@app.route("/big/<int:n>")
def big(n):
    return "x" * n


@app.route("/raise/<int:n>")
def boom(n):
    raise RuntimeError("y" * n)
'''


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):
        return None


def test_app_is_mounted_at_the_stage_and_limits_are_lambdas(make_stage, flask_site_packages):
    s = make_stage(settings={"site_packages": str(flask_site_packages)},
                   files={"app.py": FLASK_APP})
    r = s.run("deploy", s.name)
    assert r.returncode == 0, r.stderr

    # item 16: SCRIPT_NAME is /dev, as on the execute-api host: links stay under it
    code, _, body = s.get("/where")
    j = json.loads(body)
    assert code == 200 and j["script_root"] == "/dev" and j["path"] == "/where"
    assert j["other"] == "/dev/other"
    assert j["external"] == "http://127.0.0.1:%d/dev/other" % s.port
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(s.url + "/go", timeout=10)
        assert False, "expected a redirect"
    except urllib.error.HTTPError as e:
        assert e.code == 302 and e.headers["Location"].endswith("/dev/other")

    # item 17: Lambda answers at most 6,291,556 bytes; API Gateway then says 502
    code, _, body = s.get("/big/5000000")
    assert code == 200 and len(body) == 5000000
    code, headers, body = s.get("/big/6300000")
    assert code == 502 and json.loads(body) == {"message": "Internal server error"}
    assert headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    log = s.run("tail", s.name, "--no-follow").stdout
    assert "Response payload size exceeded maximum allowed payload size (6291556 bytes)" in log
    assert s.get("/other")[0] == 200   # and the gateway goes on serving


def test_an_answer_over_the_worker_frame_limit_says_so(make_stage, flask_site_packages):
    s = make_stage(settings={"site_packages": str(flask_site_packages)},
                   files={"app.py": FLASK_APP})
    s.env["HOIST_LOCAL_MAX_FRAME"] = "1000000"   # the test's limit: below Lambda's 6 MB
    r = s.run("deploy", s.name)
    assert r.returncode == 0, r.stderr
    code, _, body = s.get("/big/2000000")
    assert code == 502 and json.loads(body) == {"message": "Internal server error"}
    log = s.run("tail", s.name, "--no-follow").stdout
    assert "the answer (" in log and \
        "bytes) is over the local gateway's worker frame limit (1000000 bytes)" in log
    assert "worker died" not in log and "exited" not in log
    assert s.get("/other")[0] == 200   # a new worker serves the next request


def test_update_with_unchanged_code_reuses_the_version(make_stage):
    s = make_stage()
    r = s.run("deploy", s.name)
    assert r.returncode == 0, r.stderr
    r = s.run("update", s.name)
    assert r.returncode == 0, r.stderr
    assert "Code and configuration unchanged: version 1 keeps serving" in r.stderr
    assert r.stdout.strip() == s.url
    assert not (s.dir / "versions" / "2").exists()
    assert json.loads(s.run("status", s.name, "--json").stdout)["version"] == 1
    # changed code: a new version, unpacked
    (s.proj / "app.py").write_text((s.proj / "app.py").read_text().replace('"v1"', '"v2"'))
    r = s.run("update", s.name)
    assert r.returncode == 0, r.stderr
    assert "Unpacking version 2" in r.stderr
    assert json.loads(s.get("/x")[2])["version"] == "v2"


def test_package_over_lambdas_unzipped_limit_is_refused(make_stage):
    s = make_stage()
    with open(s.proj / "huge.bin", "wb") as f:   # sparse: costs nothing on disk
        f.truncate(262144001)
    r = s.run("deploy", s.name)
    assert r.returncode == 2
    assert "local allows 262,144,000 bytes" in r.stderr and "huge.bin" in r.stderr
    assert not s.dir.exists()


def test_schedule_takes_the_events_of_the_file(make_stage):
    s = make_stage(settings={"keep_warm": False})
    r = s.run("deploy", s.name)
    assert r.returncode == 0, r.stderr
    assert json.loads(s.run("status", s.name, "--json").stdout)["schedules"] == []
    s.write_settings(events=[{"function": "tasks.tick", "expression": "rate(1 minute)"}])
    r = s.run("schedule", s.name, "--json")
    assert r.returncode == 0, r.stderr
    assert [x["expression"] for x in json.loads(r.stdout)["schedules"]] == ["rate(1 minute)"]
    assert "rate(1 minute)" in r.stderr
    # it fires (HOIST_LOCAL_TIME_SCALE=60: a minute a second)
    assert wait_for(lambda: "tick-marker" in s.run("tail", s.name, "--no-follow").stdout, 10)
    # a restarted gateway keeps what schedule set
    state = json.loads((s.dir / "state.json").read_text())
    assert state["schedule"]["events"][0]["function"] == "tasks.tick"
    r = s.run("unschedule", s.name)
    assert r.returncode == 0 and json.loads(
        s.run("status", s.name, "--json").stdout)["schedules"] == []
    assert os.path.exists(s.dir / "state.json")
