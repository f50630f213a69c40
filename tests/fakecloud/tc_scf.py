"""Fake SCF (Serverless Cloud Function, API 2018-04-16) for faketencent.py:
functions ($LATEST + published versions), aliases, triggers (timer, http =
function URL), Invoke, custom domains.  Calls are asynchronous as on SCF:
a created or updated function is Creating/Updating for `settle_polls`
GetFunction calls, and writes to a function that is not Active fail with
FailedOperation.  Invoke and function URLs run the packaged code for real
(run_function): the event function's handler in a Python subprocess, with
what SCF gives it (SCF_* and TENCENTCLOUD_* variables, its execution role's
temporary credentials, and this fake as its network).  Invoke with
InvocationType Event returns at once and runs the code later on a thread,
once, with SCF's two retries of a failed run and its dead-letter delivery
(queue_event).
"""
import base64
import hashlib
import io
import json
import re
import struct
import subprocess
import tempfile
import threading
import time
import uuid
import zipfile
import zlib

from .faketencent import APPID, TCError, action, stamp
from .zipcheck import check_zip

RUNTIMES = ("Python2.7", "Python3.6", "Python3.7", "Python3.9", "Python3.10", "CustomRuntime")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$")
CONFIG_KEYS = ("Description", "MemorySize", "Timeout", "Environment", "Runtime", "VpcConfig",
               "Role", "ClsLogsetId", "ClsTopicId", "Layers", "DeadLetterConfig",
               "PublicNetConfig", "InitTimeout", "Handler", "Type", "Namespace")


def functions(fake):
    return fake.st("scf")


def get_fn(fake, name, namespace=None):
    f = functions(fake).get(name)
    if f is None or (namespace or "default") != "default":
        raise TCError("ResourceNotFound.Function", f"未找到指定的Function，请创建后再试。({name})")
    return f


def settle(fake, f):
    """One GetFunction poll: Creating/Updating count down to Active."""
    if f["status"] != "Active":
        f["polls"] -= 1
        if f["polls"] <= 0:
            f["status"] = "Active"


def must_be_active(f, what):
    if f["status"] != "Active":
        raise TCError(f"FailedOperation.{what}", f"当前函数状态({f['status']})无法进行此操作，"
                      "请在函数状态正常时重试。")


def busy(fake, f, status):
    f["status"] = status
    f["polls"] = fake.settle_polls
    f["ModTime"] = stamp()


def check_memory(m):
    if m is not None and not (m == 64 or (128 <= m <= 3072 and m % 128 == 0)):
        raise TCError("InvalidParameterValue.MemorySize", f"MemorySize {m} is invalid: 64, or "
                      "128-3072 in steps of 128")


def check_config(fake, p):
    from .tc_cam import check_function_role
    check_memory(p.get("MemorySize"))
    if p.get("Role"):
        check_function_role(fake, p["Role"])
    if p.get("Timeout") is not None and not 1 <= p["Timeout"] <= 900:
        raise TCError("InvalidParameterValue.Timeout", f"Timeout {p['Timeout']} is not in 1-900")
    if p.get("Runtime") is not None and p["Runtime"] not in RUNTIMES:
        raise TCError("InvalidParameterValue.Runtime", f"Runtime {p['Runtime']} is not supported")
    if p.get("ClsTopicId"):
        topics = fake.st("cls_topics")
        t = topics.get(p["ClsTopicId"])
        if t is None or t["LogsetId"] != p.get("ClsLogsetId"):
            raise TCError("InvalidParameterValue.ClsTopicId", f"CLS topic {p['ClsTopicId']} does "
                          f"not exist in logset {p.get('ClsLogsetId')}")
    dlq = p.get("DeadLetterConfig")
    if dlq and dlq.get("Type") not in ("", "queue", "topic"):
        raise TCError("InvalidParameterValue.DeadLetterConfig", f"dead letter type "
                      f"{dlq.get('Type')} is not queue or topic")
    vpc = p.get("VpcConfig")
    if vpc and bool(vpc.get("VpcId")) != bool(vpc.get("SubnetId")):
        raise TCError("InvalidParameterValue.VpcConfig", "VpcId and SubnetId go together")


