"""The fake OSS: buckets and objects in fake.state["oss"], object bodies in
files under the fake's temporary directory (a 150 MB upload never sits in
memory).  Operations are told apart as OSS does, by method, path and
sub-resource; requests are already OSS4-verified by fakealiyun.py.

  PUT /            PutBucket (optional CreateBucketConfiguration XML)
  GET /?bucketInfo GetBucketInfo
  DELETE /         DeleteBucket (409 BucketNotEmpty)
  GET /?list-type=2 ListObjectsV2 (prefix, max-keys, continuation-token)
  POST /?delete    DeleteMultipleObjects (Content-MD5 required)
  PUT /key         PutObject (x-oss-meta-*, Content-MD5 checked when sent,
                   x-oss-forbid-overwrite: true -> 409 FileAlreadyExists)
  HEAD/GET/DELETE /key  HeadObject / GetObject / DeleteObject
"""
import base64
import hashlib
import os
import re
import time
import uuid
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from .fakealiyun import AliError, op, _query_pairs

BUCKET_RX = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


def _oss(fake):
    return fake.st("oss")


def _buckets(fake):
    return _oss(fake).setdefault("buckets", {})


def object_path(fake, bucket, key):
    """(file, region, crc64) of an object, or (None, None, None)."""
    with fake.lock:
        b = _buckets(fake).get(bucket)
        o = b and b["objects"].get(key)
        return (o["path"], b["region"], o["crc64"]) if o else (None, None, None)


def identify(handler, ctx, parts):
    q = _query_pairs(parts.query)
    m, bucket, key = handler.command, ctx.get("bucket"), ctx.get("key")
    if not bucket:
        raise AliError(400, "InvalidBucketName", "the fake OSS has no service-level operations")
    if key is None:
        action = {("PUT", ""): "PutBucket", ("DELETE", ""): "DeleteBucket",
                  ("GET", "bucketInfo"): "GetBucketInfo", ("GET", "list-type"): "ListObjectsV2",
                  ("POST", "delete"): "DeleteMultipleObjects"}.get(
            (m, next((k for k in ("bucketInfo", "list-type", "delete") if k in q), "")))
    else:
        action = {"PUT": "PutObject", "HEAD": "HeadObject", "GET": "GetObject",
                  "DELETE": "DeleteObject"}.get(m)
        if q and action != "GetObject":
            raise AliError(400, "InvalidArgument", f"unexpected sub-resource {sorted(q)} for {m} /key")
    if action is None:
        raise AliError(405, "MethodNotAllowed", f"{m} {parts.path}?{parts.query} is not an OSS "
                       "operation the fake knows")
    if action == "ListObjectsV2" and q.get("list-type") != "2":
        raise AliError(400, "InvalidArgument", "list-type must be 2")
    return action, {"query": q, "bucket": bucket, "key": key}


def _xml(status, root, inner, headers=None):
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>{inner}</{root}>'
    h = {"Content-Type": "application/xml", "__raw__": True}
    h.update(headers or {})
    return (status, body.encode(), h)


def _bucket(fake, name, region=None):
    if name in fake.foreign_buckets:
        raise AliError(403, "AccessDenied", f"The bucket {name} you access does not belong to you.")
    b = _buckets(fake).get(name)
    if b is None:
        raise AliError(404, "NoSuchBucket", "The specified bucket does not exist.")
    if region and b["region"] != region:
        raise AliError(403, "AccessDenied", f"The bucket you are attempting to access must be "
                       f"addressed using the specified endpoint (oss-{b['region']}.aliyuncs.com)")
    return b


