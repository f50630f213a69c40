"""api_key_required on Alibaba Cloud API Gateway (issue 11): the API is
APP-authorized and the stage's app authorized in its environment; the fake
gateway refuses an unsigned call, a call signed with a wrong secret, a
16-minute-old timestamp and a replayed nonce (the signature recomputed by the
aliyun-api-gateway client's signer, not hoist's); hoist request signs and gets
200, or sends the AppCode; status shows the AppKey and only --show-secrets
prints the AppSecret and AppCode, on stdout, never on stderr (-vv included).
Also: another environment (X-Ca-Stage), CORS through the gateway's plugin, and
turning both off again."""
import json
import time
import uuid

import pytest

from ali_helpers import http, requests, state, writes_since

from apigw_helpers import cloudapi, deploy, gw_example  # noqa: F401  (fixture)


def signed(fake, url, path, secret, key, method="GET", body=b"", ctype=None, ts=None,
           nonce=None, stage="RELEASE"):
    """A request signed by the npm client's signer (through the fake's node judge)."""
    h = {"Accept": "application/json", "X-Ca-Key": key, "X-Ca-Stage": stage,
         "X-Ca-Timestamp": str(ts if ts is not None else int(time.time() * 1000)),
         "X-Ca-Nonce": nonce or str(uuid.uuid4()), "X-Ca-Signature-Method": "HmacSHA256"}
    if ctype:
        h["Content-Type"] = ctype
    names = sorted(k.lower() for k in h if k.lower().startswith("x-ca-"))
    h["X-Ca-Signature-Headers"] = ",".join(names)
    lower = {k.lower(): v for k, v in h.items()}
    sig = fake.judge.ask(op="xca", method=method, pathq=path, headers=lower, signed=names,
                         form=None, secret=secret)["expected"]
    h["X-Ca-Signature"] = sig
    return http(fake, url + path, method=method, body=body or None, headers=h)


