"""A fake AWS for hoist's tests: one HTTP server on 127.0.0.1 that speaks
Lambda, API Gateway (v1 and v2), IAM, S3, STS and CloudWatch closely enough
for hoist's real code paths, and is strict where it matters:

- every request's SigV4 signature is recomputed with botocore's own signer
  (SigV4Auth / S3SigV4Auth over an AWSRequest rebuilt from the wire) and a
  mismatch is refused with AWS's error (403 SignatureDoesNotMatch /
  InvalidSignatureException);
- the operation is identified from botocore's service model (HTTP method +
  requestUri template for REST, X-Amz-Target for JSON, Action= for query),
  the wire input is parsed back into parameters by the model's shapes and
  checked with botocore's ParamValidator (unknown member, missing required
  member, wrong type -> the protocol's validation error);
- state is kept for the resources hoist manages; responses are serialised
  by the model's output shape.

Data plane (svc_dataplane.py): requests for an execute-api or lambda-url
Host are served as the deployed stage's front door serves them.

Side channel (unsigned, same port):
  GET  /__fake/requests          every signed request: [{service, operation, params, time,
                                  started (when it came in), took (seconds the fake spent on
                                  it, once answered), conn (the client's port: its connection)}]
  POST /__fake/reset             forget requests, state and faults
  POST /__fake/faults            {"operation": "ListFunctions", "kind": "throttle"|"500"|
                                  "reset"|"slow"|"block"|"echo_token"|"pending", "count": N, "delay": s}
                                 (count -1 = always; "block" holds the request, before it
                                 acts, until the next POST /__fake/release)
                                 {"match": "partNumber=", "kind": "stall_body"}: for a request
                                 whose path contains `match`, read 1 MiB of its body, then
                                 stop reading until POST /__fake/release (an upload in
                                 progress: more than the socket buffers hold is left)
  POST /__fake/release           let every blocked request go on
  POST /__fake/reset-faults      forget the faults (state and requests stay)
  POST /__fake/kill              {"at": N, "when": "before"|"after", "pidfile": path}: when the
                                 signed request with index N (in GET /__fake/requests) arrives,
                                 SIGKILL the process whose pid is in `pidfile`, before the
                                 request acts or after it acted, and drop the connection
                                 unanswered (the kill-at-every-request converge test)
  GET  /__fake/state             a JSON dump of the state
  POST /__fake/logs              {"group", "stream", "events": [{timestamp, message}]}
  POST /__fake/foreign-buckets   {"buckets": [...]}: buckets owned by someone else (403)

Functions run by Invoke get role-session credentials (roles.py): their own
calls are authorised against the role's inline policies.

Run standalone: python3 fakeaws.py [--port N]  (prints "URL http://127.0.0.1:N").
"""
import base64
import datetime
import hashlib
import json
import os
import re
import socket
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape as xml_escape

import botocore.session
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.validate import ParamValidator

ACCOUNT = "123456789012"
DEFAULT_KEYS = {"AKIDFAKEHOIST": "fake/secret+key"}

# signing name (credential scope) -> botocore service names
SERVICES = {
    "lambda": ["lambda"],
    "apigateway": ["apigateway", "apigatewayv2"],
    "iam": ["iam"],
    "s3": ["s3"],
    "sts": ["sts"],
    "monitoring": ["cloudwatch"],
    "logs": ["logs"],
    "events": ["events"],
    "acm": ["acm"],
    "route53": ["route53"],
    "sns": ["sns"],
    "dynamodb": ["dynamodb"],
    "cloudformation": ["cloudformation"],
}

_session = botocore.session.get_session()
_models = {}
_models_lock = threading.Lock()   # botocore's session loads its components lazily, not thread-safely


# Members AWS added after the installed botocore's models (real requests carry them):
# a type name, or (type, header name) for a member sent as an HTTP header.
NEWER_MEMBERS = {
    # Oct 2025: function URLs also need lambda:InvokeFunction, conditioned on this flag.
    "lambda": {"AddPermissionRequest": {"InvokedViaFunctionUrl": "boolean"}},
    # Aug/Nov 2024 and 2025: S3 conditional writes and deletes (the stage lock uses them).
    "s3": {"PutObjectRequest": {"IfNoneMatch": ("string", "If-None-Match"),
                                "IfMatch": ("string", "If-Match")},
           "DeleteObjectRequest": {"IfMatch": ("string", "If-Match")}},
}


