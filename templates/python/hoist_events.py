"""hoist_events -- HTTP event shapes in, response dictionaries out.

``parse(shape, event, settings)`` turns any provider's HTTP event into one
``Request``; ``respond(shape, status, headers, body, settings)`` turns the
app's answer into the dictionary that provider's gateway expects:

  aws_v1        {statusCode, headers, multiValueHeaders, body, isBase64Encoded}
                (headers: names with one value; multiValueHeaders: every name)
  aws_v2        {statusCode, headers, cookies, body, isBase64Encoded}
                (Set-Cookie values go to cookies, other repeats are comma-joined)
  aliyun_fc     {statusCode, headers, isBase64Encoded, body}
  aliyun_apigw  {isBase64Encoded, statusCode, headers, body}  -- exactly these
  tencent       {isBase64Encoded, statusCode, headers, body}
  (the last three have one value per header name: repeated Set-Cookie headers
  are sent under case variants of the name -- Set-Cookie, set-cookie,
  SET-COOKIE ... -- which the gateways pass through as separate headers;
  other repeated headers are comma-joined.)

Where the app is mounted (SCRIPT_NAME) -- the rule, Zappa's with one fix:
  * AWS REST v1 and Tencent API gateway: when the request came through the
    provider's default domain (Host contains ".execute-api.", or ends with
    ".apigw.tencentcs.com"/".myqcloud.com"; or AWS without a Host header, as
    console tests send, and no DOMAIN setting; or the event says the front
    door stripped the stage: requestContext.path is "/<stage>" + path, as on
    execute-api and on the local gateway's http://127.0.0.1:PORT/<stage>),
    the stage is part of the URL, so SCRIPT_NAME = "/<stage>".  A path that still starts with "/<stage>/"
    has it stripped; one without it is used as is.
  * AWS HTTP API v2: a named stage (not "$default") is stripped from rawPath
    and becomes SCRIPT_NAME on the execute-api host.
  * Otherwise (custom domains, function URLs, Alibaba, local): when BASE_PATH
    is set and the path is "/<base_path>" or below it, it is stripped into
    SCRIPT_NAME.  (Zappa also applies base_path on the execute-api host,
    producing wrong links there; hoist does not.)
Paths are percent-decoded once (as Zappa and serverless-wsgi do).

Scheme: X-Forwarded-Proto, else https for AWS shapes, http for the others.
Client address: the provider's source IP, else X-Forwarded-For's first entry.
"""

import base64
from urllib.parse import quote, unquote_to_bytes, urlencode

_DEFAULT_HOSTS = {
    "aws_v1": (".execute-api.",),
    "tencent": (".apigw.tencentcs.com", ".apigateway.myqcloud.com", ".myqcloud.com"),
}

_TEXT_TYPES = frozenset((
    "application/json", "application/javascript", "application/x-javascript",
    "application/ecmascript", "application/xml", "application/x-www-form-urlencoded",
    "application/xhtml+xml", "application/ld+json", "application/graphql",
))


class Request(object):
    """One HTTP request, whichever gateway sent it."""

    __slots__ = ("shape", "method", "script", "path", "query", "headers", "body",
                 "remote", "scheme", "host", "port", "stage_stripped")

    def __init__(self, shape):
        self.shape = shape
        self.method = "GET"
        self.script = ""        # SCRIPT_NAME, decoded text
        self.path = "/"         # PATH_INFO, decoded text
        self.query = ""         # raw query string
        self.headers = []       # [(name, value)] in arrival order, repeats kept
        self.body = b""
        self.remote = ""
        self.scheme = "http"
        self.host = "localhost"
        self.port = "80"
        self.stage_stripped = False   # the front door took "/<stage>" off the path

    def header(self, name):
        """First value of a header (case-insensitive), or None."""
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def client_target(self):
        """The request target as the client sent it, for the access log."""
        target = quote(self.script + self.path, safe="/:@!$&'()*+,;=-._~",
                       errors="surrogateescape")
        return target + "?" + self.query if self.query else target


# ---- small helpers ------------------------------------------------------------

def _truthy(value):
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _header_list(mapping):
    """{name: value | [values]} -> [(name, value)]."""
    out = []
    for name, value in (mapping or {}).items():
        if isinstance(value, (list, tuple)):
            out.extend((str(name), str(v)) for v in value)
        elif value is not None:
            out.append((str(name), str(value)))
    return out


def _query_from(mapping):
    """{name: value | [values]} -> query string (values arrive decoded)."""
    pairs = []
    for name, value in (mapping or {}).items():
        if isinstance(value, (list, tuple)):
            pairs.extend((name, v) for v in value)
        elif value is not None:
            pairs.append((name, value))
    return urlencode(pairs)


