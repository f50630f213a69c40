"""The fake Function Compute 3.0: functions, versions, aliases, triggers,
async-invoke configs, custom domains and tags, kept in fake.state["fc"];
InvokeFunction, HTTP-trigger requests, custom-domain requests and timer
firings run the packaged handler (a python3 subprocess, as the Python
runtime would: handler(event_bytes, context)).

Behaviour worth knowing in tests:
- a new function is Pending, an updated one InProgress, for
  HOIST_FAKE_SETTLE seconds; writes meanwhile get 409 ConcurrentUpdateError;
- logConfig must name an existing SLS project and logstore (400, as the real
  FC answers), code in OSS must exist in a bucket of the function's region;
- a custom domain must resolve (a CNAME in the fake's DNS) to
  <account>.<region>.fc.aliyuncs.com, else 400 DomainNameNotResolved;
- an HTTP trigger with authType "function" refuses an unsigned or badly
  signed request with 403, checked by the SDK's ACS3 code (seed 003).
"""
import base64
import io
import json
import os
import re
import shutil
import struct
import subprocess
import threading
import time
import uuid
import zipfile
import zlib
from urllib.parse import unquote

from .fakealiyun import ACCOUNT, AliError, now_iso, op
from .zipcheck import check_zip

SETTLE_SECONDS = float(os.environ.get("HOIST_FAKE_SETTLE", "0.3"))
RUNTIMES = ("python3.9", "python3.10", "python3.12", "custom", "custom.debian10",
            "custom.debian11", "custom.debian12", "custom-container", "nodejs18", "nodejs20")
NAME_RX = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
TRIGGER_RX = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$")
ARN_RX = re.compile(r"^acs:(fc|mns|eventbridge|mq|mns-open):[a-z0-9-]*:\d*:.+$")
CRON6_RX = re.compile(r"^(CRON_TZ=\S+ )?\S+( \S+){5}$")
EVERY_RX = re.compile(r"^@every (\d+)(m|h)$")


def fc(fake):
    return fake.st("fc")


def _functions(fake):
    return fc(fake).setdefault("functions", {})


def _fn(fake, name):
    f = _functions(fake).get(name)
    if f is None:
        raise AliError(404, "FunctionNotFound", f"function '{name}' does not exist")
    return f


def _settle(f):
    if time.time() >= f["settle_at"]:
        f["config"]["state"] = "Active"
        if f["config"].get("lastUpdateStatus") == "InProgress":
            f["config"]["lastUpdateStatus"] = "Successful"


def _busy(f):
    _settle(f)
    c = f["config"]
    if c["state"] == "Pending" or c.get("lastUpdateStatus") == "InProgress":
        raise AliError(409, "ConcurrentUpdateError", f"function {c['functionName']} is being "
                       f"updated (state {c['state']}, lastUpdateStatus {c.get('lastUpdateStatus')}); "
                       "try again when it is Active and Successful")


def arn(region, name):
    return f"acs:fc:{region}:{ACCOUNT}:functions/{name}"


# ---- code -------------------------------------------------------------------------

def _store_code(fake, path_or_bytes, crc=None):
    """Keep a zip in the code store; returns (path, size, crc64 decimal)."""
    os.makedirs(os.path.join(fake.tmp, "code"), exist_ok=True)
    dst = os.path.join(fake.tmp, "code", uuid.uuid4().hex + ".zip")
    if isinstance(path_or_bytes, (bytes, bytearray)):
        with open(dst, "wb") as f:
            f.write(path_or_bytes)
    else:
        try:
            os.link(path_or_bytes, dst)
        except OSError:
            shutil.copyfile(path_or_bytes, dst)
    try:
        check_zip(dst)
    except (zipfile.BadZipFile, zlib.error, struct.error):
        os.unlink(dst)
        raise AliError(400, "InvalidArgument", "code is not a valid zip file")
    if crc is None:
        crc = fake.judge.ask(op="crc64", file=dst)["crc"]
    return dst, os.path.getsize(dst), crc


def _code(fake, code, region):
    code = code or {}
    inline, bucket, obj = code.get("zipFile"), code.get("ossBucketName"), code.get("ossObjectName")
    if bool(inline) == bool(bucket or obj) or (bucket and not obj) or (obj and not bucket):
        raise AliError(400, "InvalidArgument",
                       "Either ossBucketName/ossObjectName or zipFile must be set")
    if inline:
        try:
            data = base64.b64decode(inline, validate=True)
        except ValueError:
            raise AliError(400, "InvalidArgument", "code.zipFile is not base64")
        out = _store_code(fake, data)
    else:
        from .ali_oss import object_path
        path, bregion, crc = object_path(fake, bucket, obj)
        if path is None:
            raise AliError(400, "InvalidArgument", f"failed to get code from OSS: object "
                           f"oss://{bucket}/{obj} does not exist")
        if bregion != region:
            raise AliError(400, "InvalidArgument", f"the OSS bucket {bucket} is in {bregion}, "
                           f"not in the function's region {region}")
        out = _store_code(fake, path, crc)
    if code.get("checksum") and code["checksum"] != out[2]:
        raise AliError(400, "InvalidArgument", f"code checksum {code['checksum']} does not match "
                       f"the code's CRC-64 {out[2]}")
    return out


