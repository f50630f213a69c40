"""The fake Resource Access Management (RAM 2015-05-01, RPC, ram.aliyuncs.com):
roles (trust policy), custom policies with versions, and their attachments,
in fake.state["ram"].  Requests are judged like every other RPC product
(@alicloud/ram20150501's client table and models by alijudge.js).

What the real service checks and this fake checks too: role names (1-64 of
letters, digits, '.', '-'), policy names (1-128 of letters, digits, '-'),
JSON policy documents with Version "1" and a Statement list, EntityAlreadyExists
on a second create, DeleteConflict when a role still has policies or a policy
is still attached.  can_invoke() is what the fake API Gateway asks before it
invokes a function with a role: the role must trust apigateway.aliyuncs.com
and an attached policy must allow fc:InvokeFunction on the function.

A function's own role (FC's `role`): cannot_assume() is what the fake FC asks
on CreateFunction / UpdateFunction (the role must exist, trust
fc.aliyuncs.com, and have propagated: RAM is eventually consistent, and a
role created after /__fake/ram-settle {"refusals": n} is refused n times); session() mints the role's STS credentials the function runs
with, and authorize() judges every request signed with them against the
role's policies (Allow statements, Action and Resource wildcards), so a
grant the role lacks is an AccessDenied as on the real cloud.
"""
import fnmatch
import json
import re
import time

from .fakealiyun import ACCOUNT, AliError, op

ROLE_RX = re.compile(r"^[A-Za-z0-9.-]{1,64}$")
POLICY_RX = re.compile(r"^[A-Za-z0-9-]{1,128}$")


def _ram(fake):
    r = fake.st("ram")
    r.setdefault("roles", {})
    r.setdefault("policies", {})
    return r


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _doc(text, what):
    try:
        d = json.loads(text or "")
    except ValueError:
        raise AliError(400, "InvalidParameter.PolicyDocument", f"{what} is not JSON")
    if not isinstance(d, dict) or d.get("Version") != "1" or \
            not isinstance(d.get("Statement"), list) or not d["Statement"]:
        raise AliError(400, "InvalidParameter.PolicyDocument",
                       f"{what} needs Version \"1\" and a Statement list")
    return d


def _role(fake, name):
    r = _ram(fake)["roles"].get(name)
    if r is None:
        raise AliError(404, "EntityNotExist.Role", f"The role not exists: {name}.")
    return r


def _policy(fake, name):
    p = _ram(fake)["policies"].get(name)
    if p is None:
        raise AliError(404, "EntityNotExist.Policy", f"The policy not exists: {name}.")
    return p


def _role_view(r):
    return {k: r[k] for k in ("RoleId", "RoleName", "Arn", "Description",
                              "AssumeRolePolicyDocument", "CreateDate", "UpdateDate",
                              "MaxSessionDuration")}


@op("ram", "CreateRole")
def create_role(fake, p, ctx):
    q = p["query"]
    name = q.get("RoleName") or ""
    if not ROLE_RX.match(name):
        raise AliError(400, "InvalidParameter.RoleName.InvalidChars", f"role name '{name}' is invalid")
    _doc(q.get("AssumeRolePolicyDocument"), "AssumeRolePolicyDocument")
    with fake.lock:
        roles = _ram(fake)["roles"]
        if name in roles:
            raise AliError(409, "EntityAlreadyExists.Role", f"The role already exists: {name}.")
        roles_settle = _ram(fake).get("settle", 0)
        t = _now()
        roles[name] = {"RoleId": str(300000000000000000 + len(roles)), "RoleName": name,
                       "Arn": f"acs:ram::{ACCOUNT}:role/{name.lower()}",
                       "Description": q.get("Description", ""),
                       "AssumeRolePolicyDocument": q["AssumeRolePolicyDocument"],
                       "CreateDate": t, "UpdateDate": t, "MaxSessionDuration": 3600,
                       "policies": [], "unsettled": roles_settle}
        v = _role_view(roles[name])
        del v["UpdateDate"]
        return {"Role": v}


@op("ram", "GetRole")
def get_role(fake, p, ctx):
    with fake.lock:
        return {"Role": _role_view(_role(fake, p["query"].get("RoleName", "")))}


@op("ram", "UpdateRole")
def update_role(fake, p, ctx):
    q = p["query"]
    with fake.lock:
        r = _role(fake, q.get("RoleName", ""))
        if "NewAssumeRolePolicyDocument" in q:
            _doc(q["NewAssumeRolePolicyDocument"], "NewAssumeRolePolicyDocument")
            r["AssumeRolePolicyDocument"] = q["NewAssumeRolePolicyDocument"]
        r["UpdateDate"] = _now()
        return {"Role": _role_view(r)}


