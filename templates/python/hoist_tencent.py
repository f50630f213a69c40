"""hoist_tencent -- the Tencent Cloud calls the handler makes itself, standard library only.

  scf_invoke_event(function, event_json, region, namespace)   SCF Invoke with
                                               InvocationType Event (TC3-HMAC-SHA256)
  cos_get(bucket, key, region)                 COS GetObject  } COS's HMAC-SHA1
  cos_put(bucket, key, data, region)           COS PutObject  } signature (q-sign-*)

Credentials are the function's own: TENCENTCLOUD_SECRETID /
TENCENTCLOUD_SECRETKEY / TENCENTCLOUD_SESSIONTOKEN (what SCF sets for the
function's role; the TENCENTCLOUD_SECRET_ID spellings are read too).
Region: TENCENTCLOUD_REGION; namespace: SCF_NAMESPACE.

Endpoints: https://scf.tencentcloudapi.com and
https://<bucket-appid>.cos.<region>.myqcloud.com; TENCENTCLOUD_ENDPOINT_URL_SCF
/ _COS / TENCENTCLOUD_ENDPOINT_URL change only where the request is sent: the
Host header, path and signature stay those of the real endpoint (SPEC §5).

A throttled call (HTTP 429, RequestLimitExceeded*) or one Tencent failed
internally (HTTP 5xx, InternalError*) is signed and sent again, RETRIES
times with doubling backoff; anything else raises TencentError at once.

Signatures follow Tencent's SDKs (tencentcloud-sdk-nodejs-common Sign.sign3,
cos-nodejs-sdk-v5 util.getAuth); tests/handler/test_handler_clouds.py checks
them against that SDK code.
"""

import datetime
import hashlib
import hmac
import json
import os
import time
from urllib.parse import quote

SCF_VERSION = "2018-04-16"
SCF_HOST = "scf.tencentcloudapi.com"


RETRIES = 3       # a throttled call, or one Tencent failed internally, is signed and sent again
BACKOFF = 0.2     # seconds before the first retry, doubled after each


class TencentError(Exception):
    def __init__(self, what, status, body, code=""):
        text = body.decode("utf-8", "replace")[:300] if isinstance(body, bytes) else str(body)
        Exception.__init__(self, "%s failed: %s%s" % (what, "HTTP %s: " % status if status else "",
                                                      text))
        self.status, self.body, self.code = status, text, code

    def transient(self):
        """Throttled or failed inside Tencent Cloud (as hoist's own calls retry them)."""
        return self.status in (429, 500, 502, 503, 504) or \
            self.code.startswith(("RequestLimitExceeded", "InternalError"))


def _retrying(call):
    """call() until it answers, retrying transient errors RETRIES times with backoff."""
    for attempt in range(RETRIES + 1):
        try:
            return call()
        except TencentError as exc:
            if attempt == RETRIES or not exc.transient():
                raise
            time.sleep(BACKOFF * 2 ** attempt)


def credentials():
    """(secret id, secret key, session token or None)."""
    env = os.environ.get
    sid = env("TENCENTCLOUD_SECRETID") or env("TENCENTCLOUD_SECRET_ID")
    skey = env("TENCENTCLOUD_SECRETKEY") or env("TENCENTCLOUD_SECRET_KEY")
    token = env("TENCENTCLOUD_SESSIONTOKEN") or env("TENCENTCLOUD_SESSION_TOKEN")
    if not (sid and skey):
        raise TencentError("Tencent Cloud credentials", 0, "no TENCENTCLOUD_SECRETID / "
                           "TENCENTCLOUD_SECRETKEY in the environment")
    return sid, skey, token or None


def region_of(region=None):
    return region or os.environ.get("TENCENTCLOUD_REGION") or "ap-guangzhou"


# ---- TC3-HMAC-SHA256 ---------------------------------------------------------------------

def tc3_sign(service, host, payload, headers, creds, timestamp=None):
    """Authorization for a POST to "/" with signed headers content-type;host, as Sign.sign3."""
    sid, skey, token = creds
    ts = int(timestamp if timestamp is not None else time.time())
    date = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d")
    creq = "\n".join(["POST", "/", "", "content-type:%s\nhost:%s\n" % (
        headers["Content-Type"], host), "content-type;host",
        hashlib.sha256(payload).hexdigest()])
    scope = "%s/%s/tc3_request" % (date, service)
    sts = "\n".join(["TC3-HMAC-SHA256", str(ts), scope,
                     hashlib.sha256(creq.encode("utf-8")).hexdigest()])

    def h(key, msg):
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

    k = h(h(h(("TC3" + skey).encode("utf-8"), date), service), "tc3_request")
    sig = hmac.new(k, sts.encode("utf-8"), hashlib.sha256).hexdigest()
    headers["X-TC-Timestamp"] = str(ts)
    if token:
        headers["X-TC-Token"] = token
    headers["Authorization"] = ("TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=content-type;"
                                "host, Signature=%s" % (sid, scope, sig))
    return headers


