"""The fake AWS's data plane: what a client of the deployed stage reaches.

Requests whose Host is an API Gateway invoke host
(`<api-id>.execute-api.<region>.amazonaws.com`) or a Lambda function URL
(`<url-id>.lambda-url.<region>.on.aws`) are not control-plane calls: they are
served here the way the real front doors serve them, from the fake's state:

- REST APIs (v1): the stage's *deployed* snapshot (what CreateDeployment
  captured), the resource matched by path (`{proxy+}` greedy), the method (or
  ANY); `apiKeyRequired` checks x-api-key against enabled keys in a usage plan
  of this API stage (403 {"message": "Forbidden"}); `AWS_IAM` checks a SigV4
  signature for service execute-api with botocore's signer (403 "Missing
  Authentication Token" / the signature mismatch message); the AWS_PROXY
  Lambda integration needs a permission for apigateway.amazonaws.com (or,
  with integration credentials, a role that trusts API Gateway and may invoke
  the function), else 500 {"message": "Internal server error"} as AWS
  answers; the event is the v1 proxy event.
- HTTP APIs (v2): `$default` or "METHOD /path" routes, AWS_IAM the same way,
  payload format 1.0 or 2.0.
- Function URLs: AuthType AWS_IAM → SigV4 for service lambda; NONE needs the
  lambda:InvokeFunctionUrl permission for "*" (403 {"Message": "Forbidden"});
  the event is the 2.0 payload.

The function itself runs through the fake Lambda's Invoke (services.invoke),
so it is the packaged handler that answers.  Each request is logged in
fake.requests as {"service": "execute-api" | "lambda-url", "operation":
"Request", "params": {method, path, headers}}.
"""
import base64
import json
import re
import time
import uuid
from urllib.parse import parse_qsl, unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EXECUTE_API = re.compile(r"^([a-z0-9]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")
LAMBDA_URL = re.compile(r"^([a-z0-9]+)\.lambda-url\.([a-z0-9-]+)\.on\.aws$")


def is_dataplane(host):
    host = host.split(":")[0].lower()
    return bool(EXECUTE_API.match(host) or LAMBDA_URL.match(host))


class Answer(Exception):
    def __init__(self, status, doc, headers=None):
        super().__init__(str(doc))
        self.status, self.doc, self.headers = status, doc, headers or {}


def _json(status, doc):
    return status, {"Content-Type": "application/json"}, json.dumps(doc).encode()


def serve(handler, parts, body):
    """Answer one data-plane request: (status, headers, body)."""
    fake = handler.fake
    host = handler.headers.get("Host", "").split(":")[0].lower()
    headers = {k: v for k, v in handler.headers.items()}
    with fake.lock:
        fake.requests.append({"service": "lambda-url" if LAMBDA_URL.match(host) else "execute-api",
                              "operation": "Request",
                              "params": {"method": handler.command, "path": handler.path,
                                         "headers": headers}, "time": time.time()})
    try:
        m = EXECUTE_API.match(host)
        if m:
            return _execute_api(handler, m.group(1), m.group(2), parts, body)
        m = LAMBDA_URL.match(host)
        return _function_url(handler, host, m.group(2), parts, body)
    except Answer as a:
        status, h, b = _json(a.status, a.doc)
        h.update(a.headers)
        return status, h, b


# ---- authorization -------------------------------------------------------------

def _check_sigv4(handler, body, service, region):
    auth = handler.headers.get("Authorization", "")
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                 r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", auth)
    if not m:
        raise Answer(403, {"message": "Missing Authentication Token"})
    akid, date, sregion, ssvc, signed, sig = m.groups()
    secret = handler.fake.keys.get(akid)
    if secret is None:
        raise Answer(403, {"message": "The security token included in the request is invalid."})
    if ssvc != service or sregion != region:
        raise Answer(403, {"message": f"Credential should be scoped to correct service: '{service}'."})
    hdrs = {}
    for h in signed.split(";"):
        v = handler.headers.get_all(h)
        if v is None:
            raise Answer(403, {"message": f"signed header {h} missing"})
        hdrs[h] = ",".join(v)
    req = AWSRequest(method=handler.command, url="https://" + hdrs.get("host", "") + handler.path,
                     headers=hdrs, data=body)
    signer = SigV4Auth(Credentials(akid, secret, handler.headers.get("X-Amz-Security-Token")),
                       service, region)
    req.context["timestamp"] = handler.headers.get("X-Amz-Date", "")
    cr = signer.canonical_request(req)
    if signer.signature(signer.string_to_sign(req, cr), req) != sig:
        raise Answer(403, {"message": "The request signature we calculated does not match the "
                                      "signature you provided. Check your AWS Secret Access Key "
                                      "and signing method."})
    return akid


