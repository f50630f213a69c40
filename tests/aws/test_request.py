"""hoist request on AWS: the request reaches the deployed front door of the
fake AWS (tests/fakecloud/svc_dataplane.py serves execute-api and lambda-url
hosts from the fake's state and runs the packaged app), carrying the API key
or the SigV4 signature the front door checks; usage errors change nothing."""
import json
import urllib.error
import urllib.request

import pytest

from aws_helpers import SECRET, fake_requests

APP = r'''import json
from flask import Flask, Response, request

app = Flask(__name__)


@app.route("/")
def index():
    return "hello from hoist"


@app.route("/echo", methods=["GET", "POST", "PUT", "DELETE"])
def echo():
    return {"method": request.method, "args": request.args.to_dict(flat=False),
            "body": request.get_data(as_text=True), "x_test": request.headers.get("X-Test"),
            "script_name": request.environ.get("SCRIPT_NAME")}


@app.route("/bytes", methods=["POST"])
def raw():
    return Response(request.get_data(), mimetype="application/octet-stream")


@app.route("/teapot")
def teapot():
    return "short and stout", 418
'''


@pytest.fixture
def project(aws_project, flask_site_packages):
    def write(**extra):
        d = aws_project(dict({"site_packages": str(flask_site_packages), "exclude": ["*.so"],
                              "keep_warm": False}, **extra))
        (d / "app.py").write_text(APP)
        return d
    return write