def model(name):
    if name in _models:
        return _models[name]
    with _models_lock:
        if name in _models:
            return _models[name]
        m = _session.get_service_model(name)
        shapes = m._shape_resolver._shape_map
        for sname, members in NEWER_MEMBERS.get(name, {}).items():
            for mname, mtype in members.items():
                if mname not in shapes[sname]["members"]:
                    header = None
                    if isinstance(mtype, tuple):
                        mtype, header = mtype
                    shapes.setdefault(mname + "Flag", {"type": mtype})
                    member = {"shape": mname + "Flag"}
                    if header:
                        member.update(location="header", locationName=header)
                    shapes[sname]["members"][mname] = member
        _models[name] = m
    return _models[name]


def _wire_member(shape, key):
    """The member a JSON body key names: members are sent under their
    locationName when they have one (API Gateway v2: "name" for Name); a key
    spelled like the member but not like its wire name stays unknown."""
    for n, m in shape.members.items():
        if m.serialization.get("location"):
            continue
        if m.serialization.get("name", n) == key:
            return n, m
    if key in shape.members:
        return f"{key} (sent as {key}; the wire name is "\
               f"{shape.members[key].serialization.get('name', key)})", None
    return key, None


class AWSError(Exception):
    def __init__(self, status, code, message, sender=True):
        super().__init__(message)
        self.status, self.code, self.message, self.sender = status, code, message, sender


# ---- wire input -> params -------------------------------------------------

def _scalar(shape, text):
    t = shape.type_name
    if t in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            return text          # let the validator report the type
    if t in ("float", "double"):
        try:
            return float(text)
        except ValueError:
            return text
    if t == "boolean":
        return {"true": True, "false": False}.get(str(text).lower(), text)
    if t == "timestamp":
        try:
            if re.fullmatch(r"\d+(\.\d+)?", str(text)):
                return datetime.datetime.fromtimestamp(float(text), datetime.timezone.utc)
            return datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
        except ValueError:
            return text
    if t == "blob":
        return text.encode() if isinstance(text, str) else text
    return text


def _from_json(shape, value):
    """JSON wire value -> params (blob base64-decoded, timestamps parsed)."""
    t = shape.type_name
    if t == "structure" and isinstance(value, dict):
        out = {}
        for k, v in value.items():
            name, m = _wire_member(shape, k)
            out[name] = _from_json(m, v) if m is not None else v
        return out
    if t == "list" and isinstance(value, list):
        return [_from_json(shape.member, v) for v in value]
    if t == "map" and isinstance(value, dict):
        return {k: _from_json(shape.value, v) for k, v in value.items()}
    if t == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            return value
    if t == "timestamp" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    return value


def _from_xml(shape, el):
    t = shape.type_name
    if t == "structure":
        out = {}
        for name, m in shape.members.items():
            tag = m.serialization.get("name", name)
            if m.type_name == "list" and m.serialization.get("flattened"):
                kids = [c for c in el if _local(c.tag) == tag]
                if kids:
                    out[name] = [_from_xml(m.member, c) for c in kids]
                continue
            child = next((c for c in el if _local(c.tag) == tag), None)
            if child is not None:
                out[name] = _from_xml(m, child)
        for c in el:   # unknown elements: keep, so the validator reports them
            if _local(c.tag) not in {m.serialization.get("name", n) for n, m in shape.members.items()}:
                out[_local(c.tag)] = c.text
        return out
    if t == "list":
        mname = shape.member.serialization.get("name", "member")
        return [_from_xml(shape.member, c) for c in el if _local(c.tag) == mname]
    return _scalar(shape, el.text or "")


def _local(tag):
    return tag.split("}", 1)[-1]


def _from_query(shape, flat, prefix=""):
    """IAM/STS/CloudWatch Foo.member.1.Bar=x -> nested params by shape."""
    out = {}
    unknown = {k.split(".", 1)[0] for k in flat if not prefix and k not in ("Action", "Version")}
    for name, m in shape.members.items():
        key = prefix + m.serialization.get("name", name)
        unknown.discard(m.serialization.get("name", name))
        v = _query_member(m, flat, key)
        if v is not None:
            out[name] = v
    for k in unknown:
        out[k] = flat.get(k, "")
    return out