def _check_api_key(fake, api_id, stage, key_value):
    from .svc_apigateway import _v1
    s = _v1(fake)
    key = next((k for k in s["keys"].values() if k["value"] == key_value and k["enabled"]), None)
    if key is None:
        raise Answer(403, {"message": "Forbidden"})
    for plan in s["plans"].values():
        if key["id"] in plan.get("keys", {}) and any(
                x["apiId"] == api_id and x["stage"] == stage for x in plan["apiStages"]):
            return
    raise Answer(403, {"message": "Forbidden"})


def _allowed(f, principal, action):
    for s in f["policy"]:
        if s.get("Principal", {}).get("Service") == principal or s.get("Principal") == principal:
            if s.get("Action") in (action, "lambda:*"):
                return True
    return False


def _role_may_invoke(fake, role_arn, f):
    """An integration's credentials: the role exists, trusts API Gateway and its
    policy allows lambda:InvokeFunction on the function (roles.py evaluates it)."""
    from . import roles
    role = fake.state.get("iam_roles", {}).get(role_arn.split("/")[-1])
    if role is None or "apigateway.amazonaws.com" not in role["AssumeRolePolicyDocument"]:
        return False
    arn = f["config"]["FunctionArn"]
    for s in roles._statements(role):
        if s.get("Effect") == "Allow" and \
                roles._match(s.get("Action", []), "lambda:InvokeFunction", nocase=True) and \
                roles._match(s.get("Resource", []), arn):
            return True
    return False


# ---- running the function --------------------------------------------------------

def _fn_from_arn(fake, arn):
    from .services import _fn
    # arn:aws:lambda:<region>:<acct>:function:<name>[:<qualifier>]
    parts = arn.split(":")
    if len(parts) < 7:
        raise Answer(500, {"message": "Internal server error"})
    name, qualifier = parts[6], (parts[7] if len(parts) > 7 else None)
    try:
        return _fn(fake, name), qualifier
    except Exception:
        raise Answer(502, {"message": "Internal server error"})


def _run(fake, f, qualifier, event, region):
    from . import services
    p = {"FunctionName": f["config"]["FunctionName"], "Payload": json.dumps(event).encode()}
    if qualifier:
        p["Qualifier"] = qualifier
    out = services.invoke(fake, p, {"region": region})
    if out.get("FunctionError"):
        raise Answer(502, {"message": "Internal server error"})
    try:
        return json.loads(out["Payload"] or b"null")
    except ValueError:
        raise Answer(502, {"message": "Internal server error"})


def _headers_multi(handler):
    single, multi = {}, {}
    for k in handler.headers.keys():
        vals = handler.headers.get_all(k)
        single[k] = vals[-1]
        multi[k] = list(vals)
    return single, multi


def _query(qs):
    single, multi = {}, {}
    for k, v in parse_qsl(qs, keep_blank_values=True):
        single[k] = v
        multi.setdefault(k, []).append(v)
    return single or None, multi or None


def _body_in(handler, body):
    if not body:
        return None, False
    ctype = handler.headers.get("Content-Type", "")
    try:
        if ctype.startswith(("text/", "application/json", "application/x-www-form-urlencoded")):
            return body.decode(), False
    except UnicodeDecodeError:
        pass
    return base64.b64encode(body).decode(), True


