"""hoist_aws -- the few AWS calls the handler makes itself, standard library only.

Used by hoist_tasks (asynchronous tasks) and hoist_remote_env (remote_env):

  lambda_invoke_event(function, payload, region)   Lambda Invoke, InvocationType Event
  sns_publish(topic_arn, message, region)          SNS Publish
  dynamodb(op, body, region)                       DynamoDB JSON 1.0 (PutItem, UpdateItem, GetItem)
  s3_get(bucket, key, region)                      S3 GetObject (follows a bucket-region redirect)
  account_id(region)                               STS GetCallerIdentity

Credentials are the function's own: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
/ AWS_SESSION_TOKEN (what Lambda sets), else the container credentials
endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI with
AWS_CONTAINER_AUTHORIZATION_TOKEN, as SnapStart functions get), else
~/.aws/credentials ([default] or AWS_PROFILE) for runs outside Lambda.

Endpoints: AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL when set (as the AWS
SDKs read them), else https://<service>.<region>.amazonaws.com (.com.cn in
China).  With an override S3 is addressed path-style.

Every request is signed with Signature Version 4 exactly as botocore signs it:
the canonical path of non-S3 services is the URI-encoded (so twice encoded)
path, S3's is the path as sent and carries X-Amz-Content-SHA256.
"""

import datetime
import hashlib
import hmac
import json
import os
import urllib.error
import urllib.request
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree

TIMEOUT = 10


class AWSError(Exception):
    """An AWS call failed: .status, .code and the service's message."""

    def __init__(self, what, status, code, message):
        Exception.__init__(self, "%s failed: HTTP %s %s: %s" % (what, status, code, message))
        self.status, self.code, self.message = status, code, message


# ---- credentials ----------------------------------------------------------------

def credentials():
    """(access key, secret key, session token or None)."""
    akid, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if akid and secret:
        return akid, secret, os.environ.get("AWS_SESSION_TOKEN") or None
    uri = os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    if uri:
        req = urllib.request.Request(uri)
        token = os.environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN")
        if token:
            req.add_header("Authorization", token)
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            doc = json.loads(r.read().decode("utf-8"))
        return doc["AccessKeyId"], doc["SecretAccessKey"], doc.get("Token")
    return _shared_file_credentials()


def _shared_file_credentials():
    import configparser
    path = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.expanduser("~/.aws/credentials")
    cp = configparser.ConfigParser()
    cp.read(path)
    profile = os.environ.get("AWS_PROFILE") or "default"
    if cp.has_section(profile) and cp.has_option(profile, "aws_access_key_id"):
        sec = cp[profile]
        return (sec["aws_access_key_id"], sec.get("aws_secret_access_key", ""),
                sec.get("aws_session_token") or None)
    raise AWSError("AWS credentials", 0, "NoCredentials",
                   "no AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment")


def region_of(region=None):
    return region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") \
        or "us-east-1"


# ---- signing -------------------------------------------------------------------------

def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def _canonical_query(query):
    pairs = []
    for part in query.split("&") if query else []:
        k, _, v = part.partition("=")
        pairs.append((k, v))
    return "&".join("%s=%s" % kv for kv in sorted(pairs))


def _normalize(path):
    """botocore's normalize_url_path: remove dot segments, keep a trailing slash."""
    if not path:
        return "/"
    out = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out:
                out.pop()
        else:
            out.append(seg)
    result = "/" + "/".join(out)
    if path.endswith("/") and result != "/":
        result += "/"
    return result


def sign(method, url, region, service, headers, body, creds, now=None):
    """Add Host, X-Amz-Date, X-Amz-Security-Token and Authorization to headers."""
    parts = urlsplit(url)
    akid, secret, token = creds
    stamp = (now or datetime.datetime.now(datetime.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    headers["Host"] = parts.netloc
    headers["X-Amz-Date"] = stamp
    if token:
        headers["X-Amz-Security-Token"] = token
    payload = hashlib.sha256(body).hexdigest()
    if service == "s3":
        headers["X-Amz-Content-SHA256"] = payload
        path = parts.path or "/"
    else:
        path = quote(_normalize(parts.path), safe="/~")
    names = sorted(headers, key=str.lower)
    canon_headers = "".join("%s:%s\n" % (n.lower(), " ".join(str(headers[n]).split()))
                            for n in names)
    signed = ";".join(n.lower() for n in names)
    creq = "\n".join([method, path, _canonical_query(parts.query), canon_headers, signed,
                      payload])
    scope = "%s/%s/%s/aws4_request" % (stamp[:8], region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", stamp, scope,
                     hashlib.sha256(creq.encode("utf-8")).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode("utf-8"), stamp[:8]), region),
                      service), "aws4_request")
    sig = hmac.new(key, sts.encode("utf-8"), hashlib.sha256).hexdigest()
    headers["Authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
                                "Signature=%s" % (akid, scope, signed, sig))
    return headers