# ---- validation ---------------------------------------------------------------------

def _check_config(fake, b, region):
    if "runtime" in b and b["runtime"] not in RUNTIMES:
        raise AliError(400, "InvalidArgument", f"runtime '{b['runtime']}' is not supported")
    if "memorySize" in b:
        m = b["memorySize"]
        if not isinstance(m, int) or m % 64 or not 128 <= m <= 32768:
            raise AliError(400, "InvalidArgument", f"memorySize {m} must be a multiple of 64 "
                           "between 128 and 32768")
    if "timeout" in b and not (isinstance(b["timeout"], int) and 1 <= b["timeout"] <= 86400):
        raise AliError(400, "InvalidArgument", f"timeout {b['timeout']} must be 1-86400")
    if "instanceConcurrency" in b and not 1 <= b["instanceConcurrency"] <= 200:
        raise AliError(400, "InvalidArgument", "instanceConcurrency must be 1-200")
    if b.get("role"):
        from .ali_ram import cannot_assume
        problem = cannot_assume(fake, b["role"])
        if problem:
            raise AliError(403, "AccessDenied", problem)
    lc = b.get("logConfig")
    if lc and (lc.get("project") or lc.get("logstore")):
        from .ali_sls import logstore_exists
        problem = logstore_exists(fake, lc.get("project"), lc.get("logstore"), region)
        if problem:
            raise AliError(400, "InvalidArgument", problem)
    vpc = b.get("vpcConfig")
    if vpc and (vpc.get("vpcId") or vpc.get("vSwitchIds") or vpc.get("securityGroupId")):
        if not vpc.get("vpcId") or not vpc.get("vSwitchIds") or not vpc.get("securityGroupId"):
            raise AliError(400, "InvalidArgument", "vpcConfig needs vpcId, vSwitchIds and "
                           "securityGroupId")
    for layer in b.get("layers") or []:
        if not re.match(r"^acs:fc:[a-z0-9-]+:\d+:layers/[^/]+/versions/\d+$", layer):
            raise AliError(400, "InvalidArgument", f"layer '{layer}' is not a layer version ARN")
    env = b.get("environmentVariables") or {}
    if len(json.dumps(env)) > 32 * 1024:
        raise AliError(400, "InvalidArgument", "environmentVariables exceed 32 KB")


CONFIG_KEYS = ("runtime", "handler", "memorySize", "timeout", "environmentVariables",
               "vpcConfig", "logConfig", "role", "instanceConcurrency", "description",
               "internetAccess", "cpu", "diskSize", "tracingConfig", "customDNS",
               "instanceLifecycleConfig", "nasConfig", "ossMountConfig")


def _apply(cfg, b):
    for k in CONFIG_KEYS:
        if k in b:
            cfg[k] = b[k]
    if "layers" in b:
        cfg["layers"] = [{"arn": x, "size": 1024} for x in b["layers"] or []]


def _public(cfg):
    return {k: v for k, v in cfg.items() if v is not None}


# ---- functions ----------------------------------------------------------------------

@op("fc", "CreateFunction")
def create_function(fake, p, ctx):
    b = p["body"] or {}
    name, region = b.get("functionName", ""), ctx["region"]
    if not NAME_RX.match(name):
        raise AliError(400, "InvalidArgument", f"functionName '{name}' must be 1-64 characters "
                       "[A-Za-z0-9_-] starting with a letter or underscore")
    with fake.lock:
        if name in _functions(fake):
            raise AliError(409, "FunctionAlreadyExists", f"function '{name}' already exists")
        _check_config(fake, b, region)
        path, size, crc = _code(fake, b.get("code"), region)
        t = now_iso()
        cfg = {"functionName": name, "functionId": str(uuid.uuid4()), "functionArn": arn(region, name),
               "runtime": b["runtime"], "handler": b["handler"], "memorySize": 128, "timeout": 3,
               "cpu": 0.35, "diskSize": 512, "description": "", "environmentVariables": {},
               "internetAccess": True, "codeChecksum": crc, "codeSize": size,
               "createdTime": t, "lastModifiedTime": t, "state": "Pending",
               "lastUpdateStatus": "", "instanceConcurrency": 1}
        _apply(cfg, b)
        _functions(fake)[name] = {"config": cfg, "code": path, "region": region,
                                  "tags": {x["Key"]: x.get("Value", "") for x in b.get("tags") or []},
                                  "versions": {}, "next_version": 1, "aliases": {}, "triggers": {},
                                  "async": {}, "settle_at": time.time() + SETTLE_SECONDS}
        return _view(_functions(fake)[name], None)


def _view(f, qualifier):
    _settle(f)
    if qualifier in (None, "", "LATEST"):
        cfg = dict(f["config"])
    else:
        v = _resolve(f, qualifier)
        cfg = dict(f["versions"][v]["config"])
    if f["tags"]:
        cfg["tags"] = [{"Key": k, "Value": v} for k, v in sorted(f["tags"].items())]
    return _public(cfg)