def code_from(fake, p, ctx):
    """The zip bytes a CreateFunction Code / UpdateFunctionCode request names."""
    from .tc_cos import object_data
    zf = p.get("ZipFile")
    cos = p.get("CosBucketName")
    if bool(zf) == bool(cos):
        raise TCError("InvalidParameterValue.Code", "give exactly one of ZipFile or "
                      "CosBucketName/CosObjectName")
    if zf:
        try:
            data = base64.b64decode(zf, validate=True)
        except ValueError:
            raise TCError("InvalidParameterValue.ZipFile", "ZipFile is not base64")
        if len(zf) > 20 * 1024 * 1024:
            raise TCError("InvalidParameterValue.ZipFile", "ZipFile over 20 MB: use COS")
    else:
        region = p.get("CosBucketRegion") or ctx["region"]
        key = p.get("CosObjectName") or ""
        data = object_data(fake, f"{cos}-{APPID}", region, key.lstrip("/"))
        if data is None:
            raise TCError("ResourceNotFound.CosObject", f"COS object {cos}-{APPID}/{key} in "
                          f"{region} not found")
    try:
        check_zip(data)
        unzipped = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, zlib.error, struct.error):
        raise TCError("InvalidParameterValue.Code", "the code is not a zip archive")
    if unzipped > 500 * 1024 * 1024:
        raise TCError("InvalidParameterValue.Code", "the unzipped code is over 500 MB")
    return data


def public_config(f, cfg=None):
    c = dict(cfg or f["config"])
    return {k: c[k] for k in CONFIG_KEYS if k in c and c[k] is not None}


# ---- functions ------------------------------------------------------------------

@action("scf", "CreateFunction")
def create_function(fake, p, ctx):
    name = p["FunctionName"]
    if not NAME_RE.match(name):
        raise TCError("InvalidParameterValue.FunctionName", f"FunctionName {name} is invalid")
    if name in functions(fake):
        raise TCError("ResourceInUse.Function", "函数已经存在。")
    if p.get("Type", "Event") not in ("Event", "HTTP"):
        raise TCError("InvalidParameterValue.Type", f"Type {p['Type']} is not Event or HTTP")
    check_config(fake, p)
    code = code_from(fake, p["Code"], ctx)
    cfg = {k: p.get(k) for k in CONFIG_KEYS}
    cfg.update({"Namespace": "default", "Runtime": p.get("Runtime") or "Python2.7",
                "MemorySize": p.get("MemorySize") or 128, "Timeout": p.get("Timeout") or 3,
                "Type": p.get("Type") or "Event", "Description": p.get("Description") or "",
                "Handler": p.get("Handler") or "index.main_handler",
                "Environment": p.get("Environment") or {"Variables": []},
                "VpcConfig": p.get("VpcConfig") or {"VpcId": "", "SubnetId": ""},
                "InitTimeout": p.get("InitTimeout") or 65})
    f = {"config": cfg, "code": code, "versions": {}, "next_version": 1, "aliases": {},
         "triggers": [], "tags": p.get("Tags") or [], "AddTime": stamp(),
         "FunctionId": "lam-" + uuid.uuid4().hex[:8], "region": ctx["region"]}
    busy(fake, f, "Creating")
    functions(fake)[name] = f
    return {}


def _function_out(fake, name, f, q):
    if q in (None, "", "$LATEST"):
        cfg, qual, version = f["config"], "$LATEST", "$LATEST"
    else:
        v = f["versions"].get(q)
        if v is None:
            raise TCError("ResourceNotFound.Version", f"version {q} of {name} not found")
        cfg, qual, version = v["config"], q, q
    out = public_config(f, cfg)
    out.update({"FunctionName": name, "FunctionVersion": version, "Qualifier": qual,
                "Status": f["status"] if qual == "$LATEST" else "Active",
                "StatusDesc": "", "StatusReasons": [], "ModTime": f["ModTime"],
                "AddTime": f["AddTime"], "CodeSize": len(f["code"]), "CodeInfo": "",
                "CodeResult": "success", "CodeError": "", "ErrNo": 0,
                "FunctionId": f["FunctionId"], "Tags": f["tags"],
                "Triggers": [trigger_out(t) for t in f["triggers"]],
                "AccessInfo": {"Host": "", "Vip": ""}})
    if not out.get("DeadLetterConfig"):
        out.pop("DeadLetterConfig", None)
    return out


