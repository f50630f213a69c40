"""A fake Alibaba Cloud for hoist's tests: one HTTP server on 127.0.0.1 that
answers for Function Compute 3.0 (fcv3.<region>.aliyuncs.com), its HTTP
triggers (<id>.<region>.fcapp.run) and custom domains, OSS
(<bucket>.oss-<region>.aliyuncs.com), SLS (<project>.<region>.log.
aliyuncs.com), STS (sts.aliyuncs.com), Alibaba Cloud DNS
(alidns.aliyuncs.com), API Gateway (apigateway.<region>.aliyuncs.com, and
its data plane on <group>-<region>.alicloudapi.com and bound domains:
ali_cloudapi.py) and RAM (ram.aliyuncs.com: ali_ram.py), telling them apart by the Host header exactly as the
real endpoints are told apart by DNS — hoist reaches it through
ALIBABA_CLOUD_ENDPOINT_URL, which changes where it connects, never what it
sends.  It is strict the way fakeaws.py is strict with botocore, with
Alibaba's own SDK code as the judge (alijudge.js, a node process):

- every request's signature is recomputed by the SDK code (ACS3 by
  @alicloud/openapi-core, OSS4 by ali-oss, SLS by @alicloud/gateway-sls); a
  mismatch is refused with the product's error (403 SignatureNotMatch /
  SignatureDoesNotMatch); so are unknown keys, stale dates, unsigned x-acs-*
  headers and a body whose hash is not x-acs-content-sha256;
- the operation is found in the SDK client's own table (method + pathname
  for ROA products, x-acs-action for RPC) and its query and body are checked
  against the official models (unknown member, wrong type, missing required
  member -> 400 in the product's error shape); answers are checked against
  the response models too, so the fake cannot drift from them;
- state is kept for functions, versions, aliases, triggers, custom domains,
  async configs, OSS objects, SLS projects/logstores/logs and DNS records;
  trigger requests and InvokeFunction run the packaged handler.

Side channel (unsigned, any Host, path /__fake/...):
  GET  /__fake/requests   [{product, action, params, time}] of every accepted call
  POST /__fake/reset      forget requests, state and faults
  POST /__fake/faults     {"action": "CreateFunction"|"*", "kind": "throttle"|"500"|
                           "reset"|"slow"|"block", "count": N, "delay": s, "match": text}
                          (count -1 = always; match: only requests whose params hold it;
                          "block" holds the request, before it acts, until the next
                          POST /__fake/release, at most `delay` s)
  POST /__fake/release    let every blocked request go on
  POST /__fake/reset-faults  forget the faults (state and requests stay)
  GET  /__fake/state      the state as JSON (bytes as {__bytes__, sha256})
  POST /__fake/logs       {"project", "logstore", "topic", "lines": [..], "time": s}
  POST /__fake/fire-timer {"function", "trigger"}: run a timer trigger now
  POST /__fake/foreign-buckets {"buckets": [...]}: OSS buckets owned by someone else
  POST /__fake/dns-zones  {"zones": [...]}: zones hosted in the fake Alibaba Cloud DNS
"""
import datetime
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from urllib.parse import unquote, urlsplit

from .fakeaws import Fake as _AwsFake, _Handler as _AwsHandler, _jsonable, serve

ACCOUNT = "1357924680135792"
DEFAULT_KEYS = {"LTAI5tHoistFakeKeyId": "fake/aliyun+Secret"}
# STS credentials: key id -> (secret, token)
STS_KEYS = {"STS.NHoistFakeStsKey": ("fake/sts+Secret", "CAIS/fake+sts/token==")}
SKEW_SECONDS = 15 * 60