def _resolve(f, qualifier):
    """A version id for a qualifier (version or alias); 404 otherwise."""
    if qualifier in f["aliases"]:
        return f["aliases"][qualifier]["versionId"]
    if qualifier in f["versions"]:
        return qualifier
    raise AliError(404, "VersionNotFound" if qualifier.isdigit() else "AliasNotFound",
                   f"qualifier '{qualifier}' of function '{f['config']['functionName']}' does not exist")


@op("fc", "GetFunction")
def get_function(fake, p, ctx):
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        return _view(f, p["query"].get("qualifier"))


@op("fc", "ListFunctions")
def list_functions(fake, p, ctx):
    with fake.lock:
        prefix = p["query"].get("prefix") or ""
        fns = [_view(f, None) for n, f in sorted(_functions(fake).items()) if n.startswith(prefix)]
        return {"functions": fns}


@op("fc", "UpdateFunction")
def update_function(fake, p, ctx):
    b = p["body"] or {}
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        _busy(f)
        _check_config(fake, b, f["region"])
        if b.get("code"):
            f["code"], f["config"]["codeSize"], f["config"]["codeChecksum"] = _code(fake, b["code"], f["region"])
        _apply(f["config"], b)
        f["config"]["lastModifiedTime"] = now_iso()
        f["config"]["lastUpdateStatus"] = "InProgress"
        f["settle_at"] = time.time() + SETTLE_SECONDS
        return _view(f, None)


@op("fc", "DeleteFunction")
def delete_function(fake, p, ctx):
    with fake.lock:
        name = p["labels"]["functionName"]
        f = _fn(fake, name)
        if f["triggers"]:
            raise AliError(400, "InvalidArgument", f"function '{name}' still has triggers "
                           f"({', '.join(sorted(f['triggers']))}); delete them first")
        del _functions(fake)[name]
        return (204, None, {})


@op("fc", "GetFunctionCode")
def get_function_code(fake, p, ctx):
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        q = p["query"].get("qualifier")
        cfg = f["config"] if q in (None, "", "LATEST") else f["versions"][_resolve(f, q)]["config"]
        return {"checksum": cfg["codeChecksum"], "url": "https://fc-code.example.invalid/" + cfg["codeChecksum"]}


# ---- versions and aliases -------------------------------------------------------------

@op("fc", "PublishFunctionVersion")
def publish_version(fake, p, ctx):
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        _busy(f)
        vid = str(f["next_version"])
        f["next_version"] += 1
        t = now_iso()
        f["versions"][vid] = {"versionId": vid, "description": (p["body"] or {}).get("description", ""),
                              "createdTime": t, "lastModifiedTime": t,
                              "config": dict(f["config"]), "code": f["code"]}
        return _version_view(f["versions"][vid])


def _version_view(v):
    return {k: v[k] for k in ("versionId", "description", "createdTime", "lastModifiedTime")}


@op("fc", "ListFunctionVersions")
def list_versions(fake, p, ctx):
    q = p["query"]
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        direction = q.get("direction") or "BACKWARD"
        ids = sorted(f["versions"], key=int, reverse=direction == "BACKWARD")
        start = int(q.get("nextToken") or 0)
        limit = int(q.get("limit") or 20)
        page = ids[start:start + limit]
        out = {"versions": [_version_view(f["versions"][v]) for v in page], "direction": direction}
        if start + limit < len(ids):
            out["nextToken"] = str(start + limit)
        return out


@op("fc", "DeleteFunctionVersion")
def delete_version(fake, p, ctx):
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        vid = p["labels"]["versionId"]
        if vid not in f["versions"]:
            raise AliError(404, "VersionNotFound", f"version {vid} does not exist")
        users = [a for a, x in f["aliases"].items() if x["versionId"] == vid]
        if users:
            raise AliError(400, "InvalidArgument", f"version {vid} is used by alias {users[0]}")
        del f["versions"][vid]
        return (204, None, {})


def _alias_view(a):
    return {k: v for k, v in a.items() if v is not None}


@op("fc", "CreateAlias")
def create_alias(fake, p, ctx):
    b = p["body"] or {}
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        name = b["aliasName"]
        if not NAME_RX.match(name):
            raise AliError(400, "InvalidArgument", f"aliasName '{name}' is not valid")
        if name in f["aliases"]:
            raise AliError(409, "AliasAlreadyExists", f"alias '{name}' already exists")
        if b.get("versionId") not in f["versions"]:
            raise AliError(404, "VersionNotFound", f"version {b.get('versionId')} does not exist")
        t = now_iso()
        f["aliases"][name] = {"aliasName": name, "versionId": b["versionId"],
                              "description": b.get("description", ""),
                              "additionalVersionWeight": b.get("additionalVersionWeight") or {},
                              "createdTime": t, "lastModifiedTime": t}
        return _alias_view(f["aliases"][name])


def _alias(f, name):
    a = f["aliases"].get(name)
    if a is None:
        raise AliError(404, "AliasNotFound", f"alias '{name}' does not exist")
    return a