def _decode_path(path):
    """Percent-decode a path once, keeping it text (UTF-8 decoded)."""
    return unquote_to_bytes((path or "/").encode("utf-8")).decode("utf-8", "surrogateescape")


def _body(event):
    body = event.get("body")
    if body is None:
        return b""
    if isinstance(body, (dict, list)):      # some test consoles send JSON objects
        import json
        return json.dumps(body).encode("utf-8")
    if _truthy(event.get("isBase64Encoded")):
        return base64.b64decode(body)
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def _under(path, prefix):
    return path == prefix or path.startswith(prefix + "/")


def _strip(path, prefix):
    rest = path[len(prefix):]
    return rest if rest else "/"


def _base_path(settings):
    base = (getattr(settings, "BASE_PATH", None) or "").strip("/")
    return "/" + base if base else ""


# ---- the shapes -----------------------------------------------------------------

def _ctx(event):
    ctx = event.get("requestContext")
    return ctx if isinstance(ctx, dict) else {}


def _aws_v1(req, event):
    ctx = _ctx(event)
    req.method = event.get("httpMethod") or "GET"
    req.path = event.get("path") or "/"
    if event.get("multiValueHeaders"):
        req.headers = _header_list(event["multiValueHeaders"])
    else:
        req.headers = _header_list(event.get("headers"))
    if event.get("multiValueQueryStringParameters"):
        req.query = _query_from(event["multiValueQueryStringParameters"])
    else:
        req.query = _query_from(event.get("queryStringParameters"))
    req.remote = (ctx.get("identity") or {}).get("sourceIp") or ""
    stage = ctx.get("stage")
    # requestContext.path is the path as called; "/<stage>" + path means the front door
    # stripped the stage: the default endpoint (execute-api, or the local gateway's)
    req.stage_stripped = bool(stage) and bool(req.header("host")) and \
        ctx.get("path") == "/" + stage + req.path
    return stage


def _aws_v2(req, event):
    ctx = _ctx(event)
    http = ctx.get("http") or {}
    req.method = http.get("method") or event.get("httpMethod") or "GET"
    req.path = event.get("rawPath") or "/"
    req.query = event.get("rawQueryString") or ""
    req.headers = _header_list(event.get("headers"))
    if event.get("cookies"):
        req.headers.append(("cookie", "; ".join(event["cookies"])))
    req.remote = http.get("sourceIp") or ""
    return ctx.get("stage")


def _aliyun_fc(req, event):
    ctx = _ctx(event)
    http = ctx.get("http") or {}
    req.method = http.get("method") or "GET"
    req.path = event.get("rawPath") or http.get("path") or "/"
    req.query = _query_from(event.get("queryParameters"))
    req.headers = _header_list(event.get("headers"))
    req.remote = http.get("sourceIp") or ""
    return None


def _aliyun_apigw(req, event):
    req.method = event.get("httpMethod") or "GET"
    req.path = event.get("path") or "/"
    req.query = _query_from(event.get("queryParameters"))
    req.headers = _header_list(event.get("headers"))
    return None


def _tencent(req, event):
    ctx = _ctx(event)
    req.method = event.get("httpMethod") or "GET"
    req.path = event.get("path") or "/"
    query = event.get("queryString")
    req.query = _query_from(query if query is not None else event.get("queryStringParameters"))
    req.headers = _header_list(event.get("headers"))
    req.remote = ctx.get("sourceIp") or req.header("x-scf-remote-addr") or ""
    return ctx.get("stage")


_PARSERS = {"aws_v1": _aws_v1, "aws_v2": _aws_v2, "aliyun_fc": _aliyun_fc,
            "aliyun_apigw": _aliyun_apigw, "tencent": _tencent}


def _mount(req, stage, settings):
    """Split the decoded path into SCRIPT_NAME and PATH_INFO (rule in the docstring)."""
    path = _decode_path(req.path)
    host = (req.header("host") or "").lower()
    on_default = False
    if req.shape in _DEFAULT_HOSTS and stage:
        on_default = any(h in host for h in _DEFAULT_HOSTS[req.shape])
        if req.shape == "aws_v1" and not host and not getattr(settings, "DOMAIN", None):
            on_default = True
        if req.stage_stripped:
            on_default = True
    elif req.shape == "aws_v2" and stage and stage != "$default":
        prefix = "/" + stage
        if _under(path, prefix):
            path = _strip(path, prefix)
            if ".execute-api." in host:
                req.script, req.path = prefix, path
                return
    if on_default:
        prefix = "/" + stage
        req.script = prefix
        req.path = _strip(path, prefix) if _under(path, prefix) else path
        return
    base = _base_path(settings)
    if base and _under(path, base):
        req.script, path = base, _strip(path, base)
    req.path = path