@op("ram", "DeleteRole")
def delete_role(fake, p, ctx):
    with fake.lock:
        r = _role(fake, p["query"].get("RoleName", ""))
        if r["policies"]:
            raise AliError(409, "DeleteConflict.Role.Policy", "The role still has policies "
                           "attached: " + ", ".join(r["policies"]))
        del _ram(fake)["roles"][r["RoleName"]]
        return {}


def _policy_view(pol):
    return {"PolicyName": pol["PolicyName"], "PolicyType": "Custom",
            "Description": pol["Description"], "DefaultVersion": pol["default"],
            "CreateDate": pol["CreateDate"], "UpdateDate": pol["UpdateDate"],
            "AttachmentCount": len(pol["roles"])}


@op("ram", "CreatePolicy")
def create_policy(fake, p, ctx):
    q = p["query"]
    name = q.get("PolicyName") or ""
    if not POLICY_RX.match(name):
        raise AliError(400, "InvalidParameter.PolicyName.InvalidChars", f"policy name '{name}' is invalid")
    _doc(q.get("PolicyDocument"), "PolicyDocument")
    with fake.lock:
        pols = _ram(fake)["policies"]
        if name in pols:
            raise AliError(409, "EntityAlreadyExists.Policy", f"The policy already exists: {name}.")
        t = _now()
        pols[name] = {"PolicyName": name, "Description": q.get("Description", ""),
                      "CreateDate": t, "UpdateDate": t, "default": "v1",
                      "versions": {"v1": q["PolicyDocument"]}, "roles": [], "next": 2}
        v = _policy_view(pols[name])
        return {"Policy": {k: v[k] for k in ("CreateDate", "DefaultVersion", "Description",
                                             "PolicyName", "PolicyType")}}


@op("ram", "GetPolicy")
def get_policy(fake, p, ctx):
    q = p["query"]
    if q.get("PolicyType") != "Custom":
        raise AliError(404, "EntityNotExist.Policy", "the fake keeps custom policies only")
    with fake.lock:
        pol = _policy(fake, q.get("PolicyName", ""))
        return {"Policy": _policy_view(pol),
                "DefaultPolicyVersion": {"VersionId": pol["default"], "IsDefaultVersion": True,
                                         "PolicyDocument": pol["versions"][pol["default"]],
                                         "CreateDate": pol["UpdateDate"]}}


@op("ram", "CreatePolicyVersion")
def create_policy_version(fake, p, ctx):
    q = p["query"]
    _doc(q.get("PolicyDocument"), "PolicyDocument")
    with fake.lock:
        pol = _policy(fake, q.get("PolicyName", ""))
        if len(pol["versions"]) >= 5:
            if q.get("RotateStrategy") != "DeleteOldestNonDefaultVersionWhenLimitExceeded":
                raise AliError(409, "LimitExceeded.Policy.Version", "a policy has at most 5 versions")
            oldest = next(v for v in pol["versions"] if v != pol["default"])
            del pol["versions"][oldest]
        vid = f"v{pol['next']}"
        pol["next"] += 1
        pol["versions"][vid] = q["PolicyDocument"]
        if q.get("SetAsDefault") == "true":
            pol["default"] = vid
        pol["UpdateDate"] = _now()
        return {"PolicyVersion": {"VersionId": vid, "IsDefaultVersion": pol["default"] == vid,
                                  "PolicyDocument": q["PolicyDocument"], "CreateDate": _now()}}


@op("ram", "DeletePolicy")
def delete_policy(fake, p, ctx):
    q = p["query"]
    with fake.lock:
        pol = _policy(fake, q.get("PolicyName", ""))
        if pol["roles"]:
            raise AliError(409, "DeleteConflict.Policy.Group", "The policy is still attached")
        if len(pol["versions"]) > 1 and q.get("CascadingDelete") != "true":
            raise AliError(409, "DeleteConflict.Policy.Version", "The policy has other versions")
        del _ram(fake)["policies"][pol["PolicyName"]]
        return {}


@op("ram", "AttachPolicyToRole")
def attach(fake, p, ctx):
    q = p["query"]
    with fake.lock:
        r = _role(fake, q.get("RoleName", ""))
        pol = _policy(fake, q.get("PolicyName", ""))
        if q.get("PolicyType") != "Custom":
            raise AliError(400, "InvalidParameter.PolicyType", "PolicyType must be Custom here")
        if pol["PolicyName"] in r["policies"]:
            raise AliError(409, "EntityAlreadyExists.Role.Policy", "the policy is already attached")
        r["policies"].append(pol["PolicyName"])
        pol["roles"].append(r["RoleName"])
        return {}