@op("fc", "GetAlias")
def get_alias(fake, p, ctx):
    with fake.lock:
        return _alias_view(_alias(_fn(fake, p["labels"]["functionName"]), p["labels"]["aliasName"]))


@op("fc", "UpdateAlias")
def update_alias(fake, p, ctx):
    b = p["body"] or {}
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        a = _alias(f, p["labels"]["aliasName"])
        if "versionId" in b:
            if b["versionId"] not in f["versions"]:
                raise AliError(404, "VersionNotFound", f"version {b['versionId']} does not exist")
            a["versionId"] = b["versionId"]
        for k in ("description", "additionalVersionWeight"):
            if k in b:
                a[k] = b[k]
        a["lastModifiedTime"] = now_iso()
        return _alias_view(a)


@op("fc", "DeleteAlias")
def delete_alias(fake, p, ctx):
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        name = p["labels"]["aliasName"]
        _alias(f, name)
        users = [t for t, x in f["triggers"].items() if x["qualifier"] == name]
        if users:
            raise AliError(400, "InvalidArgument", f"alias {name} is used by trigger {users[0]}")
        del f["aliases"][name]
        return (204, None, {})


@op("fc", "ListAliases")
def list_aliases(fake, p, ctx):
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        return {"aliases": [_alias_view(a) for _, a in sorted(f["aliases"].items())]}


# ---- triggers -------------------------------------------------------------------------

def _check_trigger(fake, f, ttype, tcfg_text, qualifier):
    try:
        tcfg = json.loads(tcfg_text or "{}")
    except ValueError:
        raise AliError(400, "InvalidArgument", "triggerConfig is not a JSON string")
    if not isinstance(tcfg, dict):
        raise AliError(400, "InvalidArgument", "triggerConfig must be a JSON object")
    if ttype in ("http", "timer"):
        v = fake.judge.ask(op="model", product="fc", value=tcfg,
                           model="HTTPTriggerConfig" if ttype == "http" else "TimerTriggerConfig")
        if not v["ok"]:
            raise AliError(400, "InvalidArgument", f"triggerConfig: {v['message']}")
    if ttype == "http":
        if tcfg.get("authType", "function") not in ("anonymous", "function", "jwt"):
            raise AliError(400, "InvalidArgument", f"authType {tcfg.get('authType')} is not valid")
        for m in tcfg.get("methods") or []:
            if m not in ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"):
                raise AliError(400, "InvalidArgument", f"method {m} is not valid")
    elif ttype == "timer":
        expr = tcfg.get("cronExpression", "")
        mt = EVERY_RX.match(expr)
        if mt:
            minutes = int(mt.group(1)) * (60 if mt.group(2) == "h" else 1)
            if minutes < 1:
                raise AliError(400, "InvalidArgument", "@every must be at least 1m")
        elif not CRON6_RX.match(expr):
            raise AliError(400, "InvalidArgument", f"cronExpression '{expr}' is neither "
                           "'@every Nm|Nh' nor a 6-field cron (seconds first)")
        if not isinstance(tcfg.get("enable", True), bool):
            raise AliError(400, "InvalidArgument", "enable must be a boolean")
        if len(tcfg.get("payload") or "") > 4096:
            raise AliError(400, "InvalidArgument", "payload exceeds 4 KB")
    else:
        raise AliError(400, "InvalidArgument", f"the fake supports http and timer triggers, not {ttype}")
    if qualifier not in (None, "", "LATEST"):
        _resolve(f, qualifier)
    return tcfg


def _trigger_view(t):
    out = {k: v for k, v in t.items() if v is not None and not k.startswith("_")}
    return out


@op("fc", "CreateTrigger")
def create_trigger(fake, p, ctx):
    b = p["body"] or {}
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        name, ttype = b.get("triggerName", ""), b.get("triggerType")
        if not TRIGGER_RX.match(name):
            raise AliError(400, "InvalidArgument", f"triggerName '{name}' is not valid")
        if name in f["triggers"]:
            raise AliError(409, "TriggerAlreadyExists", f"trigger '{name}' already exists")
        if len(f["triggers"]) >= 50:
            raise AliError(400, "LimitExceeded", "a function has at most 50 triggers")
        qualifier = b.get("qualifier") or "LATEST"
        _check_trigger(fake, f, ttype, b.get("triggerConfig"), qualifier)
        if ttype == "http" and any(t["triggerType"] == "http" for t in f["triggers"].values()):
            raise AliError(400, "InvalidArgument", "a function can have only one HTTP trigger")
        t = now_iso()
        fname = f["config"]["functionName"]
        trig = {"triggerName": name, "triggerType": ttype, "triggerId": str(uuid.uuid4()),
                "qualifier": qualifier, "triggerConfig": b.get("triggerConfig") or "{}",
                "description": b.get("description", ""), "invocationRole": b.get("invocationRole"),
                "sourceArn": b.get("sourceArn"), "status": "Ready",
                "targetArn": arn(f["region"], fname), "createdTime": t, "lastModifiedTime": t}
        if ttype == "http":
            prefix = re.sub(r"[^a-z0-9-]", "-", fname.lower())[:40].strip("-") or "fc"
            host = f"{prefix}-{uuid.uuid4().hex[:10]}.{f['region']}.fcapp.run"
            trig["httpTrigger"] = {"urlInternet": f"https://{host}",
                                   "urlIntranet": f"https://{host.replace('.fcapp.run', '-vpc.fcapp.run')}"}
            fc(fake).setdefault("trigger_hosts", {})[host] = (fname, name)
        f["triggers"][name] = trig
        return _trigger_view(trig)