@op("oss", "PutBucket")
def put_bucket(fake, p, ctx):
    name = p["bucket"]
    if not BUCKET_RX.match(name):
        raise AliError(400, "InvalidBucketName", f"The specified bucket {name} is not valid.")
    body = ctx.get("rfile_body") or b""
    if body:
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            raise AliError(400, "MalformedXML", "The XML you provided was not well-formed")
        if root.tag != "CreateBucketConfiguration":
            raise AliError(400, "MalformedXML", "expected CreateBucketConfiguration")
        sc = root.findtext("StorageClass")
        if sc and sc not in ("Standard", "IA", "Archive", "ColdArchive"):
            raise AliError(400, "InvalidArgument", f"StorageClass {sc} is not valid")
    with fake.lock:
        if name in fake.foreign_buckets:
            raise AliError(409, "BucketAlreadyExists", "The requested bucket name is not "
                           "available. The bucket namespace is shared by all users of the system.")
        b = _buckets(fake).get(name)
        if b and b["region"] != ctx["region"]:
            raise AliError(409, "BucketAlreadyExists", f"the bucket exists in {b['region']}")
        if not b:
            _buckets(fake)[name] = {"region": ctx["region"], "created": time.time(), "objects": {},
                                    "acl": ctx["headers"].get("x-oss-acl", "private")}
        return (200, b"", {"__raw__": True})


@op("oss", "GetBucketInfo")
def get_bucket_info(fake, p, ctx):
    with fake.lock:
        b = _bucket(fake, p["bucket"])
        inner = (f"<Bucket><Name>{p['bucket']}</Name><Location>oss-{b['region']}</Location>"
                 f"<ExtranetEndpoint>oss-{b['region']}.aliyuncs.com</ExtranetEndpoint>"
                 f"<StorageClass>Standard</StorageClass><AccessControlList><Grant>{b['acl']}</Grant>"
                 f"</AccessControlList></Bucket>")
        return _xml(200, "BucketInfo", inner)


@op("oss", "DeleteBucket")
def delete_bucket(fake, p, ctx):
    with fake.lock:
        b = _bucket(fake, p["bucket"], ctx["region"])
        if b["objects"]:
            raise AliError(409, "BucketNotEmpty", "The bucket you tried to delete is not empty.")
        del _buckets(fake)[p["bucket"]]
        return (204, b"", {"__raw__": True})


def _obj(b, key):
    o = b["objects"].get(key)
    if o is None:
        raise AliError(404, "NoSuchKey", "The specified key does not exist.")
    return o


def _obj_headers(o):
    h = {"ETag": o["etag"], "x-oss-hash-crc64ecma": o["crc64"], "Content-Type": o["ctype"],
         "Last-Modified": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(o["mtime"])),
         "x-oss-object-type": "Normal", "__raw__": True}
    for k, v in o["meta"].items():
        h["x-oss-meta-" + k] = v
    return h