HOSTS = [
    ("fc", re.compile(r"^fcv3\.([a-z0-9-]+)\.aliyuncs\.com$")),
    ("oss", re.compile(r"^(?:([a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.)?oss-([a-z0-9-]+)\.aliyuncs\.com$")),
    ("sls", re.compile(r"^(?:([a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.)?([a-z]{2}-[a-z0-9-]+)\.log\.aliyuncs\.com$")),
    ("sts", re.compile(r"^sts(?:\.([a-z0-9-]+))?\.aliyuncs\.com$")),
    ("alidns", re.compile(r"^alidns(?:\.([a-z0-9-]+))?\.aliyuncs\.com$")),
    ("trigger", re.compile(r"^([a-z0-9-]+)\.([a-z0-9-]+)\.fcapp\.run$")),
    ("cloudapi", re.compile(r"^apigateway\.([a-z0-9-]+)\.aliyuncs\.com$")),
    ("ram", re.compile(r"^ram\.aliyuncs\.com$")),
    ("gateway", re.compile(r"^([0-9a-f]{32})-([a-z0-9-]+)\.alicloudapi\.com$")),
]
RPC_VERSIONS = {"fc": "2023-03-30", "sts": "2015-04-01", "alidns": "2015-01-09",
                "cloudapi": "2016-07-14", "ram": "2015-05-01"}


class AliError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


HANDLERS = {}


def op(product, action):
    def deco(fn):
        HANDLERS[(product, action)] = fn
        return fn
    return deco


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- the judge ------------------------------------------------------------------

