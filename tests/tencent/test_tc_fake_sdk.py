"""The fake Tencent Cloud judged by Tencent's own SDKs: the official
tencentcloud-sdk-nodejs-scf client's requests are accepted for a create /
get / delete round trip (and a function moves Creating -> Active over
polls), its requests with a wrong key, an unknown, missing or mistyped
parameter get Tencent's errors; cos-nodejs-sdk-v5's client puts, heads and
deletes an object through the fake COS."""
import base64
import io
import zipfile

from tc_helpers import APPID, REGION, SECRET_ID, SECRET_KEY, fake_requests, node, state

# The SDK client talks to the real host names; an agent connects them to the fake.
SCF = r"""
const http = require('http'), net = require('net');
const { Client } = require('tencentcloud-sdk-nodejs-scf').scf.v20180416;
const [port, id, key, region, zip] = process.argv.slice(1);
class ToFake extends http.Agent { createConnection(o, cb) { return net.connect(+port, '127.0.0.1', cb); } }
const client = (secret) => new Client({ credential: { secretId: id, secretKey: secret }, region,
  profile: { httpProfile: { endpoint: 'scf.tencentcloudapi.com', protocol: 'http://', agent: new ToFake() } } });
const c = client(key);
const err = async (p) => { try { await p; return null; } catch (e) { return e.code; } };
(async () => {
  const out = {};
  out.create = await c.CreateFunction({ FunctionName: 'sdk-fn', Runtime: 'Python3.10',
    Handler: 'index.main', MemorySize: 128, Code: { ZipFile: zip } });
  out.statuses = [];
  for (let i = 0; i < 5; i++) out.statuses.push((await c.GetFunction({ FunctionName: 'sdk-fn' })).Status);
  out.badKey = await err(client('wrong').GetFunction({ FunctionName: 'sdk-fn' }));
  out.unknown = await err(c.GetFunction({ FunctionName: 'sdk-fn', Bogus: 1 }));
  out.missing = await err(c.DeleteFunction({}));
  out.mistyped = await err(c.GetFunction({ FunctionName: 42 }));
  out.exists = await err(c.CreateFunction({ FunctionName: 'sdk-fn', Runtime: 'Python3.10',
    Handler: 'index.main', Code: { ZipFile: zip } }));
  out.delete = await c.DeleteFunction({ FunctionName: 'sdk-fn' });
  out.gone = await err(c.GetFunction({ FunctionName: 'sdk-fn' }));
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def small_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def main(event, context):\n    return event\n")
    return base64.b64encode(buf.getvalue()).decode()


def test_scf_sdk_round_trip(tc_fake):
    out = node(SCF, tc_fake.port, SECRET_ID, SECRET_KEY, REGION, small_zip())
    assert out["create"]["RequestId"]
    assert out["statuses"][0] == "Creating" and out["statuses"][-1] == "Active"
    assert out["badKey"] == "AuthFailure.SignatureFailure"
    assert out["unknown"] == "UnknownParameter"
    assert out["missing"] == "MissingParameter"
    assert out["mistyped"] == "InvalidParameter"
    assert out["exists"] == "ResourceInUse.Function"
    assert out["delete"]["RequestId"]
    assert out["gone"] == "ResourceNotFound.Function"
    assert "sdk-fn" not in state(tc_fake).get("scf", {})
    acts = [q["action"] for q in fake_requests(tc_fake, "scf")]
    assert acts.count("CreateFunction") == 2 and acts.count("DeleteFunction") == 2


COS = r"""
const COS = require('cos-nodejs-sdk-v5');
const [port, id, key, bucket, region] = process.argv.slice(1);
const cos = new COS({ SecretId: id, SecretKey: key, Protocol: 'http:', Proxy: 'http://127.0.0.1:' + port });
const call = (fn, args) => new Promise((res) => cos[fn](args, (err, data) => res(err ? { error: err.code || err.statusCode || String(err) } : data)));
(async () => {
  const b = { Bucket: bucket, Region: region };
  const out = {};
  out.put = await call('putBucket', b);
  out.obj = await call('putObject', { ...b, Key: 'dir/a b.zip', Body: Buffer.from('PK-data') });
  out.head = await call('headObject', { ...b, Key: 'dir/a b.zip' });
  out.list = await call('getBucket', { ...b, Prefix: 'dir/' });
  out.del = await call('deleteObject', { ...b, Key: 'dir/a b.zip' });
  out.missing = await call('headObject', { ...b, Key: 'dir/a b.zip' });
  const bad = new COS({ SecretId: id, SecretKey: 'wrong', Protocol: 'http:', Proxy: 'http://127.0.0.1:' + port });
  out.bad = await new Promise((res) => bad.getBucket(b, (err) => res(err ? (err.code || err.statusCode) : 'ok')));
  console.log(JSON.stringify(out));
})();
"""


def test_cos_sdk_round_trip(tc_fake):
    bucket = f"sdk-{APPID}"
    out = node(COS, tc_fake.port, SECRET_ID, SECRET_KEY, bucket, REGION)
    assert "error" not in out["put"], out
    assert "error" not in out["obj"], out
    assert out["head"]["statusCode"] == 200
    assert [c["Key"] for c in out["list"]["Contents"]] == ["dir/a b.zip"]
    assert out["missing"]["error"] == "404", out          # HEAD: no body, the status
    assert out["bad"] == "SignatureDoesNotMatch", out
    cos = [q["action"] for q in fake_requests(tc_fake, "cos")]
    assert cos[:5] == ["PutBucket", "PutObject", "HeadObject", "GetBucket", "DeleteObject"]