@action("scf", "GetFunction")
def get_function(fake, p, ctx):
    name = p.get("FunctionName") or ""
    f = get_fn(fake, name, p.get("Namespace"))
    settle(fake, f)
    return _function_out(fake, name, f, p.get("Qualifier"))


@action("scf", "ListFunctions")
def list_functions(fake, p, ctx):
    names = sorted(functions(fake))
    if p.get("SearchKey"):
        names = [n for n in names if p["SearchKey"] in n]
    off, lim = p.get("Offset") or 0, p.get("Limit") or 20
    return {"Functions": [{"FunctionName": n, "FunctionId": functions(fake)[n]["FunctionId"],
                           "Status": functions(fake)[n]["status"]} for n in names[off:off + lim]],
            "TotalCount": len(names)}


@action("scf", "UpdateFunctionCode")
def update_function_code(fake, p, ctx):
    f = get_fn(fake, p["FunctionName"], p.get("Namespace"))
    must_be_active(f, "UpdateFunctionCode")
    src = p.get("Code") or {k: p.get(k) for k in ("ZipFile", "CosBucketName", "CosObjectName",
                                                   "CosBucketRegion") if p.get(k)}
    f["code"] = code_from(fake, src, ctx)
    if p.get("Handler"):
        f["config"]["Handler"] = p["Handler"]
    busy(fake, f, "Updating")
    return {}


@action("scf", "UpdateFunctionConfiguration")
def update_function_configuration(fake, p, ctx):
    f = get_fn(fake, p["FunctionName"], p.get("Namespace"))
    must_be_active(f, "UpdateFunctionConfiguration")
    check_config(fake, p)
    for k in CONFIG_KEYS:
        if k in p and p[k] is not None and k != "Namespace":
            f["config"][k] = p[k]
    busy(fake, f, "Updating")
    return {}


@action("scf", "PublishVersion")
def publish_version(fake, p, ctx):
    f = get_fn(fake, p["FunctionName"], p.get("Namespace"))
    must_be_active(f, "PublishVersion")
    v = str(f["next_version"])
    f["next_version"] += 1
    cfg = dict(f["config"])
    f["versions"][v] = {"config": cfg, "code": f["code"], "Description": p.get("Description") or "",
                        "AddTime": stamp(), "ModTime": stamp()}
    return {"FunctionVersion": v, "CodeSize": len(f["code"]), "MemorySize": cfg["MemorySize"],
            "Description": p.get("Description") or "", "Handler": cfg["Handler"],
            "Timeout": cfg["Timeout"], "Runtime": cfg["Runtime"], "Namespace": "default"}


@action("scf", "ListVersionByFunction")
def list_versions(fake, p, ctx):
    f = get_fn(fake, p["FunctionName"], p.get("Namespace"))
    vs = [{"Version": "$LATEST", "Description": f["config"].get("Description") or "",
           "AddTime": f["AddTime"], "ModTime": f["ModTime"], "Status": f["status"]}]
    vs += [{"Version": k, "Description": v["Description"], "AddTime": v["AddTime"],
            "ModTime": v["ModTime"], "Status": "Active"}
           for k, v in sorted(f["versions"].items(), key=lambda kv: int(kv[0]))]
    if (p.get("Order") or "ASC").upper() == "DESC":
        vs.reverse()
    off, lim = p.get("Offset") or 0, p.get("Limit") or 20
    page = vs[off:off + lim]
    return {"FunctionVersion": [v["Version"] for v in page], "Versions": page,
            "TotalCount": len(vs)}


def _delete_version(f, q):
    if q not in f["versions"]:
        raise TCError("ResourceNotFound.Version", f"version {q} not found")
    for name, a in f["aliases"].items():
        if a["FunctionVersion"] == q:
            raise TCError("FailedOperation.DeleteFunction", f"version {q} is used by alias {name}")
    del f["versions"][q]


@action("scf", "DeleteFunctionVersion")
def delete_function_version(fake, p, ctx):
    _delete_version(get_fn(fake, p["FunctionName"], p.get("Namespace")), p["Qualifier"])
    return {}


@action("scf", "DeleteFunction")
def delete_function(fake, p, ctx):
    name = p["FunctionName"]
    f = get_fn(fake, name, p.get("Namespace"))
    if p.get("Qualifier") not in (None, "", "$LATEST"):
        _delete_version(f, p["Qualifier"])
        return {}
    must_be_active(f, "DeleteFunction")
    for t in f["triggers"]:
        _unbind(fake, t)
    del functions(fake)[name]
    return {}