class Judge:
    """The node process running alijudge.js (one request at a time)."""

    def __init__(self):
        here = os.path.dirname(os.path.abspath(__file__))
        self.proc = subprocess.Popen(["node", os.path.join(here, "alijudge.js")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.lock = threading.Lock()

    def ask(self, **msg):
        with self.lock:
            self.proc.stdin.write(json.dumps(msg) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("alijudge.js exited")
        out = json.loads(line)
        if "error" in out:
            raise RuntimeError("alijudge.js: " + out["error"])
        return out

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()


# ---- the server -------------------------------------------------------------------

class FakeAliyun(_AwsFake):
    """fakeaws.Fake's bookkeeping (keys, lock, faults by action) with Alibaba's
    products behind it."""

    def __init__(self, keys=None):
        self.judge = Judge()
        self.tmp = tempfile.mkdtemp(prefix="fakealiyun-")
        super().__init__(keys or DEFAULT_KEYS)

    def reset(self):
        with getattr(self, "lock", threading.RLock()):
            self.renew_released()
            self.requests = []
            self.faults = []
            self.state = {}
            self.foreign_buckets = set()
            for d in ("objects", "code", "run"):
                shutil.rmtree(os.path.join(self.tmp, d), ignore_errors=True)
                os.makedirs(os.path.join(self.tmp, d))

    def handler_class(self):
        return _Handler

    def take_fault(self, action, params=None):
        """fakeaws's, plus an optional "match": a text the request's params must contain."""
        text = json.dumps(_jsonable(params or {}))
        with self.lock:
            for f in self.faults:
                if f["operation"] in (action, "*") and f["count"] != 0 and \
                        f.get("match", "") in text:
                    if f["count"] > 0:
                        f["count"] -= 1
                    return dict(f)
        return None

    def stop(self):
        super().stop()
        self.judge.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def st(self, key):
        return self.state.setdefault(key, {})

    def secret_of(self, akid):
        """(secret, token or None) for an access key id, or None."""
        if akid in self.keys:
            return self.keys[akid], None
        if akid in STS_KEYS:
            return STS_KEYS[akid]
        from .ali_ram import session_keys
        with self.lock:
            return session_keys(self, akid)


def _query_pairs(query):
    """Raw query -> {name: value | None}, decoded; a bare key has None."""
    out = {}
    for part in query.split("&") if query else []:
        if not part:
            continue
        k, eq, v = part.partition("=")
        k = unquote(k.replace("+", "%20"))
        out.setdefault(k, unquote(v.replace("+", "%20")) if eq else None)
    return out


def error_body(product, err, request_id):
    """The product's own error shape."""
    if product == "oss":
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{err.code}</Code>'
                f"<Message>{_xml_escape(err.message)}</Message><RequestId>{request_id}</RequestId>"
                f"<HostId>oss.aliyuncs.com</HostId></Error>").encode()
        return {"Content-Type": "application/xml", "x-oss-request-id": request_id}, body
    if product == "sls":
        return ({"Content-Type": "application/json", "x-log-requestid": request_id},
                json.dumps({"errorCode": err.code, "errorMessage": err.message}).encode())
    if product in ("sts", "alidns", "cloudapi", "ram"):
        return ({"Content-Type": "application/json;charset=utf-8"},
                json.dumps({"RequestId": request_id, "HostId": f"{product}.aliyuncs.com",
                            "Code": err.code, "Message": err.message,
                            "Recommend": "https://api.aliyun.com/troubleshoot"}).encode())
    return ({"Content-Type": "application/json", "x-acs-request-id": request_id},
            json.dumps({"Code": err.code, "Message": err.message, "RequestId": request_id}).encode())


def _xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


SIG_CODES = {"fc": "SignatureNotMatch", "oss": "SignatureDoesNotMatch", "sls": "SignatureNotMatch",
             "sts": "SignatureDoesNotMatch", "alidns": "SignatureDoesNotMatch",
             "trigger": "SignatureNotMatch", "cloudapi": "SignatureDoesNotMatch",
             "ram": "SignatureDoesNotMatch"}
INVALID_CODES = {"fc": "InvalidArgument", "oss": "InvalidArgument", "sls": "ParameterInvalid",
                 "sts": "InvalidParameter", "alidns": "InvalidParameter",
                 "cloudapi": "InvalidParameter", "ram": "InvalidParameter"}


class _Handler(_AwsHandler):
    fake = None

    def do_OPTIONS(self):   # CORS preflights reach HTTP triggers and API Gateway
        self.handle_any()

    def handle_any(self):
        parts = urlsplit(self.path)
        if parts.path.startswith("/__fake/"):
            return self.admin(parts.path, self.read_body())
        host = (parts.netloc or self.headers.get("Host", "")).split(":")[0].lower()
        request_id = str(uuid.uuid4()).upper()
        self._unread = 0
        product, m = self.classify(host)
        self._product = product
        try:
            if product is None:
                raise AliError(404, "NotFound", f"the fake Alibaba Cloud serves no host '{host}'")
            from . import ali_cloudapi, ali_dns, ali_fc, ali_oss, ali_ram, ali_sls  # noqa: F401
            if product == "oss" and self.command == "PUT" and m.group(1) and parts.path not in ("", "/"):
                body = None          # streamed to a file by the handler (large uploads)
                self._unread = int(self.headers.get("Content-Length") or 0)
            else:
                body = self.read_body()
            if product == "trigger":
                return ali_fc.serve_trigger(self, host, m, parts, body, request_id)
            if product == "gateway":
                return ali_cloudapi.serve_gateway(self, host, m, parts, body, request_id)
            ctx = self.verify(product, m, parts, body)
            ctx.update(host=host, request_id=request_id, raw_query=parts.query,
                       headers=self.headers, rfile=self.rfile, consumed=self.consumed)
            action, params = self.identify(product, ctx, parts, body)
            logged = _jsonable(params)     # (hashes an upload: not under the lock)
            with self.fake.lock:
                self.fake.requests.append({"product": product, "action": action,
                                           "access_key": ctx.get("access_key"),
                                           "params": logged, "time": time.time()})
            fault = self.fake.take_fault(action, params)
            if fault and self.apply_fault(fault, product, request_id):
                return
            handler = HANDLERS.get((product, action))
            if handler is None:
                raise AliError(501, "NotImplemented", f"the fake does not implement {product} {action}")
            self.authorize(product, action, params, ctx)
            ctx["rfile_body"] = body
            out = handler(self.fake, params, ctx)
            self.answer(product, action, out, request_id)
        except AliError as err:
            if product == "trigger" and err.code == "__custom__":
                return
            headers, rbody = error_body(product or "fc", err, request_id)
            headers.update(err.headers)
            self.drain()
            self.send(err.status, headers, rbody)

    _unread = 0

    def authorize(self, product, action, params, ctx):
        """A request signed with a function role's session is judged by that role's
        policies (ali_ram.authorize); the resource names are RAM's for the product."""
        from .ali_ram import authorize
        akid = ctx.get("access_key")
        if not akid or not akid.startswith("STS.NRole"):
            return
        if product == "oss":
            res = f"acs:oss:*:{ACCOUNT}:{ctx.get('bucket') or ''}"
            if ctx.get("key"):
                res += "/" + ctx["key"]
        elif product == "fc":
            fn = (params.get("labels") or {}).get("functionName", "*")
            q = (params.get("query") or {}).get("qualifier")
            res = f"acs:fc:{ctx['region']}:{ACCOUNT}:functions/{fn}" + (f"/{q}" if q else "")
        else:
            res = f"acs:{product}:{ctx.get('region') or '*'}:{ACCOUNT}:*"
        authorize(self.fake, akid, f"{product}:{action}", res)

    def consumed(self):
        """A handler read the upload body itself."""
        self._unread = 0

    def drain(self):
        """Read and drop an upload body a handler did not consume (early errors)."""
        left, self._unread = self._unread, 0
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)

    def classify(self, host):
        for product, rx in HOSTS:
            m = rx.match(host)
            if m:
                return product, m
        with self.fake.lock:
            if host in self.fake.st("fc_domains"):
                return "trigger", None
        from .ali_cloudapi import bound_domain
        if bound_domain(self.fake, host):
            return "gateway", None
        return None, None

    # ---- answers ----------------------------------------------------------------

    def answer(self, product, action, out, request_id):
        """out: (status, body, headers) or a body; bodies are checked against the model."""
        status, body, headers = 200, out, {}
        if isinstance(out, tuple):
            status, body, headers = out
        if product in ("fc", "sts", "alidns", "sls", "cloudapi", "ram") and \
                not isinstance(body, (bytes, str)) and not headers.get("__raw__"):
            if product in ("sts", "alidns", "cloudapi", "ram") and isinstance(body, dict):
                body = dict(body, RequestId=request_id)
            verdict = self.fake.judge.ask(op="shape", product=product, action=action, body=body)
            if not verdict["ok"]:
                raise AliError(500, "FakeBug", f"the fake's {action} answer does not fit the "
                               f"response model: {verdict['message']}")
        headers = {k: v for k, v in headers.items() if k != "__raw__"}
        if body is None:
            data = b""
        elif isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        if product == "fc":
            headers.setdefault("x-acs-request-id", request_id)
        elif product == "oss":
            headers.setdefault("x-oss-request-id", request_id)
        elif product == "sls":
            headers.setdefault("x-log-requestid", request_id)
        self.send(status, headers, data)

    def apply_fault(self, f, product, request_id):
        kind = f["kind"]
        if kind in ("throttle", "500"):
            self.drain()
        if kind == "throttle":
            code, status, extra = {
                "fc": ("ResourceThrottled", 429, {"x-acs-retry-after": "1"}),
                "oss": ("ServiceUnavailable", 503, {}),
                "sls": ("ReadQuotaExceed" if self.command == "GET" else "WriteQuotaExceed", 403, {}),
            }.get(product, ("Throttling.User", 400, {}))
            headers, body = error_body(product, AliError(status, code, "Request was denied due to "
                                                          "flow control (injected)"), request_id)
            headers.update(extra)
            self.send(status, headers, body)
            return True
        if kind == "500":
            headers, body = error_body(product, AliError(500, "InternalError" if product != "fc"
                                                         else "InternalServerError",
                                                         "internal failure (injected)"), request_id)
            self.send(500, headers, body)
            return True
        if kind == "reset":
            import struct
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return True
        if kind == "slow":
            time.sleep(float(f.get("delay", 2)))
        if kind == "block":   # held, before it acts, until POST /__fake/release
            self.fake.released.wait(float(f.get("delay", 60)))
        return False

    # ---- signatures -------------------------------------------------------------

    def _date_ok(self, when, what):
        if when is None or abs(time.time() - when) > SKEW_SECONDS:
            raise AliError(403, "RequestTimeTooSkewed" if when is not None else "MissingRequiredHeader",
                           f"{what}: the request time is missing or more than 15 minutes from "
                           "the server's")

    def _creds(self, product, akid):
        found = self.fake.secret_of(akid)
        if found is None:
            code = {"oss": "InvalidAccessKeyId", "sls": "Unauthorized"}.get(product, "InvalidAccessKeyId.NotFound")
            raise AliError(403 if product != "sls" else 401, code,
                           f"Specified access key is not found: {akid}")
        return found

    def verify(self, product, m, parts, body):
        if product == "oss":
            return self.verify_oss4(m, parts)
        if product == "sls":
            return self.verify_sls(m, parts, body)
        return self.verify_acs3(product, m, parts, body)

    def signed_headers(self, names):
        hdrs = {}
        for h in names:
            v = self.headers.get_all(h)
            if v is None:
                raise AliError(403, SIG_CODES.get(self._product, "SignatureNotMatch"),
                               f"signed header {h} is missing from the request")
            hdrs[h] = ",".join(v)
        return hdrs

    def check_acs3(self, product, parts, payload, require_host=True):
        """Verify an ACS3 Authorization; returns (akid, region-agnostic ctx)."""
        auth = self.headers.get("Authorization", "")
        mt = re.match(r"^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]*),"
                      r"Signature=([0-9a-f]{64})$", auth)
        if not mt:
            raise AliError(403 if product == "trigger" else 400,
                           "MissingRequiredHeader" if not auth else "IncompleteSignature",
                           "required HTTP header Date was not specified" if not auth
                           else "the Authorization header is not ACS3-HMAC-SHA256")
        akid, signed, sig = mt.groups()
        names = signed.split(";") if signed else []
        secret, token = self._creds(product, akid)
        present = {k.lower() for k in self.headers.keys()}
        need = {h for h in present if h.startswith("x-acs-")}
        if require_host:
            need |= {"host"} | ({"content-type"} & present)
        unsigned = sorted(need - set(names))
        if unsigned:
            raise AliError(403, SIG_CODES[product], f"headers sent but not signed: {', '.join(unsigned)}")
        date = self.headers.get("x-acs-date")
        try:
            when = datetime.datetime.strptime(date[:19], "%Y-%m-%dT%H:%M:%S").replace(
                tzinfo=datetime.timezone.utc).timestamp() if date else None
        except ValueError:
            when = None
        self._date_ok(when, "x-acs-date")
        if token is not None and self.headers.get("x-acs-security-token") != token:
            raise AliError(403, "InvalidSecurityToken.Mismatch" if product != "trigger"
                           else "InvalidSecurityToken", "the security token does not belong to "
                           "the access key")
        if product != "trigger":
            sha = self.headers.get("x-acs-content-sha256")
            if sha != hashlib.sha256(body_bytes(payload)).hexdigest():
                raise AliError(400, "ContentSHA256Mismatch" if sha else "MissingRequiredHeader",
                               "x-acs-content-sha256 is missing or not the SHA-256 of the body")
        want = self.fake.judge.ask(op="acs3", method=self.command, pathname=parts.path,
                                   query={k: v if v is not None else "" for k, v in _query_pairs(parts.query).items()},
                                   headers=self.signed_headers(names),
                                   payload="" if product == "trigger" else self.headers.get("x-acs-content-sha256"),
                                   ak=akid, sk=secret)["expected"]
        if want != auth:
            raise AliError(403, SIG_CODES[product], "The request signature we calculated does not "
                           "match the signature you provided. Check your access key and signing "
                           "method")
        return akid

    def verify_acs3(self, product, m, parts, body):
        akid = self.check_acs3(product, parts, body)
        region = (m.group(1) if m.re.groups else None) or "cn-hangzhou"
        return {"access_key": akid, "region": region}

    def verify_oss4(self, m, parts):
        bucket, region = m.group(1), m.group(2)
        auth = self.headers.get("Authorization", "")
        mt = re.match(r"^OSS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([a-z0-9-]+)/oss/aliyun_v4_request,"
                      r"(?:AdditionalHeaders=[^,]*,)?Signature=([0-9a-f]{64})$", auth)
        if not mt:
            raise AliError(403, "AccessDenied" if not auth else "InvalidArgument",
                           "Authorization header is missing or not OSS4-HMAC-SHA256 (V1 is closed "
                           "to new buckets)")
        akid, day, sregion, sig = mt.groups()
        secret, token = self._creds("oss", akid)
        if sregion != region:
            raise AliError(403, "SignatureDoesNotMatch", f"signing region {sregion} is not the "
                           f"bucket's region {region}")
        date = self.headers.get("x-oss-date", "")
        try:
            when = datetime.datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()
        except ValueError:
            when = None
        self._date_ok(when, "x-oss-date")
        if date[:8] != day:
            raise AliError(403, "SignatureDoesNotMatch", "credential date differs from x-oss-date")
        if not self.headers.get("x-oss-content-sha256"):
            raise AliError(400, "InvalidArgument", "x-oss-content-sha256 is required with V4")
        if token is not None and self.headers.get("x-oss-security-token") != token:
            raise AliError(403, "InvalidAccessKeyId", "The security token you provided is invalid.")
        key = unquote(parts.path[1:]) if parts.path not in ("", "/") else None
        headers = {k.lower(): v for k, v in self.headers.items()}
        want = self.fake.judge.ask(op="oss4", method=self.command, bucket=bucket, key=key,
                                   query=_query_pairs(parts.query), headers=headers,
                                   region=region, ak=akid, sk=secret)["expected"]
        if want != auth:
            raise AliError(403, "SignatureDoesNotMatch", "The request signature we calculated does "
                           "not match the signature you provided. Check your key and signing "
                           "method.")
        return {"access_key": akid, "region": region, "bucket": bucket, "key": key}

    def verify_sls(self, m, parts, body):
        project, region = m.group(1), m.group(2)
        auth = self.headers.get("Authorization", "")
        mt = re.match(r"^LOG ([^:]+):(.+)$", auth)
        if not mt:
            raise AliError(401, "Unauthorized", "the Authorization header is missing or not LOG")
        akid = mt.group(1)
        secret, token = self._creds("sls", akid)
        try:
            when = datetime.datetime.strptime(self.headers.get("Date", ""),
                                              "%a, %d %b %Y %H:%M:%S GMT").replace(
                tzinfo=datetime.timezone.utc).timestamp()
        except ValueError:
            when = None
        self._date_ok(when, "Date")
        if self.headers.get("x-log-signaturemethod") != "hmac-sha256" or \
                self.headers.get("x-log-apiversion") != "0.6.0":
            raise AliError(400, "ParameterInvalid", "x-log-apiversion must be 0.6.0 and "
                           "x-log-signaturemethod hmac-sha256")
        raw = body_bytes(body)
        if raw:
            md5 = hashlib.md5(raw).hexdigest().upper()
            if self.headers.get("Content-MD5") != md5:
                raise AliError(400, "InvalidContentMD5", "Content-MD5 is not the MD5 of the body")
            if self.headers.get("x-log-bodyrawsize") != str(len(raw)):
                raise AliError(400, "ParameterInvalid", "x-log-bodyrawsize is not the body's size")
        if token is not None and self.headers.get("x-acs-security-token") != token:
            raise AliError(401, "Unauthorized", "the security token does not belong to the key")
        headers = {k.lower(): v for k, v in self.headers.items()}
        want = self.fake.judge.ask(op="sls", method=self.command, path=unquote(parts.path),
                                   query=_query_pairs(parts.query), headers=headers,
                                   ak=akid, sk=secret)["expected"]
        if want != auth:
            raise AliError(401, "SignatureNotMatch", "signature does not match")
        return {"access_key": akid, "region": region, "project": project}

    # ---- which operation ------------------------------------------------------

    def identify(self, product, ctx, parts, body):
        if product == "oss":
            from .ali_oss import identify
            return identify(self, ctx, parts)
        query = {k: v for k, v in _query_pairs(parts.query).items()}
        action = self.headers.get("x-acs-action") if product != "sls" else None
        if product in RPC_VERSIONS:
            if not action:
                raise AliError(400, "MissingRequiredHeader", "required HTTP header x-acs-action "
                               "was not specified")
            version = RPC_VERSIONS[product]
            if self.headers.get("x-acs-version") != version:
                raise AliError(400, "InvalidVersion", f"x-acs-version must be {version}")
        r = self.fake.judge.ask(op="route", product=product, method=self.command,
                                path=parts.path, query=query, action=action)
        if not r["ok"]:
            raise AliError(r["status"], INVALID_CODES.get(product, "InvalidArgument")
                           if r["status"] == 400 else r["code"], r["message"])
        params = {"labels": r["labels"], "query": query, "body": None}
        raw = body_bytes(body)
        if r["stream"]:
            params["body"] = raw
        elif raw:
            ctype = self.headers.get("Content-Type", "")
            if "x-www-form-urlencoded" in ctype:
                doc = _query_pairs(raw.decode())
                formed = True
            else:
                try:
                    doc = json.loads(raw)
                except ValueError:
                    raise AliError(400, INVALID_CODES.get(product, "InvalidArgument"),
                                   "the body is not JSON")
                formed = False
            small = _shrink(doc)
            v = self.fake.judge.ask(op="check", product=product, action=r["action"], body=small,
                                    formEncoded=formed)
            if not v["ok"]:
                raise AliError(400, INVALID_CODES.get(product, "InvalidArgument"), v["message"])
            params["body"] = doc
        else:
            v = self.fake.judge.ask(op="check", product=product, action=r["action"], body=None)
            if not v["ok"]:
                raise AliError(400, INVALID_CODES.get(product, "InvalidArgument"), v["message"])
        return r["action"], params

    # ---- side channel -----------------------------------------------------------

    def fault_match(self, doc):
        return {"operation": doc["action"], "match": doc.get("match", "")}

    def admin_more(self, path, doc):
        f = self.fake
        if self.admin_faults(path) is not None:
            return "{}"
        if path == "/__fake/logs":
            from .ali_sls import admin_append
            out = json.dumps(admin_append(f, doc))
        elif path == "/__fake/fire-timer":
            from .ali_fc import fire_timer
            out = json.dumps(fire_timer(f, doc))
        elif path == "/__fake/dns-zones":
            from .ali_dns import add_zones
            add_zones(f, doc.get("zones", []))
            out = "{}"
        elif path == "/__fake/ram-settle":
            from .ali_ram import set_settle
            set_settle(f, doc.get("refusals", 0))
            out = "{}"
        elif path == "/__fake/foreign-buckets":
            with f.lock:
                f.foreign_buckets.update(doc.get("buckets", []))
            out = "{}"
        else:
            return None
        return out


def body_bytes(body):
    return body if isinstance(body, (bytes, bytearray)) else b""


def _shrink(doc):
    """The body as the judge sees it: a huge inline zipFile becomes a short string
    (its type is what the model checks; the fake decodes the real one)."""
    if isinstance(doc, dict) and isinstance(doc.get("code"), dict) and \
            isinstance(doc["code"].get("zipFile"), str) and len(doc["code"]["zipFile"]) > 4096:
        doc = dict(doc, code=dict(doc["code"], zipFile="UEsDBA=="))
    return doc


def main():
    serve(FakeAliyun)


if __name__ == "__main__":
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "fakecloud"
    import fakecloud.fakealiyun as _self
    _self.main()
