"""hoist_aliyun -- the Alibaba Cloud calls the handler makes itself, standard library only.

  fc_invoke_async(function, payload, region)   Function Compute 3.0 InvokeFunction with
                                               x-fc-invocation-type: Async (ACS3-HMAC-SHA256)
  oss_get(bucket, key, region)                 OSS GetObject   } V4 signatures
  oss_put(bucket, key, data, region)           OSS PutObject   } (OSS4-HMAC-SHA256)

Credentials are the function's own: ALIBABA_CLOUD_ACCESS_KEY_ID /
ALIBABA_CLOUD_ACCESS_KEY_SECRET / ALIBABA_CLOUD_SECURITY_TOKEN (what FC sets
for the function's role), else the context's `credentials` (FC's context
object), which hoist_handler keeps for the event being handled.  Region:
FC_REGION.

Endpoints: https://fcv3.<region>.aliyuncs.com and
https://<bucket>.oss-<region>.aliyuncs.com.  ALIBABA_CLOUD_ENDPOINT_URL_FC /
_OSS / ALIBABA_CLOUD_ENDPOINT_URL change only where the request is sent
(scheme, host, port): the Host header, path and signature stay those of the
real endpoint, as hoist's own client does (SPEC §5).

Signatures follow Alibaba's SDKs (@alicloud/openapi-core for ACS3, ali-oss
signUtils.authorizationV4 for OSS4); tests/handler/test_handler_clouds.py
checks them against that SDK code.
"""

import datetime
import hashlib
import hmac
import os
import sys
import uuid
from urllib.parse import quote

FC_VERSION = "2023-03-30"


class AliyunError(Exception):
    def __init__(self, what, status, body):
        text = body.decode("utf-8", "replace")[:300] if isinstance(body, bytes) else str(body)
        Exception.__init__(self, "%s failed: HTTP %s: %s" % (what, status, text))
        self.status, self.body = status, text


def credentials():
    """(access key id, secret, security token or None)."""
    akid = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID")
    secret = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    if akid and secret:
        return akid, secret, os.environ.get("ALIBABA_CLOUD_SECURITY_TOKEN") or None
    handler = sys.modules.get("hoist_handler")
    c = getattr(getattr(handler, "current_context", None), "credentials", None)
    if c is not None:
        get = (lambda k: c.get(k)) if isinstance(c, dict) else (lambda k: getattr(c, k, None))
        akid = get("access_key_id") or get("accessKeyId")
        secret = get("access_key_secret") or get("accessKeySecret")
        if akid and secret:
            return akid, secret, get("security_token") or get("securityToken")
    raise AliyunError("Alibaba Cloud credentials", 0, "no ALIBABA_CLOUD_ACCESS_KEY_ID / "
                      "ALIBABA_CLOUD_ACCESS_KEY_SECRET and no credentials in the context")


def region_of(region=None):
    return region or os.environ.get("FC_REGION") or os.environ.get("ALIBABA_CLOUD_REGION_ID") \
        or "cn-hangzhou"


def _enc(s):
    """RFC 3986 percent-encoding (what both SDKs use)."""
    return quote(s, safe="-_.~")


# ---- ACS3-HMAC-SHA256 ------------------------------------------------------------------

def acs3_sign(method, path, query, headers, body, creds):
    """Add x-acs-content-sha256 (and the token) and Authorization to headers (lower-case
    names); signs host, content-type and every x-acs-* header, as openapi-core does."""
    akid, secret, token = creds
    headers["x-acs-content-sha256"] = hashlib.sha256(body).hexdigest()
    if token:
        headers["x-acs-security-token"] = token
    signed = sorted(h for h in headers if h in ("host", "content-type") or h.startswith("x-acs-"))
    canon_path = "/".join(_enc(seg) for seg in path.split("/")) or "/"
    canon_query = "&".join("%s=%s" % (_enc(k), _enc(v)) for k, v in sorted(query.items()))
    creq = "\n".join([method, canon_path, canon_query,
                      "".join("%s:%s\n" % (h, str(headers[h]).strip()) for h in signed),
                      ";".join(signed), headers["x-acs-content-sha256"]])
    sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(creq.encode("utf-8")).hexdigest()
    sig = hmac.new(secret.encode("utf-8"), sts.encode("utf-8"), hashlib.sha256).hexdigest()
    headers["Authorization"] = "ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s" % (
        akid, ";".join(signed), sig)
    return headers