def _query_member(shape, flat, key):
    t = shape.type_name
    if t == "structure":
        if not any(k.startswith(key + ".") for k in flat):
            return None
        return _from_query(shape, flat, key + ".")
    if t == "list":
        mname = "" if shape.serialization.get("flattened") else "." + shape.member.serialization.get("name", "member")
        items, i = [], 1
        if key + mname in flat and flat[key + mname] == "":
            return []
        if key in flat and flat[key] == "":
            return []
        while True:
            k = f"{key}{mname}.{i}"
            if shape.member.type_name == "structure":
                if not any(x.startswith(k + ".") for x in flat):
                    break
                items.append(_from_query(shape.member, flat, k + "."))
            else:
                if k not in flat:
                    break
                items.append(_scalar(shape.member, flat[k]))
            i += 1
        return items if items else None
    if t == "map":
        items, i = {}, 1
        while f"{key}.entry.{i}.key" in flat:
            items[flat[f"{key}.entry.{i}.key"]] = _scalar(shape.value, flat.get(f"{key}.entry.{i}.value", ""))
            i += 1
        return items or None
    if key not in flat:
        return None
    return _scalar(shape, flat[key])


def _template_regex(uri):
    path = uri.split("?", 1)[0]
    names, rx = [], ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            name = part[1:-1]
            greedy = name.endswith("+")
            names.append(name.rstrip("+"))
            rx += "(.+)" if greedy else "([^/]+)"
        else:
            rx += re.escape(part)
    literal = len(re.sub(r"\{[^}]+\}", "", path))
    qkeys = [kv.split("=", 1) for kv in uri.split("?", 1)[1].split("&")] if "?" in uri else []
    return re.compile("^" + rx + "/?$"), names, literal, qkeys


_rest_index = {}


def _rest_ops(svc, method):
    """The service's operations of one HTTP method, with their URI templates compiled."""
    if svc not in _rest_index:
        m = model(svc)
        ops = {}
        for name in m.operation_names:
            op = m.operation_model(name)
            rx, names, literal, qkeys = _template_regex(op.http["requestUri"])
            ops.setdefault(op.http["method"], []).append((op, rx, names, literal, qkeys))
        _rest_index[svc] = ops
    return _rest_index[svc].get(method, ())


def find_rest_op(svc, method, path, query, headers):
    best = None
    for op, rx, names, literal, qkeys in _rest_ops(svc, method):
        mt = rx.match(path)
        if not mt:
            continue
        if any(k not in query or (len(kv) > 1 and query[k][0] != kv[1]) for k, *kv in qkeys):
            continue
        score = literal * 10 + len(qkeys) * 1000 - (5 if op.deprecated else 0)  # same URI: prefer the current op
        shape = op.input_shape
        if shape is not None:
            missing = False
            for mname in shape.required_members:
                ser = shape.members[mname].serialization
                if ser.get("location") in ("querystring", "header"):
                    present = (ser.get("name", mname) in query if ser["location"] == "querystring"
                               else headers.get(ser.get("name", mname)) is not None)
                    if not present:
                        missing = True
                    else:
                        score += 100
            if missing:
                continue
        if best is None or score > best[0]:
            best = (score, op, dict(zip(names, (unquote(g) for g in mt.groups()))))
    return (best[1], best[2]) if best else (None, None)


def parse_rest_input(op, labels, query, headers, body):
    shape = op.input_shape
    params = {}
    if shape is None:
        return params
    payload = shape.serialization.get("payload")
    body_members = {}
    for name, m in shape.members.items():
        ser = m.serialization
        loc = ser.get("location")
        wire = ser.get("name", name)
        if loc == "uri":
            if wire in labels:
                params[name] = _scalar(m, labels[wire])
        elif loc == "querystring":
            if m.type_name == "map":
                params[name] = {k: v[0] for k, v in query.items()}
            elif wire in query:
                vals = query[wire]
                params[name] = [_scalar(m.member, v) for v in vals] if m.type_name == "list" else _scalar(m, vals[0])
        elif loc == "header":
            v = headers.get(wire)
            if v is not None:
                if m.type_name == "string" and m.serialization.get("jsonvalue"):
                    v = json.loads(base64.b64decode(v))
                params[name] = _scalar(m, v)
        elif loc == "headers":
            pre = wire.lower()
            hv = {k[len(pre):]: v for k, v in headers.items() if k.lower().startswith(pre)}
            if hv:
                params[name] = hv
        elif loc == "statusCode":
            pass
        elif name == payload:
            if m.type_name == "blob" or m.type_name == "string":
                params[name] = body if m.type_name == "blob" else body.decode()
            elif body:
                if op.metadata["protocol"] == "rest-xml":
                    params[name] = _from_xml(m, ET.fromstring(body))
                else:
                    params[name] = _from_json(m, json.loads(body))
        else:
            body_members[name] = m
    if body_members and not payload and body:
        if op.metadata["protocol"] == "rest-xml":
            root = ET.fromstring(body)
            params.update(_from_xml(shape, root))
        else:
            doc = json.loads(body)
            if not isinstance(doc, dict):
                raise AWSError(400, "SerializationException", "body is not a JSON object")
            for k, v in doc.items():
                name, m = _wire_member(shape, k)
                params[name] = _from_json(m, v) if m is not None else v
    elif body and not payload and op.metadata["protocol"] == "rest-json":
        doc = json.loads(body)
        if isinstance(doc, dict):
            params.update(doc)   # members the shape doesn't know: validator refuses
    return params


