"""The fake API Gateway proven against the official clients: the
@alicloud/cloudapi20160714 Client's own requests (ACS3, RPC query) create,
describe and delete a group and an app; the aliyun-api-gateway Client's own
signed call reaches a deployed APP-authorized API and, with a wrong secret, is
refused with the gateway's Invalid Signature."""
import json
import os
import subprocess

from ali_helpers import AKID, SECRET, requests, state
from apigw_helpers import cloudapi, deploy, gw_example  # noqa: F401  (fixture)

JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apigw_sdk_roundtrip.js")


def node(*args):
    p = subprocess.run(["node", JS] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_cloudapi_sdk_client_round_trip(fake_aliyun):
    out = node("control", fake_aliyun.port, AKID, SECRET)
    assert out["group"]["GroupName"] == "sdk_roundtrip"
    assert out["described"]["SubDomain"].endswith("-cn-hangzhou.alicloudapi.com")
    assert out["app"]["hasKey"] and out["app"]["hasSecret"]
    assert out["after"] == {"code": "NotFoundApiGroup", "statusCode": 404}
    acts = [q["action"] for q in requests(fake_aliyun, "cloudapi")]
    assert acts == ["CreateApiGroup", "DescribeApiGroup", "CreateApp", "DescribeAppSecurity",
                    "DeleteApp", "DeleteApiGroup", "DescribeApiGroup"]
    assert cloudapi(fake_aliyun)["groups"] == {} and cloudapi(fake_aliyun)["apps"] == {}


def test_api_gateway_client_calls_the_deployed_api(run, gw_example, ali_env, fake_aliyun):
    proj = gw_example(api_key_required=True)
    url = deploy(run, proj, ali_env)
    [app] = cloudapi(fake_aliyun)["apps"].values()
    out = node("call", fake_aliyun.port, app["AppKey"], app["AppSecret"],
               url.replace("https://", "http://") + "/?who=sdk", "RELEASE")
    assert out["ok"] == "Hello from hoist!\n"
    assert out["bad"]["code"] == 400 and out["bad"]["message"].startswith("Invalid Signature")
    assert state(fake_aliyun)["cloudapi"]["calls"][-1]["event"]["queryParameters"] == \
        {"who": "sdk"}
