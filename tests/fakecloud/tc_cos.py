"""Fake COS (Cloud Object Storage, XML API) for faketencent.py, reached by
virtual-hosted names <bucket>-<appid>.cos.<region>.myqcloud.com: buckets and
objects as hoist uses them (PUT/HEAD/DELETE bucket, GET bucket listing,
PUT/HEAD/GET/DELETE object with x-cos-meta-* metadata; PUT with
x-cos-forbid-overwrite: true refused with 409 FileAlreadyExists when the key
exists — COS's only conditional write; DELETE is unconditional).  Every request's
q-sign-algorithm=sha1 Authorization is recomputed with cos-nodejs-sdk-v5's
getAuth (tc_judge.js); errors are COS's XML <Error> documents.
"""
import hashlib
import time
from email.utils import formatdate
import uuid
from urllib.parse import parse_qsl, unquote
from xml.sax.saxutils import escape

from .faketencent import APPID, Judge


class COSError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def stamp():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def buckets(fake):
    return fake.st("cos")


def object_data(fake, bucket, region, key):
    b = buckets(fake).get(bucket)
    if b is None or b["region"] != region:
        return None
    o = b["objects"].get(key)
    return o["data"] if o else None


def _xml(tag, inner):
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{tag}>{inner}</{tag}>'.encode()


def _error(h, err, rid):
    body = _xml("Error", f"<Code>{err.code}</Code><Message>{escape(err.message)}</Message>"
                f"<RequestId>{rid}</RequestId>")
    h.send(err.status, {"Content-Type": "application/xml", "x-cos-request-id": rid}, body)


def _verify(h, host, path, query, fake):
    auth = h.headers.get("Authorization", "")
    fields = dict(kv.split("=", 1) for kv in auth.split("&") if "=" in kv)
    if fields.get("q-sign-algorithm") != "sha1" or "q-signature" not in fields:
        raise COSError(403, "AccessDenied", "Access Denied: no or malformed Authorization")
    sid = fields.get("q-ak")
    secret = fake.keys.get(sid)
    if secret is None:
        raise COSError(403, "InvalidAccessKeyId", "The access key Id format you provided is invalid.")
    try:
        start, end = (int(x) for x in fields.get("q-key-time", "").split(";"))
    except ValueError:
        raise COSError(403, "AccessDenied", "q-key-time is malformed")
    if not start - 300 <= time.time() <= end:
        raise COSError(403, "AccessDenied", "Request has expired")
    names = [n for n in fields.get("q-header-list", "").split(";") if n]
    if "host" not in names:
        raise COSError(403, "AccessDenied", "the Host header must be signed")
    headers = {}
    for n in names:
        v = h.headers.get(n)
        if v is None:
            raise COSError(403, "AccessDenied", f"signed header {n} is missing")
        headers[n] = v
    params = [n for n in fields.get("q-url-param-list", "").split(";") if n]
    q = {n: query.get(n, "") for n in params}
    if set(query) - set(params):
        raise COSError(403, "AccessDenied", f"query parameters {sorted(set(query) - set(params))} are not signed")
    want = Judge.ask(op="cos", method=h.command, key=unquote(path).lstrip("/"), query=q,
                     headers=headers, secret_id=sid, secret_key=secret,
                     key_time=fields["q-key-time"])["authorization"]
    if want != auth:
        raise COSError(403, "SignatureDoesNotMatch", "The Signature you specified does not match.")
    want_token = fake.tokens.get(sid)
    if want_token is not None and h.headers.get("x-cos-security-token") != want_token:
        raise COSError(403, "InvalidAccessKeyId", "security token mismatch")
    return sid


def _op_name(method, key, query):
    if not key:
        return {"PUT": "PutBucket", "HEAD": "HeadBucket", "GET": "GetBucket",
                "DELETE": "DeleteBucket"}.get(method, method)
    return {"PUT": "PutObject", "HEAD": "HeadObject", "GET": "GetObject",
            "DELETE": "DeleteObject"}.get(method, method)


def _authorize(fake, sid, name, region, bucket, key):
    """A request signed with a function role's credentials: what its policies allow."""
    from .tc_cam import allowed
    role = fake.role_sids.get(sid)
    res = f"qcs::cos:{region}:uid/{APPID}:{bucket}/{key}"
    if role is not None:
        with fake.lock:
            ok = allowed(fake, role, "cos:" + name, res)
        if not ok:
            raise COSError(403, "AccessDenied", f"role {role} may not cos:{name} on {res}")


