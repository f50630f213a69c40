"""A fake Tencent Cloud for hoist's tests: one HTTP server on 127.0.0.1 that
speaks the API 3.0 services hoist uses (SCF, CLS, CAM, SSL, DNSPod, Cloud
Monitor), COS, SCF function URLs and SCF custom domains, routed by the Host
header (hoist keeps the real host when an endpoint override points it here).

It is strict the way fakeaws.py is strict with botocore, with Tencent's own
SDK code as the judge (tc_judge.js, a long-lived node process shared by every
fake in the test session):

- every API 3.0 request's TC3-HMAC-SHA256 signature is recomputed with
  tencentcloud-sdk-nodejs-common's sign3 (a mismatch gets
  AuthFailure.SignatureFailure), X-TC-Timestamp must be within 5 minutes and
  the credential scope must name the service the host belongs to;
- every action's parameters are checked against the SDK's request model
  (UnknownParameter / MissingParameter / InvalidParameter), and every answer
  the fake gives against the response model;
- COS requests carry cos-nodejs-sdk-v5 getAuth signatures;
- CAM roles and policies (tc_cam.py) bind what a function's role credentials
  may call, and SCF takes only a role that trusts it;
- SCF calls are asynchronous: functions go Creating/Updating -> Active over a
  few GetFunction polls, and writes to a function that is not Active fail.
Errors are Tencent's: {"Response": {"Error": {"Code", "Message"}, "RequestId"}}
with HTTP 200.

Side channel (unsigned, same port):
  GET  /__fake/requests   every signed request: [{service, action, params, time,
                          secret_id}]
  POST /__fake/reset      forget requests, state and faults
  POST /__fake/faults     {"action": "CreateFunction" | "cos:PutObject" | "*",
                           "kind": "throttle" | "internal" | "http500" | "reset" |
                                   "reset_after" | "slow" | "block", "count": N, "delay": s,
                           "key": COS key prefix the fault is limited to}
                          ("block" holds the request, before it acts, until the next
                          POST /__fake/release, at most `delay` s)
  POST /__fake/release    let every blocked request go on
  POST /__fake/reset-faults  forget the faults (state and requests stay)
  GET  /__fake/state      a JSON dump of the state
  POST /__fake/logs       {"topic": id, "lines": [{"time": ms, "message": text}]}
  POST /__fake/dns        {"name": fqdn, "type": "CNAME", "value": v}: a record
                          served by DNS outside DNSPod (custom-domain checks)
In the test process, fake.kill = {"at": N, "when": "before" | "after",
"pidfile": path} SIGKILLs the client whose pid the file holds when it sends
signed request N (counting from 0): before the request acts, or after it
acted, the connection dropped unanswered (tests/tencent/tc_killpoints.py).
"""
import base64
import datetime
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from urllib.parse import urlsplit

from . import fakeaws

# The fake's generation when the request this thread serves arrived (Fake.record).
_arrival = threading.local()

APPID = "1250000000"
UIN = "100000000001"
DEFAULT_KEYS = {"AKIDFAKEHOIST": "fake/tencent+secret"}
SERVICES = {"scf": "2018-04-16", "cls": "2020-10-16", "cam": "2019-01-16",
            "ssl": "2019-12-05", "dnspod": "2021-03-23", "monitor": "2018-07-24"}
REGIONAL = {"scf", "cls", "monitor"}
SKEW = 300
# The CAM action an API action is authorized as, where the names differ (SCF's
# authorization list: Invoke is scf:InvokeFunction).
CAM_ACTIONS = {("scf", "Invoke"): "scf:InvokeFunction"}

HANDLERS = {}        # (service, action) -> fn(fake, params, ctx) -> dict


def action(service, name):
    def deco(fn):
        HANDLERS[(service, name)] = fn
        return fn
    return deco


class TCError(Exception):
    """A Tencent API error (answered with HTTP 200 unless status says otherwise)."""
    def __init__(self, code, message, status=200):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


