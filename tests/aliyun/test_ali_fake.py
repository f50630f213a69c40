"""The fake Alibaba Cloud itself, judged by Alibaba's own SDK code: the
official @alicloud/fc20230330 client round-trips through it; bad signatures,
unknown members and wrong types are refused in Alibaba's error shapes;
faults are injected on demand."""
import base64
import io
import json
import os
import subprocess
import zipfile

from ali_helpers import AKID, SECRET, fault, requests, state

HERE = os.path.dirname(os.path.abspath(__file__))


def handler_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


def test_official_sdk_client_round_trip(fake_aliyun):
    zip_b64 = base64.b64encode(handler_zip()).decode()
    p = subprocess.run(["node", os.path.join(HERE, "sdk_roundtrip.js"), str(fake_aliyun.port),
                        AKID, SECRET, zip_b64], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["created"]["functionName"] == "sdk-roundtrip"
    assert out["got"]["runtime"] == "python3.12"
    assert out["got"]["memorySize"] == 256
    assert out["got"]["environmentVariables"] == {"GREETING": "hi"}
    assert out["got"]["codeChecksum"].isdigit()
    assert out["after"] == {"code": "FunctionNotFound", "statusCode": 404}
    assert out["badsig"] == {"code": "SignatureNotMatch", "statusCode": 403}
    acts = [q["action"] for q in requests(fake_aliyun, "fc")]
    assert acts == ["CreateFunction", "GetFunction", "DeleteFunction", "GetFunction"]
    assert state(fake_aliyun)["fc"]["functions"] == {}


def _acs3_request(fake, body, action="CreateFunction", secret=SECRET, path="/2023-03-30/functions"):
    """A hand-signed FC call through the SDK's signer (via the judge)."""
    import hashlib
    import http.client
    import time
    raw = json.dumps(body).encode()
    h = {"host": "fcv3.cn-hangzhou.aliyuncs.com", "x-acs-action": action,
         "x-acs-version": "2023-03-30", "x-acs-date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
         "x-acs-signature-nonce": os.urandom(8).hex(), "content-type": "application/json; charset=utf-8",
         "x-acs-content-sha256": hashlib.sha256(raw).hexdigest()}
    auth = fake.judge.ask(op="acs3", method="POST", pathname=path, query={}, headers=h,
                          payload=h["x-acs-content-sha256"], ak=AKID, sk=secret)["expected"]
    conn = http.client.HTTPConnection("127.0.0.1", fake.port)
    conn.request("POST", path, body=raw, headers=dict(h, Authorization=auth))
    r = conn.getresponse()
    out = r.status, json.loads(r.read() or b"{}")
    conn.close()
    return out


def test_unknown_member_and_wrong_type_are_refused(fake_aliyun):
    base = {"functionName": "x", "runtime": "python3.12", "handler": "index.handler",
            "code": {"zipFile": base64.b64encode(handler_zip()).decode()}}
    st, body = _acs3_request(fake_aliyun, dict(base, memorySise=512))
    assert st == 400 and body["Code"] == "InvalidArgument" and "memorySise" in body["Message"]
    st, body = _acs3_request(fake_aliyun, dict(base, memorySize="512"))
    assert st == 400 and "memorySize: expected a number" in body["Message"]
    st, body = _acs3_request(fake_aliyun, {k: v for k, v in base.items() if k != "runtime"})
    assert st == 400 and "runtime: required member missing" in body["Message"]
    st, body = _acs3_request(fake_aliyun, base, secret="wrong")
    assert st == 403 and body["Code"] == "SignatureNotMatch"
    st, body = _acs3_request(fake_aliyun, base)
    assert st == 200 and body["functionName"] == "x"


def test_fault_injection(fake_aliyun):
    fault(fake_aliyun, "CreateFunction", "throttle")
    base = {"functionName": "y", "runtime": "python3.12", "handler": "index.handler",
            "code": {"zipFile": base64.b64encode(handler_zip()).decode()}}
    st, body = _acs3_request(fake_aliyun, base)
    assert st == 429 and body["Code"] == "ResourceThrottled"
    st, body = _acs3_request(fake_aliyun, base)
    assert st == 200
