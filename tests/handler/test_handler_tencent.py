"""The handler's own Tencent Cloud calls (templates/python/hoist_tencent.py,
standard library only): the asynchronous-task SCF Invoke (TC3-HMAC-SHA256)
is pinned to SPEC §6's TC3 vector and to tencentcloud-sdk-nodejs-common's
Sign.sign3, and the COS object signature to cos-nodejs-sdk-v5's getAuth,
both run from tests/node_modules."""
import json
import pathlib
import shutil
import subprocess
import sys

import pytest

from handler_support import TEMPLATES

sys.path.insert(0, str(TEMPLATES))
import hoist_tencent  # noqa: E402

MODULES = pathlib.Path(__file__).resolve().parents[1] / "node_modules"

JUDGE = r'''
const path = require('path');
const M = process.argv[1];
const Sign = require(path.join(M, 'tencentcloud-sdk-nodejs-common/tencentcloud/common/sign.js')).default;
const cos = require(path.join(M, 'cos-nodejs-sdk-v5/sdk/util.js'));
const q = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = q.map((r) => r.op === 'tc3'
  ? Sign.sign3({method: 'POST', url: 'https://' + r.host + '/', payload: Buffer.from(r.payload),
                timestamp: r.timestamp, service: r.service, secretId: r.sid, secretKey: r.skey,
                headers: {'Content-Type': r.ctype}})
  : cos.getAuth({SecretId: r.sid, SecretKey: r.skey, Method: r.method, Key: r.key,
                 Query: r.query, Headers: r.headers, KeyTime: r.keytime}));
process.stdout.write(JSON.stringify(out));
'''


def sdk(requests):
    if not shutil.which("node") or not (MODULES / "cos-nodejs-sdk-v5").is_dir():
        pytest.skip("the pinned SDKs are not installed (make check installs them)")
    r = subprocess.run(["node", "-e", JUDGE, str(MODULES)], input=json.dumps(requests),
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def test_tc3_spec_vector():
    payload = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    h = hoist_tencent.tc3_sign("cvm", "cvm.tencentcloudapi.com", payload,
                               {"Content-Type": "application/json; charset=utf-8"},
                               ("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
                                "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", None), timestamp=1551113065)
    assert h["Authorization"].endswith(
        "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168")


def test_tc3_and_cos_match_the_sdk_signers():
    creds = ("AKIDhoist", "skey/+=", "tok")
    payload = json.dumps({"FunctionName": "app-dev", "InvocationType": "Event",
                          "ClientContext": json.dumps({"command": "x", "args": ["é"]}),
                          "Namespace": "default"}).encode()
    h = hoist_tencent.tc3_sign("scf", "scf.tencentcloudapi.com", payload,
                               {"Content-Type": "application/json; charset=utf-8"}, creds,
                               timestamp=1795000000)
    key_time = "1795000000;1795000900"
    cos = []
    for key in ("async-responses/0f8e.json", "dir/a b+é.json"):
        headers = {"Host": "stage-1250000000.cos.ap-guangzhou.myqcloud.com",
                   "Content-Type": "application/json"}
        mine = hoist_tencent.cos_sign("PUT", key, {}, headers, creds, now=1795000001)
        cos.append((mine, {"op": "cos", "sid": creds[0], "skey": creds[1], "method": "PUT",
                           "key": key, "query": {}, "headers": headers, "keytime": key_time}))
    got = sdk([{"op": "tc3", "host": "scf.tencentcloudapi.com", "payload": payload.decode(),
                "timestamp": 1795000000, "service": "scf", "sid": creds[0], "skey": creds[1],
                "ctype": "application/json; charset=utf-8"}] + [c[1] for c in cos])
    assert got[0] == h["Authorization"]
    assert got[1:] == [c[0] for c in cos]