# ---- aliases ---------------------------------------------------------------------

def _version_exists(f, v):
    if v != "$LATEST" and v not in f["versions"]:
        raise TCError("ResourceNotFound.Version", f"version {v} not found")


@action("scf", "CreateAlias")
def create_alias(fake, p, ctx):
    f = get_fn(fake, p["FunctionName"], p.get("Namespace"))
    if not re.match(r"^[A-Za-z][A-Za-z0-9_-]{0,62}$", p["Name"]):
        raise TCError("InvalidParameterValue.Name", f"alias name {p['Name']} is invalid")
    if p["Name"] in f["aliases"]:
        raise TCError("ResourceInUse.Alias", f"alias {p['Name']} already exists")
    _version_exists(f, p["FunctionVersion"])
    f["aliases"][p["Name"]] = {"FunctionVersion": p["FunctionVersion"],
                               "RoutingConfig": p.get("RoutingConfig") or {"AdditionalVersionWeights": []},
                               "Description": p.get("Description") or "",
                               "AddTime": stamp(), "ModTime": stamp()}
    return {}


def _alias(f, name):
    a = f["aliases"].get(name)
    if a is None:
        raise TCError("ResourceNotFound.Alias", f"alias {name} not found")
    return a


@action("scf", "GetAlias")
def get_alias(fake, p, ctx):
    a = _alias(get_fn(fake, p["FunctionName"], p.get("Namespace")), p["Name"])
    return dict(a, Name=p["Name"])


@action("scf", "UpdateAlias")
def update_alias(fake, p, ctx):
    f = get_fn(fake, p["FunctionName"], p.get("Namespace"))
    a = _alias(f, p["Name"])
    _version_exists(f, p["FunctionVersion"])
    a["FunctionVersion"] = p["FunctionVersion"]
    if p.get("RoutingConfig") is not None:
        a["RoutingConfig"] = p["RoutingConfig"]
    a["ModTime"] = stamp()
    return {}


@action("scf", "DeleteAlias")
def delete_alias(fake, p, ctx):
    f = get_fn(fake, p["FunctionName"], p.get("Namespace"))
    _alias(f, p["Name"])
    for t in list(f["triggers"]):
        if t["Qualifier"] == p["Name"]:
            raise TCError("FailedOperation.DeleteAlias", f"alias {p['Name']} still has trigger "
                          f"{t['TriggerName']}")
    del f["aliases"][p["Name"]]
    return {}


@action("scf", "ListAliases")
def list_aliases(fake, p, ctx):
    f = get_fn(fake, p["FunctionName"], p.get("Namespace"))
    out = [dict(a, Name=n) for n, a in sorted(f["aliases"].items())
           if not p.get("FunctionVersion") or a["FunctionVersion"] == p["FunctionVersion"]]
    return {"Aliases": out, "TotalCount": len(out)}


# ---- triggers --------------------------------------------------------------------

CRON_FIELD = re.compile(r"^[0-9A-Za-z*?/,#LW-]+$")


def _check_cron(desc):
    fields = desc.split()
    if len(fields) != 7 or not all(CRON_FIELD.match(x) for x in fields):
        raise TCError("InvalidParameterValue.TriggerDesc", f"timer TriggerDesc {desc!r} is not a "
                      "7-field cron expression (sec min hour day month week year)")
    year = fields[6]
    for y in re.findall(r"\d{4}", year):
        if not 1970 <= int(y) <= 2099:
            raise TCError("InvalidParameterValue.TriggerDesc", f"year {y} out of range")


def trigger_out(t):
    keys = ("Type", "TriggerName", "TriggerDesc", "Qualifier", "Enable", "CustomArgument",
            "AddTime", "ModTime", "AvailableStatus", "BindStatus", "ResourceId",
            "TriggerAttribute", "Description")
    return {k: t[k] for k in keys if k in t}