def deploy(run, d, aws_env):
    r = run(["deploy", "dev"], cwd=d, env=aws_env, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def dataplane(fake_aws):
    return [q for q in fake_requests(fake_aws) if q["service"] in ("execute-api", "lambda-url")]


def raw_request(fake_aws, url, path, headers=None):
    """An unsigned request to the fake's data plane, as any client would send it."""
    host = url.split("/")[2]
    stage_path = "/" + "/".join(url.split("/")[3:]).rstrip("/")
    req = urllib.request.Request(fake_aws.url + stage_path.rstrip("/") + path,
                                 headers=dict({"Host": host}, **(headers or {})))
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_request_get_post_headers_and_status(run, project, aws_env, fake_aws):
    d = project()
    url = deploy(run, d, aws_env)
    r = run(["request", "dev", "/"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello from hoist"
    got = dataplane(fake_aws)[-1]["params"]
    assert got["headers"]["Host"] == url.split("/")[2]
    assert got["path"] == "/dev/"

    r = run(["request", "dev", "POST", "/echo?a=1&a=2", "-d", "payload", "-H", "X-Test: yes",
             "-H", "Content-Type: text/plain"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    echo = json.loads(r.stdout)
    assert echo == {"method": "POST", "args": {"a": ["1", "2"]}, "body": "payload",
                    "x_test": "yes", "script_name": "/dev"}

    # -d without a method is a POST (as curl does); the only stage can be left out.
    r = run(["request", "/echo", "-d", "x"], cwd=d, env=aws_env)
    assert r.returncode == 0 and json.loads(r.stdout)["method"] == "POST"

    # Not 2xx: the body is still printed, the exit status is 1; -v shows the status line.
    r = run(["request", "dev", "/teapot", "-v"], cwd=d, env=aws_env)
    assert r.returncode == 1
    assert r.stdout == "short and stout"
    assert "HTTP 418" in r.stderr and "answered HTTP 418" in r.stderr

    r = run(["--json", "request", "dev", "/teapot"], cwd=d, env=aws_env)
    doc = json.loads(r.stdout)
    assert r.returncode == 1 and doc["status"] == 418 and doc["body"] == "short and stout"


def test_request_binary_body_from_file(run, project, aws_env, tmp_path):
    d = project(binary_support=True)
    deploy(run, d, aws_env)
    blob = bytes(range(256)) * 4
    (tmp_path / "blob.bin").write_bytes(blob)
    r = run(["request", "dev", "POST", "/bytes", "-d", f"@{tmp_path / 'blob.bin'}",
             "-H", "Content-Type: application/octet-stream", "--json"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    import base64
    assert doc["body_encoding"] == "base64" and base64.b64decode(doc["body"]) == blob


def test_request_sends_the_api_key(run, project, aws_env, fake_aws):
    d = project(api_key_required=True)
    url = deploy(run, d, aws_env)
    status, body = raw_request(fake_aws, url, "/")
    assert status == 403 and json.loads(body) == {"message": "Forbidden"}

    r = run(["-vv", "request", "dev", "/"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello from hoist"
    key = dataplane(fake_aws)[-1]["params"]["headers"]["x-api-key"]
    assert len(key) >= 20
    assert key not in r.stderr and "x-api-key: <redacted>" in r.stderr


def test_request_signs_for_iam_authorization(run, project, aws_env, fake_aws):
    d = project(iam_authorization=True)
    url = deploy(run, d, aws_env)
    status, body = raw_request(fake_aws, url, "/")
    assert status == 403 and json.loads(body) == {"message": "Missing Authentication Token"}

    r = run(["request", "dev", "/echo?q=1"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["args"] == {"q": ["1"]}
    auth = dataplane(fake_aws)[-1]["params"]["headers"]["Authorization"]
    assert "/us-east-1/execute-api/aws4_request" in auth

    # The fake's front door really checks: the same request with a signature off by one.
    h = dataplane(fake_aws)[-1]["params"]["headers"]
    bad = h["Authorization"][:-1] + ("0" if h["Authorization"][-1] != "0" else "1")
    status, body = raw_request(fake_aws, url, "/echo?q=1", {
        "Authorization": bad, "X-Amz-Date": h["X-Amz-Date"]})
    assert status == 403 and b"signature we calculated does not match" in body


def test_request_function_url_with_iam_and_http_api(run, project, aws_env, fake_aws):
    d = project(apigateway_enabled=False, function_url_enabled=True, iam_authorization=True)
    url = deploy(run, d, aws_env)
    assert ".lambda-url." in url
    r = run(["request", "dev", "/echo?x=1"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["args"] == {"x": ["1"]}
    assert "/us-east-1/lambda/aws4_request" in dataplane(fake_aws)[-1]["params"]["headers"]["Authorization"]
    run(["undeploy", "dev", "-y"], cwd=d, env=aws_env)

    d = project(apigateway_version="v2")
    deploy(run, d, aws_env)
    r = run(["request", "dev", "/"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello from hoist"


@pytest.mark.parametrize("args,message", [
    (["request", "dev"], "give a PATH"),
    (["request", "dev", "echo"], "PATH must start with '/'"),
    (["request", "dev", "G3T", "/"], "'G3T' is not an HTTP method"),
    (["request", "dev", "/", "-H", "NoColon"], "is not 'Name: value'"),
    (["request", "dev", "/", "-H", "Bad Name: x"], "space or a control character"),
    (["request", "dev", "/", "-d", "@/nonexistent/body"], "/nonexistent/body"),
    (["request", "dev", "/", "--app-code"], "--app-code is for Alibaba API Gateway"),
    (["request", "dev", "GET", "/", "extra"], "give a PATH"),
])
def test_request_usage_errors(run, aws_project, aws_env, fake_aws, args, message):
    d = aws_project()
    r = run(args, cwd=d, env=aws_env)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr
    writes = [q for q in fake_requests(fake_aws) if not q["operation"].startswith(("Get", "List"))]
    assert [q["operation"] for q in writes] in ([], ["GetCallerIdentity"])


def test_request_before_deploy(run, aws_project, aws_env):
    d = aws_project()
    r = run(["request", "dev", "/"], cwd=d, env=aws_env)
    assert r.returncode == 1
    assert "has no live URL" in r.stderr and "hoist deploy dev" in r.stderr