# ---- transport -------------------------------------------------------------------------

def endpoint(service_id, prefix, region):
    """(base URL, overridden?) for a service."""
    env = os.environ.get("AWS_ENDPOINT_URL_" + service_id.upper().replace(" ", "_")) or \
        os.environ.get("AWS_ENDPOINT_URL")
    if env:
        return env.rstrip("/"), True
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return "https://%s.%s.%s" % (prefix, region, suffix), False


def _error(what, status, body):
    text = body.decode("utf-8", "replace")
    code, message = "", text[:300]
    try:
        doc = json.loads(text)
        code = str(doc.get("__type") or doc.get("code") or doc.get("Code") or "").split("#")[-1]
        message = doc.get("message") or doc.get("Message") or message
    except ValueError:
        try:
            root = ElementTree.fromstring(text)
            for el in root.iter():
                tag = el.tag.split("}")[-1]
                if tag == "Code" and not code:
                    code = el.text or ""
                elif tag == "Message" and el.text:
                    message = el.text
        except ElementTree.ParseError:
            pass
    return AWSError(what, status, code or "Error", message)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None      # a redirect is answered as an error (the signature is per host)


_opener = urllib.request.build_opener(_NoRedirect)


def call(what, method, url, region, service, headers, body=b""):
    """A signed request: (status, response headers, body); AWSError on an HTTP error."""
    headers = sign(method, url, region, service, dict(headers), body, credentials())
    req = urllib.request.Request(url, data=body if method != "GET" else None, method=method)
    for k, v in headers.items():
        if k != "Host":      # urllib sends the URL's host (the one we signed)
            req.add_header(k, v)
    try:
        with _opener.open(req, timeout=TIMEOUT) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as err:
        data = err.read()
        raise_for = _error(what, err.code, data)
        raise_for.headers = dict(err.headers or {})
        raise raise_for


# ---- the calls -----------------------------------------------------------------------

def lambda_invoke_event(function, payload, region=None):
    """Invoke `function` (name or ARN) asynchronously; the HTTP status (202)."""
    region = region_of(region)
    base, _ = endpoint("Lambda", "lambda", region)
    url = "%s/2015-03-31/functions/%s/invocations" % (base, quote(function, safe=""))
    status, _, _ = call("Lambda Invoke %s" % function, "POST", url, region, "lambda",
                        {"X-Amz-Invocation-Type": "Event",
                         "Content-Type": "application/json"}, payload)
    return status


def _query_post(what, service_id, prefix, region, params):
    from urllib.parse import urlencode
    base, _ = endpoint(service_id, prefix, region)
    body = urlencode(sorted(params.items())).encode("utf-8")
    _, _, data = call(what, "POST", base + "/", region, prefix,
                      {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, body)
    return ElementTree.fromstring(data)


def _xml_text(root, name):
    for el in root.iter():
        if el.tag.split("}")[-1] == name:
            return el.text
    return None


def sns_publish(topic_arn, message, region=None):
    """Publish `message` to the topic; the MessageId."""
    region = region_of(region)
    root = _query_post("SNS Publish", "SNS", "sns", region,
                       {"Action": "Publish", "Version": "2010-03-31", "TargetArn": topic_arn,
                        "Message": message})
    return _xml_text(root, "MessageId")


def account_id(region=None):
    region = region_of(region)
    root = _query_post("STS GetCallerIdentity", "STS", "sts", region,
                       {"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    return _xml_text(root, "Account")


def dynamodb(op, body, region=None):
    """A DynamoDB call (JSON 1.0); the decoded answer."""
    region = region_of(region)
    base, _ = endpoint("DynamoDB", "dynamodb", region)
    _, _, data = call("DynamoDB %s" % op, "POST", base + "/", region, "dynamodb",
                      {"Content-Type": "application/x-amz-json-1.0",
                       "X-Amz-Target": "DynamoDB_20120810." + op},
                      json.dumps(body).encode("utf-8"))
    return json.loads(data.decode("utf-8") or "{}")


def s3_url(bucket, key, region):
    base, overridden = endpoint("S3", "s3", region)
    k = quote(key, safe="/~")
    if overridden or "." in bucket:
        return "%s/%s/%s" % (base, bucket, k)
    scheme, _, host = base.partition("://")
    return "%s://%s.%s/%s" % (scheme, bucket, host, k)


def s3_get(bucket, key, region=None):
    """The object's bytes.  A bucket in another region is followed once."""
    region = region_of(region)
    what = "S3 GetObject s3://%s/%s" % (bucket, key)
    try:
        return call(what, "GET", s3_url(bucket, key, region), region, "s3", {})[2]
    except AWSError as err:
        other = {k.lower(): v for k, v in getattr(err, "headers", {}).items()}.get(
            "x-amz-bucket-region")
        if other and other != region and err.status in (301, 307, 400):
            return call(what, "GET", s3_url(bucket, key, other), other, "s3", {})[2]
        raise