# ---- params -> wire output -------------------------------------------------

def _to_json(shape, v):
    if shape is None:
        return v
    t = shape.type_name
    if t == "structure" and isinstance(v, dict):
        return {shape.members[k].serialization.get("name", k) if k in shape.members else k:
                _to_json(shape.members.get(k), x) for k, x in v.items()}
    if t == "list":
        return [_to_json(shape.member, x) for x in v]
    if t == "map":
        return {k: _to_json(shape.value, x) for k, x in v.items()}
    if t == "blob":
        return base64.b64encode(v if isinstance(v, bytes) else v.encode()).decode()
    if t == "timestamp" and isinstance(v, datetime.datetime):
        fmt = shape.serialization.get("timestampFormat")
        if fmt == "iso8601":
            return v.strftime("%Y-%m-%dT%H:%M:%SZ")
        return v.timestamp()
    return v


def _xml(shape, name, v):
    t = shape.type_name if shape is not None else "string"
    if t == "structure":
        inner = "".join(_xml(shape.members.get(k), shape.members[k].serialization.get("name", k)
                             if k in shape.members else k, x) for k, x in v.items())
        return f"<{name}>{inner}</{name}>"
    if t == "list":
        mname = shape.member.serialization.get("name", "member")
        if shape.serialization.get("flattened"):
            return "".join(_xml(shape.member, name, x) for x in v)
        return f"<{name}>" + "".join(_xml(shape.member, mname, x) for x in v) + f"</{name}>"
    if t == "map":
        return f"<{name}>" + "".join(f"<entry><key>{xml_escape(k)}</key>{_xml(shape.value, 'value', x)}</entry>"
                                     for k, x in v.items()) + f"</{name}>"
    if t == "boolean":
        v = "true" if v else "false"
    if t == "timestamp" and isinstance(v, datetime.datetime):
        v = v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return f"<{name}>{xml_escape(str(v))}</{name}>"


def serialize_output(op, out, request_id):
    """-> (status, headers, body bytes)"""
    proto = op.metadata["protocol"]
    shape = op.output_shape
    status = op.http.get("responseCode", 200)
    headers = {}
    out = {k: v for k, v in (out or {}).items() if shape is not None and k in shape.members}
    if proto == "query":
        inner = ""
        if shape is not None:
            inner = "".join(_xml(shape.members.get(k), k, v) for k, v in out.items())
        name = op.name
        body = (f'<{name}Response xmlns="https://{op.metadata["endpointPrefix"]}.amazonaws.com/doc/'
                f'{op.metadata["apiVersion"]}/"><{name}Result>{inner}</{name}Result>'
                f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
                f"</{name}Response>")
        return status, {"Content-Type": "text/xml"}, body.encode()
    if proto == "json":
        headers["Content-Type"] = "application/x-amz-json-1.1"
        return status, headers, json.dumps(_to_json(shape, out)).encode()
    body = b""
    if shape is not None:
        payload = shape.serialization.get("payload")
        for k in list(out):
            m = shape.members.get(k)
            if m is None:
                continue
            loc = m.serialization.get("location")
            if loc == "header":
                v = out.pop(k)
                headers[m.serialization.get("name", k)] = str(v).lower() if isinstance(v, bool) else str(v)
            elif loc == "headers":
                for hk, hv in out.pop(k).items():
                    headers[m.serialization.get("name", "") + hk] = hv
            elif loc == "statusCode":
                status = out.pop(k)
        if payload:
            pv = out.get(payload)
            pm = shape.members[payload]
            if pm.type_name in ("blob", "string"):
                body = pv if isinstance(pv, bytes) else (pv or "").encode()
            elif pv is not None:
                body = (json.dumps(_to_json(pm, pv)).encode() if proto == "rest-json"
                        else _xml(pm, pm.serialization.get("name", payload), pv).encode())
        elif proto == "rest-json":
            body = json.dumps(_to_json(shape, out)).encode()
        elif out:
            root = shape.serialization.get("name", shape.name)
            body = _xml(shape, root, out).encode()
    if status in (204, 304):
        # no body, as HTTP requires: a stray "{}" would be read as the start of the
        # next answer on a kept-alive connection
        body = b""
    if proto == "rest-json" and "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    elif proto == "rest-xml" and body:
        headers["Content-Type"] = "application/xml"
    return status, headers, body


