"""Helpers for the handler tests.

build(name, ...) turns one of the saved sample events in tests/handler/events
into a request of the given method, path, query, headers and body, the way
that provider delivers it; expect(shape, ...) is the exact response dict a
gateway of that shape must receive.  settings_source() writes hoist_settings.
"""
import base64
import copy
import json
import pathlib
from urllib.parse import quote, urlencode

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TEMPLATES = ROOT / "templates" / "python"
APPS = HERE / "apps"
EVENTS = HERE / "events"

DEFAULTS = {
    "STAGE": "dev", "PROJECT_NAME": "demo", "FUNCTION_NAME": "demo-dev", "PROVIDER": "aws",
    "APP_FUNCTION": None, "APP_TYPE": "auto", "DJANGO_SETTINGS": None,
    "ENVIRONMENT_VARIABLES": {}, "EXCEPTION_HANDLER": None, "DEBUG": False,
    "LOG_LEVEL": "INFO", "BINARY_SUPPORT": True, "ADDITIONAL_TEXT_MIMETYPES": [],
    "BASE_PATH": None, "DOMAIN": None, "EVENTS": {}, "EVENT_SOURCES": [], "SLIM_BUNDLE": None,
    "AUTHORIZER_FUNCTION": None, "REMOTE_ENV": None, "ASYNC_SOURCE": "lambda",
    "ASYNC_RESPONSE_TABLE": None, "ASYNC_RESPONSE_BUCKET": None,
}

# Per saved HTTP event: the shape the handler should detect and what the app
# should see (host, mount point, scheme, port, client address).
SHAPES = {
    "aws_v1": dict(shape="aws_v1", host="abc123defg.execute-api.us-east-1.amazonaws.com",
                   script="/dev", scheme="https", port="443", remote="203.0.113.7"),
    "aws_v2": dict(shape="aws_v2", host="r3pmxmplak.execute-api.us-east-2.amazonaws.com",
                   script="", scheme="https", port="443", remote="203.0.113.9"),
    "aws_function_url": dict(shape="aws_v2",
                             host="a2b4c6d8e0f2g4h6i8j0k2l4m6n8o0p2.lambda-url.us-west-2.on.aws",
                             script="", scheme="https", port="443", remote="198.51.100.23"),
    "aliyun_fc": dict(shape="aliyun_fc", host="my-func-hoist-dev-abcdefghij.cn-hangzhou.fcapp.run",
                      script="", scheme="https", port="443", remote="11.11.11.11"),
    "aliyun_apigw": dict(shape="aliyun_apigw",
                         host="2f1c4e8a9b7d4c6e8f0a1b2c3d4e5f6a-cn-hangzhou.alicloudapi.com",
                         script="", scheme="https", port="443", remote="42.120.74.88"),
    "tencent": dict(shape="tencent", host="service-f94sy04v-1250000000.gz.apigw.tencentcs.com",
                    script="/release", scheme="https", port="443", remote="10.0.2.14"),
}


def settings_source(values):
    lines = ["true, false, null = True, False, None"]
    for name, value in values.items():
        lines.append("%s = %s" % (name, json.dumps(value)))
    return "\n".join(lines) + "\n"


def load_event(name):
    return json.loads((EVENTS / (name + ".json")).read_text())


def _merge(base, extra, lower=False):
    """Header dict with extra [(name, value)] replacing same-named entries."""
    out = {}
    names = set(n.lower() for n, _ in extra)
    for name, value in base.items():
        if name.lower() not in names:
            out[name.lower() if lower else name] = value
    for name, value in extra:
        key = name.lower() if lower else name
        out.setdefault(key, []).append(value)
    return out


def _joined(mapping):
    return dict((k, ",".join(v) if isinstance(v, list) else v) for k, v in mapping.items())


def _body_fields(body, binary):
    if not body:
        return "", False
    if binary:
        return base64.b64encode(body).decode(), True
    return body.decode(), False


