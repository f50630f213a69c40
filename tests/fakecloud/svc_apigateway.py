"""The fake's API Gateway: REST APIs (v1: resources, methods, integrations,
deployments, stages, authorizers, API keys, usage plans) and HTTP APIs (v2:
apis, integrations, routes, stages), kept in fake.state["apigateway"] and
fake.state["apigatewayv2"].

Behaviour follows the real service where hoist depends on it: ids are
10-character lower-case alphanumerics, GetRestApis pages with
position/limit, a new REST API has the root resource "/", CreateDeployment
refuses an API whose method has no integration ("No integration defined for
method") or that has no method at all, PutMethod on an existing method is a
ConflictException, PutIntegration replaces, patch operations
(UpdateRestApi/UpdateMethod/UpdateStage/UpdateAuthorizer/UpdateUsagePlan)
use JSON-pointer paths with "~1" for "/".
"""
import copy
import random
import string

from .fakeaws import ACCOUNT, AWSError
from .services import now, op, st

_ALNUM = string.ascii_lowercase + string.digits


def _new_id(taken=(), n=10):
    while True:
        i = "".join(random.choice(_ALNUM) for _ in range(n))
        if i not in taken:
            return i


def _v1(fake):
    s = st(fake, "apigateway")
    for k in ("apis", "keys", "plans"):
        s.setdefault(k, {})
    return s


def _notfound(what):
    return AWSError(404, "NotFoundException", f"Invalid {what} identifier specified")


def _conflict(msg):
    return AWSError(409, "ConflictException", msg)


def _bad(msg):
    return AWSError(400, "BadRequestException", msg)


def _page(items, p, pos_key="position", limit_key="limit", default=25, max_limit=500):
    """-> (page, next position or None); position is an opaque offset token."""
    start = 0
    if p.get(pos_key):
        try:
            start = int(str(p[pos_key]).lstrip("p"))
        except ValueError:
            raise _bad(f"Invalid {pos_key}")
    limit = int(p.get(limit_key) or default)
    if limit < 1 or limit > max_limit:
        raise _bad(f"1 validation error detected: Value '{limit}' at '{limit_key}' failed to satisfy "
                   f"constraint: Member must have value less than or equal to {max_limit}")
    page = items[start:start + limit]
    nxt = f"p{start + limit}" if start + limit < len(items) else None
    return page, nxt


def _unescape(seg):
    return seg.replace("~1", "/").replace("~0", "~")


def _patch(obj, ops, allowed):
    """Apply simple replace ops on top-level keys named in `allowed`."""
    for o in ops or []:
        path = o.get("path", "")
        key = _unescape(path.lstrip("/"))
        if key not in allowed:
            raise _bad(f"Invalid patch path {path}")
        kind = allowed[key]
        if o.get("op") == "remove":
            obj.pop(key, None)
            continue
        if o.get("op") not in ("replace", "add"):
            raise _bad(f"Invalid patch operation specified. Must be 'add'|'remove'|'replace'")
        v = o.get("value")
        if kind is bool:
            v = str(v).lower() == "true"
        elif kind is int:
            v = int(v)
        obj[key] = v


# ---- REST APIs (v1) -------------------------------------------------------

_API_OUT = ("id", "name", "description", "createdDate", "version", "binaryMediaTypes",
            "apiKeySource", "endpointConfiguration", "policy", "tags",
            "disableExecuteApiEndpoint", "minimumCompressionSize", "rootResourceId")


def _api(fake, api_id):
    a = _v1(fake)["apis"].get(api_id)
    if a is None:
        raise _notfound("API")
    return a


def _api_out(a):
    return {k: copy.deepcopy(a[k]) for k in _API_OUT if a.get(k) is not None}


@op("apigateway", "CreateRestApi")
def create_rest_api(fake, p, ctx):
    apis = _v1(fake)["apis"]
    api_id = _new_id(apis)
    root = _new_id()
    ep = p.get("endpointConfiguration") or {"types": ["EDGE"]}
    a = {"id": api_id, "name": p["name"], "description": p.get("description"),
         "createdDate": now(), "version": p.get("version"),
         "binaryMediaTypes": list(p.get("binaryMediaTypes") or []) or None,
         "apiKeySource": p.get("apiKeySource", "HEADER"), "endpointConfiguration": ep,
         "policy": p.get("policy"), "tags": dict(p.get("tags") or {}),
         "disableExecuteApiEndpoint": p.get("disableExecuteApiEndpoint", False),
         "minimumCompressionSize": p.get("minimumCompressionSize"), "rootResourceId": root,
         "resources": {root: {"id": root, "path": "/", "resourceMethods": {}}},
         "deployments": {}, "stages": {}, "authorizers": {}, "region": ctx["region"]}
    apis[api_id] = a
    return _api_out(a)


@op("apigateway", "GetRestApis")
def get_rest_apis(fake, p, ctx):
    apis = sorted(_v1(fake)["apis"].values(), key=lambda a: a["createdDate"])
    page, nxt = _page(apis, p)
    out = {"items": [_api_out(a) for a in page]}
    if nxt:
        out["position"] = nxt
    return out


@op("apigateway", "GetRestApi")
def get_rest_api(fake, p, ctx):
    return _api_out(_api(fake, p["restApiId"]))