def _trigger(f, name):
    t = f["triggers"].get(name)
    if t is None:
        raise AliError(404, "TriggerNotFound", f"trigger '{name}' does not exist")
    return t


@op("fc", "GetTrigger")
def get_trigger(fake, p, ctx):
    with fake.lock:
        return _trigger_view(_trigger(_fn(fake, p["labels"]["functionName"]), p["labels"]["triggerName"]))


@op("fc", "UpdateTrigger")
def update_trigger(fake, p, ctx):
    b = p["body"] or {}
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        t = _trigger(f, p["labels"]["triggerName"])
        q = b.get("qualifier", t["qualifier"])
        _check_trigger(fake, f, t["triggerType"], b.get("triggerConfig", t["triggerConfig"]), q)
        for k in ("triggerConfig", "qualifier", "description", "invocationRole"):
            if k in b:
                t[k] = b[k]
        t["lastModifiedTime"] = now_iso()
        return _trigger_view(t)


@op("fc", "DeleteTrigger")
def delete_trigger(fake, p, ctx):
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        t = _trigger(f, p["labels"]["triggerName"])
        if t.get("httpTrigger"):
            host = t["httpTrigger"]["urlInternet"].split("://", 1)[1]
            fc(fake).get("trigger_hosts", {}).pop(host, None)
        del f["triggers"][p["labels"]["triggerName"]]
        return (204, None, {})


@op("fc", "ListTriggers")
def list_triggers(fake, p, ctx):
    q = p["query"]
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        names = sorted(n for n in f["triggers"] if n.startswith(q.get("prefix") or ""))
        start, limit = int(q.get("nextToken") or 0), int(q.get("limit") or 20)
        out = {"triggers": [_trigger_view(f["triggers"][n]) for n in names[start:start + limit]]}
        if start + limit < len(names):
            out["nextToken"] = str(start + limit)
        return out


# ---- async invoke config ------------------------------------------------------------

@op("fc", "PutAsyncInvokeConfig")
def put_async(fake, p, ctx):
    b = p["body"] or {}
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        q = p["query"].get("qualifier") or "LATEST"
        if q != "LATEST":
            _resolve(f, q)
        for which in ("onSuccess", "onFailure"):
            d = ((b.get("destinationConfig") or {}).get(which) or {}).get("destination")
            if d is not None and not ARN_RX.match(d):
                raise AliError(400, "InvalidArgument", f"destination '{d}' is not an Alibaba Cloud "
                               "ARN (acs:mns|fc|eventbridge:…)")
        t = now_iso()
        cfg = {"functionArn": arn(f["region"], f["config"]["functionName"]) + (f"/{q}" if q != "LATEST" else ""),
               "createdTime": f["async"].get(q, {}).get("createdTime", t), "lastModifiedTime": t}
        for k in ("destinationConfig", "maxAsyncEventAgeInSeconds", "maxAsyncRetryAttempts", "asyncTask"):
            if k in b:
                cfg[k] = b[k]
        f["async"][q] = cfg
        return cfg


@op("fc", "GetAsyncInvokeConfig")
def get_async(fake, p, ctx):
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        q = p["query"].get("qualifier") or "LATEST"
        if q not in f["async"]:
            raise AliError(404, "AsyncConfigNotExists", f"AsyncConfig for {f['config']['functionName']}:{q} does not exist.")
        return f["async"][q]


@op("fc", "DeleteAsyncInvokeConfig")
def delete_async(fake, p, ctx):
    with fake.lock:
        f = _fn(fake, p["labels"]["functionName"])
        q = p["query"].get("qualifier") or "LATEST"
        if f["async"].pop(q, None) is None:
            raise AliError(404, "AsyncConfigNotExists", f"AsyncConfig for {q} does not exist.")
        return (204, None, {})


# ---- tags ---------------------------------------------------------------------------

def _by_arn(fake, resource):
    for f in _functions(fake).values():
        if f["config"]["functionArn"] == resource:
            return f
    raise AliError(404, "FunctionNotFound", f"resource {resource} does not exist")


@op("fc", "TagResources")
def tag_resources(fake, p, ctx):
    b = p["body"] or {}
    with fake.lock:
        for r in b.get("resourceId") or []:
            f = _by_arn(fake, r)
            for t in b.get("tag") or []:
                f["tags"][t["Key"]] = t.get("Value", "")
        return (200, None, {})