@op("ram", "DetachPolicyFromRole")
def detach(fake, p, ctx):
    q = p["query"]
    with fake.lock:
        r = _role(fake, q.get("RoleName", ""))
        pol = _policy(fake, q.get("PolicyName", ""))
        if pol["PolicyName"] not in r["policies"]:
            raise AliError(404, "EntityNotExist.Role.Policy", "the policy is not attached")
        r["policies"].remove(pol["PolicyName"])
        pol["roles"].remove(r["RoleName"])
        return {}


@op("ram", "ListPoliciesForRole")
def list_for_role(fake, p, ctx):
    with fake.lock:
        r = _role(fake, p["query"].get("RoleName", ""))
        pols = _ram(fake)["policies"]
        return {"Policies": {"Policy": [
            {"PolicyName": n, "PolicyType": "Custom", "Description": pols[n]["Description"],
             "DefaultVersion": pols[n]["default"], "AttachDate": pols[n]["UpdateDate"]}
            for n in r["policies"]]}}


def _role_by_arn(ram, role_arn):
    return next((r for r in ram["roles"].values() if r["Arn"] == role_arn), None)


def _trusts(role, service):
    trust = json.loads(role["AssumeRolePolicyDocument"])
    return any(s.get("Effect") == "Allow" and service in
               (s.get("Principal", {}).get("Service") or [])
               for s in trust.get("Statement", []))


def _allows(ram, role, action, resource):
    for name in role["policies"]:
        pol = ram["policies"][name]
        for s in json.loads(pol["versions"][pol["default"]])["Statement"]:
            acts = s.get("Action") or []
            res = s.get("Resource") or []
            acts = [acts] if isinstance(acts, str) else acts
            res = [res] if isinstance(res, str) else res
            if s.get("Effect") == "Allow" and \
                    any(fnmatch.fnmatchcase(action, a) for a in acts) and \
                    any(fnmatch.fnmatchcase(resource, r) for r in res):
                return True
    return False


def cannot_assume(fake, role_arn):
    """Why FC cannot assume the function's role now (a message), or None; the caller holds
    fake.lock.  FC's own service-linked role is always usable."""
    if role_arn.lower().endswith("/aliyunserviceroleforfc"):
        return None
    ram = _ram(fake)
    role = _role_by_arn(ram, role_arn)
    if role is None or not _trusts(role, "fc.aliyuncs.com"):
        return f"No permission to assume the role '{role_arn}' for you"
    if role.get("unsettled", 0) > 0:          # not propagated yet
        role["unsettled"] -= 1
        return f"No permission to assume the role '{role_arn}' for you"
    return None


def set_settle(fake, refusals):
    """/__fake/ram-settle: how many times FC is refused a role created from now on
    before RAM has propagated it (a count, so tests do not race the clock)."""
    with fake.lock:
        _ram(fake)["settle"] = int(refusals)


def session(fake, role_arn, function):
    """STS credentials of the function's role: (akid, secret, token), one set per role."""
    import hashlib
    h = hashlib.sha256(role_arn.encode()).hexdigest()
    akid = "STS.NRole" + h[:16]
    with fake.lock:
        _ram(fake).setdefault("sessions", {})[akid] = {
            "arn": role_arn, "secret": "role/" + h[16:40], "token": "CAIS/role+" + h[40:],
            "function": function}
        return akid, "role/" + h[16:40], "CAIS/role+" + h[40:]


def session_keys(fake, akid):
    """(secret, token) of a role session, or None; the caller holds fake.lock."""
    s = _ram(fake).get("sessions", {}).get(akid)
    return (s["secret"], s["token"]) if s else None


def authorize(fake, akid, action, resource):
    """A request signed with a role session: its role must allow `action` on `resource`
    (AccessDenied otherwise); requests signed with anything else are not judged here."""
    with fake.lock:
        ram = _ram(fake)
        s = ram.get("sessions", {}).get(akid)
        if s is None:
            return
        role = _role_by_arn(ram, s["arn"])
        ok = role is not None and _allows(ram, role, action, resource)
        ram.setdefault("decisions", []).append(
            {"role": s["arn"], "action": action, "resource": resource, "allowed": ok})
    if not ok:
        raise AliError(403, "AccessDenied", f"You are not authorized to do this action. "
                       f"Resource: {resource} Action: {action} (assumed role {s['arn']})")


def can_invoke(fake, role_arn, region, function):
    """Why a role may not invoke the function (a message), or None when it may."""
    with fake.lock:
        ram = _ram(fake)
        role = _role_by_arn(ram, role_arn)
        if role is None:
            return f"role {role_arn} does not exist"
        if not _trusts(role, "apigateway.aliyuncs.com"):
            return f"role {role_arn} does not trust apigateway.aliyuncs.com"
        want = f"acs:fc:{region}:{ACCOUNT}:functions/{function}"
        if _allows(ram, role, "fc:InvokeFunction", want):
            return None
        return f"no policy of role {role_arn} allows fc:InvokeFunction on {want}"