def _url_desc(fake, f, t, desc, region):
    try:
        d = json.loads(desc or "{}")
    except ValueError:
        raise TCError("InvalidParameterValue.TriggerDesc", "http TriggerDesc is not JSON")
    if d.get("AuthType", "NONE") not in ("NONE", "CAM"):
        raise TCError("InvalidParameterValue.TriggerDesc", f"AuthType {d.get('AuthType')} is not "
                      "NONE or CAM")
    net = d.setdefault("NetConfig", {"EnableIntranet": False, "EnableExtranet": True})
    host = t.get("host") or f"{APPID}-{uuid.uuid4().hex[:10]}.{region}.tencentscf.com"
    t["host"] = host
    net["ExtranetUrl"] = f"https://{host}" if net.get("EnableExtranet", True) else ""
    net["IntranetUrl"] = f"https://{host.replace('.' + region, '.in.' + region)}" \
        if net.get("EnableIntranet") else ""
    d.setdefault("AuthType", "NONE")
    return json.dumps(d)


def _bind(fake, fn_name, t):
    if t["Type"] == "http":
        fake.st("scf_urls")[t["host"]] = {"function": fn_name, "qualifier": t["Qualifier"]}


def _unbind(fake, t):
    if t["Type"] == "http":
        fake.st("scf_urls").pop(t.get("host"), None)


def _same_trigger(t, p):
    return t["TriggerName"] == p["TriggerName"] and \
        t["Qualifier"] == (p.get("Qualifier") or "$LATEST") and t["Type"] == p["Type"]


@action("scf", "CreateTrigger")
def create_trigger(fake, p, ctx):
    f = get_fn(fake, p["FunctionName"], p.get("Namespace"))
    q = p.get("Qualifier") or "$LATEST"
    if q != "$LATEST" and q not in f["aliases"] and q not in f["versions"]:
        raise TCError("ResourceNotFound.Qualifier", f"qualifier {q} not found")
    if p["Type"] not in ("timer", "http"):
        raise TCError("UnsupportedOperation", f"the fake supports timer and http triggers, not {p['Type']}")
    if any(_same_trigger(t, p) for t in f["triggers"]):
        raise TCError("ResourceInUse.Trigger", f"trigger {p['TriggerName']} already exists")
    if p["Type"] == "http" and any(t["Type"] == "http" and t["Qualifier"] == q for t in f["triggers"]):
        raise TCError("ResourceInUse.Trigger", f"{q} already has a function URL")
    if len(p.get("CustomArgument") or "") > 4096:
        raise TCError("InvalidParameterValue.CustomArgument", "CustomArgument is over 4 KB")
    if p["Type"] == "timer" and not re.match(r"^[A-Za-z][A-Za-z0-9_-]{0,99}$", p["TriggerName"]):
        raise TCError("InvalidParameterValue.TriggerName", f"timer name {p['TriggerName']} is invalid")
    t = {"Type": p["Type"], "TriggerName": p["TriggerName"], "Qualifier": q,
         "Enable": 0 if p.get("Enable") == "CLOSE" else 1,
         "CustomArgument": p.get("CustomArgument") or "", "AddTime": stamp(), "ModTime": stamp(),
         "AvailableStatus": "Available", "BindStatus": "", "ResourceId": "",
         "TriggerAttribute": "", "Description": p.get("Description") or ""}
    if p["Type"] == "timer":
        _check_cron(p.get("TriggerDesc") or "")
        t["TriggerDesc"] = p["TriggerDesc"]
    else:
        t["TriggerDesc"] = _url_desc(fake, f, t, p.get("TriggerDesc"), ctx["region"])
    f["triggers"].append(t)
    _bind(fake, p["FunctionName"], t)
    return {"TriggerInfo": trigger_out(t)}


@action("scf", "UpdateTrigger")
def update_trigger(fake, p, ctx):
    f = get_fn(fake, p["FunctionName"], p.get("Namespace"))
    for t in f["triggers"]:
        if _same_trigger(t, p):
            if p.get("TriggerDesc") is not None:
                if t["Type"] == "timer":
                    _check_cron(p["TriggerDesc"])
                    t["TriggerDesc"] = p["TriggerDesc"]
                else:
                    t["TriggerDesc"] = _url_desc(fake, f, t, p["TriggerDesc"], ctx["region"])
            if p.get("Enable"):
                t["Enable"] = 0 if p["Enable"] == "CLOSE" else 1
            if p.get("CustomArgument") is not None:
                t["CustomArgument"] = p["CustomArgument"]
            t["ModTime"] = stamp()
            return {}
    raise TCError("ResourceNotFound.Trigger", f"trigger {p['TriggerName']} not found")