@op("fc", "UntagResources")
def untag_resources(fake, p, ctx):
    q = p["query"]
    with fake.lock:
        for r in json.loads(q.get("ResourceId") or "[]"):
            f = _by_arn(fake, r)
            keys = json.loads(q.get("TagKey") or "[]")
            for k in (list(f["tags"]) if q.get("All") == "true" else keys):
                f["tags"].pop(k, None)
        return (200, None, {})


# ---- custom domains -----------------------------------------------------------------

def _domains(fake):
    return fake.st("fc_domains")


def _domain_view(d):
    out = {k: v for k, v in d.items() if v is not None and not k.startswith("_")}
    if out.get("certConfig"):
        out["certConfig"] = {"certName": out["certConfig"].get("certName"),
                             "certificate": out["certConfig"].get("certificate")}
    return out


def _check_domain(fake, name, body, region):
    from .ali_dns import resolves_to
    want = f"{ACCOUNT}.{region}.fc.aliyuncs.com"
    if not resolves_to(fake, name, want):
        raise AliError(400, "DomainNameNotResolved", f"domain name {name} has not been resolved "
                       f"to your FC endpoint, the expected endpoint is {want}")
    proto = body.get("protocol", "HTTP")
    if proto not in ("HTTP", "HTTPS", "HTTP,HTTPS"):
        raise AliError(400, "InvalidArgument", f"protocol {proto} is not valid")
    cert = body.get("certConfig")
    if "HTTPS" in proto and not (cert and cert.get("certificate") and cert.get("privateKey")):
        raise AliError(400, "InvalidArgument", "HTTPS needs certConfig with certificate and privateKey")
    if cert:
        _check_cert(cert, name)
    for r in (body.get("routeConfig") or {}).get("routes") or []:
        f = _functions(fake).get(r.get("functionName"))
        if f is None:
            raise AliError(400, "InvalidArgument", f"route {r.get('path')}: function "
                           f"{r.get('functionName')} does not exist")
        if r.get("qualifier") not in (None, "", "LATEST"):
            _resolve(f, r["qualifier"])


def _check_cert(cert, name):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    try:
        leaf = x509.load_pem_x509_certificate(cert["certificate"].encode())   # the first: the leaf
        key = serialization.load_pem_private_key(cert["privateKey"].encode(), password=None)
    except Exception as e:
        raise AliError(400, "InvalidArgument", f"certConfig is not a PEM certificate and key: {e}")
    if leaf.public_key().public_numbers() != key.public_key().public_numbers():
        raise AliError(400, "InvalidArgument", "certConfig: the private key does not match the certificate")
    try:
        sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        sans = []
    if not any(s == name or (s.startswith("*.") and name.split(".", 1)[-1] == s[2:]) for s in sans):
        raise AliError(400, "InvalidArgument", f"certConfig: the certificate does not cover {name}")


@op("fc", "CreateCustomDomain")
def create_domain(fake, p, ctx):
    b = p["body"] or {}
    name = b.get("domainName", "")
    with fake.lock:
        if name in _domains(fake):
            raise AliError(409, "DomainNameAlreadyExists", f"domain name {name} already exists")
        _check_domain(fake, name, b, ctx["region"])
        t = now_iso()
        d = {"domainName": name, "accountId": ACCOUNT, "apiVersion": "2023-03-30",
             "protocol": b.get("protocol", "HTTP"), "certConfig": b.get("certConfig"),
             "tlsConfig": b.get("tlsConfig"), "routeConfig": b.get("routeConfig"),
             "createdTime": t, "lastModifiedTime": t, "_region": ctx["region"]}
        _domains(fake)[name] = d
        return _domain_view(d)


def _domain(fake, name):
    d = _domains(fake).get(name)
    if d is None:
        raise AliError(404, "DomainNameNotFound", f"domain name {name} does not exist")
    return d


@op("fc", "GetCustomDomain")
def get_domain(fake, p, ctx):
    with fake.lock:
        return _domain_view(_domain(fake, p["labels"]["domainName"]))


@op("fc", "UpdateCustomDomain")
def update_domain(fake, p, ctx):
    b = p["body"] or {}
    with fake.lock:
        d = _domain(fake, p["labels"]["domainName"])
        merged = {k: v for k, v in d.items() if not k.startswith("_")}
        merged.update(b)
        _check_domain(fake, d["domainName"], merged, ctx["region"])
        for k in ("protocol", "certConfig", "tlsConfig", "routeConfig"):
            if k in b:
                d[k] = b[k]
        d["lastModifiedTime"] = now_iso()
        return _domain_view(d)


@op("fc", "DeleteCustomDomain")
def delete_domain(fake, p, ctx):
    with fake.lock:
        _domain(fake, p["labels"]["domainName"])
        del _domains(fake)[p["labels"]["domainName"]]
        return (204, None, {})


@op("fc", "ListCustomDomains")
def list_domains(fake, p, ctx):
    with fake.lock:
        return {"customDomains": [_domain_view(d) for _, d in sorted(_domains(fake).items())]}


# ---- running the code -----------------------------------------------------------------