@op("oss", "PutObject")
def put_object(fake, p, ctx):
    handler_headers = ctx["headers"]
    with fake.lock:
        b = _bucket(fake, p["bucket"], ctx["region"])
    n = int(handler_headers.get("Content-Length") or -1)
    if n < 0:
        raise AliError(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
    if n > 5 * 1024 ** 3:
        raise AliError(400, "EntityTooLarge", "PutObject takes at most 5 GB")
    path = os.path.join(fake.tmp, "objects", uuid.uuid4().hex)
    md5 = hashlib.md5()
    rfile = ctx["rfile"]
    left = n
    with open(path, "wb") as f:
        while left > 0:
            chunk = rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            f.write(chunk)
            md5.update(chunk)
            left -= len(chunk)
    ctx["consumed"]()
    if left:
        os.unlink(path)
        raise AliError(400, "IncompleteBody", "the body is shorter than Content-Length")
    want = handler_headers.get("Content-MD5")
    if want and want != base64.b64encode(md5.digest()).decode():
        os.unlink(path)
        raise AliError(400, "InvalidDigest", "The Content-MD5 you specified is not valid.")
    crc = fake.judge.ask(op="crc64", file=path)["crc"]
    meta = {k[len("x-oss-meta-"):].lower(): v for k, v in handler_headers.items()
            if k.lower().startswith("x-oss-meta-")}
    o = {"path": path, "size": n, "etag": '"' + md5.hexdigest().upper() + '"', "crc64": crc,
         "meta": meta, "ctype": handler_headers.get("Content-Type") or "application/octet-stream",
         "mtime": time.time()}
    with fake.lock:
        b = _bucket(fake, p["bucket"], ctx["region"])
        old = b["objects"].get(p["key"])
        if old and (handler_headers.get("x-oss-forbid-overwrite") or "").lower() == "true":
            os.unlink(path)
            raise AliError(409, "FileAlreadyExists", "The object you specified already exists "
                           "and can not be overwritten.")
        b["objects"][p["key"]] = o
    if old:
        try:
            os.unlink(old["path"])
        except OSError:
            pass
    return (200, b"", {"ETag": o["etag"], "x-oss-hash-crc64ecma": crc, "__raw__": True})


@op("oss", "HeadObject")
def head_object(fake, p, ctx):
    with fake.lock:
        o = _obj(_bucket(fake, p["bucket"], ctx["region"]), p["key"])
        h = _obj_headers(o)
        h["Content-Length"] = str(o["size"])
        return (200, b"", h)


@op("oss", "GetObject")
def get_object(fake, p, ctx):
    with fake.lock:
        o = _obj(_bucket(fake, p["bucket"], ctx["region"]), p["key"])
        with open(o["path"], "rb") as f:
            data = f.read()
        return (200, data, _obj_headers(o))


@op("oss", "DeleteObject")
def delete_object(fake, p, ctx):
    with fake.lock:
        b = _bucket(fake, p["bucket"], ctx["region"])
        o = b["objects"].pop(p["key"], None)
    if o:
        try:
            os.unlink(o["path"])
        except OSError:
            pass
    return (204, b"", {"__raw__": True})


@op("oss", "ListObjectsV2")
def list_objects(fake, p, ctx):
    q = p["query"]
    prefix, token = q.get("prefix") or "", q.get("continuation-token") or ""
    limit = int(q.get("max-keys") or 100)
    if not 1 <= limit <= 1000:
        raise AliError(400, "InvalidArgument", "max-keys must be 1-1000")
    with fake.lock:
        b = _bucket(fake, p["bucket"], ctx["region"])
        keys = sorted(k for k in b["objects"] if k.startswith(prefix) and k > token)
        page, more = keys[:limit], len(keys) > limit
        inner = f"<Name>{p['bucket']}</Name><Prefix>{escape(prefix)}</Prefix><MaxKeys>{limit}</MaxKeys>"
        inner += f"<KeyCount>{len(page)}</KeyCount><IsTruncated>{'true' if more else 'false'}</IsTruncated>"
        if more:
            inner += f"<NextContinuationToken>{escape(page[-1])}</NextContinuationToken>"
        for k in page:
            o = b["objects"][k]
            inner += (f"<Contents><Key>{escape(k)}</Key><ETag>{escape(o['etag'])}</ETag>"
                      f"<Size>{o['size']}</Size><StorageClass>Standard</StorageClass></Contents>")
        return _xml(200, "ListBucketResult", inner)


@op("oss", "DeleteMultipleObjects")
def delete_multiple(fake, p, ctx):
    body = ctx.get("rfile_body") or b""
    md5 = ctx["headers"].get("Content-MD5")
    if not md5 or md5 != base64.b64encode(hashlib.md5(body).digest()).decode():
        raise AliError(400, "InvalidDigest", "Content-MD5 is required and must match the body")
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise AliError(400, "MalformedXML", "The XML you provided was not well-formed")
    keys = [o.findtext("Key") for o in root.findall("Object")]
    if not keys or len(keys) > 1000:
        raise AliError(400, "MalformedXML", "Delete needs 1-1000 Object/Key entries")
    quiet = (root.findtext("Quiet") or "false") == "true"
    inner = ""
    with fake.lock:
        b = _bucket(fake, p["bucket"], ctx["region"])
        for k in keys:
            o = b["objects"].pop(k, None)
            if o:
                try:
                    os.unlink(o["path"])
                except OSError:
                    pass
            if not quiet:
                inner += f"<Deleted><Key>{escape(k)}</Key></Deleted>"
    return _xml(200, "DeleteResult", inner)