# ---- OSS4-HMAC-SHA256 ------------------------------------------------------------------

def oss4_sign(method, bucket, key, query, headers, region, creds, now=None):
    """Add x-oss-date, x-oss-content-sha256 (UNSIGNED-PAYLOAD), the token and
    Authorization to headers (lower-case names)."""
    akid, secret, token = creds
    stamp = (now or datetime.datetime.now(datetime.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    headers["x-oss-date"] = stamp
    headers.setdefault("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
    if token:
        headers["x-oss-security-token"] = token
    names = sorted(h for h in headers if h in ("content-type", "content-md5") or
                   h.startswith("x-oss-"))
    uri = _enc("/%s/%s" % (bucket, key) if key is not None else "/%s/" % bucket).replace("%2F", "/")
    canon_query = "&".join(_enc(k) + ("=" + _enc(v) if v is not None else "")
                           for k, v in sorted(query.items()))
    creq = "\n".join([method, uri, canon_query,
                      "".join("%s:%s\n" % (h, str(headers[h]).strip()) for h in names), "",
                      headers["x-oss-content-sha256"]])
    scope = "%s/%s/oss/aliyun_v4_request" % (stamp[:8], region)
    sts = "\n".join(["OSS4-HMAC-SHA256", stamp, scope,
                     hashlib.sha256(creq.encode("utf-8")).hexdigest()])
    k = ("aliyun_v4" + secret).encode("utf-8")
    for part in (stamp[:8], region, "oss", "aliyun_v4_request"):
        k = hmac.new(k, part.encode("utf-8"), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode("utf-8"), hashlib.sha256).hexdigest()
    headers["Authorization"] = "OSS4-HMAC-SHA256 Credential=%s/%s,Signature=%s" % (akid, scope, sig)
    return headers


# ---- transport ---------------------------------------------------------------------------

def _send(what, method, real_host, path, query, headers, body, service):
    """Send to the real host, or where ALIBABA_CLOUD_ENDPOINT_URL[_<SERVICE>] says,
    keeping Host and the path: (status, headers, body)."""
    import hoist_http
    override = os.environ.get("ALIBABA_CLOUD_ENDPOINT_URL_" + service) or \
        os.environ.get("ALIBABA_CLOUD_ENDPOINT_URL")
    target = "/".join(_enc(seg) for seg in path.split("/"))
    if query:
        target += "?" + "&".join("%s=%s" % (_enc(k), _enc(v)) for k, v in sorted(query.items()))
    status, rheaders, data = hoist_http.send(override, real_host, method, target, headers, body)
    if status >= 300:
        raise AliyunError(what, status, data)
    return status, rheaders, data


def _now_acs():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def fc_invoke_async(function, payload, region=None, qualifier=None):
    """InvokeFunction with x-fc-invocation-type: Async; the HTTP status (202)."""
    region = region_of(region)
    host = "fcv3.%s.aliyuncs.com" % region
    path = "/%s/functions/%s/invocations" % (FC_VERSION, function)
    query = {"qualifier": qualifier} if qualifier else {}
    headers = {"host": host, "content-type": "application/octet-stream",
               "x-acs-action": "InvokeFunction", "x-acs-version": FC_VERSION,
               "x-acs-date": _now_acs(), "x-acs-signature-nonce": uuid.uuid4().hex,
               "x-fc-invocation-type": "Async"}
    acs3_sign("POST", path, query, headers, payload, credentials())
    status, _, _ = _send("FC InvokeFunction %s" % function, "POST", host, path, query, headers,
                         payload, "FC")
    return status


def _oss(method, bucket, key, data, region, ctype=None):
    region = region_of(region)
    host = "%s.oss-%s.aliyuncs.com" % (bucket, region)
    headers = {"host": host}
    if ctype:
        headers["content-type"] = ctype
    oss4_sign(method, bucket, key, {}, headers, region, credentials())
    return _send("OSS %s oss://%s/%s" % ("GetObject" if method == "GET" else "PutObject",
                                          bucket, key), method, host, "/" + key, {}, headers,
                 data, "OSS")


def oss_get(bucket, key, region=None):
    return _oss("GET", bucket, key, b"", region)[2]


def oss_put(bucket, key, data, region=None):
    _oss("PUT", bucket, key, data, region, "application/json")