@op("apigateway", "UpdateRestApi")
def update_rest_api(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    for o in p.get("patchOperations") or []:
        path = o.get("path", "")
        if path.startswith("/binaryMediaTypes/"):
            t = _unescape(path[len("/binaryMediaTypes/"):])
            types = a.get("binaryMediaTypes") or []
            if o.get("op") == "add" and t not in types:
                types.append(t)
            elif o.get("op") == "remove":
                if t not in types:
                    raise _bad(f"Invalid patch path {path}")
                types.remove(t)
            a["binaryMediaTypes"] = types or None
        elif path == "/endpointConfiguration/types/0" and o.get("op") == "replace":
            a["endpointConfiguration"] = {"types": [o.get("value")]}
        elif path == "/minimumCompressionSize" and o.get("op") == "replace":
            v = o.get("value") or ""          # "" (or no value) turns compression off
            if v and not (v.isdigit() and int(v) <= 10485760):
                raise _bad("Invalid minimum compression size, must be between 0 and 10485760")
            a["minimumCompressionSize"] = int(v) if v else None
        else:
            _patch(a, [o], {"description": str, "name": str, "policy": str,
                            "disableExecuteApiEndpoint": bool})
    return _api_out(a)


@op("apigateway", "DeleteRestApi")
def delete_rest_api(fake, p, ctx):
    _api(fake, p["restApiId"])
    for plan in _v1(fake)["plans"].values():
        if any(s["apiId"] == p["restApiId"] for s in plan.get("apiStages", [])):
            raise _bad("Cannot delete API, it is still associated with usage plan "
                       f"{plan['id']}; remove the API stage from the usage plan first")
    del _v1(fake)["apis"][p["restApiId"]]
    return {}


# resources ------------------------------------------------------------------

def _resource(a, rid):
    r = a["resources"].get(rid)
    if r is None:
        raise _notfound("Resource")
    return r


def _method_out(m):
    return copy.deepcopy(m)


def _resource_out(r, embed=False):
    out = {k: r[k] for k in ("id", "parentId", "pathPart", "path") if r.get(k) is not None}
    if r["resourceMethods"]:
        out["resourceMethods"] = ({k: _method_out(m) for k, m in r["resourceMethods"].items()}
                                  if embed else {k: {} for k in r["resourceMethods"]})
    return out


@op("apigateway", "GetResources")
def get_resources(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    embed = "methods" in (p.get("embed") or [])
    items = sorted(a["resources"].values(), key=lambda r: r["path"])
    page, nxt = _page(items, p)
    out = {"items": [_resource_out(r, embed) for r in page]}
    if nxt:
        out["position"] = nxt
    return out


@op("apigateway", "GetResource")
def get_resource(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    return _resource_out(_resource(a, p["resourceId"]), "methods" in (p.get("embed") or []))


@op("apigateway", "CreateResource")
def create_resource(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    parent = _resource(a, p["parentId"])
    part = p["pathPart"]
    if any(r.get("parentId") == parent["id"] and r.get("pathPart") == part
           for r in a["resources"].values()):
        raise _conflict(f"Another resource with the same parent already has this name: {part}")
    if parent["path"] != "/" and parent.get("pathPart", "").endswith("+}"):
        raise _bad("Cannot create a child of a resource with a greedy path variable")
    rid = _new_id(a["resources"])
    path = ("" if parent["path"] == "/" else parent["path"]) + "/" + part
    r = {"id": rid, "parentId": parent["id"], "pathPart": part, "path": path, "resourceMethods": {}}
    a["resources"][rid] = r
    return _resource_out(r)


@op("apigateway", "DeleteResource")
def delete_resource(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    r = _resource(a, p["resourceId"])
    if r["path"] == "/":
        raise _bad("Cannot delete the root resource")
    del a["resources"][r["id"]]
    return {}


# methods ----------------------------------------------------------------------

def _method(a, p):
    r = _resource(a, p["resourceId"])
    m = r["resourceMethods"].get(p["httpMethod"])
    if m is None:
        raise _notfound("Method")
    return r, m


def _check_auth(a, auth_type, authorizer_id):
    if auth_type not in ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"):
        raise _bad(f"Invalid authorization type specified: {auth_type}")
    if auth_type in ("CUSTOM", "COGNITO_USER_POOLS"):
        if not authorizer_id or authorizer_id not in a["authorizers"]:
            raise _bad("Invalid authorizer ID specified. Setting the authorization type to "
                       f"{auth_type} requires a valid authorizer.")


@op("apigateway", "PutMethod")
def put_method(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    r = _resource(a, p["resourceId"])
    hm = p["httpMethod"]
    if hm not in ("ANY", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"):
        raise _bad(f"Invalid HttpMethod specified: {hm}")
    if hm in r["resourceMethods"]:
        raise _conflict("Method already exists for this resource")
    _check_auth(a, p["authorizationType"], p.get("authorizerId"))
    m = {"httpMethod": hm, "authorizationType": p["authorizationType"],
         "apiKeyRequired": bool(p.get("apiKeyRequired", False))}
    for k in ("authorizerId", "operationName", "requestParameters", "requestModels",
              "authorizationScopes"):
        if p.get(k) is not None:
            m[k] = copy.deepcopy(p[k])
    r["resourceMethods"][hm] = m
    return _method_out(m)


@op("apigateway", "GetMethod")
def get_method(fake, p, ctx):
    return _method_out(_method(_api(fake, p["restApiId"]), p)[1])


@op("apigateway", "UpdateMethod")
def update_method(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    _, m = _method(a, p)
    _patch(m, p.get("patchOperations"), {"authorizationType": str, "authorizerId": str,
                                         "apiKeyRequired": bool, "operationName": str})
    _check_auth(a, m["authorizationType"], m.get("authorizerId"))
    if m["authorizationType"] in ("NONE", "AWS_IAM"):
        m.pop("authorizerId", None)
    return _method_out(m)


@op("apigateway", "DeleteMethod")
def delete_method(fake, p, ctx):
    r, _ = _method(_api(fake, p["restApiId"]), p)
    del r["resourceMethods"][p["httpMethod"]]
    return {}


@op("apigateway", "PutMethodResponse")
def put_method_response(fake, p, ctx):
    _, m = _method(_api(fake, p["restApiId"]), p)
    mr = {"statusCode": p["statusCode"]}
    for k in ("responseParameters", "responseModels"):
        if p.get(k) is not None:
            mr[k] = dict(p[k])
    m.setdefault("methodResponses", {})[p["statusCode"]] = mr
    return dict(mr)


@op("apigateway", "PutIntegration")
def put_integration(fake, p, ctx):
    _, m = _method(_api(fake, p["restApiId"]), p)
    t = p["type"]
    if t in ("AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY"):
        if not p.get("uri"):
            raise _bad("Enumeration value for Integration uri must be non-empty")
        if not p.get("integrationHttpMethod"):
            raise _bad("Enumeration value for HttpMethod must be non-empty")
    if t == "AWS_PROXY" and p.get("integrationHttpMethod") != "POST" and ":lambda:path" in p.get("uri", ""):
        raise _bad("Lambda proxy integrations must use integration HTTP method POST")
    if t == "AWS_PROXY" and ":lambda:path/2015-03-31/functions/" not in p.get("uri", ""):
        raise _bad("Invalid Lambda function ARN in integration uri")
    i = {"type": t, "passthroughBehavior": p.get("passthroughBehavior", "WHEN_NO_MATCH"),
         "timeoutInMillis": p.get("timeoutInMillis", 29000), "cacheNamespace": m.get("httpMethod"),
         "cacheKeyParameters": list(p.get("cacheKeyParameters") or [])}
    if p.get("integrationHttpMethod"):
        i["httpMethod"] = p["integrationHttpMethod"]
    for k in ("uri", "credentials", "requestParameters", "requestTemplates", "contentHandling"):
        if p.get(k) is not None:
            i[k] = copy.deepcopy(p[k])
    m["methodIntegration"] = i
    return copy.deepcopy(i)


@op("apigateway", "GetIntegration")
def get_integration(fake, p, ctx):
    _, m = _method(_api(fake, p["restApiId"]), p)
    if "methodIntegration" not in m:
        raise _notfound("Integration")
    return copy.deepcopy(m["methodIntegration"])


@op("apigateway", "PutIntegrationResponse")
def put_integration_response(fake, p, ctx):
    _, m = _method(_api(fake, p["restApiId"]), p)
    i = m.get("methodIntegration")
    if i is None:
        raise _notfound("Integration")
    if p["statusCode"] not in m.get("methodResponses", {}):
        raise _bad("Invalid mapping expression specified: there is no method response "
                   f"for status code {p['statusCode']}")
    ir = {"statusCode": p["statusCode"]}
    for k in ("selectionPattern", "responseParameters", "responseTemplates", "contentHandling"):
        if p.get(k) is not None:
            ir[k] = copy.deepcopy(p[k])
    for hdr in (ir.get("responseParameters") or {}):
        if hdr not in (m["methodResponses"][p["statusCode"]].get("responseParameters") or {}):
            raise _bad(f"Invalid mapping expression specified: Validation Result: warnings : [], "
                       f"errors : [Invalid mapping expression specified: {hdr}]")
    i.setdefault("integrationResponses", {})[p["statusCode"]] = ir
    return dict(ir)


# authorizers --------------------------------------------------------------------

_AUTH_KEYS = ("name", "type", "authType", "authorizerUri", "authorizerCredentials",
              "identitySource", "identityValidationExpression", "authorizerResultTtlInSeconds",
              "providerARNs")


def _authorizer(a, aid):
    z = a["authorizers"].get(aid)
    if z is None:
        raise _notfound("Authorizer")
    return z


def _check_authorizer(z):
    if z["type"] not in ("TOKEN", "REQUEST", "COGNITO_USER_POOLS"):
        raise _bad(f"Invalid authorizer type: {z['type']}")
    if z["type"] in ("TOKEN", "REQUEST") and not z.get("authorizerUri"):
        raise _bad("Authorizer URI is required for authorizer type " + z["type"])
    if z["type"] == "TOKEN" and not str(z.get("identitySource", "")).startswith("method.request.header."):
        raise _bad("Invalid identity source for TOKEN authorizer: must be method.request.header.<name>")


@op("apigateway", "CreateAuthorizer")
def create_authorizer(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    if any(z["name"] == p["name"] for z in a["authorizers"].values()):
        raise _conflict(f"Authorizer name must be unique. Authorizer {p['name']} already exists in this RestApi.")
    z = {"id": _new_id(a["authorizers"], 6)}
    z.update({k: copy.deepcopy(p[k]) for k in _AUTH_KEYS if p.get(k) is not None})
    z.setdefault("authorizerResultTtlInSeconds", 300)
    _check_authorizer(z)
    a["authorizers"][z["id"]] = z
    return dict(z)


@op("apigateway", "GetAuthorizers")
def get_authorizers(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    page, nxt = _page(list(a["authorizers"].values()), p)
    out = {"items": [dict(z) for z in page]}
    if nxt:
        out["position"] = nxt
    return out


@op("apigateway", "GetAuthorizer")
def get_authorizer(fake, p, ctx):
    return dict(_authorizer(_api(fake, p["restApiId"]), p["authorizerId"]))


@op("apigateway", "UpdateAuthorizer")
def update_authorizer(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    z = _authorizer(a, p["authorizerId"])
    _patch(z, p.get("patchOperations"), {"name": str, "type": str, "authorizerUri": str,
                                         "identitySource": str, "identityValidationExpression": str,
                                         "authorizerResultTtlInSeconds": int,
                                         "authorizerCredentials": str})
    _check_authorizer(z)
    return dict(z)


@op("apigateway", "DeleteAuthorizer")
def delete_authorizer(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    z = _authorizer(a, p["authorizerId"])
    for r in a["resources"].values():
        for hm, m in r["resourceMethods"].items():
            if m.get("authorizerId") == z["id"]:
                raise _conflict(f"Cannot delete authorizer '{z['name']}', is referenced in method: "
                                f"{hm}:{r['path']}")
    del a["authorizers"][z["id"]]
    return {}


# deployments and stages ---------------------------------------------------------

@op("apigateway", "CreateDeployment")
def create_deployment(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    methods = [(r, hm, m) for r in a["resources"].values() for hm, m in r["resourceMethods"].items()]
    if not methods:
        raise _bad("The REST API doesn't contain any methods")
    for r, hm, m in methods:
        if "methodIntegration" not in m:
            raise _bad("No integration defined for method")
    did = _new_id(a["deployments"], 6)
    d = {"id": did, "description": p.get("description"), "createdDate": now(),
         "snapshot": {r["path"]: copy.deepcopy(r["resourceMethods"]) for r in a["resources"].values()}}
    a["deployments"][did] = d
    if p.get("stageName"):
        s = a["stages"].get(p["stageName"])
        if s is None:
            _new_stage(a, p["stageName"], did, p.get("stageDescription"), p.get("variables"))
        else:
            s["deploymentId"] = did
            s["lastUpdatedDate"] = now()
            if p.get("variables"):
                s["variables"] = dict(p["variables"])
    return {k: d[k] for k in ("id", "description", "createdDate") if d.get(k) is not None}


@op("apigateway", "GetDeployments")
def get_deployments(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    page, nxt = _page(sorted(a["deployments"].values(), key=lambda d: d["createdDate"]), p)
    out = {"items": [{k: d[k] for k in ("id", "description", "createdDate") if d.get(k)} for d in page]}
    if nxt:
        out["position"] = nxt
    return out


@op("apigateway", "DeleteDeployment")
def delete_deployment(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    if p["deploymentId"] not in a["deployments"]:
        raise _notfound("Deployment")
    if any(s["deploymentId"] == p["deploymentId"] for s in a["stages"].values()):
        raise _bad("Active stages pointing to this deployment must be moved or deleted")
    del a["deployments"][p["deploymentId"]]
    return {}


def _new_stage(a, name, did, description=None, variables=None, tags=None):
    s = {"stageName": name, "deploymentId": did, "createdDate": now(), "lastUpdatedDate": now(),
         "cacheClusterEnabled": False, "cacheClusterStatus": "NOT_AVAILABLE",
         "tracingEnabled": False, "methodSettings": {}}
    if description is not None:
        s["description"] = description
    if variables:
        s["variables"] = dict(variables)
    if tags:
        s["tags"] = dict(tags)
    a["stages"][name] = s
    return s


@op("apigateway", "CreateStage")
def create_stage(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    if p["stageName"] in a["stages"]:
        raise _conflict("Stage already exists")
    if p["deploymentId"] not in a["deployments"]:
        raise _notfound("Deployment")
    return dict(_new_stage(a, p["stageName"], p["deploymentId"], p.get("description"),
                           p.get("variables"), p.get("tags")))


def _stage(a, name):
    s = a["stages"].get(name)
    if s is None:
        raise _notfound("Stage")
    return s


@op("apigateway", "GetStage")
def get_stage(fake, p, ctx):
    return dict(_stage(_api(fake, p["restApiId"]), p["stageName"]))


@op("apigateway", "GetStages")
def get_stages(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    return {"item": [dict(s) for s in a["stages"].values()]}


# /{resource}/{method}/<setting> -> methodSettings["{resource}/{method}"][field]
_METHOD_SETTINGS = {"logging/loglevel": ("loggingLevel", str), "logging/dataTrace": ("dataTraceEnabled", bool),
                    "metrics/enabled": ("metricsEnabled", bool), "caching/enabled": ("cachingEnabled", bool),
                    "caching/ttlInSeconds": ("cacheTtlInSeconds", int),
                    "caching/dataEncrypted": ("cacheDataEncrypted", bool)}
_METHOD_DEFAULTS = {"metricsEnabled": False, "loggingLevel": "OFF", "dataTraceEnabled": False,
                    "throttlingBurstLimit": 5000, "throttlingRateLimit": 10000.0, "cachingEnabled": False,
                    "cacheTtlInSeconds": 300, "cacheDataEncrypted": False,
                    "requireAuthorizationForCacheControl": True,
                    "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER"}
_CACHE_SIZES = ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")


def _stage_patch(s, o):
    """The stage's own fields, the cache cluster and per-method settings (as API Gateway)."""
    path = o.get("path", "")
    parts = path.lstrip("/").split("/")
    if len(parts) >= 3 and "/".join(parts[2:]) in _METHOD_SETTINGS:
        field, kind = _METHOD_SETTINGS["/".join(parts[2:])]
        v = o.get("value")
        if o.get("op") != "replace":
            raise _bad(f"Invalid patch operation specified. Must be 'replace' for {path}")
        if kind is bool:
            if str(v).lower() not in ("true", "false"):
                raise _bad(f"Invalid value for {path}: {v}")
            v = str(v).lower() == "true"
        elif kind is int:
            if not str(v).isdigit() or int(v) > 3600:
                raise _bad("Invalid cache TTL, must be between 0 and 3600")
            v = int(v)
        elif field == "loggingLevel" and v not in ("OFF", "ERROR", "INFO"):
            raise _bad(f"Invalid logging level: {v}; must be OFF, ERROR or INFO")
        key = _unescape(parts[0]) + "/" + _unescape(parts[1])
        s["methodSettings"].setdefault(key, dict(_METHOD_DEFAULTS))[field] = v
    elif path == "/cacheClusterSize":
        if o.get("value") not in _CACHE_SIZES:
            raise _bad(f"Invalid cache cluster size: {o.get('value')}")
        s["cacheClusterSize"] = o["value"]
    else:
        _patch(s, [o], {"deploymentId": str, "description": str, "tracingEnabled": bool,
                        "cacheClusterEnabled": bool})
        if path == "/cacheClusterEnabled":
            s["cacheClusterStatus"] = "AVAILABLE" if s["cacheClusterEnabled"] else "NOT_AVAILABLE"
            if s["cacheClusterEnabled"]:
                s.setdefault("cacheClusterSize", "0.5")


@op("apigateway", "UpdateStage")
def update_stage(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    s = _stage(a, p["stageName"])
    for o in p.get("patchOperations") or []:
        _stage_patch(s, o)
    if s["deploymentId"] not in a["deployments"]:
        raise _notfound("Deployment")
    s["lastUpdatedDate"] = now()
    return dict(s)


@op("apigateway", "DeleteStage")
def delete_stage(fake, p, ctx):
    a = _api(fake, p["restApiId"])
    _stage(a, p["stageName"])
    for plan in _v1(fake)["plans"].values():
        if {"apiId": a["id"], "stage": p["stageName"]} in plan.get("apiStages", []):
            raise _bad(f"Cannot delete stage {p['stageName']}: it is associated with usage plan "
                       f"{plan['id']}")
    del a["stages"][p["stageName"]]
    return {}


# API keys and usage plans ------------------------------------------------------------

def _key_out(k, include_value):
    out = {x: copy.deepcopy(k[x]) for x in ("id", "name", "description", "enabled", "createdDate",
                                            "lastUpdatedDate", "stageKeys", "tags", "customerId")
           if k.get(x) is not None}
    if include_value:
        out["value"] = k["value"]
    return out


def _key(fake, kid):
    k = _v1(fake)["keys"].get(kid)
    if k is None:
        raise _notfound("API Key")
    return k


@op("apigateway", "CreateApiKey")
def create_api_key(fake, p, ctx):
    keys = _v1(fake)["keys"]
    value = p.get("value") or "".join(random.choice(string.ascii_letters + string.digits)
                                      for _ in range(40))
    if len(value) < 20:
        raise _bad("API Key value should be at least 20 characters")
    k = {"id": _new_id(keys), "name": p.get("name"), "description": p.get("description"),
         "enabled": bool(p.get("enabled", False)), "createdDate": now(), "lastUpdatedDate": now(),
         "value": value, "stageKeys": [f"{s['restApiId']}/{s['stageName']}" for s in p.get("stageKeys", [])],
         "tags": dict(p.get("tags") or {}), "customerId": p.get("customerId")}
    keys[k["id"]] = k
    return _key_out(k, True)


@op("apigateway", "GetApiKeys")
def get_api_keys(fake, p, ctx):
    keys = sorted(_v1(fake)["keys"].values(), key=lambda k: k["createdDate"])
    if p.get("nameQuery"):
        keys = [k for k in keys if (k.get("name") or "").startswith(p["nameQuery"])]
    page, nxt = _page(keys, p)
    out = {"items": [_key_out(k, p.get("includeValues")) for k in page]}
    if nxt:
        out["position"] = nxt
    return out


@op("apigateway", "GetApiKey")
def get_api_key(fake, p, ctx):
    return _key_out(_key(fake, p["apiKey"]), p.get("includeValue"))


@op("apigateway", "DeleteApiKey")
def delete_api_key(fake, p, ctx):
    _key(fake, p["apiKey"])
    del _v1(fake)["keys"][p["apiKey"]]
    for plan in _v1(fake)["plans"].values():
        plan["keys"].pop(p["apiKey"], None)
    return {}


def _plan(fake, pid):
    u = _v1(fake)["plans"].get(pid)
    if u is None:
        raise _notfound("Usage Plan")
    return u


def _plan_out(u):
    return {k: copy.deepcopy(u[k]) for k in ("id", "name", "description", "apiStages", "throttle",
                                             "quota", "tags") if u.get(k) is not None}


def _check_api_stage(fake, s):
    a = _v1(fake)["apis"].get(s.get("apiId"))
    if a is None or s.get("stage") not in a["stages"]:
        raise _bad(f"API Stage not found: {s.get('apiId')}:{s.get('stage')}")


@op("apigateway", "CreateUsagePlan")
def create_usage_plan(fake, p, ctx):
    plans = _v1(fake)["plans"]
    for s in p.get("apiStages") or []:
        _check_api_stage(fake, s)
    u = {"id": _new_id(plans, 6), "name": p["name"], "description": p.get("description"),
         "apiStages": [{"apiId": s["apiId"], "stage": s["stage"]} for s in p.get("apiStages") or []],
         "throttle": p.get("throttle"), "quota": p.get("quota"), "tags": dict(p.get("tags") or {}),
         "keys": {}}
    plans[u["id"]] = u
    return _plan_out(u)


@op("apigateway", "GetUsagePlans")
def get_usage_plans(fake, p, ctx):
    plans = list(_v1(fake)["plans"].values())
    if p.get("keyId"):
        plans = [u for u in plans if p["keyId"] in u["keys"]]
    page, nxt = _page(plans, p)
    out = {"items": [_plan_out(u) for u in page]}
    if nxt:
        out["position"] = nxt
    return out


@op("apigateway", "GetUsagePlan")
def get_usage_plan(fake, p, ctx):
    return _plan_out(_plan(fake, p["usagePlanId"]))


@op("apigateway", "UpdateUsagePlan")
def update_usage_plan(fake, p, ctx):
    u = _plan(fake, p["usagePlanId"])
    for o in p.get("patchOperations") or []:
        if o.get("path") == "/apiStages":
            api_id, _, stage = str(o.get("value", "")).partition(":")
            s = {"apiId": api_id, "stage": stage}
            if o.get("op") == "add":
                _check_api_stage(fake, s)
                if s not in u["apiStages"]:
                    u["apiStages"].append(s)
            elif o.get("op") == "remove":
                if s not in u["apiStages"]:
                    raise _bad(f"Invalid API Stage {o.get('value')} specified")
                u["apiStages"].remove(s)
            else:
                raise _bad("Invalid patch operation specified.")
        else:
            _patch(u, [o], {"name": str, "description": str})
    return _plan_out(u)


@op("apigateway", "DeleteUsagePlan")
def delete_usage_plan(fake, p, ctx):
    _plan(fake, p["usagePlanId"])
    del _v1(fake)["plans"][p["usagePlanId"]]
    return {}


@op("apigateway", "CreateUsagePlanKey")
def create_usage_plan_key(fake, p, ctx):
    u = _plan(fake, p["usagePlanId"])
    if p["keyType"] != "API_KEY":
        raise _bad("Invalid key type")
    k = _key(fake, p["keyId"])
    if k["id"] in u["keys"]:
        raise _conflict("Usage Plan Key already exists")
    u["keys"][k["id"]] = True
    return {"id": k["id"], "type": "API_KEY", "name": k.get("name"), "value": k["value"]}


@op("apigateway", "GetUsagePlanKeys")
def get_usage_plan_keys(fake, p, ctx):
    u = _plan(fake, p["usagePlanId"])
    keys = [_v1(fake)["keys"][i] for i in u["keys"] if i in _v1(fake)["keys"]]
    page, nxt = _page(keys, p)
    out = {"items": [{"id": k["id"], "type": "API_KEY", "name": k.get("name"), "value": k["value"]}
                     for k in page]}
    if nxt:
        out["position"] = nxt
    return out


@op("apigateway", "DeleteUsagePlanKey")
def delete_usage_plan_key(fake, p, ctx):
    u = _plan(fake, p["usagePlanId"])
    if p["keyId"] not in u["keys"]:
        raise _notfound("Usage Plan Key")
    del u["keys"][p["keyId"]]
    return {}


# ---- HTTP APIs (v2) ---------------------------------------------------------

def _v2(fake):
    return st(fake, "apigatewayv2").setdefault("apis", {})


def _api2(fake, api_id):
    a = _v2(fake).get(api_id)
    if a is None:
        raise AWSError(404, "NotFoundException", f"Invalid API identifier specified {ACCOUNT}:{api_id}")
    return a


_API2_OUT = ("ApiEndpoint", "ApiId", "ApiKeySelectionExpression", "CorsConfiguration",
             "CreatedDate", "Description", "DisableExecuteApiEndpoint", "Name", "ProtocolType",
             "RouteSelectionExpression", "Tags", "Version")


def _api2_out(a):
    return {k: copy.deepcopy(a[k]) for k in _API2_OUT if a.get(k) is not None}


def _page2(items, p):
    start = int(p.get("NextToken") or 0)
    n = int(p.get("MaxResults") or 100)
    out = {"Items": items[start:start + n]}
    if start + n < len(items):
        out["NextToken"] = str(start + n)
    return out


@op("apigatewayv2", "CreateApi")
def create_api(fake, p, ctx):
    apis = _v2(fake)
    if p["ProtocolType"] not in ("HTTP", "WEBSOCKET"):
        raise _bad(f"Invalid protocol type {p['ProtocolType']}")
    if p.get("CorsConfiguration") and p["ProtocolType"] != "HTTP":
        raise _bad("CORS configuration is supported only for HTTP APIs")
    api_id = _new_id(apis)
    a = {"ApiId": api_id, "Name": p["Name"], "ProtocolType": p["ProtocolType"],
         "ApiEndpoint": f"https://{api_id}.execute-api.{ctx['region']}.amazonaws.com",
         "ApiKeySelectionExpression": "$request.header.x-api-key", "CreatedDate": now(),
         "Description": p.get("Description"), "CorsConfiguration": p.get("CorsConfiguration"),
         "DisableExecuteApiEndpoint": p.get("DisableExecuteApiEndpoint", False),
         "RouteSelectionExpression": p.get("RouteSelectionExpression", "$request.method $request.path"),
         "Tags": dict(p.get("Tags") or {}), "Version": p.get("Version"),
         "integrations": {}, "routes": {}, "stages": {}, "deployments": {}}
    apis[api_id] = a
    return _api2_out(a)


@op("apigatewayv2", "GetApis")
def get_apis(fake, p, ctx):
    items = [_api2_out(a) for a in sorted(_v2(fake).values(), key=lambda a: a["CreatedDate"])]
    return _page2(items, p)


@op("apigatewayv2", "GetApi")
def get_api(fake, p, ctx):
    return _api2_out(_api2(fake, p["ApiId"]))


@op("apigatewayv2", "UpdateApi")
def update_api(fake, p, ctx):
    a = _api2(fake, p["ApiId"])
    for k in ("Name", "Description", "CorsConfiguration", "DisableExecuteApiEndpoint"):
        if k in p:
            a[k] = copy.deepcopy(p[k])
    return _api2_out(a)


@op("apigatewayv2", "DeleteCorsConfiguration")
def delete_cors_configuration(fake, p, ctx):
    _api2(fake, p["ApiId"]).pop("CorsConfiguration", None)
    return {}


@op("apigatewayv2", "DeleteApi")
def delete_api(fake, p, ctx):
    _api2(fake, p["ApiId"])
    del _v2(fake)[p["ApiId"]]
    return {}


_INTEG_KEYS = ("IntegrationType", "IntegrationUri", "IntegrationMethod", "PayloadFormatVersion",
               "TimeoutInMillis", "Description", "CredentialsArn")


@op("apigatewayv2", "CreateIntegration")
def create_integration(fake, p, ctx):
    a = _api2(fake, p["ApiId"])
    if p["IntegrationType"] == "AWS_PROXY":
        if not str(p.get("IntegrationUri", "")).startswith("arn:"):
            raise _bad("Integration URI must be a Lambda function ARN")
        if a["ProtocolType"] == "HTTP" and p.get("PayloadFormatVersion") not in ("1.0", "2.0"):
            raise _bad("Unsupported payload format version for AWS_PROXY integration: "
                       "PayloadFormatVersion must be 1.0 or 2.0")
    i = {"IntegrationId": _new_id(a["integrations"], 7), "ConnectionType": "INTERNET",
         "TimeoutInMillis": 30000}
    i.update({k: p[k] for k in _INTEG_KEYS if k in p})
    a["integrations"][i["IntegrationId"]] = i
    return dict(i)


@op("apigatewayv2", "GetIntegrations")
def get_integrations(fake, p, ctx):
    return _page2([dict(i) for i in _api2(fake, p["ApiId"])["integrations"].values()], p)


@op("apigatewayv2", "UpdateIntegration")
def update_integration(fake, p, ctx):
    a = _api2(fake, p["ApiId"])
    i = a["integrations"].get(p["IntegrationId"])
    if i is None:
        raise _notfound("Integration")
    i.update({k: p[k] for k in _INTEG_KEYS if k in p})
    return dict(i)


@op("apigatewayv2", "DeleteIntegration")
def delete_integration(fake, p, ctx):
    a = _api2(fake, p["ApiId"])
    if p["IntegrationId"] not in a["integrations"]:
        raise _notfound("Integration")
    if any(r.get("Target") == "integrations/" + p["IntegrationId"] for r in a["routes"].values()):
        raise _conflict("Integration is in use by a route")
    del a["integrations"][p["IntegrationId"]]
    return {}


def _check_target(a, target):
    if target is None:
        return
    if not target.startswith("integrations/") or target.split("/", 1)[1] not in a["integrations"]:
        raise _bad(f"Invalid target {target}")


@op("apigatewayv2", "CreateRoute")
def create_route(fake, p, ctx):
    a = _api2(fake, p["ApiId"])
    if any(r["RouteKey"] == p["RouteKey"] for r in a["routes"].values()):
        raise _conflict(f"Route with key {p['RouteKey']} already exists for this API")
    _check_target(a, p.get("Target"))
    auth = p.get("AuthorizationType", "NONE")
    if auth not in ("NONE", "AWS_IAM", "CUSTOM", "JWT"):
        raise _bad(f"Invalid authorization type {auth}")
    r = {"RouteId": _new_id(a["routes"], 7), "RouteKey": p["RouteKey"], "AuthorizationType": auth,
         "ApiKeyRequired": bool(p.get("ApiKeyRequired", False))}
    for k in ("Target", "AuthorizerId", "OperationName"):
        if k in p:
            r[k] = p[k]
    a["routes"][r["RouteId"]] = r
    return dict(r)


@op("apigatewayv2", "GetRoutes")
def get_routes(fake, p, ctx):
    return _page2([dict(r) for r in _api2(fake, p["ApiId"])["routes"].values()], p)


@op("apigatewayv2", "UpdateRoute")
def update_route(fake, p, ctx):
    a = _api2(fake, p["ApiId"])
    r = a["routes"].get(p["RouteId"])
    if r is None:
        raise _notfound("Route")
    _check_target(a, p.get("Target"))
    for k in ("Target", "AuthorizationType", "AuthorizerId", "RouteKey"):
        if k in p:
            r[k] = p[k]
    return dict(r)


@op("apigatewayv2", "DeleteRoute")
def delete_route(fake, p, ctx):
    a = _api2(fake, p["ApiId"])
    if p["RouteId"] not in a["routes"]:
        raise _notfound("Route")
    del a["routes"][p["RouteId"]]
    return {}


_STAGE2_OUT = ("StageName", "AutoDeploy", "DeploymentId", "Description", "CreatedDate",
               "LastUpdatedDate", "StageVariables", "Tags", "ApiGatewayManaged")


def _stage2_out(s):
    return {k: copy.deepcopy(s[k]) for k in _STAGE2_OUT if s.get(k) is not None}


@op("apigatewayv2", "CreateStage")
def create_stage2(fake, p, ctx):
    a = _api2(fake, p["ApiId"])
    name = p["StageName"]
    if name in a["stages"]:
        raise _conflict(f"Stage {name} already exists")
    s = {"StageName": name, "AutoDeploy": bool(p.get("AutoDeploy", False)), "CreatedDate": now(),
         "LastUpdatedDate": now(), "Description": p.get("Description"),
         "StageVariables": p.get("StageVariables"), "Tags": p.get("Tags")}
    if s["AutoDeploy"]:
        did = _new_id(a["deployments"], 6)
        a["deployments"][did] = {"DeploymentId": did, "AutoDeployed": True}
        s["DeploymentId"] = did
    a["stages"][name] = s
    return _stage2_out(s)


@op("apigatewayv2", "GetStages")
def get_stages2(fake, p, ctx):
    return _page2([_stage2_out(s) for s in _api2(fake, p["ApiId"])["stages"].values()], p)


@op("apigatewayv2", "GetStage")
def get_stage2(fake, p, ctx):
    s = _api2(fake, p["ApiId"])["stages"].get(p["StageName"])
    if s is None:
        raise _notfound("Stage")
    return _stage2_out(s)


@op("apigatewayv2", "UpdateStage")
def update_stage2(fake, p, ctx):
    s = _api2(fake, p["ApiId"])["stages"].get(p["StageName"])
    if s is None:
        raise _notfound("Stage")
    for k in ("AutoDeploy", "Description", "StageVariables"):
        if k in p:
            s[k] = p[k]
    s["LastUpdatedDate"] = now()
    return _stage2_out(s)


@op("apigatewayv2", "DeleteStage")
def delete_stage2(fake, p, ctx):
    a = _api2(fake, p["ApiId"])
    if p["StageName"] not in a["stages"]:
        raise _notfound("Stage")
    del a["stages"][p["StageName"]]
    return {}


# ---- Lambda function URL updates (the front door's; the rest of Lambda is in services.py) ----

@op("lambda", "UpdateFunctionUrlConfig")
def update_function_url_config(fake, p, ctx):
    from .services import _fn
    f = _fn(fake, p["FunctionName"])
    if not f["url"]:
        raise AWSError(404, "ResourceNotFoundException", "The resource you requested does not exist.")
    if "AuthType" in p:
        f["url"]["AuthType"] = p["AuthType"]
    if "Cors" in p:
        if p["Cors"]:
            f["url"]["Cors"] = p["Cors"]
        else:
            f["url"].pop("Cors", None)
    f["url"]["LastModifiedTime"] = now().strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return dict(f["url"])


# tags (TagResource on a REST API's ARN) ---------------------------------------------------

def _tagged(fake, arn):
    """The REST API an ARN (arn:aws:apigateway:<region>::/restapis/<id>) names."""
    prefix = arn.split("::/restapis/", 1)
    if len(prefix) != 2 or "/" in prefix[1]:
        raise _bad(f"Invalid resource ARN for tagging: {arn}")
    return _api(fake, prefix[1])


@op("apigateway", "TagResource")
def tag_resource(fake, p, ctx):
    _tagged(fake, p["resourceArn"])["tags"].update(p["tags"])
    return {}


@op("apigateway", "UntagResource")
def untag_resource(fake, p, ctx):
    a = _tagged(fake, p["resourceArn"])
    for k in p["tagKeys"]:
        a["tags"].pop(k, None)
    return {}


@op("apigateway", "GetTags")
def get_tags(fake, p, ctx):
    return {"tags": dict(_tagged(fake, p["resourceArn"])["tags"])}