@action("scf", "ListTriggers")
def list_triggers(fake, p, ctx):
    f = get_fn(fake, p["FunctionName"], p.get("Namespace"))
    ts = list(f["triggers"])
    for flt in p.get("Filters") or []:
        key = {"Qualifier": "Qualifier", "TriggerName": "TriggerName", "Type": "Type"}.get(flt["Name"])
        if key:
            ts = [t for t in ts if t[key] in flt["Values"]]
    off, lim = p.get("Offset") or 0, p.get("Limit") or 20
    return {"TotalCount": len(ts), "Triggers": [trigger_out(t) for t in ts[off:off + lim]]}


@action("scf", "DeleteTrigger")
def delete_trigger(fake, p, ctx):
    f = get_fn(fake, p["FunctionName"], p.get("Namespace"))
    for t in list(f["triggers"]):
        if _same_trigger(t, p):
            f["triggers"].remove(t)
            _unbind(fake, t)
            return {}
    raise TCError("ResourceNotFound.Trigger", f"trigger {p['TriggerName']} not found")


# ---- running the code -------------------------------------------------------------

RUNNER = r"""
import json, sys, traceback, importlib
sys.path.insert(0, sys.argv[1])
event = json.loads(sys.stdin.read())
context = json.loads(sys.argv[2])
try:
    mod, _, fn = sys.argv[3].rpartition('.')
    out = getattr(importlib.import_module(mod), fn)(event, context)
    sys.stdout = sys.__stdout__
    print('\x00RESULT' + json.dumps({'ok': out}))
except Exception as e:
    traceback.print_exc()
    print('\x00RESULT' + json.dumps({'error': '%s: %s' % (type(e).__name__, e)}))
"""


def resolve_qualifier(f, q):
    """(version key, config, code) for $LATEST, a version or an alias."""
    if q in (None, "", "$LATEST"):
        return "$LATEST", f["config"], f["code"]
    if q in f["aliases"]:
        q = f["aliases"][q]["FunctionVersion"]
        if q == "$LATEST":
            return q, f["config"], f["code"]
    v = f["versions"].get(q)
    if v is None:
        raise TCError("ResourceNotFound.Qualifier", f"qualifier {q} not found")
    return q, v["config"], v["code"]


def role_credentials(fake, role):
    """The temporary credentials SCF hands a function whose execution role is `role`
    (TENCENTCLOUD_SECRETID / SECRETKEY / SESSIONTOKEN): accepted by this fake's TC3
    and COS checks, the session token required with them."""
    digest = hashlib.sha256(role.encode()).hexdigest()
    sid, key, token = "AKIDROLE" + digest[:24], "role/" + digest[24:48], "token-" + digest[:32]
    with fake.lock:
        fake.keys[sid] = key
        fake.tokens[sid] = token
        fake.role_sids[sid] = role
    return sid, key, token


def run_function(fake, name, qualifier, event, rid=None):
    """Run the function's handler on `event`: (result dict, log text, request id, ms).
    The fake's lock is held only to read and record state, not while the code runs."""
    from .tc_cls import append_function_log
    with fake.lock:
        f = get_fn(fake, name)
        version, cfg, code = resolve_qualifier(f, qualifier)
    rid = rid or str(uuid.uuid4())
    context = {"function_name": name, "function_version": version, "namespace": "default",
               "request_id": rid, "memory_limit_in_mb": cfg["MemorySize"],
               "time_limit_in_ms": cfg["Timeout"] * 1000, "tencentcloud_region": f["region"],
               "tencentcloud_appid": APPID}
    t0 = time.time()
    with tempfile.TemporaryDirectory() as d:
        zipfile.ZipFile(io.BytesIO(code)).extractall(d)
        env = {"PATH": "/usr/bin:/bin", "SCF_FUNCTIONNAME": name, "SCF_NAMESPACE": "default",
               "SCF_FUNCTIONVERSION": version, "TENCENTCLOUD_REGION": f["region"],
               "TENCENTCLOUD_APPID": APPID, "SCF_RUNTIME": cfg["Runtime"]}
        if cfg.get("Role"):           # the execution role's credentials
            sid, key, token = role_credentials(fake, cfg["Role"])
            env.update(TENCENTCLOUD_SECRETID=sid, TENCENTCLOUD_SECRETKEY=key,
                       TENCENTCLOUD_SESSIONTOKEN=token)
        env["TENCENTCLOUD_ENDPOINT_URL"] = getattr(fake, "url", "")   # the fake is the network
        for kv in (cfg.get("Environment") or {}).get("Variables") or []:
            env[kv["Key"]] = kv.get("Value") or ""
        proc = subprocess.run(["/usr/bin/python3", "-I", "-S", "-c", RUNNER, d, json.dumps(context),
                               cfg["Handler"]], input=json.dumps(event).encode(),
                              capture_output=True, timeout=60, env=env)
    ms = int((time.time() - t0) * 1000)
    out, _, res = proc.stdout.partition(b"\x00RESULT")
    text = out.decode(errors="replace") + proc.stderr.decode(errors="replace")
    result = json.loads(res) if res else {"error": "Runtime exited"}
    with fake.lock:
        fake.run_count += 1
        m = fake.st("metrics").setdefault(name, {"Invocation": 0, "Error": 0})
        m["Invocation"] += 1
        if "error" in result:
            m["Error"] += 1
        append_function_log(fake, f, name, version, rid, text, ms, "error" in result)
    return result, text, rid, ms