def serialize_error(proto, svc, err, request_id):
    if proto in ("json", "rest-json"):
        h = {"Content-Type": "application/json", "x-amzn-ErrorType": err.code,
             "x-amzn-RequestId": request_id}
        body = {"message": err.message}
        if proto == "json":
            body["__type"] = err.code
        if svc == "lambda":
            body["Type"] = "User" if err.sender else "Service"
        return err.status, h, json.dumps(body).encode()
    if proto == "rest-xml" and svc == "s3":
        body = (f"<Error><Code>{err.code}</Code><Message>{xml_escape(err.message)}</Message>"
                f"<RequestId>{request_id}</RequestId></Error>")
        return err.status, {"Content-Type": "application/xml", "x-amz-request-id": request_id}, body.encode()
    body = (f"<ErrorResponse><Error><Type>{'Sender' if err.sender else 'Receiver'}</Type>"
            f"<Code>{err.code}</Code><Message>{xml_escape(err.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>")
    return err.status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body.encode()


def validation_error(proto, svc, report):
    code = {"query": "ValidationError", "rest-xml": "InvalidArgument"}.get(proto, "ValidationException")
    if svc == "apigateway" or svc == "apigatewayv2":
        code = "BadRequestException"
    return AWSError(400, code, report)


# ---- the server -------------------------------------------------------------

class Server(ThreadingHTTPServer):
    """A cloud endpoint takes a burst of new connections (hoist's readers open
    several at once): Python's default listen backlog of 5 would drop the rest's
    SYNs, and each such client would wait a second for its retransmission."""
    request_queue_size = 128