def _proxy_answer(out):
    """A proxy integration's result → (status, headers, body), as API Gateway maps it."""
    if not isinstance(out, dict) or "statusCode" not in out:
        raise Answer(502, {"message": "Internal server error"})
    headers = {}
    for k, v in (out.get("headers") or {}).items():
        headers[k] = str(v)
    for k, vs in (out.get("multiValueHeaders") or {}).items():
        headers[k] = ", ".join(str(v) for v in vs)
    b = out.get("body") or ""
    data = base64.b64decode(b) if out.get("isBase64Encoded") else b.encode()
    return int(out["statusCode"]), headers, data


# ---- API Gateway -------------------------------------------------------------------

def _template_match(template, path):
    rx = "^" + re.sub(r"\\\{([^}+]+)\\\+\\\}", r"(?P<\1>.+)",
                      re.sub(r"\\\{([^}+]+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))) + "$"
    m = re.match(rx, path)
    return m.groupdict() if m else None


def _execute_api(handler, api_id, region, parts, body):
    from .svc_apigateway import _v1, _v2
    a1 = _v1(handler.fake)["apis"].get(api_id)
    if a1 is not None:
        return _rest(handler, a1, region, parts, body)
    a2 = _v2(handler.fake).get(api_id)
    if a2 is not None:
        return _http_api(handler, a2, region, parts, body)
    raise Answer(403, {"message": "Forbidden"})


def _rest(handler, a, region, parts, body):
    fake = handler.fake
    path = unquote(parts.path)
    stage_name, _, rest = path.lstrip("/").partition("/")
    stage = a["stages"].get(stage_name)
    if stage is None:
        raise Answer(403, {"message": "Missing Authentication Token"})
    snap = a["deployments"][stage["deploymentId"]]["snapshot"]
    rpath = "/" + rest
    found = None
    for template in sorted(snap, key=lambda t: ("{" in t, -len(t))):
        params = _template_match(template, rpath)
        if params is not None:
            found = (template, params)
            break
    if found is None:
        raise Answer(403, {"message": "Missing Authentication Token"})
    template, params = found
    methods = snap[template]
    m = methods.get(handler.command) or methods.get("ANY")
    if m is None:
        raise Answer(403, {"message": "Missing Authentication Token"})
    if m.get("authorizationType") == "AWS_IAM":
        _check_sigv4(handler, body, "execute-api", region)
    if m.get("apiKeyRequired"):
        _check_api_key(fake, a["id"], stage_name, handler.headers.get("x-api-key", ""))
    integ = m.get("methodIntegration") or {}
    if integ.get("type") != "AWS_PROXY":
        raise Answer(500, {"message": "Internal server error"})
    fn_arn = integ["uri"].split("/functions/", 1)[1].rsplit("/invocations", 1)[0]
    fn_arn = re.sub(r"\$\{stageVariables\.([^}]+)\}",
                    lambda x: (stage.get("variables") or {}).get(x.group(1), ""), fn_arn)
    f, qualifier = _fn_from_arn(fake, fn_arn)
    if integ.get("credentials"):     # API Gateway assumes this role (Zappa's integrations)
        if not _role_may_invoke(fake, integ["credentials"], f):
            raise Answer(500, {"message": "Internal server error"})
    elif not _allowed(f, "apigateway.amazonaws.com", "lambda:InvokeFunction"):
        raise Answer(500, {"message": "Internal server error"})
    single, multi = _headers_multi(handler)
    qs, mqs = _query(parts.query)
    b, b64 = _body_in(handler, body)
    rid = str(uuid.uuid4())
    event = {"resource": template, "path": rpath, "httpMethod": handler.command,
             "headers": single, "multiValueHeaders": multi,
             "queryStringParameters": qs, "multiValueQueryStringParameters": mqs,
             "pathParameters": params or None, "stageVariables": stage.get("variables"),
             "requestContext": {"resourcePath": template, "httpMethod": handler.command,
                                "path": path, "stage": stage_name, "requestId": rid,
                                "apiId": a["id"], "accountId": "123456789012",
                                "identity": {"sourceIp": handler.client_address[0],
                                             "apiKey": handler.headers.get("x-api-key"),
                                             "userAgent": handler.headers.get("User-Agent")},
                                "requestTimeEpoch": int(time.time() * 1000)},
             "body": b, "isBase64Encoded": b64}
    status, headers, data = _proxy_answer(_run(fake, f, qualifier, event, region))
    headers["x-amzn-RequestId"] = rid
    return status, headers, data


def _http_api(handler, a, region, parts, body):
    fake = handler.fake
    path = unquote(parts.path)
    stage_name, rpath = "$default", path
    if "$default" not in a["stages"]:
        stage_name, _, rest = path.lstrip("/").partition("/")
        rpath = "/" + rest
    if stage_name not in a["stages"]:
        raise Answer(404, {"message": "Not Found"})
    route = None
    for r in a["routes"].values():
        key = r["RouteKey"]
        if key == "$default":
            route = route or r
            continue
        meth, _, template = key.partition(" ")
        if meth in (handler.command, "ANY") and _template_match(template, rpath) is not None:
            route = r
            break
    if route is None or not route.get("Target"):
        raise Answer(404, {"message": "Not Found"})
    if route.get("AuthorizationType") == "AWS_IAM":
        _check_sigv4(handler, body, "execute-api", region)
    integ = a["integrations"][route["Target"].split("/", 1)[1]]
    f, qualifier = _fn_from_arn(fake, integ["IntegrationUri"])
    if not _allowed(f, "apigateway.amazonaws.com", "lambda:InvokeFunction"):
        raise Answer(500, {"message": "Internal Server Error"})
    event = _v2_event(handler, parts, body, rpath, stage_name, route["RouteKey"], a["ApiId"])
    return _v2_answer(_run(fake, f, qualifier, event, region))


# ---- function URLs ------------------------------------------------------------------

def _function_url(handler, host, region, parts, body):
    from .services import st
    fake = handler.fake
    f = next((x for x in st(fake, "lambda").values()
              if x.get("url") and x["url"]["FunctionUrl"].split("/")[2] == host), None)
    if f is None:
        raise Answer(403, {"Message": "Forbidden"})
    if f["url"]["AuthType"] == "AWS_IAM":
        _check_sigv4(handler, body, "lambda", region)
    elif not _allowed(f, "*", "lambda:InvokeFunctionUrl"):
        raise Answer(403, {"Message": "Forbidden"})
    event = _v2_event(handler, parts, body, unquote(parts.path), "$default", "$default",
                      host.split(".")[0])
    qualifier = f["url"]["FunctionArn"].split(":")[7] if f["url"]["FunctionArn"].count(":") > 6 \
        else None
    return _v2_answer(_run(fake, f, qualifier, event, region))


def _v2_event(handler, parts, body, rpath, stage, route_key, api_id):
    headers, cookies = {}, []
    for k in handler.headers.keys():
        if k.lower() == "cookie":
            cookies += [c.strip() for v in handler.headers.get_all(k) for c in v.split(";")]
            continue
        headers[k.lower()] = ",".join(handler.headers.get_all(k))
    qs, _ = _query(parts.query)
    b, b64 = _body_in(handler, body)
    ev = {"version": "2.0", "routeKey": route_key, "rawPath": rpath,
          "rawQueryString": parts.query, "headers": headers, "queryStringParameters": qs,
          "requestContext": {"apiId": api_id, "stage": stage, "requestId": str(uuid.uuid4()),
                             "routeKey": route_key, "timeEpoch": int(time.time() * 1000),
                             "http": {"method": handler.command, "path": rpath,
                                      "protocol": "HTTP/1.1",
                                      "sourceIp": handler.client_address[0],
                                      "userAgent": handler.headers.get("User-Agent", "")}},
          "body": b, "isBase64Encoded": b64}
    if cookies:
        ev["cookies"] = cookies
    return ev


def _v2_answer(out):
    if not (isinstance(out, dict) and "statusCode" in out):
        # 2.0: a non-proxy-shaped answer is a 200 JSON body
        return 200, {"Content-Type": "application/json"}, json.dumps(out).encode()
    status, headers, data = _proxy_answer(out)
    if out.get("cookies"):
        headers["Set-Cookie"] = ", ".join(out["cookies"])
    return status, headers, data