# ---- COS (q-sign-algorithm=sha1) -----------------------------------------------------------

def _cam(s):
    return quote(s, safe="-_.~")


def cos_sign(method, key, query, headers, creds, now=None, expires=900):
    """COS's Authorization, as getAuth: the headers given are all signed."""
    sid, skey, _ = creds
    start = int(now if now is not None else time.time()) - 1
    key_time = "%d;%d" % (start, start + expires)
    sign_key = hmac.new(skey.encode("utf-8"), key_time.encode("utf-8"), hashlib.sha1).hexdigest()

    def pairs(d):
        return sorted((_cam(k).lower(), _cam(str(v))) for k, v in d.items())

    hs, qs = pairs(headers), pairs(query)
    fmt = "\n".join([method.lower(), "/" + key, "&".join("%s=%s" % p for p in qs),
                     "&".join("%s=%s" % p for p in hs), ""])
    sts = "\n".join(["sha1", key_time, hashlib.sha1(fmt.encode("utf-8")).hexdigest(), ""])
    sig = hmac.new(sign_key.encode("utf-8"), sts.encode("utf-8"), hashlib.sha1).hexdigest()
    return "&".join(["q-sign-algorithm=sha1", "q-ak=" + sid, "q-sign-time=" + key_time,
                     "q-key-time=" + key_time, "q-header-list=" + ";".join(k for k, _ in hs),
                     "q-url-param-list=" + ";".join(k for k, _ in qs), "q-signature=" + sig])


# ---- transport -------------------------------------------------------------------------------

def _send(what, method, real_host, target, headers, body, service):
    import hoist_http
    override = os.environ.get("TENCENTCLOUD_ENDPOINT_URL_" + service) or \
        os.environ.get("TENCENTCLOUD_ENDPOINT_URL")
    status, _, data = hoist_http.send(override, real_host, method, target,
                                      {k: v for k, v in headers.items() if k.lower() != "host"},
                                      body)
    if status >= 300:
        raise TencentError(what, status, data)
    return data


def scf_invoke_event(function, event_json, region=None, namespace=None, qualifier=None):
    """Invoke with InvocationType Event: the event is ClientContext; the RequestId."""
    return _retrying(lambda: _scf_invoke_event(function, event_json, region, namespace,
                                               qualifier))


def _scf_invoke_event(function, event_json, region, namespace, qualifier):
    body = {"FunctionName": function, "InvocationType": "Event", "ClientContext": event_json,
            "Namespace": namespace or os.environ.get("SCF_NAMESPACE") or "default"}
    if qualifier:
        body["Qualifier"] = qualifier
    payload = json.dumps(body).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "X-TC-Action": "Invoke",
               "X-TC-Version": SCF_VERSION, "X-TC-Region": region_of(region)}
    tc3_sign("scf", SCF_HOST, payload, headers, credentials())
    data = _send("SCF Invoke %s" % function, "POST", SCF_HOST, "/", headers, payload, "SCF")
    answer = json.loads(data.decode("utf-8") or "{}").get("Response") or {}
    if answer.get("Error"):
        err = answer["Error"]
        raise TencentError("SCF Invoke %s" % function, 0, "%s: %s" % (err.get("Code"),
                                                                      err.get("Message")),
                           err.get("Code") or "")
    return answer.get("RequestId")


def _cos(method, bucket, key, data, region, ctype=None):
    host = "%s.cos.%s.myqcloud.com" % (bucket, region_of(region))
    creds = credentials()
    headers = {"Host": host}
    if ctype:
        headers["Content-Type"] = ctype
    auth = cos_sign(method, key, {}, headers, creds)
    headers["Authorization"] = auth
    if creds[2]:
        headers["x-cos-security-token"] = creds[2]
    what = "COS %s cos://%s/%s" % ("GetObject" if method == "GET" else "PutObject", bucket, key)
    return _send(what, method, host, "/" + quote(key, safe="/-_.~"), headers, data, "COS")


def cos_get(bucket, key, region=None):
    return _retrying(lambda: _cos("GET", bucket, key, b"", region))


def cos_put(bucket, key, data, region=None):
    _retrying(lambda: _cos("PUT", bucket, key, data, region, "application/json"))
