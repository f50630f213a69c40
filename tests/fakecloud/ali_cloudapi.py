"""The fake Alibaba Cloud API Gateway (CloudAPI 2016-07-14, RPC, host
apigateway.<region>.aliyuncs.com) and its data plane (a group's
<id>-<region>.alicloudapi.com subdomain and the custom domains bound to it),
kept in fake.state["cloudapi"].  Control-plane requests are judged like
every RPC product: ACS3 by @alicloud/openapi-core, the action, its query and
the answers by @alicloud/cloudapi20160714's client table and models
(alijudge.js).

What it checks, as the real service does (docs cited in hoist-settings(5)):
- names: groups and APIs 4-50 of [A-Za-z0-9_] starting with a letter (an API
  name unique in its group), apps 4-26; the RequestConfig and ServiceConfig
  JSON strings of CreateApi/ModifyApi (camelCase members; an unknown member,
  a method or mode that does not exist, a timeout over the shared instance's
  30,000 ms, an FC backend without functionName, fcVersion or, for an event
  function, roleArn -> 400);
- environments RELEASE, PRE, TEST: DeployApi snapshots the definition, the
  data plane serves only snapshots; an API deployed anywhere cannot be
  deleted, a group with APIs or bound domains neither;
- apps (AppKey, AppSecret, AppCode made here), authorizations per API and
  environment, plugins (a cors plugin's data is checked), custom domains
  (SetDomain wants the domain CNAMEd to the group's subdomain in the fake
  DNS; SetDomainCertificate wants a PEM certificate for the domain and its
  key).  Absence codes: NotFoundApiGroup, NotFoundApi, NotFoundApp,
  NotFoundDomain, NotFoundPlugin.

The data plane (serve_gateway): the API deployed in the environment the
request names (X-Ca-Stage, RELEASE by default; a bound domain's own
environment) that matches the path and method; an APP API checks the
caller the way the gateway documents it — X-Ca-Signature recomputed by the
aliyun-api-gateway client's signer (alijudge.js "xca", an implementation
independent of hoist's), X-Ca-Timestamp within 15 minutes, X-Ca-Nonce used
once in 15 minutes (required: hoist's APIs force the nonce check),
Content-MD5, the app authorized in that environment — or
Authorization: APPCODE <code>; errors come as the gateway's
X-Ca-Error-Message header.  A CORS plugin answers preflights and adds the
Access-Control-* headers.  The function is invoked with the API's role
(the fake RAM must let that role invoke it) and the documented FC event
({path, httpMethod, headers, queryParameters, pathParameters, body,
isBase64Encoded}; a repeated query parameter is a list, per the gateway's
parameter rules); its answer must be exactly {isBase64Encoded, statusCode,
headers, body} (statusCode required), else 503.  Every backend call is kept
in state["cloudapi"]["calls"] (event and answer) for tests.
"""
import base64
import hashlib
import itertools
import json
import re
import secrets
import time
import uuid
from urllib.parse import parse_qsl

from .fakealiyun import AliError, now_iso, op

NAME_RX = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,49}$")
APP_RX = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,25}$")
STAGES = ("RELEASE", "PRE", "TEST")
NAMES = "4-50 letters, digits or '_', starting with a letter"
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY")
MAX_TIMEOUT_MS = 30000
NONCE_SECONDS = 15 * 60
REQUEST_KEYS = {"requestProtocol", "requestHttpMethod", "requestPath", "requestMode",
                "bodyFormat", "postBodyDescription", "escapePathParam", "bodyModel"}
SERVICE_KEYS = {"serviceProtocol", "serviceAddress", "serviceHttpMethod", "servicePath",
                "serviceTimeout", "contentTypeCatagory", "contentTypeValue", "mock",
                "mockResult", "mockStatusCode", "serviceVpcEnable", "vpcConfig",
                "functionComputeConfig", "aoneAppName"}
FC_KEYS = {"fcRegionId", "fcType", "fcVersion", "functionName", "serviceName", "qualifier",
           "roleArn", "path", "method", "fcBaseUrl", "onlyBusinessPath", "contentTypeCatagory",
           "contentTypeValue", "triggerName"}
CORS_KEYS = {"allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders",
             "allowCredentials", "maxAge"}
ANSWER_KEYS = {"isBase64Encoded", "statusCode", "headers", "body"}
BINARY_TYPES = ("image/", "audio/", "video/", "application/octet-stream", "application/zip",
                "application/pdf", "application/gzip")

_app_ids = itertools.count(110000000 + int(time.time()) % 1000000)


def _ca(fake):
    s = fake.st("cloudapi")
    for k in ("groups", "apis", "apps", "plugins", "nonces"):
        s.setdefault(k, {})
    s.setdefault("calls", [])
    return s


def _q(p):
    return p["query"]


def _group(fake, gid):
    g = _ca(fake)["groups"].get(gid or "")
    if g is None:
        raise AliError(404, "NotFoundApiGroup", f"the API group {gid} does not exist")
    return g


def _api(fake, api_id, gid=None):
    a = _ca(fake)["apis"].get(api_id or "")
    if a is None or (gid and a["GroupId"] != gid):
        raise AliError(404, "NotFoundApi", f"the API {api_id} does not exist")
    return a


def _app(fake, app_id):
    a = _ca(fake)["apps"].get(str(app_id or ""))
    if a is None:
        raise AliError(404, "NotFoundApp", f"the app {app_id} does not exist")
    return a