# ---- the judge ----------------------------------------------------------------

class Judge:
    """tc_judge.js, started once per test session, asked one line at a time."""
    _lock = threading.Lock()
    _proc = None

    @classmethod
    def ask(cls, **q):
        with cls._lock:
            if cls._proc is None or cls._proc.poll() is not None:
                here = os.path.dirname(os.path.abspath(__file__))
                cls._proc = subprocess.Popen(["node", os.path.join(here, "tc_judge.js")],
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             text=True, bufsize=1)
                ready = json.loads(cls._proc.stdout.readline() or "{}")
                if "ready" not in ready:
                    raise RuntimeError(f"tc_judge.js did not start: {ready}")
            cls._proc.stdin.write(json.dumps(q) + "\n")
            cls._proc.stdin.flush()
            out = json.loads(cls._proc.stdout.readline())
        if "fatal" in out:
            raise RuntimeError("tc_judge.js: " + out["fatal"])
        return out


def now_ms():
    return int(time.time() * 1000)


def stamp(t=None):
    """SCF's time format: 2024-05-01 12:00:00."""
    return datetime.datetime.fromtimestamp(t or time.time()).strftime("%Y-%m-%d %H:%M:%S")


# ---- the server ---------------------------------------------------------------

class _Server(fakeaws.Server):
    def handle_error(self, request, client_address):
        pass            # injected resets and clients hanging up are the point, not news


class Fake(fakeaws.Fake):
    """fakeaws.Fake's server and thread; Tencent's bookkeeping and routing."""
    server_class = _Server

    def __init__(self, keys=None, settle_polls=2, role_settle=0.0):
        self.keys = dict(keys or DEFAULT_KEYS)
        self.tokens = {}                 # secret id -> required X-TC-Token
        self.role_settle = role_settle   # seconds before SCF takes a new CAM role
        self.settle_polls = settle_polls
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with self.lock:
            self.generation = getattr(self, "generation", 0) + 1
            self.renew_released()
            self.requests = []
            self.faults = []
            self.state = {}
            self.external_dns = {}       # (name, type) -> [values]
            self.role_sids = {}          # a function role's secret id -> the role (tc_cam)
            self.run_count = 0
            self.kill = None

    def handler_class(self):
        return _Handler

    def take_kill(self):
        """The kill order for the request just recorded, if it is its target."""
        with self.lock:
            k = self.kill
            if k and k["at"] == len(self.requests) - 1:
                self.kill = None
                return k
        return None

    def st(self, key):
        return self.state.setdefault(key, {})

    def take_fault(self, name, key=None):
        with self.lock:
            for f in self.faults:
                if f.get("key") is not None and not (key or "").startswith(f["key"]):
                    continue                  # a COS fault for other keys
                if f["action"] in (name, "*") and f["count"] != 0:
                    if f["count"] > 0:
                        f["count"] -= 1
                    return dict(f)
        return None

    def record(self, service, name, params, secret_id=None):
        with self.lock:
            if getattr(_arrival, "generation", self.generation) != self.generation:
                return   # it arrived before a reset: a previous test's client, gone since
            self.requests.append({"service": service, "action": name, "params": params,
                                  "time": time.time(), "secret_id": secret_id})


def answer(request_id, out=None, err=None):
    body = {"Response": dict(out or {})}
    if err is not None:
        body["Response"] = {"Error": {"Code": err.code, "Message": err.message}}
    body["Response"]["RequestId"] = request_id
    return json.dumps(body).encode()