# ClientContext's limits (the SDK's InvokeRequest): 6 MB synchronous, 128 KB asynchronous
INVOKE_LIMITS = {False: 6 * 1024 * 1024, True: 128 * 1024}


@action("scf", "Invoke")
def invoke(fake, p, ctx):
    with fake.lock:
        f = get_fn(fake, p["FunctionName"], p.get("Namespace"))
        q = p.get("Qualifier") or "$LATEST"
        if q == "$LATEST" and f["status"] != "Active":
            raise TCError("ResourceUnavailable.Function", "the function is not Active")
    try:
        event = json.loads(p.get("ClientContext") or "{}")
    except ValueError:
        raise TCError("InvalidParameterValue.ClientContext", "ClientContext is not JSON")
    limit = INVOKE_LIMITS[p.get("InvocationType") == "Event"]
    if len((p.get("ClientContext") or "").encode()) > limit:
        raise TCError("InvalidParameterValue.ClientContext", f"ClientContext is over "
                      f"{limit} bytes, the limit of an invocation of this type")
    if p.get("InvocationType") == "Event":
        return {"Result": {"FunctionRequestId": queue_event(fake, p["FunctionName"], q, event),
                           "RetMsg": "", "ErrMsg": "", "Log": "", "InvokeResult": 0,
                           "Duration": 0, "BillDuration": 0, "MemUsage": 0}}
    result, text, rid, ms = run_function(fake, p["FunctionName"], q, event)
    ok = "error" not in result
    return {"Result": {"FunctionRequestId": rid, "Duration": float(ms), "BillDuration": ms,
                       "MemUsage": 1 << 24, "InvokeResult": 0 if ok else -1,
                       "RetMsg": json.dumps(result["ok"]) if ok else "",
                       "ErrMsg": "" if ok else json.dumps({"errorCode": -1,
                                                           "errorMessage": result["error"]}),
                       "Log": text[-4096:] if p.get("LogType") == "Tail" else ""}}


invoke.unlocked = True


ASYNC_RETRIES = 2        # SCF retries a failed asynchronous run twice (after 1 and 2 minutes)


def queue_event(fake, name, qualifier, event):
    """InvocationType Event: the qualifier checked now, the code run later on a thread of
    its own, once — or, as SCF does for an execution error, retried twice (after
    fake.async_retry_delay seconds, SCF's minute scaled down) and then, when the version
    has a DeadLetterConfig, delivered to that CMQ queue/topic with SCF's RequestID,
    ErrorCode and ErrorMessage (state "scf_dead_letters"[name]).  State "scf_async"[request
    id] says what happened: status queued / running / done / failed, runs, the last result
    and the log of every run.  -> the request id."""
    with fake.lock:
        _, cfg, _ = resolve_qualifier(get_fn(fake, name), qualifier)
        rid = str(uuid.uuid4())
        rec = fake.st("scf_async")[rid] = {"function": name, "qualifier": qualifier,
                                           "status": "queued", "runs": 0, "log": ""}
        dlq = (cfg.get("DeadLetterConfig") or {}).get("Name")
    delay = getattr(fake, "async_retry_delay", 0.05)

    def later():
        time.sleep(0.05)            # the caller hears back first
        for attempt in range(1 + ASYNC_RETRIES):
            if attempt:
                time.sleep(delay * attempt)
            with fake.lock:
                rec.update(status="running", runs=rec["runs"] + 1)
            try:
                result, text, _, _ = run_function(fake, name, qualifier, event, rid)
            except Exception as exc:    # the function went away meanwhile
                result, text = {"error": str(exc)}, ""
            with fake.lock:
                rec.update(result=result, log=rec["log"] + text)
            if "error" not in result:
                with fake.lock:
                    rec["status"] = "done"
                return
        with fake.lock:
            rec["status"] = "failed"
            if dlq:
                fake.st("scf_dead_letters").setdefault(dlq, []).append(
                    {"RequestID": rid, "ErrorCode": "-1", "ErrorMessage": result["error"]})

    threading.Thread(target=later, daemon=True).start()
    return rid