RUNNER = r"""
import json, sys, traceback, importlib
sys.path.insert(0, sys.argv[1])
event = sys.stdin.buffer.read()
class Fn:
    name = sys.argv[2]; handler = sys.argv[5]; memory = 128; timeout = 30
class Ctx:
    request_id = sys.argv[3]; function = Fn(); region = sys.argv[4]; account_id = sys.argv[6]
    def get_remaining_time_in_millis(self): return 30000
try:
    mod, _, fn = sys.argv[5].rpartition('.')
    out = getattr(importlib.import_module(mod), fn)(event, Ctx())
    if isinstance(out, bytes):
        out = {'__bytes__': __import__('base64').b64encode(out).decode()}
    sys.stdout = sys.__stdout__
    print('\x00RESULT' + json.dumps({'ok': out}))
except Exception as e:
    traceback.print_exc()
    print('\x00RESULT' + json.dumps({'error': {'errorMessage': str(e), 'errorType': type(e).__name__}}))
"""

_extract_lock = threading.Lock()


def _unpacked(fake, code_path):
    d = os.path.join(fake.tmp, "run", os.path.basename(code_path)[:-4])
    with _extract_lock:
        if not os.path.isdir(d):
            tmp = d + ".part"
            shutil.rmtree(tmp, ignore_errors=True)
            zipfile.ZipFile(code_path).extractall(tmp)
            os.rename(tmp, d)
    return d


def run(fake, fname, qualifier, event_bytes):
    """Run the function at a qualifier; returns (result dict, log text, request id)."""
    with fake.lock:
        f = _fn(fake, fname)
        _settle(f)
        if qualifier in (None, "", "LATEST"):
            cfg, code = dict(f["config"]), f["code"]
        else:
            v = f["versions"][_resolve(f, qualifier)]
            cfg, code = dict(v["config"]), v["code"]
        if f["config"]["state"] != "Active":
            raise AliError(412, "FunctionNotReady", f"function {fname} is {f['config']['state']}")
        region = f["region"]
    rid = "1-" + uuid.uuid4().hex[:8] + "-" + uuid.uuid4().hex[:8] + "-" + uuid.uuid4().hex[:12]
    d = _unpacked(fake, code)
    env = {"PATH": "/usr/bin:/bin", "FC_FUNCTION_NAME": fname, "FC_REGION": region,
           "FC_ACCOUNT_ID": ACCOUNT, "FC_FUNC_CODE_PATH": d, "FC_QUALIFIER": qualifier or "LATEST",
           "HOME": "/tmp"}
    role = cfg.get("role") or ""
    if role and not role.endswith("/aliyunserviceroleforfc"):
        # FC hands a function with its own role that role's STS credentials (env);
        # what the function signs with them is judged by the role's policies
        from .ali_ram import session
        akid, secret, token = session(fake, role, fname)
        env.update(ALIBABA_CLOUD_ACCESS_KEY_ID=akid, ALIBABA_CLOUD_ACCESS_KEY_SECRET=secret,
                   ALIBABA_CLOUD_SECURITY_TOKEN=token)
    env["ALIBABA_CLOUD_ENDPOINT_URL"] = getattr(fake, "url", "")   # the fake is the network
    env.update(cfg.get("environmentVariables") or {})
    proc = subprocess.run(["/usr/bin/python3", "-I", "-S", "-c", RUNNER, d, fname, rid, region,
                           cfg.get("handler") or "index.handler", ACCOUNT],
                          input=event_bytes, capture_output=True, timeout=60, env=env, cwd=d)
    out, _, res = proc.stdout.partition(b"\x00RESULT")
    logs = (f"FC Invoke Start RequestId: {rid}\n" + out.decode(errors="replace")
            + proc.stderr.decode(errors="replace") + f"FC Invoke End RequestId: {rid}\n")
    result = json.loads(res) if res else {"error": {"errorMessage": "Process exited unexpectedly",
                                                    "errorType": "ProcessExited"}}
    from .ali_sls import function_logs
    function_logs(fake, cfg, fname, qualifier or "LATEST", rid, logs, "error" in result)
    return result, logs, rid


def _result_bytes(result):
    ok = result.get("ok")
    if isinstance(ok, dict) and "__bytes__" in ok:
        return base64.b64decode(ok["__bytes__"])
    if isinstance(ok, str):
        return ok.encode()
    return json.dumps(ok).encode()


@op("fc", "InvokeFunction")
def invoke_function(fake, p, ctx):
    headers = ctx["headers"]
    fname, qualifier = p["labels"]["functionName"], p["query"].get("qualifier")
    itype = headers.get("x-fc-invocation-type", "Sync")
    if itype not in ("Sync", "Async"):
        raise AliError(400, "InvalidArgument", f"x-fc-invocation-type {itype} is not Sync or Async")
    payload = p["body"] or b""
    if len(payload) > (128 * 1024 if itype == "Async" else 32 * 1024 * 1024):
        raise AliError(400, "EntityTooLarge", "payload size exceeds maximum allowed size")
    if itype == "Async":
        with fake.lock:
            _fn(fake, fname)
        threading.Thread(target=run, args=(fake, fname, qualifier, payload), daemon=True).start()
        return (202, b"", {"x-fc-request-id": str(uuid.uuid4()), "__raw__": True})
    result, logs, rid = run(fake, fname, qualifier, payload)
    h = {"x-fc-request-id": rid, "Content-Type": "application/octet-stream", "__raw__": True}
    if headers.get("x-fc-log-type") == "Tail":
        h["x-fc-log-result"] = base64.b64encode(logs.encode()[-4096:]).decode()
    if "error" in result:
        h["x-fc-error-type"] = "UnhandledInvocationError"
        return (200, json.dumps(result["error"]).encode(), h)
    return (200, _result_bytes(result), h)