def _plugin(fake, pid):
    pl = _ca(fake)["plugins"].get(pid or "")
    if pl is None:
        raise AliError(404, "NotFoundPlugin", f"the plugin {pid} does not exist")
    return pl


def _stage(q, key="StageName"):
    s = q.get(key)
    if s not in STAGES:
        raise AliError(400, "InvalidParameter", f"{key} '{s}' is not RELEASE, PRE or TEST")
    return s


def _page(q, items):
    n, size = int(q.get("PageNumber") or 1), int(q.get("PageSize") or 10)
    return items[(n - 1) * size:n * size], n, size


def _new_name(q, key, rx, items, field, what, scope=lambda it: True):
    """The valid, unused name in q[key]; the product's errors otherwise."""
    name = q.get(key, "")
    if not rx.match(name):
        raise AliError(400, "Invalid" + key, f"{key} '{name}' must be {what}")
    if any(it[field] == name and scope(it) for it in items):
        raise AliError(400, "Repeated" + key, f"{key} {name} is taken")
    return name


# ---- groups ----------------------------------------------------------------------

def _group_view(g, full=False):
    v = {k: g[k] for k in ("GroupId", "GroupName", "Description", "SubDomain", "RegionId",
                           "CreatedTime", "ModifiedTime", "BasePath", "InstanceId",
                           "InstanceType", "HttpsPolicy")}
    if full:
        v["CustomDomains"] = {"DomainItem": [_domain_item(n, d) for n, d in g["domains"].items()]}
        v["StageItems"] = {"StageInfo": [{"StageName": s, "StageId": f"{g['GroupId']}-{s}",
                                          "Description": s} for s in STAGES]}
        v["Status"] = "NORMAL"
    else:
        v.update(BillingStatus="NORMAL", IllegalStatus="NORMAL", TrafficLimit=500)
    return v


