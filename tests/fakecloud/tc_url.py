"""SCF function URLs and custom domains for faketencent.py: a request to
https://<appid>-<id>.<region>.tencentscf.com (or to a custom domain bound
with CreateCustomDomain) runs the function the URL belongs to, with the
event Tencent documents for event functions behind a function URL:

    {"body", "headers", "httpMethod", "path", "queryString"}

and turns the answer ({statusCode, headers, body, isBase64Encoded}, or any
JSON value as a 200 application/json body) into the HTTP response.  A URL
whose TriggerDesc says AuthType CAM requires a TC3-HMAC-SHA256 signature
(service scf) over the request as sent, recomputed with the SDK's sign3.
"""
import base64
import datetime
import json
import re
import time
from urllib.parse import parse_qsl, unquote

from .faketencent import Judge, SKEW


def _json(h, status, doc):
    h.send(status, {"Content-Type": "application/json"}, json.dumps(doc).encode())


def _route(fake, host, path):
    """(function, qualifier, url trigger or None, path the function sees) or None."""
    u = fake.st("scf_urls").get(host)
    if u:
        from .tc_scf import functions
        f = functions(fake).get(u["function"])
        t = next((t for t in f["triggers"] if t.get("host") == host), None) if f else None
        return u["function"], u["qualifier"], t, path
    d = fake.st("scf_domains").get(host)
    if not d:
        return None
    best = None
    for ep in d["EndpointsConfig"]:
        pm = ep["PathMatch"]
        base = pm[:-2] if pm.endswith("/*") else pm
        if path == base or path.startswith(base.rstrip("/") + "/") or base in ("", "/"):
            if best is None or len(base) > len(best[0]):
                best = (base, ep)
    if best is None:
        return None
    ep = best[1]
    for rule in ep.get("PathRewrite") or []:
        if rule["Type"] == "WildcardRules":
            rx = "^" + re.escape(rule["Path"]).replace(r"\*", "(.*)") + "$"
            m = re.match(rx, path)
            if m:
                path = rule["Rewrite"].replace("$1", m.group(1) if m.groups() else "")
                break
        elif rule["Path"] == path:
            path = rule["Rewrite"]
            break
    return ep["FunctionName"], ep["Qualifier"], None, path


def _cam_ok(h, host, parts, body):
    auth = h.headers.get("Authorization", "")
    m = re.match(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/scf/tc3_request, ", auth)
    if not m:
        return "AuthFailure.InvalidAuthorization: this function URL requires CAM authentication"
    sid = m.group(1)
    secret = h.fake.keys.get(sid)
    if secret is None:
        return "AuthFailure.SecretIdNotFound"
    try:
        ts = int(h.headers.get("X-TC-Timestamp", ""))
    except ValueError:
        return "AuthFailure.InvalidAuthorization: X-TC-Timestamp is missing"
    if abs(time.time() - ts) > SKEW:
        return "AuthFailure.SignatureExpire"
    if datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d") != m.group(2):
        return "AuthFailure.SignatureFailure: credential date"
    url = "https://" + h.headers.get("Host", host) + parts.path + ("?" + parts.query if parts.query else "")
    want = Judge.ask(op="tc3", method=h.command, url=url, body_b64=base64.b64encode(body).decode(),
                     timestamp=ts, service="scf", secret_id=sid, secret_key=secret,
                     content_type=h.headers.get("Content-Type", ""))["authorization"]
    token = h.fake.tokens.get(sid)
    if want != auth:
        return "AuthFailure.SignatureFailure"
    if token is not None and h.headers.get("X-TC-Token") != token:
        return "AuthFailure.TokenFailure"
    return None


def serve(h, host, parts, body):
    from .tc_scf import run_function
    fake = h.fake
    with fake.lock:
        route = _route(fake, host, unquote(parts.path) or "/")
    if route is None:
        return _json(h, 404, {"errorCode": 404, "errorMessage": f"no function URL or custom "
                                                                 f"domain {host}"})
    fn, qualifier, trigger, path = route
    if trigger is not None and json.loads(trigger["TriggerDesc"]).get("AuthType") == "CAM":
        why = _cam_ok(h, host, parts, body)
        if why:
            fake.record("url", "Denied", {"host": host, "path": path, "why": why})
            return _json(h, 403, {"errorCode": 403, "errorMessage": why})
    query = {}
    for k, v in parse_qsl(parts.query, keep_blank_values=True):
        query[k] = v if k not in query else (query[k] if isinstance(query[k], list) else [query[k]]) + [v]
    event = {"headers": {k.lower(): v for k, v in h.headers.items()}, "httpMethod": h.command,
             "path": path, "queryString": query}
    event["headers"]["x-scf-remote-addr"] = h.client_address[0]
    try:
        event["body"] = body.decode("utf-8")
    except UnicodeDecodeError:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    fake.record("url", h.command, {"host": host, "path": path, "query": parts.query})
    result, text, rid, ms = run_function(fake, fn, qualifier, event)
    if "error" in result:
        return _json(h, 502, {"errorCode": -1, "errorMessage": result["error"], "requestId": rid})
    out = result["ok"]
    if isinstance(out, dict) and "statusCode" in out:
        raw = out.get("body") or ""
        data = base64.b64decode(raw) if out.get("isBase64Encoded") else str(raw).encode()
        headers = {str(k): str(v) for k, v in (out.get("headers") or {}).items()}
        headers["X-Scf-Request-Id"] = rid
        return h.send(int(out["statusCode"]), headers, data)
    return h.send(200, {"Content-Type": "application/json", "X-Scf-Request-Id": rid},
                  json.dumps(out).encode())
