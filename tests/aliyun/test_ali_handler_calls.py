"""The handler's own Alibaba Cloud calls (templates/python/hoist_aliyun.py,
standard library only): the asynchronous-task InvokeFunction (ACS3) and the
OSS object reads and writes (OSS4) are pinned to SPEC §6's ACS3 vector and
to Alibaba's SDK signers (the fake's node judge runs @alicloud/openapi-core
and ali-oss), and the fake Alibaba Cloud accepts them on the wire: signature,
routing to FC InvokeFunction with x-fc-invocation-type Async, and OSS."""
import datetime
import json
import sys

import pytest

from ali_helpers import AKID, SECRET

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]
                       / "templates" / "python"))
import hoist_aliyun  # noqa: E402


def test_acs3_spec_vector():
    headers = {"host": "ecs.cn-shanghai.aliyuncs.com", "x-acs-action": "RunInstances",
               "x-acs-version": "2014-05-26", "x-acs-date": "2023-10-26T10:22:32Z",
               "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d"}
    hoist_aliyun.acs3_sign("POST", "/", {"ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_"
                                         "20230811.vhd", "RegionId": "cn-shanghai"},
                           headers, b"", ("YourAccessKeyId", "YourAccessKeySecret", None))
    assert headers["Authorization"] == (
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;"
        "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
        "Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0")


def test_acs3_and_oss4_match_the_sdk_signers(fake_aliyun):
    judge = fake_aliyun.judge
    creds = ("LTAIhoist", "s3cr3t/+=", "sts-token")
    path = "/2023-03-30/functions/my-fn/invocations"
    headers = {"host": "fcv3.cn-hangzhou.aliyuncs.com", "content-type": "application/octet-stream",
               "x-acs-action": "InvokeFunction", "x-acs-version": "2023-03-30",
               "x-acs-date": "2026-11-21T10:00:00Z", "x-acs-signature-nonce": "abc123",
               "x-fc-invocation-type": "Async"}
    body = json.dumps({"command": "hoist_tasks.route_lambda_task", "args": ["é"]}).encode()
    hoist_aliyun.acs3_sign("POST", path, {"qualifier": "LATEST"}, headers, body, creds)
    signed = headers["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    want = judge.ask(op="acs3", method="POST", pathname=path, query={"qualifier": "LATEST"},
                     headers={h: headers[h] for h in signed},
                     payload=headers["x-acs-content-sha256"], ak=creds[0], sk=creds[1])
    assert want["expected"] == headers["Authorization"]
    assert "x-fc-invocation-type" not in signed and "x-acs-security-token" in signed

    when = datetime.datetime(2026, 11, 21, 10, 0, 0, tzinfo=datetime.timezone.utc)
    for key in ("async-responses/0f8e.json", "dir/a b+é.json"):
        h = {"host": "stage-bkt.oss-cn-hangzhou.aliyuncs.com", "content-type": "application/json"}
        hoist_aliyun.oss4_sign("PUT", "stage-bkt", key, {}, h, "cn-hangzhou", creds, now=when)
        want = judge.ask(op="oss4", method="PUT", bucket="stage-bkt", key=key, query={},
                         headers=h, region="cn-hangzhou", ak=creds[0], sk=creds[1])
        assert want["expected"] == h["Authorization"], key


def test_calls_reach_the_fake_alibaba_cloud(fake_aliyun, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ENDPOINT_URL", fake_aliyun.url)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AKID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    # signature accepted, routed to InvokeFunction (Async): the function is not there
    with pytest.raises(hoist_aliyun.AliyunError) as err:
        hoist_aliyun.fc_invoke_async("no-such-fn", b'{"command": "x"}', "cn-hangzhou")
    assert err.value.status == 404 and "FunctionNotFound" in err.value.body
    with pytest.raises(hoist_aliyun.AliyunError) as err:
        hoist_aliyun.oss_put("no-such-bucket", "r/1.json", b"{}", "cn-hangzhou")
    assert err.value.status == 404 and "NoSuchBucket" in err.value.body
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong")
    with pytest.raises(hoist_aliyun.AliyunError) as err:
        hoist_aliyun.fc_invoke_async("no-such-fn", b"{}", "cn-hangzhou")
    assert err.value.status in (400, 403) and "Signature" in err.value.body


def test_task_responses_in_oss_and_dispatch_to_fc(fake_aliyun, monkeypatch, tmp_path):
    """hoist_tasks with PROVIDER aliyun: captured responses are OSS objects in the
    stage's bucket, get_async_response reads them back, and a task is sent as an
    asynchronous InvokeFunction (here of a function the fake does not have)."""
    monkeypatch.setenv("ALIBABA_CLOUD_ENDPOINT_URL", fake_aliyun.url)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AKID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    monkeypatch.setenv("FC_REGION", "cn-hangzhou")
    monkeypatch.setenv("FC_FUNCTION_NAME", "demo-dev")
    host = "stage-bkt.oss-cn-hangzhou.aliyuncs.com"
    h = {"host": host}
    hoist_aliyun.oss4_sign("PUT", "stage-bkt", None, {}, h, "cn-hangzhou", (AKID, SECRET, None))
    hoist_aliyun._send("PutBucket", "PUT", host, "/", {}, h, b"", "OSS")
    (tmp_path / "hoist_settings.py").write_text(
        'PROVIDER = "aliyun"\nFUNCTION_NAME = "demo-dev"\nASYNC_RESPONSE_TABLE = "pies"\n'
        'ASYNC_RESPONSE_BUCKET = "stage-bkt"\n')
    (tmp_path / "pies.py").write_text("def bake(x):\n    return {'pie': x}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for m in [m for m in sys.modules if m in ("hoist_settings", "hoist_tasks", "pies")]:
        monkeypatch.delitem(sys.modules, m)
    import hoist_tasks
    assert hoist_tasks.run_message({"task_path": "pies.bake", "args": ["apple"], "kwargs": {},
                                    "capture_response": True, "response_id": "r-1"}) == \
        {"pie": "apple"}
    assert hoist_tasks.get_async_response("r-1") == {"status": "complete",
                                                     "response": {"pie": "apple"}}
    assert hoist_tasks.get_async_response("r-2") is None
    import pies
    with pytest.raises(Exception, match="FunctionNotFound") as err:   # the module hoist_tasks
        hoist_tasks.run(pies.bake, ["cherry"])                          # imported raised it
    assert type(err.value).__name__ == "AliyunError"
    with pytest.raises(hoist_tasks.AsyncException, match="131072"):
        hoist_tasks.run(pies.bake, ["x" * 140000])