class _Handler(fakeaws._Handler):
    """fakeaws's HTTP plumbing (keep-alive, TCP_NODELAY, bodies, kill_client); Tencent's
    routing."""
    do_OPTIONS = fakeaws._Handler.do_GET

    def drop(self):
        """Close the connection without an answer (RST)."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def handle_any(self):
        _arrival.generation = self.fake.generation
        body = self.read_body()
        parts = urlsplit(self.path)
        if parts.path.startswith("/__fake/"):
            return self.admin(parts.path, body)
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        from . import tc_cos, tc_url
        if self.headers.get("X-TC-Action") is not None or host.endswith(".tencentcloudapi.com"):
            return self.api(host, parts, body)
        if ".cos." in host and host.endswith(".myqcloud.com"):
            return tc_cos.serve(self, host, parts, body)
        return tc_url.serve(self, host, parts, body)

    # ---- API 3.0 ----------------------------------------------------------

    def api(self, host, parts, body):
        rid = str(uuid.uuid4())
        try:
            svc, ctx = self.verify_tc3(host, parts, body)
            name = self.headers.get("X-TC-Action")
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                raise TCError("InvalidParameter", "the body is not JSON")
            self.fake.record(svc, name, params, ctx["secret_id"])
            kill = self.fake.take_kill()
            if kill and kill["when"] == "before":
                return self.kill_client(kill)
            fault = self.fake.take_fault(name)
            if fault and self.apply_fault(fault, rid, before=True):
                return
            errs = Judge.ask(op="validate", service=svc, action=name, params=params)["errors"]
            if errs:
                raise TCError(errs[0][0], errs[0][1])
            self.authorize(svc, name, params, ctx)
            handler = HANDLERS.get((svc, name))
            if handler is None:
                raise TCError("UnsupportedOperation", f"the fake does not implement {svc} {name}")
            if getattr(handler, "unlocked", False):    # runs code that may call back
                out = handler(self.fake, params, ctx) or {}
            else:
                with self.fake.lock:
                    out = handler(self.fake, params, ctx) or {}
            bad = Judge.ask(op="response", service=svc, action=name, response=out)["errors"]
            if bad:
                raise TCError("InternalError", f"fake answer for {name} breaks the response "
                              f"model: {bad}")
            if kill:                 # it acted; the client never hears of it
                return self.kill_client(kill)
            if fault and self.apply_fault(fault, rid, before=False):
                return
            self.send(200, {"Content-Type": "application/json"}, answer(rid, out))
        except TCError as err:
            if locals().get("kill"):  # it answered with an error: killed all the same
                return self.kill_client(kill)
            self.send(err.status, {"Content-Type": "application/json"}, answer(rid, err=err))

    def authorize(self, svc, name, params, ctx):
        """A call signed with a function role's credentials: what the role's policies allow."""
        from .tc_cam import allowed
        role = self.fake.role_sids.get(ctx["secret_id"])
        if role is None:
            return
        res, act = "*", CAM_ACTIONS.get((svc, name), f"{svc}:{name}")
        if svc == "scf" and params.get("FunctionName"):
            res = (f"qcs::scf:{ctx['region']}:uin/{UIN}:namespace/"
                   f"{params.get('Namespace') or 'default'}/function/{params['FunctionName']}")
        with self.fake.lock:
            ok = allowed(self.fake, role, act, res)
        if not ok:
            raise TCError("AuthFailure.UnauthorizedOperation", f"role {role} may not "
                          f"{act} on {res}")

    def apply_fault(self, f, rid, before):
        kind = f["kind"]
        if kind == "reset_after":
            if before:
                return False
            self.drop()
            return True
        if not before:
            return False
        if kind == "throttle":
            self.send(200, {"Content-Type": "application/json"},
                      answer(rid, err=TCError("RequestLimitExceeded", "Your request frequency "
                                              "has exceeded the limit (injected).")))
            return True
        if kind == "internal":
            self.send(200, {"Content-Type": "application/json"},
                      answer(rid, err=TCError("InternalError", "internal error (injected)")))
            return True
        if kind == "http500":
            self.send(500, {"Content-Type": "text/plain"}, b"upstream failure (injected)")
            return True
        if kind == "reset":
            self.drop()
            return True
        if kind == "slow":
            time.sleep(float(f.get("delay", 2)))
        if kind == "block":   # held, before it acts, until POST /__fake/release
            self.fake.released.wait(float(f.get("delay", 60)))
        return False

    def verify_tc3(self, host, parts, body):
        """-> (service, ctx); TCError with Tencent's AuthFailure codes otherwise."""
        auth = self.headers.get("Authorization", "")
        m = re.match(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([a-z0-9]+)/tc3_request, "
                     r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$", auth)
        if not m:
            raise TCError("AuthFailure.InvalidAuthorization", "Authorization header is missing "
                          "or malformed.")
        sid, date, svc, signed, _ = m.groups()
        if svc not in SERVICES:
            raise TCError("AuthFailure.SignatureFailure", f"unknown service {svc} in the credential scope")
        if host.endswith(".tencentcloudapi.com") and host.split(".")[0] != svc:
            raise TCError("AuthFailure.SignatureFailure",
                          f"credential scope service {svc} does not match host {host}")
        name, version = self.headers.get("X-TC-Action"), self.headers.get("X-TC-Version")
        if not name:
            raise TCError("MissingParameter", "The request is missing a required parameter `Action`.")
        if version != SERVICES[svc]:
            raise TCError("NoSuchVersion", f"The requested version `{version}` of API `{name}` "
                          f"does not exist.")
        secret = self.fake.keys.get(sid)
        if secret is None:
            raise TCError("AuthFailure.SecretIdNotFound", "The SecretId is not found, please "
                          "ensure that your SecretId is correct.")
        try:
            ts = int(self.headers.get("X-TC-Timestamp", ""))
        except ValueError:
            raise TCError("MissingParameter", "The request is missing a required parameter `Timestamp`.")
        if abs(time.time() - ts) > SKEW:
            raise TCError("AuthFailure.SignatureExpire", "Signature expired.")
        if datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d") != date:
            raise TCError("AuthFailure.SignatureFailure", "the credential date is not the "
                          "UTC date of X-TC-Timestamp")
        want = self.fake.tokens.get(sid)
        if want is not None and self.headers.get("X-TC-Token") != want:
            raise TCError("AuthFailure.TokenFailure", "Token verification failed.")
        url = "https://" + (self.headers.get("Host") or host) + parts.path + \
            ("?" + parts.query if parts.query else "")
        expected = Judge.ask(op="tc3", method=self.command, url=url,
                             body_b64=base64.b64encode(body).decode(), timestamp=ts,
                             service=svc, secret_id=sid, secret_key=secret,
                             content_type=self.headers.get("Content-Type", ""))["authorization"]
        if expected != auth:
            raise TCError("AuthFailure.SignatureFailure", "The provided credentials could not "
                          "be validated. Please check your signature is correct.")
        region = self.headers.get("X-TC-Region")
        if svc in REGIONAL:
            from .tc_regions import REGIONS
            if not region:
                raise TCError("MissingParameter", "The request is missing a required parameter `Region`.")
            if region not in REGIONS:
                raise TCError("InvalidParameterValue", f"The value `{region}` of parameter "
                              f"`Region` is not supported.")
        return svc, {"region": region, "secret_id": sid, "service": svc}

    # ---- side channel -----------------------------------------------------

    def fault_match(self, doc):
        return {"action": doc["action"], "key": doc.get("key")}

    def admin_more(self, path, doc):
        f = self.fake
        if self.admin_faults(path) is not None:
            return "{}"
        if path == "/__fake/logs":
            from .tc_cls import admin_append
            with f.lock:
                out = json.dumps(admin_append(f, doc))
        elif path == "/__fake/dns":
            with f.lock:
                f.external_dns.setdefault((doc["name"].rstrip(".").lower(), doc["type"]),
                                          []).append(doc["value"])
            out = "{}"
        else:
            return None
        return out


from . import tc_scf, tc_cls, tc_misc, tc_cam  # noqa: E402,F401  (register the actions)


def main():
    fakeaws.serve(Fake)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "fakecloud"
    import fakecloud.faketencent as _self
    _self.main()