def serve(h, host, parts, body):
    fake = h.fake
    rid = uuid.uuid4().hex
    try:
        bucket, _, rest = host.partition(".cos.")
        region = rest[:-len(".myqcloud.com")]
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        key = unquote(parts.path).lstrip("/")
        sid = _verify(h, host, parts.path, query, fake)
        name = _op_name(h.command, key, query)
        fake.record("cos", name, {"Bucket": bucket, "Region": region, "Key": key,
                                  "Size": len(body), "Query": query}, sid)
        kill = fake.take_kill()
        if kill and kill["when"] == "before":
            return h.kill_client(kill)
        _authorize(fake, sid, name, region, bucket, key)
        fault = fake.take_fault("cos:" + name, key)
        if fault and fault["kind"] in ("throttle", "http500", "internal"):
            raise COSError(503 if fault["kind"] == "throttle" else 500,
                           "SlowDown" if fault["kind"] == "throttle" else "InternalError",
                           "injected fault")
        if fault and fault["kind"] == "reset":
            return h.drop()
        if not bucket.endswith("-" + APPID):
            raise COSError(403, "AccessDenied", f"bucket {bucket} does not belong to appid {APPID}")
        try:
            with fake.lock:
                status, headers, out = _dispatch(fake, h, bucket, region, key, query, body)
        except COSError:
            if kill:             # it refused; killed all the same
                return h.kill_client(kill)
            raise
        if kill:                 # it acted; the client never hears of it
            return h.kill_client(kill)
        if fault and fault["kind"] == "reset_after":
            return h.drop()
        headers.setdefault("x-cos-request-id", rid)
        h.send(status, headers, out)
    except COSError as err:
        _error(h, err, rid)


def _bucket(fake, bucket, region):
    b = buckets(fake).get(bucket)
    if b is None or b["region"] != region:
        raise COSError(404, "NoSuchBucket", "The specified bucket does not exist.")
    return b


def _dispatch(fake, h, bucket, region, key, query, body):
    m = h.command
    if not key:
        if m == "PUT":
            if bucket in buckets(fake):
                raise COSError(409, "BucketAlreadyOwnedByYou", "The bucket already exists.")
            buckets(fake)[bucket] = {"region": region, "objects": {}, "created": stamp()}
            return 200, {}, b""
        b = _bucket(fake, bucket, region)
        if m == "HEAD":
            return 200, {}, b""
        if m == "DELETE":
            if b["objects"]:
                raise COSError(409, "BucketNotEmpty", "The bucket you tried to delete is not empty.")
            del buckets(fake)[bucket]
            return 204, {}, b""
        if m == "GET":
            return _list(b, bucket, query)
        raise COSError(405, "MethodNotAllowed", m)
    b = _bucket(fake, bucket, region)
    if m == "PUT":
        md5 = h.headers.get("Content-MD5")
        if md5:
            import base64
            if base64.b64encode(hashlib.md5(body).digest()).decode() != md5:
                raise COSError(400, "BadDigest", "Content-MD5 does not match the body")
        meta = {k.lower(): v for k, v in h.headers.items() if k.lower().startswith("x-cos-meta-")}
        if h.headers.get("x-cos-forbid-overwrite", "").lower() == "true" and key in b["objects"]:
            raise COSError(409, "FileAlreadyExists", "The object already exists.")
        etag = '"' + hashlib.md5(body).hexdigest() + '"'
        b["objects"][key] = {"data": body, "meta": meta, "etag": etag, "mtime": stamp(),
                             "at": time.time()}
        return 200, {"ETag": etag}, b""
    o = b["objects"].get(key)
    if m == "DELETE":
        b["objects"].pop(key, None)
        return 204, {}, b""
    if o is None:
        raise COSError(404, "NoSuchKey", "The specified key does not exist.")
    headers = dict(o["meta"], ETag=o["etag"], **{"Content-Type": "application/octet-stream",
                                                 "Last-Modified": formatdate(o["at"], usegmt=True)})
    if m == "HEAD":
        headers["Content-Length"] = str(len(o["data"]))
        return 200, headers, b""
    if m == "GET":
        return 200, headers, o["data"]
    raise COSError(405, "MethodNotAllowed", m)


def _list(b, bucket, query):
    prefix, marker = query.get("prefix", ""), query.get("marker", "")
    try:
        limit = int(query.get("max-keys", "1000"))
    except ValueError:
        raise COSError(400, "InvalidArgument", "max-keys")
    keys = sorted(k for k in b["objects"] if k.startswith(prefix) and k > marker)
    page, more = keys[:limit], len(keys) > limit
    inner = (f"<Name>{escape(bucket)}</Name><Prefix>{escape(prefix)}</Prefix>"
             f"<Marker>{escape(marker)}</Marker><MaxKeys>{limit}</MaxKeys>"
             f"<IsTruncated>{'true' if more else 'false'}</IsTruncated>")
    if more:
        inner += f"<NextMarker>{escape(page[-1])}</NextMarker>"
    for k in page:
        o = b["objects"][k]
        inner += (f"<Contents><Key>{escape(k)}</Key><LastModified>{o['mtime']}</LastModified>"
                  f"<ETag>{escape(o['etag'])}</ETag><Size>{len(o['data'])}</Size></Contents>")
    return 200, {"Content-Type": "application/xml"}, _xml("ListBucketResult", inner)
