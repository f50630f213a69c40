"""Alibaba Cloud API Gateway in front of Function Compute (issue 11) on the fake:
examples/flask deployed with apigateway_enabled prints the group's URL; GET
and POST through the fake gateway (which invokes the function with the
documented FC event and checks its answer's shape) return the app's answers —
repeated query keys, a binary body both ways, a redirect; an unchanged update
sends no API Gateway (nor any other) write call; status; undeploy leaves no
group, API, app, plugin, role or binding."""
import base64
import json

from ali_helpers import ACCOUNT, REGION, http, requests, state, writes_since
from apigw_helpers import cloudapi, deploy, gw_example  # noqa: F401  (fixture)


def test_gateway_serves_examples_flask(run, gw_example, ali_env, fake_aliyun):
    proj = gw_example()
    url = deploy(run, proj, ali_env)
    ca = cloudapi(fake_aliyun)
    [group] = ca["groups"].values()
    assert group["GroupName"] == "hoist_flaskdemo_dev"
    assert url == "https://" + group["SubDomain"]
    assert group["SubDomain"].endswith(f"-{REGION}.alicloudapi.com")
    [api] = ca["apis"].values()
    d = api["def"]
    assert d["AuthType"] == "ANONYMOUS" and d["Visibility"] == "PRIVATE"
    assert d["request"] == {"requestProtocol": "HTTP,HTTPS", "requestHttpMethod": "ANY",
                            "requestPath": "/*", "requestMode": "PASSTHROUGH",
                            "bodyFormat": "STREAM"}
    fcc = d["service"]["functionComputeConfig"]
    assert fcc == {"fcRegionId": REGION, "fcType": "FCEvent", "fcVersion": "3.0",
                   "functionName": "flaskdemo-dev", "qualifier": "dev",
                   "roleArn": f"acs:ram::{ACCOUNT}:role/hoist-apigw-flaskdemo-dev"}
    assert d["service"]["serviceTimeout"] == 30000
    assert list(api["deployed"]) == ["RELEASE"]
    assert not ca["apps"] and not ca["plugins"]
    # the gateway fronts the function: no HTTP trigger beside it
    fn = state(fake_aliyun)["fc"]["functions"]["flaskdemo-dev"]
    assert list(fn["triggers"]) == []
    role = state(fake_aliyun)["ram"]["roles"]["hoist-apigw-flaskdemo-dev"]
    assert "apigateway.aliyuncs.com" in role["AssumeRolePolicyDocument"]

    status, _, body = http(fake_aliyun, url + "/")
    assert (status, body) == (200, b"Hello from hoist!\n")
    status, _, body = http(fake_aliyun, url + "/echo?a=1&a=2&b=x%20y", method="POST",
                           body=b'{"x": 1}', headers={"Content-Type": "application/json"})
    assert status == 200, body
    assert json.loads(body) == {"body": '{"x": 1}', "json": {"x": 1},
                                "query": {"a": ["1", "2"], "b": ["x y"]}}
    ev = cloudapi(fake_aliyun)["calls"][-1]
    assert ev["event"]["queryParameters"] == {"a": ["1", "2"], "b": "x y"}
    assert set(ev["answer"]) == {"isBase64Encoded", "statusCode", "headers", "body"}
    blob = bytes(range(256)) * 4
    status, headers, body = http(fake_aliyun, url + "/bytes", method="POST", body=blob,
                                 headers={"Content-Type": "application/octet-stream"})
    assert status == 200 and body == blob
    call = cloudapi(fake_aliyun)["calls"][-1]
    assert call["event"]["isBase64Encoded"] is True
    assert base64.b64decode(call["event"]["body"]) == blob
    assert call["answer"]["isBase64Encoded"] is True
    status, headers, _ = http(fake_aliyun, url + "/go")
    assert status == 302 and headers["Location"] in ("/", url + "/")
    # X-Ca-Stage picks the environment: nothing is deployed to TEST
    status, headers, _ = http(fake_aliyun, url + "/", headers={"X-Ca-Stage": "TEST"})
    assert status == 404 and headers["X-Ca-Error-Message"] == "Invalid Url"

    # update with nothing new writes nothing anywhere (API Gateway and RAM included)
    n0 = len(requests(fake_aliyun))
    r = run(["update", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == url
    assert writes_since(fake_aliyun, n0) == []
    acts = {q["product"] for q in requests(fake_aliyun)[n0:]}
    assert {"cloudapi", "ram"} <= acts

    r = run(["--json", "status", "dev"], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["url"] == url
    assert st["api_gateway"]["group"] == "hoist_flaskdemo_dev"
    assert st["api_gateway"]["environment"] == "RELEASE" and st["api_gateway"]["auth"] == "ANONYMOUS"
    assert st["api_gateway"]["deployed"] is True
    r = run(["status", "dev"], cwd=proj, env=ali_env)
    assert "API Gateway:" in r.stdout and group["SubDomain"] in r.stdout

    r = run(["request", "dev", "POST", "/echo?q=1", "-d", "hi"], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["body"] == "hi"

    r = run(["undeploy", "dev", "-y"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    ca = cloudapi(fake_aliyun)
    assert not ca["groups"] and not ca["apis"] and not ca["apps"] and not ca["plugins"]
    ram = state(fake_aliyun)["ram"]
    assert not ram["roles"] and not ram["policies"]
    assert not state(fake_aliyun)["fc"]["functions"]