# ---- HTTP triggers and custom domains -------------------------------------------------

def _http_event(handler, host, parts, body, prefix):
    hdrs = {}
    for k, v in handler.headers.items():
        hdrs[k] = hdrs[k] + "," + v if k in hdrs else v
    q = {}   # FC's docs: a repeated parameter's values joined with commas, like headers
    for part in (parts.query or "").split("&"):
        if part:
            k, _, v = part.partition("=")
            k, v = unquote(k.replace("+", "%20")), unquote(v.replace("+", "%20"))
            q[k] = q[k] + "," + v if k in q else v
    text = None
    try:
        text = body.decode("utf-8")
        b64 = False
    except UnicodeDecodeError:
        b64 = True
    t = time.time()
    return {
        "version": "v1", "rawPath": parts.path or "/",
        "body": base64.b64encode(body).decode() if b64 else text, "isBase64Encoded": b64,
        "headers": hdrs, "queryParameters": q,
        "requestContext": {"accountId": ACCOUNT, "domainName": host, "domainPrefix": prefix,
                           "http": {"method": handler.command, "path": unquote(parts.path or "/"),
                                    "protocol": "HTTP/1.1", "sourceIp": handler.client_address[0],
                                    "userAgent": handler.headers.get("User-Agent", "")},
                           "requestId": "1-" + uuid.uuid4().hex[:24],
                           "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)),
                           "timeEpoch": str(int(t * 1000))},
    }


def _http_answer(handler, result):
    """Map the function's return to HTTP as FC does for built-in runtimes."""
    if "error" in result:
        return handler.send(502, {"Content-Type": "application/json", "x-fc-error-type":
                                  "UnhandledInvocationError"}, json.dumps(result["error"]).encode())
    ok = result["ok"]
    if isinstance(ok, dict) and "statusCode" in ok:
        body = ok.get("body") or ""
        data = base64.b64decode(body) if ok.get("isBase64Encoded") else \
            (body if isinstance(body, str) else json.dumps(body)).encode()
        headers = {str(k): str(v) for k, v in (ok.get("headers") or {}).items()}
        return handler.send(int(ok["statusCode"]), headers, data)
    return handler.send(200, {"Content-Type": "text/plain"}, _result_bytes(result))


def serve_trigger(handler, host, m, parts, body, request_id):
    """A request to an HTTP trigger URL or a custom domain."""
    fake = handler.fake
    with fake.lock:
        target = fc(fake).get("trigger_hosts", {}).get(host)
        domain = _domains(fake).get(host)
    if target:
        fname, tname = target
        with fake.lock:
            f = _fn(fake, fname)
            trig = dict(f["triggers"][tname])
        tcfg = json.loads(trig["triggerConfig"] or "{}")
        if tcfg.get("authType", "function") == "function":
            handler.check_acs3("trigger", parts, b"", require_host=False)
        if tcfg.get("methods") and handler.command not in tcfg["methods"]:
            raise AliError(405, "MethodNotAllowed", f"method {handler.command} is not allowed "
                           f"(trigger methods: {', '.join(tcfg['methods'])})")
        qualifier, prefix = trig["qualifier"], host.split(".", 1)[0]
    elif domain:
        routes = (domain.get("routeConfig") or {}).get("routes") or []
        path = parts.path or "/"
        route = next((r for r in routes if r["path"] == path or (r["path"].endswith("/*") and
                      (path + "/").startswith(r["path"][:-1]))), None)
        if route is None:
            raise AliError(404, "RouteNotFound", f"no route of {host} matches {path}")
        fname, qualifier, prefix = route["functionName"], route.get("qualifier"), host
    else:
        raise AliError(404, "NotFound", f"no trigger or custom domain answers for {host}")
    event = _http_event(handler, host, parts, body or b"", prefix)
    result, _, _ = run(fake, fname, qualifier, json.dumps(event).encode())
    _http_answer(handler, result)


def fire_timer(fake, doc):
    """Admin: fire a timer trigger now, as FC would (the timer event, the trigger's payload)."""
    with fake.lock:
        f = _fn(fake, doc["function"])
        t = dict(f["triggers"][doc["trigger"]])
    tcfg = json.loads(t["triggerConfig"])
    event = {"triggerTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             "triggerName": t["triggerName"], "payload": tcfg.get("payload", "")}
    result, logs, rid = run(fake, doc["function"], t["qualifier"], json.dumps(event).encode())
    return {"result": result, "logs": logs}