# ---- custom domains ---------------------------------------------------------------

def domains(fake):
    return fake.st("scf_domains")


def _check_endpoints(fake, eps):
    for ep in eps:
        f = get_fn(fake, ep["FunctionName"], ep.get("Namespace"))
        q = ep["Qualifier"]
        if q != "$LATEST" and q not in f["aliases"] and q not in f["versions"]:
            raise TCError("ResourceNotFound.Qualifier", f"qualifier {q} not found")
        if not ep["PathMatch"].startswith("/"):
            raise TCError("InvalidParameterValue.PathMatch", f"PathMatch {ep['PathMatch']} must start with /")


def _check_cert(fake, p):
    if "HTTPS" in (p.get("Protocol") or ""):
        cid = (p.get("CertConfig") or {}).get("CertificateId")
        if not cid or cid not in fake.st("ssl_certs"):
            raise TCError("InvalidParameterValue.CertificateId", f"certificate {cid} not found")


def cname_target(region):
    return f"{APPID}.{region}.tencentscf.com"


@action("scf", "CreateCustomDomain")
def create_custom_domain(fake, p, ctx):
    from .tc_misc import resolve
    d = p["Domain"].lower()
    if "*" in d:
        raise TCError("InvalidParameterValue.Domain", "wildcard domains are not supported")
    if d in domains(fake):
        raise TCError("ResourceInUse.Domain", f"custom domain {d} already exists")
    target = cname_target(ctx["region"])
    if target not in resolve(fake, d, "CNAME"):
        raise TCError("FailedOperation.CNAME", f"请先为域名 {d} 添加 CNAME 记录指向 {target} "
                      f"(the domain must have a CNAME record to {target})")
    _check_endpoints(fake, p["EndpointsConfig"])
    _check_cert(fake, p)
    domains(fake)[d] = {"Domain": d, "Protocol": p["Protocol"], "EndpointsConfig": p["EndpointsConfig"],
                        "CertConfig": p.get("CertConfig") or {"CertificateId": ""},
                        "WafConfig": {"WafOpen": "CLOSE", "WafInstanceId": ""}, "Tags": p.get("Tags") or []}
    return {}


def _domain(fake, name):
    d = domains(fake).get((name or "").lower())
    if d is None:
        raise TCError("ResourceNotFound.Domain", f"custom domain {name} not found")
    return d


@action("scf", "GetCustomDomain")
def get_custom_domain(fake, p, ctx):
    return dict(_domain(fake, p["Domain"]))


@action("scf", "UpdateCustomDomain")
def update_custom_domain(fake, p, ctx):
    d = _domain(fake, p["Domain"])
    if p.get("EndpointsConfig") is not None:
        _check_endpoints(fake, p["EndpointsConfig"])
        d["EndpointsConfig"] = p["EndpointsConfig"]
    merged = dict(d, **{k: p[k] for k in ("Protocol", "CertConfig") if p.get(k) is not None})
    _check_cert(fake, merged)
    d.update({k: merged[k] for k in ("Protocol", "CertConfig")})
    return {}


@action("scf", "DeleteCustomDomain")
def delete_custom_domain(fake, p, ctx):
    _domain(fake, p.get("Domain"))
    del domains(fake)[p["Domain"].lower()]
    return {}


@action("scf", "ListCustomDomains")
def list_custom_domains(fake, p, ctx):
    ds = sorted(domains(fake).values(), key=lambda d: d["Domain"])
    return {"Total": len(ds), "Domains": [{"Domain": d["Domain"], "Protocol": d["Protocol"]} for d in ds]}