@op("cloudapi", "CreateApiGroup")
def create_group(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        gs = _ca(fake)["groups"]
        name = _new_name(q, "GroupName", NAME_RX, gs.values(), "GroupName", NAMES,
                         lambda g: g["RegionId"] == ctx["region"])
        gid = uuid.uuid4().hex
        t = now_iso()
        gs[gid] = {"GroupId": gid, "GroupName": name, "Description": q.get("Description", ""),
                   "SubDomain": f"{gid}-{ctx['region']}.alicloudapi.com",
                   "RegionId": ctx["region"], "CreatedTime": t, "ModifiedTime": t,
                   "BasePath": q.get("BasePath", "/"), "InstanceId": "api-shared-vpc-001",
                   "InstanceType": "VPC_SHARED", "HttpsPolicy": "HTTPS2_TLS1_0", "domains": {}}
        v = _group_view(gs[gid])
        return {k: v[k] for k in ("GroupId", "GroupName", "Description", "SubDomain",
                                  "BasePath", "InstanceId", "InstanceType")}


@op("cloudapi", "DescribeApiGroups")
def describe_groups(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        gs = sorted((g for g in _ca(fake)["groups"].values() if g["RegionId"] == ctx["region"]
                     and q.get("GroupName", "") in g["GroupName"]
                     and q.get("GroupId", g["GroupId"]) == g["GroupId"]),
                    key=lambda g: g["CreatedTime"])
        page, n, size = _page(q, gs)
        return {"ApiGroupAttributes": {"ApiGroupAttribute": [_group_view(g) for g in page]},
                "TotalCount": len(gs), "PageNumber": n, "PageSize": size}


@op("cloudapi", "DescribeApiGroup")
def describe_group(fake, p, ctx):
    with fake.lock:
        return _group_view(_group(fake, _q(p).get("GroupId")), full=True)


@op("cloudapi", "DeleteApiGroup")
def delete_group(fake, p, ctx):
    with fake.lock:
        g = _group(fake, _q(p).get("GroupId"))
        if any(a["GroupId"] == g["GroupId"] for a in _ca(fake)["apis"].values()):
            raise AliError(400, "ExistApis", "the API group still has APIs; delete them first")
        if g["domains"]:
            raise AliError(400, "ExistDomains", "the API group still has custom domains bound")
        del _ca(fake)["groups"][g["GroupId"]]
        return {}


# ---- APIs ----------------------------------------------------------------------------

def _json_arg(q, key, known):
    try:
        d = json.loads(q.get(key) or "")
    except ValueError:
        raise AliError(400, "InvalidParameter", f"{key} is not JSON")
    if not isinstance(d, dict):
        raise AliError(400, "InvalidParameter", f"{key} must be a JSON object")
    unknown = sorted(set(d) - known)
    if unknown:
        raise AliError(400, "InvalidParameter", f"{key}: unknown member(s) {', '.join(unknown)} "
                       f"(known: {', '.join(sorted(known))})")
    return d


def _definition(fake, q, region):
    """The checked definition of CreateApi/ModifyApi."""
    auth = q.get("AuthType", "APP")
    if auth not in ("APP", "ANONYMOUS", "APPOPENID", "ANONYMOUSOPENID"):
        raise AliError(400, "InvalidAuthType", f"AuthType '{auth}' is not valid")
    if q.get("Visibility") not in ("PUBLIC", "PRIVATE"):
        raise AliError(400, "InvalidVisibility", "Visibility must be PUBLIC or PRIVATE")
    rq = _json_arg(q, "RequestConfig", REQUEST_KEYS)
    sv = _json_arg(q, "ServiceConfig", SERVICE_KEYS)
    if rq.get("requestHttpMethod") not in METHODS:
        raise AliError(400, "InvalidParameter", f"requestHttpMethod "
                       f"'{rq.get('requestHttpMethod')}' is not one of {', '.join(METHODS)}")
    if not str(rq.get("requestPath", "")).startswith("/"):
        raise AliError(400, "InvalidParameter", "requestPath must start with '/'")
    if rq.get("requestMode", "MAPPING") not in ("MAPPING", "PASSTHROUGH", "MAPPING_PASSTHROUGH"):
        raise AliError(400, "InvalidParameter", "requestMode is not MAPPING or PASSTHROUGH")
    if not set(str(rq.get("requestProtocol", "HTTP")).split(",")) <= {"HTTP", "HTTPS", "WEBSOCKET"}:
        raise AliError(400, "InvalidParameter", "requestProtocol is not HTTP, HTTPS or both")
    to = sv.get("serviceTimeout")
    if not isinstance(to, int) or not 1 <= to <= MAX_TIMEOUT_MS:
        raise AliError(400, "InvalidParameter", f"serviceTimeout {to!r} must be 1-{MAX_TIMEOUT_MS} "
                       "ms on a shared instance")
    if sv.get("serviceProtocol") == "FunctionCompute":
        fc = sv.get("functionComputeConfig")
        if not isinstance(fc, dict):
            raise AliError(400, "InvalidParameter", "functionComputeConfig is required for a "
                           "FunctionCompute backend")
        unknown = sorted(set(fc) - FC_KEYS)
        if unknown:
            raise AliError(400, "InvalidParameter", "functionComputeConfig: unknown member(s) "
                           + ", ".join(unknown))
        if fc.get("fcType") not in ("FCEvent", "HttpTrigger"):
            raise AliError(400, "InvalidParameter", "fcType must be FCEvent or HttpTrigger")
        if fc.get("fcVersion") not in ("2.0", "3.0"):
            raise AliError(400, "InvalidParameter", "fcVersion must be 2.0 or 3.0")
        if fc["fcType"] == "FCEvent" and not (fc.get("functionName") and fc.get("roleArn")
                                             and fc.get("fcRegionId")):
            raise AliError(400, "InvalidParameter", "an FC event backend needs fcRegionId, "
                           "functionName and roleArn")
        if fc["fcVersion"] == "2.0" and not fc.get("serviceName"):
            raise AliError(400, "InvalidParameter", "FC 2.0 needs serviceName")
    elif sv.get("serviceProtocol") not in ("HTTP", "HTTPS", "MOCK"):
        raise AliError(400, "InvalidParameter", "serviceProtocol is not valid")
    if auth == "APP" and q.get("AllowSignatureMethod", "HmacSHA256") not in \
            ("HmacSHA256", "HmacSHA1,HmacSHA256"):
        raise AliError(400, "InvalidParameter", "AllowSignatureMethod is not valid")
    if q.get("AppCodeAuthType", "DEFAULT") not in ("DEFAULT", "DISABLE", "HEADER", "HEADER_QUERY"):
        raise AliError(400, "InvalidParameter", "AppCodeAuthType is not valid")
    return {"ApiName": q["ApiName"], "Visibility": q["Visibility"], "AuthType": auth,
            "AllowSignatureMethod": q.get("AllowSignatureMethod", "HmacSHA256"),
            "AppCodeAuthType": q.get("AppCodeAuthType", "DEFAULT"),
            "ForceNonceCheck": q.get("ForceNonceCheck") == "true",
            "ResultType": q.get("ResultType", "JSON"), "Description": q.get("Description", ""),
            "request": rq, "service": sv}


def _pascal(d, names):
    return {names.get(k, k[0].upper() + k[1:]): v for k, v in d.items()}


def _api_view(a, d, deployed=False):
    """DescribeApi's / DescribeDeployedApi's answer for definition d."""
    rq = _pascal(d["request"], {})
    sv = dict(d["service"])
    fc = sv.pop("functionComputeConfig", None)
    sv = _pascal(sv, {"mock": "Mock"})
    if "Mock" in sv:
        sv["Mock"] = str(sv["Mock"])
    if "ServiceVpcEnable" in sv:
        sv["ServiceVpcEnable"] = str(sv["ServiceVpcEnable"])
    if fc is not None:
        sv["FunctionComputeConfig"] = _pascal(fc, {"fcRegionId": "RegionId"})
        if deployed:   # DescribeDeployedApi's model has no FcVersion (nor TriggerName)
            sv["FunctionComputeConfig"].pop("FcVersion", None)
            sv["FunctionComputeConfig"].pop("TriggerName", None)
    v = {"ApiId": a["ApiId"], "ApiName": d["ApiName"], "GroupId": a["GroupId"],
         "GroupName": a["GroupName"], "RegionId": a["RegionId"], "Visibility": d["Visibility"],
         "AuthType": d["AuthType"], "AllowSignatureMethod": d["AllowSignatureMethod"],
         "ForceNonceCheck": d["ForceNonceCheck"], "ResultType": d["ResultType"],
         "Description": d["Description"], "RequestConfig": rq, "ServiceConfig": sv}
    if not deployed:
        v.update(AppCodeAuthType=d["AppCodeAuthType"], CreatedTime=a["CreatedTime"],
                 ModifiedTime=a["ModifiedTime"], DeployedInfos=_deployed_infos(a))
    return v


def _deployed_infos(a):
    return {"DeployedInfo": [{"StageName": s, "EffectiveVersion": a["deployed"][s]["version"]
                              if s in a["deployed"] else "",
                              "DeployedStatus": "DEPLOYED" if s in a["deployed"] else "NONDEPLOYED"}
                             for s in STAGES]}


@op("cloudapi", "CreateApi")
def create_api(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        g = _group(fake, q.get("GroupId"))
        name = _new_name(q, "ApiName", NAME_RX, [a["def"] for a in _ca(fake)["apis"].values()
                                                 if a["GroupId"] == g["GroupId"]],
                         "ApiName", NAMES)
        d = _definition(fake, q, ctx["region"])
        api_id = uuid.uuid4().hex
        t = now_iso()
        _ca(fake)["apis"][api_id] = {"ApiId": api_id, "GroupId": g["GroupId"],
                                     "GroupName": g["GroupName"], "RegionId": g["RegionId"],
                                     "CreatedTime": t, "ModifiedTime": t, "def": d,
                                     "deployed": {}, "auth": {}, "plugins": {}, "versions": 0}
        return {"ApiId": api_id}


@op("cloudapi", "ModifyApi")
def modify_api(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        a = _api(fake, q.get("ApiId"), q.get("GroupId"))
        if not NAME_RX.match(q.get("ApiName", "")):
            raise AliError(400, "InvalidApiName", "ApiName is not valid")
        a["def"] = _definition(fake, q, ctx["region"])
        a["ModifiedTime"] = now_iso()
        return {}


@op("cloudapi", "DescribeApi")
def describe_api(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        a = _api(fake, q.get("ApiId"), q.get("GroupId"))
        return _api_view(a, a["def"])


@op("cloudapi", "DescribeApis")
def describe_apis(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        apis = sorted((a for a in _ca(fake)["apis"].values()
                       if a["RegionId"] == ctx["region"]
                       and q.get("GroupId", a["GroupId"]) == a["GroupId"]
                       and q.get("ApiName", "") in a["def"]["ApiName"]),
                      key=lambda a: a["CreatedTime"])
        page, n, size = _page(q, apis)
        return {"ApiSummarys": {"ApiSummary": [
            {"ApiId": a["ApiId"], "ApiName": a["def"]["ApiName"], "GroupId": a["GroupId"],
             "GroupName": a["GroupName"], "RegionId": a["RegionId"],
             "Visibility": a["def"]["Visibility"], "Description": a["def"]["Description"],
             "ApiPath": a["def"]["request"].get("requestPath"),
             "ApiMethod": a["def"]["request"].get("requestHttpMethod"),
             "CreatedTime": a["CreatedTime"], "ModifiedTime": a["ModifiedTime"],
             "DeployedInfos": _deployed_infos(a)} for a in page]},
            "TotalCount": len(apis), "PageNumber": n, "PageSize": size}


@op("cloudapi", "DeleteApi")
def delete_api(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        a = _api(fake, q.get("ApiId"), q.get("GroupId"))
        if a["deployed"]:
            raise AliError(400, "DeployedApi", "the API is deployed in " + ", ".join(a["deployed"])
                           + "; abolish it first")
        del _ca(fake)["apis"][a["ApiId"]]
        return {}


@op("cloudapi", "DeployApi")
def deploy_api(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        a = _api(fake, q.get("ApiId"), q.get("GroupId"))
        stage = _stage(q)
        a["versions"] += 1
        a["deployed"][stage] = {"def": json.loads(json.dumps(a["def"])),
                                "version": time.strftime("%Y%m%d%H%M%S") + str(a["versions"]),
                                "time": now_iso()}
        return {}


@op("cloudapi", "AbolishApi")
def abolish_api(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        a = _api(fake, q.get("ApiId"), q.get("GroupId"))
        a["deployed"].pop(_stage(q), None)
        return {}


@op("cloudapi", "DescribeDeployedApi")
def describe_deployed(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        a = _api(fake, q.get("ApiId"), q.get("GroupId"))
        stage = _stage(q)
        d = a["deployed"].get(stage)
        if d is None:
            raise AliError(404, "NotFoundApi", f"the API is not deployed in {stage}")
        v = _api_view(a, d["def"], deployed=True)
        v.update(StageName=stage, DeployedTime=d["time"])
        return v


# ---- apps and authorization ---------------------------------------------------------

def _app_attr(a):
    return {"AppId": a["AppId"], "AppName": a["AppName"], "Description": a["Description"],
            "CreatedTime": a["CreatedTime"], "ModifiedTime": a["CreatedTime"]}


@op("cloudapi", "CreateApp")
def create_app(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        apps = _ca(fake)["apps"]
        name = _new_name(q, "AppName", APP_RX, apps.values(), "AppName",
                         "4-26 letters, digits or '_', starting with a letter")
        app_id = next(_app_ids)
        apps[str(app_id)] = {"AppId": app_id, "AppName": name,
                             "Description": q.get("Description", ""), "CreatedTime": now_iso(),
                             "AppKey": str(200000000 + app_id % 100000000),
                             "AppSecret": secrets.token_hex(16), "AppCode": secrets.token_hex(16)}
        return {"AppId": app_id}


@op("cloudapi", "DescribeAppAttributes")
def describe_apps(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        apps = [a for a in _ca(fake)["apps"].values()
                if q.get("AppName", a["AppName"]) == a["AppName"]
                and str(q.get("AppId", a["AppId"])) == str(a["AppId"])]
        page, n, size = _page(q, apps)
        return {"Apps": {"AppAttribute": [_app_attr(a) for a in page]}, "TotalCount": len(apps),
                "PageNumber": n, "PageSize": size}


@op("cloudapi", "DescribeAppSecurity")
def describe_app_security(fake, p, ctx):
    with fake.lock:
        a = _app(fake, _q(p).get("AppId"))
        return {k: a[k] for k in ("AppKey", "AppSecret", "AppCode", "CreatedTime")}


@op("cloudapi", "DeleteApp")
def delete_app(fake, p, ctx):
    with fake.lock:
        a = _app(fake, _q(p).get("AppId"))
        for api in _ca(fake)["apis"].values():
            for ids in api["auth"].values():
                ids.discard(str(a["AppId"]))
        del _ca(fake)["apps"][str(a["AppId"])]
        return {}


@op("cloudapi", "SetAppsAuthorities")
def set_authorities(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        a = _api(fake, q.get("ApiId"), q.get("GroupId"))
        stage = _stage(q)
        ids = [i for i in (q.get("AppIds") or "").split(",") if i]
        for i in ids:
            _app(fake, i)
        a["auth"].setdefault(stage, set()).update(ids)
        return {}


@op("cloudapi", "RemoveAppsAuthorities")
def remove_authorities(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        a = _api(fake, q.get("ApiId"), q.get("GroupId"))
        stage = _stage(q)
        for i in (q.get("AppIds") or "").split(","):
            a["auth"].get(stage, set()).discard(i)
        return {}


@op("cloudapi", "DescribeAuthorizedApps")
def describe_authorized(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        a = _api(fake, q.get("ApiId"), q.get("GroupId"))
        out = []
        for stage in STAGES:
            if q.get("StageName", stage) != stage:
                continue
            for i in sorted(a["auth"].get(stage, ())):
                app = _ca(fake)["apps"][i]
                out.append({"AppId": app["AppId"], "AppName": app["AppName"], "StageName": stage,
                            "AuthorizationSource": "CONSOLE", "Operator": "PROVIDER",
                            "AuthorizedTime": app["CreatedTime"]})
        page, n, size = _page(q, out)
        return {"AuthorizedApps": {"AuthorizedApp": page}, "TotalCount": len(out),
                "PageNumber": n, "PageSize": size}


# ---- plugins ----------------------------------------------------------------------------

def _plugin_data(ptype, data):
    if ptype != "cors":
        raise AliError(400, "InvalidPluginType", "the fake keeps cors plugins only")
    try:
        d = json.loads(data or "")
    except ValueError:
        raise AliError(400, "InvalidPluginData", "PluginData is not JSON")
    unknown = sorted(set(d) - CORS_KEYS) if isinstance(d, dict) else ["(not an object)"]
    if unknown:
        raise AliError(400, "InvalidPluginData", "cors PluginData: unknown " + ", ".join(unknown))
    if "allowCredentials" in d and not isinstance(d["allowCredentials"], bool):
        raise AliError(400, "InvalidPluginData", "allowCredentials must be a boolean")
    if "maxAge" in d and not isinstance(d["maxAge"], int):
        raise AliError(400, "InvalidPluginData", "maxAge must be a number")
    return d


def _plugin_view(pl):
    return {k: pl[k] for k in ("PluginId", "PluginName", "PluginType", "PluginData",
                               "Description", "RegionId", "CreatedTime", "ModifiedTime")}


@op("cloudapi", "CreatePlugin")
def create_plugin(fake, p, ctx):
    q = _q(p)
    _plugin_data(q.get("PluginType"), q.get("PluginData"))
    with fake.lock:
        pls = _ca(fake)["plugins"]
        name = _new_name(q, "PluginName", NAME_RX, pls.values(), "PluginName", NAMES)
        pid = uuid.uuid4().hex
        t = now_iso()
        pls[pid] = {"PluginId": pid, "PluginName": name, "PluginType": q["PluginType"],
                    "PluginData": q["PluginData"], "Description": q.get("Description", ""),
                    "RegionId": ctx["region"], "CreatedTime": t, "ModifiedTime": t}
        return {"PluginId": pid}


@op("cloudapi", "ModifyPlugin")
def modify_plugin(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        pl = _plugin(fake, q.get("PluginId"))
        if "PluginData" in q:
            _plugin_data(pl["PluginType"], q["PluginData"])
            pl["PluginData"] = q["PluginData"]
        pl["PluginName"] = q.get("PluginName", pl["PluginName"])
        pl["ModifiedTime"] = now_iso()
        return {}


@op("cloudapi", "DescribePlugins")
def describe_plugins(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        pls = [pl for pl in _ca(fake)["plugins"].values()
               if q.get("PluginName", pl["PluginName"]) == pl["PluginName"]
               and q.get("PluginId", pl["PluginId"]) == pl["PluginId"]]
        page, n, size = _page(q, pls)
        return {"Plugins": {"PluginAttribute": [_plugin_view(pl) for pl in page]},
                "TotalCount": len(pls), "PageNumber": n, "PageSize": size}


@op("cloudapi", "DeletePlugin")
def delete_plugin(fake, p, ctx):
    with fake.lock:
        pl = _plugin(fake, _q(p).get("PluginId"))
        if any(pl["PluginId"] in ids for a in _ca(fake)["apis"].values()
               for ids in a["plugins"].values()):
            raise AliError(400, "PluginInUse", "the plugin is attached to an API; detach it first")
        del _ca(fake)["plugins"][pl["PluginId"]]
        return {}


@op("cloudapi", "AttachPlugin")
def attach_plugin(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        pl = _plugin(fake, q.get("PluginId"))
        stage = _stage(q)
        ids = [i for i in (q.get("ApiIds") or q.get("ApiId") or "").split(",") if i]
        for i in ids:
            a = _api(fake, i, q.get("GroupId"))
            on = a["plugins"].setdefault(stage, set())
            same_type = [x for x in on if _ca(fake)["plugins"][x]["PluginType"] == pl["PluginType"]
                         and x != pl["PluginId"]]
            if same_type:
                raise AliError(400, "RepeatedPluginType", "an API takes one plugin of a type "
                               "per environment")
            on.add(pl["PluginId"])
        return {}


@op("cloudapi", "DetachPlugin")
def detach_plugin(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        pl = _plugin(fake, q.get("PluginId"))
        a = _api(fake, q.get("ApiId"), q.get("GroupId"))
        a["plugins"].get(_stage(q), set()).discard(pl["PluginId"])
        return {}


@op("cloudapi", "DescribePluginsByApi")
def plugins_by_api(fake, p, ctx):
    q = _q(p)
    with fake.lock:
        a = _api(fake, q.get("ApiId"), q.get("GroupId"))
        pls = [_plugin_view(_ca(fake)["plugins"][i]) for i in sorted(a["plugins"].get(_stage(q), ()))]
        page, n, size = _page(q, pls)
        return {"Plugins": {"PluginAttribute": page}, "TotalCount": len(pls), "PageNumber": n,
                "PageSize": size}


# ---- custom domains -------------------------------------------------------------------------

def _domain_item(name, d):
    v = {"DomainName": name, "BindStageName": d["stage"], "DomainBindingStatus": "BINDING",
         "DomainCNAMEStatus": "RESOLVED", "DomainLegalStatus": "NORMAL",
         "DomainWebSocketStatus": "CLOSE", "CustomDomainType": "INTERNET"}
    if d.get("cert"):
        v.update(CertificateId=d["cert"]["id"], CertificateName=d["cert"]["name"],
                 CertificateValidStart=d["cert"]["start"], CertificateValidEnd=d["cert"]["end"])
    return v


def bound_domain(fake, host):
    """(group, environment) of a custom domain bound to an API group, or None."""
    with fake.lock:
        for g in _ca(fake)["groups"].values():
            if host in g["domains"]:
                return g, g["domains"][host]["stage"]
    return None


@op("cloudapi", "SetDomain")
def set_domain(fake, p, ctx):
    from .ali_dns import resolves_to
    q = _q(p)
    name = (q.get("DomainName") or "").lower()
    with fake.lock:
        g = _group(fake, q.get("GroupId"))
        other = bound_domain(fake, name)
        if other and other[0]["GroupId"] != g["GroupId"]:
            raise AliError(400, "DomainAlreadyBound", f"{name} is bound to another API group")
    if not resolves_to(fake, name, g["SubDomain"]):
        raise AliError(400, "DomainNotResolved", f"{name} is not resolved (CNAME) to the group's "
                       f"subdomain {g['SubDomain']}")
    with fake.lock:
        stage = q.get("BindStageName") or "RELEASE"
        if stage not in STAGES:
            raise AliError(400, "InvalidParameter", "BindStageName is not RELEASE, PRE or TEST")
        d = g["domains"].setdefault(name, {"cert": None})
        d["stage"] = stage
        return {"GroupId": g["GroupId"], "DomainName": name, "SubDomain": g["SubDomain"],
                "DomainBindingStatus": "BINDING", "DomainLegalStatus": "NORMAL",
                "DomainWebSocketStatus": "CLOSE"}


def _domain(fake, q):
    g = _group(fake, q.get("GroupId"))
    name = (q.get("DomainName") or "").lower()
    if name not in g["domains"]:
        raise AliError(404, "NotFoundDomain", f"{name} is not bound to the API group")
    return g, name, g["domains"][name]


@op("cloudapi", "DescribeDomain")
def describe_domain(fake, p, ctx):
    with fake.lock:
        g, name, d = _domain(fake, _q(p))
        v = _domain_item(name, d)
        v.pop("BindStageName")
        v.pop("CustomDomainType")
        v.update(GroupId=g["GroupId"], SubDomain=g["SubDomain"])
        if d.get("cert"):
            v.update(CertificateBody=d["cert"]["body"], CertificatePrivateKey=d["cert"]["key"])
        return v


@op("cloudapi", "DeleteDomain")
def delete_domain(fake, p, ctx):
    with fake.lock:
        g, name, _ = _domain(fake, _q(p))
        del g["domains"][name]
        return {}


@op("cloudapi", "SetDomainCertificate")
def set_certificate(fake, p, ctx):
    from .ali_fc import _check_cert
    q = _q(p)
    with fake.lock:
        g, name, d = _domain(fake, q)
    _check_cert({"certificate": q.get("CertificateBody") or "",
                 "privateKey": q.get("CertificatePrivateKey") or ""}, name)
    from cryptography import x509
    import datetime
    leaf = x509.load_pem_x509_certificate(q["CertificateBody"].encode())   # the leaf
    utc = datetime.timezone.utc
    start = int(leaf.not_valid_before.replace(tzinfo=utc).timestamp() * 1000)
    end = int(leaf.not_valid_after.replace(tzinfo=utc).timestamp() * 1000)
    with fake.lock:
        d["cert"] = {"id": uuid.uuid4().hex, "name": q.get("CertificateName", ""),
                     "body": q["CertificateBody"], "key": q["CertificatePrivateKey"],
                     "start": start, "end": end}
        return {}


@op("cloudapi", "DeleteDomainCertificate")
def delete_certificate(fake, p, ctx):
    with fake.lock:
        g, name, d = _domain(fake, _q(p))
        d["cert"] = None
        return {}


# ---- the data plane -----------------------------------------------------------------------

def _refuse(handler, status, message, request_id, extra=None):
    h = {"X-Ca-Request-Id": request_id, "X-Ca-Error-Message": message, "Content-Length": "0"}
    h.update(extra or {})
    handler.send(status, h, b"")


def _match(api, path, method):
    rq = api["def"]["request"]
    want_path, want_method = rq.get("requestPath", ""), rq.get("requestHttpMethod", "")
    if want_method not in ("ANY", method):
        return False
    if want_path.endswith("/*"):
        prefix = want_path[:-2]
        return path == prefix or path.startswith(prefix + "/") or prefix == ""
    return path == want_path


def _query(raw):
    out = {}
    for k, v in parse_qsl(raw, keep_blank_values=True):
        if k in out:
            out[k] = (out[k] if isinstance(out[k], list) else [out[k]]) + [v]
        else:
            out[k] = v
    return out


def _cors(fake, api, stage):
    with fake.lock:
        for pid in api["plugins"].get(stage, ()):
            pl = _ca(fake)["plugins"].get(pid)
            if pl and pl["PluginType"] == "cors":
                return json.loads(pl["PluginData"])
    return None


def _allow_origin(cors, origin):
    allowed = [o.strip() for o in (cors.get("allowOrigins") or "*").split(",")]
    if "*" in allowed:
        return "*" if not cors.get("allowCredentials") else origin
    return origin if origin in allowed else None


def _check_app(handler, fake, api, stage, parts, body, request_id):
    """The calling app (dict), or None after refusing the request."""
    d = api["def"]
    auth = handler.headers.get("Authorization", "")
    if auth.upper().startswith("APPCODE "):
        if d["AppCodeAuthType"] not in ("DEFAULT", "HEADER", "HEADER_QUERY"):
            _refuse(handler, 403, "AppCode authorization is disabled for this API", request_id)
            return None
        code = auth[8:].strip()
        with fake.lock:
            app = next((a for a in _ca(fake)["apps"].values() if a["AppCode"] == code), None)
        if app is None:
            _refuse(handler, 403, "Invalid AppCode", request_id)
            return None
        return app
    key = handler.headers.get("X-Ca-Key")
    if not key:
        _refuse(handler, 401, "Missing AppKey or AppCode: the API is APP-authorized", request_id)
        return None
    with fake.lock:
        app = next((a for a in _ca(fake)["apps"].values() if a["AppKey"] == key), None)
    if app is None:
        _refuse(handler, 400, "Invalid AppKey", request_id)
        return None
    sig = handler.headers.get("X-Ca-Signature")
    if not sig:
        _refuse(handler, 404, "Empty Signature", request_id)
        return None
    if handler.headers.get("X-Ca-Signature-Method", "HmacSHA256") not in \
            d["AllowSignatureMethod"].split(","):
        _refuse(handler, 400, "Invalid Signature Method", request_id)
        return None
    ts = handler.headers.get("X-Ca-Timestamp")
    nonce = handler.headers.get("X-Ca-Nonce")
    if ts is not None or d["ForceNonceCheck"]:
        if not (ts or "").isdigit():
            _refuse(handler, 400, "Invalid Timestamp", request_id)
            return None
        if abs(time.time() * 1000 - int(ts)) > NONCE_SECONDS * 1000:
            _refuse(handler, 400, "Timestamp Expired", request_id)
            return None
    if d["ForceNonceCheck"] and not nonce:
        _refuse(handler, 400, "Invalid Nonce: X-Ca-Nonce is required", request_id)
        return None
    md5 = handler.headers.get("Content-MD5")
    if md5 is not None and md5 != base64.b64encode(hashlib.md5(body).digest()).decode():
        _refuse(handler, 400, "Invalid Content-MD5", request_id)
        return None
    signed = [h.strip() for h in handler.headers.get("X-Ca-Signature-Headers", "").split(",")
              if h.strip()]
    headers = {}
    for h in signed + ["Accept", "Content-MD5", "Content-Type", "Date"]:
        v = handler.headers.get(h)
        if v is not None:
            headers[h.lower()] = v
    ctype = handler.headers.get("Content-Type", "")
    form = body.decode("utf-8", "replace") if ctype.lower().startswith(
        "application/x-www-form-urlencoded") else None
    pathq = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    want = fake.judge.ask(op="xca", method=handler.command, pathq=pathq, headers=headers,
                          signed=signed, form=form, secret=app["AppSecret"])
    if want["expected"] != sig:
        _refuse(handler, 400, "Invalid Signature, Server StringToSign:`%s`"
                % want["stringToSign"].replace("\n", "#"), request_id)
        return None
    if nonce:
        with fake.lock:
            seen = _ca(fake)["nonces"]
            now = time.time()
            for n in [n for n, t in seen.items() if now - t > NONCE_SECONDS]:
                del seen[n]
            if (key, nonce) in seen or f"{key}/{nonce}" in seen:
                _refuse(handler, 400, "Nonce Used", request_id)
                return None
            seen[f"{key}/{nonce}"] = now
    return app


def _answer_ok(ok):
    if not isinstance(ok, dict) or "statusCode" not in ok or set(ok) - ANSWER_KEYS:
        return False
    if not (isinstance(ok["statusCode"], int) or str(ok["statusCode"]).isdigit()):
        return False
    if "headers" in ok and not isinstance(ok["headers"], dict):
        return False
    return ok.get("body") is None or isinstance(ok["body"], str)


def serve_gateway(handler, host, m, parts, body, request_id):
    """A request to an API group's subdomain or to a domain bound to one."""
    from .ali_fc import run
    from .ali_ram import can_invoke
    fake = handler.fake
    body = body or b""
    with fake.lock:
        group = next((g for g in _ca(fake)["groups"].values() if g["SubDomain"] == host), None)
    env = None
    if group is None:
        bound = bound_domain(fake, host)
        if bound is None:
            return _refuse(handler, 404, "Invalid Domain", request_id)
        group, env = bound
    stage = handler.headers.get("X-Ca-Stage") or env or "RELEASE"
    if stage not in STAGES:
        return _refuse(handler, 400, f"Invalid Stage {stage}", request_id)
    path = parts.path or "/"
    method = handler.command
    preflight = method == "OPTIONS" and handler.headers.get("Origin") and \
        handler.headers.get("Access-Control-Request-Method")
    with fake.lock:
        apis = [a for a in _ca(fake)["apis"].values() if a["GroupId"] == group["GroupId"]
                and stage in a["deployed"]]
        api = next((a for a in apis if _match(a["deployed"][stage], path,
                                              handler.headers.get("Access-Control-Request-Method")
                                              if preflight else method)), None)
        snap = {"def": api["deployed"][stage]["def"]} if api else None
    if api is None:
        return _refuse(handler, 404, "Invalid Url", request_id)
    cors = _cors(fake, api, stage)
    origin = handler.headers.get("Origin")
    if preflight and cors:
        allow = _allow_origin(cors, origin)
        if allow is None:
            return _refuse(handler, 403, "Origin not allowed", request_id)
        h = {"X-Ca-Request-Id": request_id, "Access-Control-Allow-Origin": allow,
             "Access-Control-Allow-Methods": cors.get("allowMethods") or "",
             "Access-Control-Allow-Headers": cors.get("allowHeaders") or "",
             "Content-Length": "0"}
        if cors.get("allowCredentials"):
            h["Access-Control-Allow-Credentials"] = "true"
        if cors.get("maxAge") is not None:
            h["Access-Control-Max-Age"] = str(cors["maxAge"])
        return handler.send(200, h, b"")
    d = snap["def"]
    if d["AuthType"] == "APP":
        app = _check_app(handler, fake, snap, stage, parts, body, request_id)
        if app is None:
            return None
        with fake.lock:
            if str(app["AppId"]) not in api["auth"].get(stage, ()):
                return _refuse(handler, 403, "Unauthorized", request_id)
    fc = d["service"].get("functionComputeConfig") or {}
    why = can_invoke(fake, fc.get("roleArn"), fc.get("fcRegionId"), fc.get("functionName"))
    if why:
        return _refuse(handler, 500, "Failed To Invoke Backend Service: " + why, request_id)
    headers = {}
    for k, v in handler.headers.items():
        headers[k] = headers[k] + "," + v if k in headers else v
    headers["X-Ca-Api-Gateway"] = request_id
    headers.setdefault("X-Forwarded-For", handler.client_address[0])
    ctype = handler.headers.get("Content-Type", "").lower()
    try:
        text = body.decode("utf-8")
        b64 = any(ctype.startswith(t) for t in BINARY_TYPES)
    except UnicodeDecodeError:
        b64 = True
    event = {"path": path, "httpMethod": method, "headers": headers,
             "queryParameters": _query(parts.query), "pathParameters": {},
             "body": base64.b64encode(body).decode() if b64 else text, "isBase64Encoded": b64}
    try:
        result, _, _ = run(fake, fc["functionName"], fc.get("qualifier"),
                           json.dumps(event).encode())
    except AliError as err:
        return _refuse(handler, 500, f"Failed To Invoke Backend Service: {err.code}", request_id)
    ok = result.get("ok")
    if isinstance(ok, str):
        try:
            ok = json.loads(ok)
        except ValueError:
            pass
    with fake.lock:
        calls = _ca(fake)["calls"]
        calls.append({"event": event, "answer": ok, "error": result.get("error")})
        del calls[:-50]
    if "error" in result:
        return _refuse(handler, 500, "Failed To Invoke Backend Service", request_id)
    if not _answer_ok(ok):
        return _refuse(handler, 503, "Service Unavailable: the backend's answer is not "
                       "{isBase64Encoded, statusCode, headers, body}", request_id)
    data = ok.get("body") or ""
    b64out = ok.get("isBase64Encoded") in (True, "true", "True")
    data = base64.b64decode(data) if b64out else data.encode("utf-8")
    h = {str(k): str(v) for k, v in (ok.get("headers") or {}).items()}
    h["X-Ca-Request-Id"] = request_id
    if cors and origin and _allow_origin(cors, origin):
        h["Access-Control-Allow-Origin"] = _allow_origin(cors, origin)
        if cors.get("exposeHeaders"):
            h["Access-Control-Expose-Headers"] = cors["exposeHeaders"]
        if cors.get("allowCredentials"):
            h["Access-Control-Allow-Credentials"] = "true"
    return handler.send(int(ok["statusCode"]), h, data)