def build(name, method="GET", path="/echo", query=(), headers=(), body=b"", binary=False):
    """A request as provider `name` (an events/*.json base) delivers it."""
    ev = copy.deepcopy(load_event(name))
    query, headers = list(query), list(headers)
    text, b64 = _body_fields(body, binary)
    multi_q = {}
    for k, v in query:
        multi_q.setdefault(k, []).append(v)
    if name == "aws_v1":
        ev["httpMethod"] = method
        ev["path"] = path
        ev["requestContext"]["httpMethod"] = method
        ev["requestContext"]["path"] = "/dev" + path
        mvh = dict(ev["multiValueHeaders"])
        for hname in set(n for n, _ in headers):
            for key in list(mvh):
                if key.lower() == hname.lower():
                    del mvh[key]
        for hname, value in headers:
            mvh.setdefault(hname, []).append(value)
        ev["multiValueHeaders"] = mvh
        ev["headers"] = dict((k, v[-1]) for k, v in mvh.items())
        # As API Gateway sends it: requestContext.path is the path as called, which has
        # the stage only on the execute-api host (a custom domain's mapping took it)
        host = next((v for k, v in ev["headers"].items() if k.lower() == "host"), "")
        if ".execute-api." not in host:
            ev["requestContext"]["path"] = path
            ev["requestContext"]["domainName"] = host
        ev["multiValueQueryStringParameters"] = multi_q or None
        ev["queryStringParameters"] = dict((k, v[-1]) for k, v in multi_q.items()) or None
        ev["body"] = text or None
        ev["isBase64Encoded"] = b64
    elif ev.get("version") == "2.0":
        ev["rawPath"] = path
        ev["requestContext"]["http"]["method"] = method
        ev["requestContext"]["http"]["path"] = path
        cookies = [v for n, v in headers if n.lower() == "cookie"]
        hdrs = _joined(_merge(ev["headers"], [(n, v) for n, v in headers
                                             if n.lower() != "cookie"], lower=True))
        ev["headers"] = hdrs
        if cookies:
            ev["cookies"] = "; ".join(cookies).split("; ")
        ev["rawQueryString"] = urlencode(query, quote_via=quote)
        if query:
            ev["queryStringParameters"] = dict((k, ",".join(v)) for k, v in multi_q.items())
        if text:
            ev["body"] = text
        ev["isBase64Encoded"] = b64
    elif name == "aliyun_fc":
        ev["rawPath"] = path
        ev["requestContext"]["http"]["method"] = method
        ev["requestContext"]["http"]["path"] = path
        ev["headers"] = _joined(_merge(ev["headers"], headers))
        ev["queryParameters"] = dict((k, ",".join(v)) for k, v in multi_q.items())
        ev["body"], ev["isBase64Encoded"] = text, b64
    elif name == "aliyun_apigw":
        ev["path"], ev["httpMethod"] = path, method
        ev["headers"] = _joined(_merge(ev["headers"], headers))
        ev["queryParameters"] = dict((k, ",".join(v)) for k, v in multi_q.items())
        ev["body"], ev["isBase64Encoded"] = text, b64
        return json.dumps(ev).encode()      # FC hands API Gateway events over as bytes
    elif name == "tencent":
        ev["path"], ev["httpMethod"] = path, method
        ev["requestContext"]["httpMethod"] = method
        ev["headers"] = _joined(_merge(ev["headers"], headers))
        ev["queryString"] = dict((k, v if len(v) > 1 else v[0]) for k, v in multi_q.items())
        ev["queryStringParameters"] = dict((k, v[-1]) for k, v in multi_q.items())
        ev["body"], ev["isBase64Encoded"] = text, b64
    else:
        raise AssertionError("no builder for " + name)
    return ev


def expect(shape, status, headers, body="", b64=False):
    """The exact response dict for `shape` (headers: [(name, value)] as the app sent)."""
    grouped = {}
    for k, v in headers:
        grouped.setdefault(k, []).append(v)
    if shape == "aws_v1":
        return {"statusCode": status,
                "headers": dict((k, v[0]) for k, v in grouped.items() if len(v) == 1),
                "multiValueHeaders": grouped, "body": body, "isBase64Encoded": b64}
    if shape == "aws_v2":
        return {"statusCode": status,
                "headers": dict((k, ",".join(v)) for k, v in grouped.items()
                                if k.lower() != "set-cookie"),
                "cookies": [v for k, v in headers if k.lower() == "set-cookie"],
                "body": body, "isBase64Encoded": b64}
    assert all(len(v) == 1 for v in grouped.values()), "use a literal dict for repeats"
    single = dict((k, v[0]) for k, v in grouped.items())
    if shape == "aliyun_fc":
        return {"statusCode": status, "headers": single, "isBase64Encoded": b64, "body": body}
    return {"isBase64Encoded": b64, "statusCode": status, "headers": single, "body": body}