def secrets_of(run, proj, env):
    r = run(["--json", "status", "dev", "--show-secrets"], cwd=proj, env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_app_authorization(run, gw_example, ali_env, fake_aliyun):
    proj = gw_example(api_key_required=True)
    url = deploy(run, proj, ali_env)
    ca = cloudapi(fake_aliyun)
    [api] = ca["apis"].values()
    assert api["def"]["AuthType"] == "APP" and api["def"]["ForceNonceCheck"] is True
    assert api["def"]["AllowSignatureMethod"] == "HmacSHA256"
    [app] = ca["apps"].values()
    assert app["AppName"] == "hoist_flaskdemo_dev"
    assert api["auth"] == {"RELEASE": [str(app["AppId"])]}

    # unsigned: the gateway's 401, nothing reaches the function
    n_calls = len(ca["calls"])
    status, headers, _ = http(fake_aliyun, url + "/")
    assert status in (401, 403) and headers["X-Ca-Error-Message"]
    assert len(cloudapi(fake_aliyun)["calls"]) == n_calls

    # hoist request signs with the stage's app
    r = run(["request", "dev", "/"], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello from hoist!\n"
    r = run(["request", "dev", "POST", "/echo?a=1&a=2", "-d", '{"k": "v"}',
             "-H", "Content-Type: application/json"], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"body": '{"k": "v"}', "json": {"k": "v"},
                                    "query": {"a": ["1", "2"]}}
    hdrs = cloudapi(fake_aliyun)["calls"][-1]["event"]["headers"]
    assert hdrs["Content-MD5"] and hdrs["X-Ca-Signature-Method"] == "HmacSHA256"
    r = run(["request", "dev", "POST", "/echo", "-d", "a=1&b=2",
             "-H", "Content-Type: application/x-www-form-urlencoded"], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    assert "Content-MD5" not in cloudapi(fake_aliyun)["calls"][-1]["event"]["headers"]
    r = run(["request", "dev", "/", "--app-code"], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello from hoist!\n"

    # the secrets: AppKey in status, the rest only with --show-secrets, stdout only
    r = run(["--json", "status", "dev"], cwd=proj, env=ali_env)
    st = json.loads(r.stdout)
    assert st["api_gateway"]["app_key"] == app["AppKey"] and st["api_gateway"]["auth"] == "APP"
    assert app["AppSecret"] not in r.stdout and app["AppCode"] not in r.stdout
    assert "secrets" not in st
    r = run(["-vv", "status", "dev", "--show-secrets"], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    assert app["AppSecret"] in r.stdout and app["AppCode"] in r.stdout
    assert app["AppSecret"] not in r.stderr and app["AppCode"] not in r.stderr
    assert secrets_of(run, proj, ali_env)["secrets"] == {
        "app_key": app["AppKey"], "app_secret": app["AppSecret"], "app_code": app["AppCode"]}
    r = run(["-vv", "request", "dev", "/", "--app-code"], cwd=proj, env=ali_env)
    assert r.returncode == 0 and app["AppCode"] not in r.stderr
    r = run(["-vv", "request", "dev", "/"], cwd=proj, env=ali_env)
    assert r.returncode == 0 and app["AppSecret"] not in r.stderr
    assert "X-Ca-Signature: <redacted>" in r.stderr

    # the fake's own refusals, with a signer that is not hoist's
    key, secret = app["AppKey"], app["AppSecret"]
    status, headers, body = signed(fake_aliyun, url, "/", secret, key)
    assert (status, body) == (200, b"Hello from hoist!\n")
    status, headers, _ = signed(fake_aliyun, url, "/", secret + "x", key)
    assert status == 400 and headers["X-Ca-Error-Message"].startswith("Invalid Signature")
    old = int((time.time() - 16 * 60) * 1000)
    status, headers, _ = signed(fake_aliyun, url, "/", secret, key, ts=old)
    assert status == 400 and headers["X-Ca-Error-Message"] == "Timestamp Expired"
    nonce = str(uuid.uuid4())
    assert signed(fake_aliyun, url, "/", secret, key, nonce=nonce)[0] == 200
    status, headers, _ = signed(fake_aliyun, url, "/", secret, key, nonce=nonce)
    assert status == 400 and headers["X-Ca-Error-Message"] == "Nonce Used"
    status, headers, _ = http(fake_aliyun, url + "/", headers={"Authorization": "APPCODE nope"})
    assert status == 403

    # an unchanged update writes nothing; then api_key_required off: ANONYMOUS, no app
    n0 = len(requests(fake_aliyun))
    assert run(["update", "dev"], cwd=proj, env=ali_env, timeout=120).returncode == 0
    assert writes_since(fake_aliyun, n0) == []
    gw_example()
    r = run(["update", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    ca = cloudapi(fake_aliyun)
    [api] = ca["apis"].values()
    assert api["def"]["AuthType"] == "ANONYMOUS" and not ca["apps"]
    assert http(fake_aliyun, url + "/")[0] == 200
    r = run(["request", "dev", "/", "--app-code"], cwd=proj, env=ali_env)
    assert r.returncode == 2 and "--app-code" in r.stderr
    assert secrets_of(run, proj, ali_env)["secrets"] == {}


def test_environment_and_cors(run, gw_example, ali_env, fake_aliyun):
    proj = gw_example(apigateway_stage="TEST", cors=True)
    url = deploy(run, proj, ali_env)
    [api] = cloudapi(fake_aliyun)["apis"].values()
    assert list(api["deployed"]) == ["TEST"]
    assert http(fake_aliyun, url + "/")[0] == 404            # RELEASE has nothing
    assert http(fake_aliyun, url + "/", headers={"X-Ca-Stage": "TEST"})[0] == 200
    r = run(["request", "dev", "/"], cwd=proj, env=ali_env)  # sends X-Ca-Stage: TEST
    assert r.returncode == 0 and r.stdout == "Hello from hoist!\n", r.stderr
    [plugin] = cloudapi(fake_aliyun)["plugins"].values()
    assert plugin["PluginType"] == "cors" and plugin["PluginName"] == "hoist_cors_flaskdemo_dev"
    assert json.loads(plugin["PluginData"])["allowOrigins"] == "*"
    status, headers, _ = http(fake_aliyun, url + "/echo", method="OPTIONS", headers={
        "X-Ca-Stage": "TEST", "Origin": "https://app.example",
        "Access-Control-Request-Method": "POST"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    status, headers, _ = http(fake_aliyun, url + "/", headers={
        "X-Ca-Stage": "TEST", "Origin": "https://app.example"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"

    # back to RELEASE without cors: abolished from TEST, plugin gone
    gw_example()
    r = run(["update", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    ca = cloudapi(fake_aliyun)
    [api] = ca["apis"].values()
    assert list(api["deployed"]) == ["RELEASE"] and not ca["plugins"]
    assert http(fake_aliyun, url + "/")[0] == 200
    assert http(fake_aliyun, url + "/", headers={"X-Ca-Stage": "TEST"})[0] == 404


def test_http_trigger_beside_the_gateway(run, gw_example, ali_env, fake_aliyun):
    proj = gw_example(function_url_enabled=True)
    url = deploy(run, proj, ali_env)
    fn = state(fake_aliyun)["fc"]["functions"]["flaskdemo-dev"]
    assert list(fn["triggers"]) == ["hoist-http"]
    st = json.loads(run(["--json", "status", "dev"], cwd=proj, env=ali_env).stdout)
    assert st["url"] == url and st["function_url"].endswith(".fcapp.run")
    assert http(fake_aliyun, st["function_url"] + "/")[0] == 200
    # the gateway off: the trigger alone, the API Gateway resources removed
    gw_example(apigateway_enabled=False)
    r = run(["update", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == st["function_url"]
    ca = cloudapi(fake_aliyun)
    assert not ca["groups"] and not ca["apis"]
    assert not state(fake_aliyun)["ram"]["roles"]


@pytest.mark.parametrize("settings, words", [
    ({"apigateway_stage": "PROD"}, ["apigateway_stage", "PROD"]),
    ({"apigateway_enabled": False, "apigateway_stage": "TEST"}, ["apigateway_stage"]),
    ({"apigateway_enabled": False, "api_key_required": True}, ["api_key_required",
                                                               "apigateway_enabled"]),
    ({"iam_authorization": True}, ["iam_authorization", "HTTP trigger"]),
    ({"aliyun_api_gateway": True}, ["aliyun_api_gateway", "apigateway_enabled"]),
])
def test_bad_settings_change_nothing(run, gw_example, ali_env, fake_aliyun, settings, words):
    proj = gw_example(**settings)
    r = run(["deploy", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 2, r.stderr
    for w in words:
        assert w in r.stderr
    assert requests(fake_aliyun) == []


def test_apigateway_enabled_elsewhere_is_refused(run, tmp_path):
    (tmp_path / "app.py").write_text("app = None\n")
    (tmp_path / "hoist.json").write_text(json.dumps({"dev": {
        "provider": "tencent", "app_function": "app.app", "apigateway_enabled": True}}))
    r = run(["deploy", "dev"], cwd=tmp_path)
    assert r.returncode == 2
    assert "apigateway_enabled" in r.stderr and "function URL" in r.stderr
    (tmp_path / "hoist.json").write_text(json.dumps({"dev": {
        "provider": "local", "app_function": "app.app", "apigateway_stage": "TEST"}}))
    r = run(["deploy", "dev"], cwd=tmp_path)
    assert r.returncode == 2 and "apigateway_stage" in r.stderr
