"""hoist request on Tencent: one request to the stage's function URL.  With
iam_authorization the URL's AuthType is CAM: hoist signs the request with
TC3-HMAC-SHA256 (service scf) and the fake, recomputing the signature with
the SDK's sign3, lets it through — and refuses the same request unsigned or
signed with another key."""
import json
import urllib.request

from tc_helpers import fake_requests, state

FN = "hoistapp-dev"


def url_trigger(fake):
    [t] = [t for t in state(fake)["scf"][FN]["triggers"] if t["Type"] == "http"]
    return json.loads(t["TriggerDesc"])


def test_cam_function_url(run, tc_env, tc_project, tc_fake):
    d = tc_project({"iam_authorization": True})
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    assert url_trigger(tc_fake)["AuthType"] == "CAM"

    r = run(["request", "dev", "/q?x=1"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "x=1"
    r = run(["request", "dev", "POST", "/q?x=2", "-d", "payload", "-H", "Content-Type: text/plain"],
            cwd=d, env=tc_env)
    assert r.returncode == 0 and r.stdout == "x=2:payload", r.stderr
    r = run(["--json", "status", "dev"], cwd=d, env=tc_env)
    assert json.loads(r.stdout)["auth"] == "CAM"

    # unsigned: refused by the URL
    req = urllib.request.Request(tc_fake.url + "/q?x=1", headers={"Host": url.split("//")[1]})
    try:
        urllib.request.urlopen(req)
        raise AssertionError("an unsigned request got through")
    except urllib.error.HTTPError as err:
        assert err.code == 403
    denied = fake_requests(tc_fake, "url", "Denied")
    assert [q["params"]["why"].split(":")[0] for q in denied] == [
        "AuthFailure.InvalidAuthorization"]
    # a key that is not the account's: refused (already by the API lookup of the URL)
    r = run(["request", "dev", "/q?x=1"], cwd=d, env=dict(tc_env, TENCENTCLOUD_SECRET_KEY="bad"))
    assert r.returncode == 1 and "AuthFailure.SignatureFailure" in r.stderr
    assert "x=1" not in r.stdout

    # back to NONE: the URL converges in place, and anyone may call it
    d = tc_project({"iam_authorization": False})
    r = run(["update", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0 and r.stdout.strip() == url, r.stderr
    assert url_trigger(tc_fake)["AuthType"] == "NONE"
    assert [q["action"] for q in fake_requests(tc_fake, "scf")
            if q["action"] in ("CreateTrigger", "UpdateTrigger")] == ["CreateTrigger",
                                                                       "UpdateTrigger"]
    with urllib.request.urlopen(req) as resp:
        assert resp.read() == b"x=1"


def test_cors_in_the_trigger(run, tc_env, tc_project, tc_fake):
    d = tc_project({"cors": {"allowed_origins": ["https://app.example.com"], "max_age": 600}})
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    cors = url_trigger(tc_fake)["CorsConfig"]
    assert cors["Enable"] is True and cors["Origins"] == ["https://app.example.com"]
    assert cors["MaxAge"] == 600 and "GET" in cors["Methods"]
    n0 = len(fake_requests(tc_fake))
    r = run(["update", "dev"], cwd=d, env=tc_env)
    assert "UpdateTrigger" not in [q["action"] for q in fake_requests(tc_fake)[n0:]]


def test_app_code_is_for_alibaba(run, tc_env, tc_project, tc_fake):
    d = tc_project()
    assert run(["deploy", "dev"], cwd=d, env=tc_env).returncode == 0
    r = run(["request", "dev", "/", "--app-code"], cwd=d, env=tc_env)
    assert r.returncode == 2 and "Alibaba" in r.stderr