class Fake:
    def __init__(self, keys=None):
        self.keys = dict(keys or DEFAULT_KEYS)
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with getattr(self, "lock", threading.RLock()):
            self.requests = []
            self.faults = []
            self.renew_released()
            self.kill = None
            self.state = {}
            self.foreign_buckets = set()
            for akid in getattr(self, "sessions", {}):
                self.keys.pop(akid, None)
            self.sessions = {}       # role sessions given to functions (roles.py)

    def renew_released(self):
        """A request "block" holds goes on; the next one waits for the next release."""
        if hasattr(self, "released"):
            self.released.set()
        self.released = threading.Event()

    # The server and its thread (fakealiyun and faketencent bring their own handler)
    server_class = Server

    def handler_class(self):
        return _Handler

    def start(self, port=0):
        fake = self

        class Handler(self.handler_class()):
            pass
        Handler.fake = fake
        self.httpd = self.server_class(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def take_fault(self, operation):
        with self.lock:
            for f in self.faults:
                if f.get("operation") in (operation, "*") and f["count"] != 0:
                    if f["count"] > 0:
                        f["count"] -= 1
                    return dict(f)
        return None

    def take_body_fault(self, path):
        """A stall_body fault whose `match` is in the request path, or None."""
        with self.lock:
            for f in self.faults:
                if f.get("match") and f["match"] in path and f["count"] != 0:
                    if f["count"] > 0:
                        f["count"] -= 1
                    return dict(f)
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True   # header and body are separate writes: no 40 ms delayed-ACK stalls
    fake = None

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle +
        # the client's delayed ACK add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self):
        self.handle_any()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET

    def send(self, status, headers, body):
        # 1xx, 204 and 304 have no body (RFC 9110 6.4.1): a newer botocore's model gives
        # some 204 operations an output shape, and "{}" sent after a 204 would be read by
        # a keep-alive client as the start of its next response.
        bodiless = status < 200 or status in (204, 304)
        self.send_response(status)
        for k, v in headers.items():
            if not (bodiless and k.lower() == "content-length"):
                self.send_header(k, v)
        if not bodiless and not any(k.lower() == "content-length" for k in headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and not bodiless:
            self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(n) if n else b""

    def handle_any(self):
        started = time.time()   # "took": the fake's own time for a request, body read included
        stall = self.fake.take_body_fault(self.path)
        if stall:   # the client is still uploading: take 1 MiB, then stop reading
            self.rfile.read(min(1 << 20, int(self.headers.get("Content-Length") or 0) // 2))
            self.fake.released.wait(float(stall.get("delay", 60)))
            self.close_connection = True
            return
        body = self.read_body()
        parts = urlsplit(self.path)
        if parts.path.startswith("/__fake/"):
            return self.admin(parts.path, body)
        from . import svc_dataplane
        if svc_dataplane.is_dataplane(self.headers.get("Host", "")):
            return self.send(*svc_dataplane.serve(self, parts, body))
        request_id = str(uuid.uuid4())
        self._svc = None
        from . import services
        proto, svc = "rest-json", "unknown"
        kill = record = None
        try:
            svc, scope_svc, creds, region = self.verify(parts, body)
            proto = model(svc).metadata["protocol"]
            op, params = self.identify(svc, parts, body)
            logged = _jsonable(params)     # (hashes an upload: not under the lock)
            with self.fake.lock:
                record = {"service": svc, "operation": op.name, "params": logged,
                          "time": time.time(), "started": started,
                          "conn": self.client_address[1]}
                self.fake.requests.append(record)
                kill = getattr(self.fake, "kill", None)
                if kill and kill["at"] == len(self.fake.requests) - 1:
                    self.fake.kill = None
                else:
                    kill = None
            if kill and kill["when"] == "before":
                return self.kill_client(kill)
            fault = self.fake.take_fault(op.name)
            if fault and self.apply_fault(fault, proto, svc, request_id):
                return
            if op.input_shape is not None:
                report = ParamValidator().validate(params, op.input_shape)
                if report.has_errors():
                    raise validation_error(proto, svc, report.generate_report())
            from . import roles
            roles.authorize(self.fake, creds.access_key, creds.token, svc, op.name, params, region)
            handler = services.HANDLERS.get((svc, op.name))
            if handler is None:
                raise AWSError(501, "NotImplemented", f"the fake does not implement {svc} {op.name}")
            out = handler(self.fake, params, {"region": region, "headers": self.headers,
                                              "query": parts.query, "access_key": creds.access_key})
            if kill:     # it acted; the client never hears of it
                return self.kill_client(kill)
            status, headers, rbody = serialize_output(op, out, request_id)
            headers.setdefault("x-amzn-RequestId", request_id)
            self.answered(record, started)
            self.send(status, headers, rbody)
        except AWSError as err:
            if kill:     # it answered with an error: killed all the same
                return self.kill_client(kill)
            if svc == "unknown" and getattr(self, "_svc", None):
                svc = self._svc
                proto = model(svc).metadata["protocol"]
            self.answered(record, started)
            self.send(*serialize_error(proto, svc, err, request_id))

    def answered(self, record, started):
        """The request's "took", set before its answer is sent: a client that has the
        answer finds it in /__fake/requests."""
        if record is not None:
            with self.fake.lock:
                record["took"] = time.time() - started

    def kill_client(self, kill):
        """SIGKILL the client named by kill["pidfile"]; its connection is dropped unanswered."""
        import signal
        with open(kill["pidfile"]) as f:
            pid = int(f.read().strip())
        os.kill(pid, signal.SIGKILL)
        self.close_connection = True

    def apply_fault(self, f, proto, svc, request_id):
        kind = f["kind"]
        if kind == "throttle":
            code = {"query": "Throttling", "rest-xml": "SlowDown"}.get(proto, "ThrottlingException")
            if svc == "lambda":
                code = "TooManyRequestsException"
            st = 503 if code == "SlowDown" else (400 if code == "Throttling" else 429)
            self.send(*serialize_error(proto, svc, AWSError(st, code, "Rate exceeded"), request_id))
            return True
        if kind == "500":
            self.send(*serialize_error(proto, svc, AWSError(500, "ServiceException",
                                                            "internal failure (injected)", False), request_id))
            return True
        if kind == "reset":
            # The body was read: drop the connection without an answer (RST).
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return True
        if kind == "pending":   # Lambda's answer to a call on a function not yet Active
            self.send(*serialize_error(proto, svc, AWSError(
                409, "ResourceConflictException", "The operation cannot be performed at this "
                "time. The function is currently in the following state: Pending"), request_id))
            return True
        if kind == "denied":
            code = "AccessDenied" if proto in ("query", "rest-xml") else "AccessDeniedException"
            self.send(*serialize_error(proto, svc, AWSError(403, code, "User: arn:aws:iam::"
                      f"{ACCOUNT}:user/hoist-test is not authorized to perform this operation"),
                      request_id))
            return True
        if kind == "slow":
            time.sleep(float(f.get("delay", 2)))
            return False
        if kind == "block":
            self.fake.released.wait(float(f.get("delay", 60)))
            return False
        if kind == "echo_token":   # an error text that quotes the caller's session token
            token = self.headers.get("X-Amz-Security-Token", "")
            self.send(*serialize_error(proto, svc, AWSError(
                403, "ExpiredToken", f"The security token {token} included in the request is "
                "expired"), request_id))
            return True
        return False

    def verify(self, parts, body):
        auth = self.headers.get("Authorization", "")
        m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                     r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", auth)
        if not m:
            raise AWSError(403, "MissingAuthenticationTokenException" if not auth else "IncompleteSignatureException",
                           "Authorization header missing or malformed")
        akid, date, region, scope_svc, signed, sig = m.groups()
        candidates = SERVICES.get(scope_svc)
        if not candidates:
            raise AWSError(403, "InvalidSignatureException", f"unknown service {scope_svc}")
        svc = candidates[0]
        if scope_svc == "apigateway" and parts.path.startswith("/v2/"):
            svc = "apigatewayv2"
        proto = model(svc).metadata["protocol"]
        self._svc = svc
        secret = self.fake.keys.get(akid)
        if secret is None:
            code = {"query": "InvalidClientTokenId", "rest-xml": "InvalidAccessKeyId"}.get(
                proto, "UnrecognizedClientException")
            raise AWSError(403, code, "The security token included in the request is invalid.")
        amz_date = self.headers.get("X-Amz-Date", "")
        if amz_date[:8] != date:
            raise AWSError(403, "SignatureDoesNotMatch" if proto in ("query", "rest-xml")
                           else "InvalidSignatureException", "date in scope differs from X-Amz-Date")
        hdrs = {}
        for h in signed.split(";"):
            v = self.headers.get_all(h)
            if v is None:
                raise AWSError(403, "SignatureDoesNotMatch", f"signed header {h} missing")
            hdrs[h] = ",".join(v)
        sha = self.headers.get("X-Amz-Content-SHA256")
        if sha and sha != "UNSIGNED-PAYLOAD" and sha != sha256_hex(body):   # (S3: the Body's)
            raise AWSError(400, "XAmzContentSHA256Mismatch", "payload hash does not match the body")
        req = AWSRequest(method=self.command, url="http://" + hdrs.get("host", "localhost") + self.path,
                         headers=hdrs, data=body)
        creds = Credentials(akid, secret, self.headers.get("X-Amz-Security-Token"))
        signer = (S3SigV4Auth if scope_svc == "s3" else SigV4Auth)(creds, scope_svc, region)
        req.context["timestamp"] = amz_date
        cr = signer.canonical_request(req)
        expected = signer.signature(signer.string_to_sign(req, cr), req)
        if expected != sig:
            code = "SignatureDoesNotMatch" if proto in ("query", "rest-xml") else "InvalidSignatureException"
            raise AWSError(403, code, "The request signature we calculated does not match the signature "
                           "you provided. Check your AWS Secret Access Key and signing method. "
                           "The Canonical String for this request should have been\n'" + cr + "'")
        return svc, scope_svc, creds, region

    def identify(self, svc, parts, body):
        m = model(svc)
        proto = m.metadata["protocol"]
        if proto == "json":
            target = self.headers.get("X-Amz-Target", "")
            prefix, _, name = target.partition(".")
            if prefix != m.metadata["targetPrefix"] or name not in m.operation_names:
                raise AWSError(400, "UnknownOperationException", f"unknown operation {target}")
            want = "application/x-amz-json-" + m.metadata.get("jsonVersion", "1.1")
            if self.headers.get("Content-Type", "").split(";")[0].strip() != want:
                raise AWSError(400, "SerializationException",
                               f"Content-Type must be {want} for {m.metadata['serviceId']}")
            op = m.operation_model(name)
            try:
                doc = json.loads(body or b"{}")
            except ValueError:
                raise AWSError(400, "SerializationException", "body is not JSON")
            return op, _from_json(op.input_shape, doc) if op.input_shape else doc
        if proto == "query":
            flat = dict(parse_qsl(body.decode(), keep_blank_values=True))
            flat.update(parse_qsl(parts.query, keep_blank_values=True))
            name = flat.get("Action", "")
            if name not in m.operation_names:
                raise AWSError(400, "InvalidAction", f"Could not find operation {name}")
            if flat.get("Version") != m.metadata["apiVersion"]:
                raise AWSError(400, "InvalidParameterValue", f"wrong Version {flat.get('Version')}")
            op = m.operation_model(name)
            return op, _from_query(op.input_shape, flat) if op.input_shape else {}
        query = {}
        for k, v in parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(k, []).append(v)
        path = parts.path
        if svc == "s3":
            host = self.headers.get("Host", "").split(":")[0]
            if ".s3." in host:           # virtual-hosted style
                path = "/" + host.split(".s3.")[0] + path
        op, labels = find_rest_op(svc, self.command, path, query, self.headers)
        if op is None:
            raise AWSError(404, "UnknownOperationException", f"no {svc} operation for {self.command} {parts.path}")
        try:
            return op, parse_rest_input(op, labels, query, self.headers, body)
        except (ValueError, ET.ParseError) as e:
            raise AWSError(400, "SerializationException", f"cannot parse the body: {e}")

    # ---- side channel (/__fake/…), shared by fakealiyun and faketencent ----

    def admin(self, path, body):
        """The side channel: what every fake answers here, the rest in admin_more."""
        f = self.fake
        doc = json.loads(body) if body else {}
        if path == "/__fake/requests":
            with f.lock:
                out = json.dumps(f.requests)
        elif path == "/__fake/reset":
            f.reset()
            out = "{}"
        elif path == "/__fake/state":
            with f.lock:
                out = json.dumps(_jsonable(f.state))
        elif path == "/__fake/faults":
            with f.lock:
                if doc["kind"] == "block":   # held until the next /__fake/release
                    f.released.clear()
                f.faults.append(dict(self.fault_match(doc), kind=doc["kind"],
                                     count=int(doc.get("count", 1)), delay=doc.get("delay", 2)))
            out = "{}"
        else:
            out = self.admin_more(path, doc)
        if out is None:
            return self.send(404, {}, b"no such admin endpoint")
        if isinstance(out, tuple):
            return self.send(*out)
        self.send(200, {"Content-Type": "application/json"}, out.encode())

    def fault_match(self, doc):
        """What a POST /__fake/faults order applies to (take_fault reads it)."""
        return {"operation": doc.get("operation"), "match": doc.get("match")}

    def admin_faults(self, path):
        """The side channel every fake shares for its faults ("{}"), or None:
        release what "block" holds, forget the faults."""
        f = self.fake
        if path == "/__fake/release":
            f.released.set()
        elif path == "/__fake/reset-faults":
            with f.lock:
                f.faults = []
        else:
            return None
        return "{}"

    def admin_more(self, path, doc):
        """A fake's own side channel: JSON text, (status, headers, body), or None."""
        f = self.fake
        out = self.admin_faults(path)
        if out is not None:
            return out
        if path == "/__fake/kill":
            with f.lock:
                f.kill = {"at": int(doc["at"]), "when": doc["when"], "pidfile": doc["pidfile"]}
            out = "{}"
        elif path == "/__fake/logs":            # issue 6: append log events (svc_logs.py)
            from .svc_logs import admin_append
            with f.lock:
                out = json.dumps(admin_append(f, doc))
        elif path == "/__fake/foreign-buckets":
            with f.lock:
                f.foreign_buckets.update(doc.get("buckets", []))
            out = "{}"
        elif path.startswith("/__fake/code/"):      # Lambda GetFunction Code.Location
            from . import services
            return services.serve_code(f, path)
        else:
            return None
        return out


_digests = {}           # id -> (bytes, SHA-256 hex) of the last few big blobs
_digests_lock = threading.Lock()


def sha256_hex(data):
    """hashlib.sha256(data).hexdigest(), once per big bytes object: an upload is
    hashed for the request log, for CodeSha256 and for the state dump."""
    if type(data) is not bytes or len(data) < 1 << 16:
        return hashlib.sha256(data).hexdigest()
    with _digests_lock:
        hit = _digests.get(id(data))
    if hit is not None and hit[0] is data:
        return hit[1]
    h = hashlib.sha256(data).hexdigest()
    with _digests_lock:
        while len(_digests) >= 8:
            del _digests[next(iter(_digests))]
        _digests[id(data)] = (data, h)
    return h


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return {"__bytes__": len(v), "sha256": sha256_hex(v)}
    if isinstance(v, datetime.datetime):
        return v.isoformat()
    return v


def serve(fake_class):
    """Run a fake standalone: [--port N], prints "URL http://127.0.0.1:N", serves
    until its stdin closes (fakealiyun and faketencent run the same way)."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    fake = fake_class().start(a.port)
    print(f"URL {fake.url}", flush=True)
    try:
        sys.stdin.read()        # until the parent closes our stdin
    except KeyboardInterrupt:
        pass
    fake.stop()


def main():
    serve(Fake)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "fakecloud"
    import fakecloud.fakeaws as _self   # run as the package module so relative imports work
    _self.main()