def _server(req, default_scheme):
    proto = req.header("x-forwarded-proto")
    req.scheme = proto.split(",")[0].strip().lower() if proto else default_scheme
    host = req.header("host") or ""
    name, port = host, ""
    if host.startswith("["):                     # [v6]:port
        end = host.find("]")
        name, port = host[:end + 1], host[end + 2:]
    elif ":" in host:
        name, port = host.rsplit(":", 1)
    req.host = name or "localhost"
    fwd_port = req.header("x-forwarded-port")
    req.port = (fwd_port.split(",")[0].strip() if fwd_port else port) or (
        "443" if req.scheme == "https" else "80")
    if not req.remote:
        fwd = req.header("x-forwarded-for") or req.header("x-real-ip") or ""
        req.remote = fwd.split(",")[0].strip() or "127.0.0.1"


def parse(shape, event, settings):
    """A Request from an HTTP event of the given shape (see hoist_handler.detect)."""
    req = Request(shape)
    stage = _PARSERS[shape](req, event)
    req.method = str(req.method).upper()
    req.body = _body(event)
    _mount(req, stage, settings)
    _server(req, "https" if shape.startswith("aws") else "http")
    return req


# ---- responses --------------------------------------------------------------------

def _is_text(headers, settings):
    ctype, encoding = "", ""
    for name, value in headers:
        low = name.lower()
        if low == "content-type":
            ctype = value.split(";")[0].strip().lower()
        elif low == "content-encoding":
            encoding = value.strip().lower()
    if encoding and encoding != "identity":
        return False
    extra = getattr(settings, "ADDITIONAL_TEXT_MIMETYPES", None) or ()
    return (not ctype or ctype.startswith("text/") or ctype in _TEXT_TYPES
            or ctype.endswith("+json") or ctype.endswith("+xml")
            or ctype in [t.lower() for t in extra])


def encode_body(headers, body, settings):
    """(body text, isBase64Encoded) for the gateway."""
    if not body:
        return "", False
    if _is_text(headers, settings):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    if getattr(settings, "BINARY_SUPPORT", True):
        return base64.b64encode(body).decode("ascii"), True
    return body.decode("utf-8", "replace"), False


def _grouped(headers):
    """[(name, value)] -> {name: [values]}, first spelling of each name kept."""
    out, spelling = {}, {}
    for name, value in headers:
        key = spelling.setdefault(name.lower(), name)
        out.setdefault(key, []).append(value)
    return out


def _case_variants(name, count):
    """count distinct spellings of a header name, the original first."""
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    out, seen, mask = [], set(), 0
    while len(out) < count and mask < (1 << len(letters)):
        chars = list(name)
        for bit, i in enumerate(letters):
            if mask >> bit & 1:
                chars[i] = chars[i].swapcase()
        variant = "".join(chars)
        if variant not in seen:
            seen.add(variant)
            out.append(variant)
        mask += 1
    return out


def _single_valued(headers):
    out = {}
    for name, values in _grouped(headers).items():
        if len(values) == 1:
            out[name] = values[0]
        elif name.lower() == "set-cookie":
            for variant, value in zip(_case_variants(name, len(values)), values):
                out[variant] = value
        else:
            out[name] = ",".join(values)
    return out


def respond(shape, status, headers, body, settings):
    """The response dictionary for the gateway that sent a `shape` event."""
    text, b64 = encode_body(headers, body, settings)
    if shape == "aws_v1":
        grouped = _grouped(headers)
        return {"statusCode": status,
                "headers": dict((k, v[0]) for k, v in grouped.items() if len(v) == 1),
                "multiValueHeaders": grouped,
                "body": text, "isBase64Encoded": b64}
    if shape == "aws_v2":
        plain = [(k, v) for k, v in headers if k.lower() != "set-cookie"]
        return {"statusCode": status,
                "headers": dict((k, ",".join(v)) for k, v in _grouped(plain).items()),
                "cookies": [v for k, v in headers if k.lower() == "set-cookie"],
                "body": text, "isBase64Encoded": b64}
    if shape == "aliyun_fc":
        return {"statusCode": status, "headers": _single_valued(headers),
                "isBase64Encoded": b64, "body": text}
    return {"isBase64Encoded": b64, "statusCode": status,
            "headers": _single_valued(headers), "body": text}
