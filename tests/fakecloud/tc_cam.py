"""Fake CAM roles and policies for faketencent.py (API 2019-01-16; parameters and
answers judged by the SDK's cam models like every other action), and what they
mean to the rest of the fake:

- SCF takes a function Role only if CAM's role trusts scf.qcloud.com, and
  refuses a role younger than `fake.role_settle` seconds with
  InvalidParameterValue.Role (CAM is eventually consistent; hoist waits);
  a role name CAM does not know is taken as made outside the fake (as the
  tests' role_arn values are) and not checked;
- a call signed with a function's role credentials (tc_scf.role_credentials)
  for a role CAM knows is allowed only where a policy attached to the role
  allows that action on that resource (AuthFailure.UnauthorizedOperation,
  COS: 403 AccessDenied otherwise).

Errors follow CAM's (the codes the CAM SDKs list for these actions):
InvalidParameter.RoleNameInUse, FailedOperation.PolicyNameInUse,
InvalidParameter.RoleNotExist, InvalidParameter.PolicyIdNotExist,
FailedOperation.PolicyInUse.
"""
import fnmatch
import json
import re
import time

from .faketencent import TCError, action, stamp

NAME_RE = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,128}$")


def roles(fake):
    return fake.st("cam_roles")


def policies(fake):
    return fake.st("cam_policies")


def _doc(text, what):
    try:
        doc = json.loads(text)
    except ValueError:
        raise TCError("InvalidParameter.PolicyDocumentError", f"{what} is not JSON")
    if doc.get("version") != "2.0" or not isinstance(doc.get("statement"), list) \
            or not doc["statement"]:
        raise TCError("InvalidParameter.PolicyDocumentError",
                      f"{what} needs version 2.0 and a statement list")
    for s in doc["statement"]:
        if s.get("effect") not in ("allow", "deny"):
            raise TCError("InvalidParameter.EffectError", f"{what}: effect {s.get('effect')}")
        acts = s.get("action")
        acts = [acts] if isinstance(acts, str) else acts
        if not acts or not all(isinstance(a, str) and re.match(r"^(name/)?[a-z]+:[A-Za-z*]+$", a)
                               for a in acts):
            raise TCError("InvalidParameter.ActionError", f"{what}: action {s.get('action')}")
    return doc


def _role(fake, p, key="RoleName"):
    name = p.get(key)
    if name is None and p.get("RoleId"):
        name = next((n for n, r in roles(fake).items() if r["RoleId"] == p["RoleId"]), None)
    r = roles(fake).get(name)
    if r is None:
        raise TCError("InvalidParameter.RoleNotExist", f"role {name} does not exist")
    return name, r


@action("cam", "CreateRole")
def create_role(fake, p, ctx):
    if not NAME_RE.match(p["RoleName"]):
        raise TCError("InvalidParameter.RoleNameError", f"role name {p['RoleName']}")
    if p["RoleName"] in roles(fake):
        raise TCError("InvalidParameter.RoleNameInUse", "role name in use")
    doc = _doc(p["PolicyDocument"], "PolicyDocument")
    for s in doc["statement"]:
        if s.get("action") != "name/sts:AssumeRole" or not s.get("principal"):
            raise TCError("InvalidParameter.PrincipalError", "a trust policy allows "
                          "name/sts:AssumeRole to a principal")
    rid = str(4611686018427000000 + len(roles(fake)) + 1)
    roles(fake)[p["RoleName"]] = {"RoleId": rid, "PolicyDocument": p["PolicyDocument"],
                                  "Description": p.get("Description") or "", "AddTime": stamp(),
                                  "created": time.time(), "policies": []}
    return {"RoleId": rid}


@action("cam", "GetRole")
def get_role(fake, p, ctx):
    name, r = _role(fake, p)
    return {"RoleInfo": {"RoleId": r["RoleId"], "RoleName": name,
                         "PolicyDocument": r["PolicyDocument"], "Description": r["Description"],
                         "AddTime": r["AddTime"], "UpdateTime": r["AddTime"], "ConsoleLogin": 0,
                         "RoleType": "user", "SessionDuration": 0, "Tags": []}}


@action("cam", "UpdateAssumeRolePolicy")
def update_assume_role_policy(fake, p, ctx):
    _, r = _role(fake, p)
    _doc(p["PolicyDocument"], "PolicyDocument")
    r["PolicyDocument"] = p["PolicyDocument"]
    return {}


@action("cam", "DeleteRole")
def delete_role(fake, p, ctx):
    name, _ = _role(fake, p)
    del roles(fake)[name]                   # its attachments go with it
    return {}


def _policy(fake, pid):
    pol = policies(fake).get(pid)
    if pol is None:
        raise TCError("InvalidParameter.PolicyIdNotExist", f"policy {pid} does not exist")
    return pol


@action("cam", "CreatePolicy")
def create_policy(fake, p, ctx):
    if not NAME_RE.match(p["PolicyName"]):
        raise TCError("InvalidParameter.PolicyNameError", f"policy name {p['PolicyName']}")
    if any(x["PolicyName"] == p["PolicyName"] for x in policies(fake).values()):
        raise TCError("FailedOperation.PolicyNameInUse", "policy name in use")
    _doc(p["PolicyDocument"], "PolicyDocument")
    pid = 200000000 + len(fake.st("cam_policy_ids")) + 1
    fake.st("cam_policy_ids")[pid] = True
    policies(fake)[pid] = {"PolicyName": p["PolicyName"], "PolicyDocument": p["PolicyDocument"],
                           "Description": p.get("Description") or "", "AddTime": stamp()}
    return {"PolicyId": pid}


@action("cam", "GetPolicy")
def get_policy(fake, p, ctx):
    pol = _policy(fake, p["PolicyId"])
    return {"PolicyName": pol["PolicyName"], "Description": pol["Description"], "Type": 1,
            "AddTime": pol["AddTime"], "UpdateTime": pol["AddTime"],
            "PolicyDocument": pol["PolicyDocument"]}


@action("cam", "UpdatePolicy")
def update_policy(fake, p, ctx):
    pol = _policy(fake, p.get("PolicyId"))
    if p.get("PolicyDocument") is not None:
        _doc(p["PolicyDocument"], "PolicyDocument")
        pol["PolicyDocument"] = p["PolicyDocument"]
    if p.get("Description") is not None:
        pol["Description"] = p["Description"]
    return {"PolicyId": p["PolicyId"]}


@action("cam", "DeletePolicy")
def delete_policy(fake, p, ctx):
    for pid in p["PolicyId"]:
        _policy(fake, pid)
        if any(pid in r["policies"] for r in roles(fake).values()):
            raise TCError("FailedOperation.PolicyInUse", f"policy {pid} is attached")
    for pid in p["PolicyId"]:
        del policies(fake)[pid]
    return {}


@action("cam", "ListPolicies")
def list_policies(fake, p, ctx):
    out = [{"PolicyId": pid, "PolicyName": x["PolicyName"], "AddTime": x["AddTime"], "Type": 1,
            "Description": x["Description"], "CreateMode": 1,
            "Attachments": sum(pid in r["policies"] for r in roles(fake).values())}
           for pid, x in sorted(policies(fake).items())
           if not p.get("Keyword") or p["Keyword"] in x["PolicyName"]]
    rp, page = p.get("Rp") or 20, p.get("Page") or 1
    return {"TotalNum": len(out), "List": out[(page - 1) * rp:page * rp]}


@action("cam", "AttachRolePolicy")
def attach_role_policy(fake, p, ctx):
    _, r = _role(fake, p, "AttachRoleName")
    pid = p.get("PolicyId")
    _policy(fake, pid)
    if pid not in r["policies"]:
        r["policies"].append(pid)
    return {}


@action("cam", "DetachRolePolicy")
def detach_role_policy(fake, p, ctx):
    _, r = _role(fake, p, "DetachRoleName")
    pid = p.get("PolicyId")
    if pid not in r["policies"]:
        raise TCError("InvalidParameter.PolicyIdNotExist", f"policy {pid} is not attached")
    r["policies"].remove(pid)
    return {}


@action("cam", "ListAttachedRolePolicies")
def list_attached_role_policies(fake, p, ctx):
    _, r = _role(fake, p)
    out = [{"PolicyId": pid, "PolicyName": policies(fake)[pid]["PolicyName"],
            "AddTime": policies(fake)[pid]["AddTime"], "PolicyType": "User", "CreateMode": 1,
            "Description": policies(fake)[pid]["Description"]}
           for pid in r["policies"]
           if (p.get("PolicyType") or "User") in ("User", "All")]
    rp, page = p["Rp"], p["Page"]
    return {"TotalNum": len(out), "List": out[(page - 1) * rp:page * rp]}


# ---- what roles mean to SCF and to the calls a function makes ---------------------

def check_function_role(fake, name):
    """SCF's check of a function's Role (CreateFunction, UpdateFunctionConfiguration)."""
    r = roles(fake).get(name)
    if r is None:
        return                              # made outside the fake: not checked
    trust = json.loads(r["PolicyDocument"])
    services = [svc for s in trust["statement"] if s.get("effect") == "allow"
                for svc in ((s.get("principal") or {}).get("service") or [])]
    if "scf.qcloud.com" not in services:
        raise TCError("InvalidParameterValue.Role", f"role {name} is not trusted by SCF "
                      "(principal service scf.qcloud.com)")
    if time.time() - r["created"] < getattr(fake, "role_settle", 0):
        raise TCError("InvalidParameterValue.Role", f"role {name} cannot be used by SCF yet")


def allowed(fake, role, act, resource):
    """Does a policy attached to `role` (a role CAM knows) allow `act` on `resource`?"""
    r = roles(fake).get(role)
    if r is None:
        return True
    ok = False
    for pid in r["policies"]:
        for s in json.loads(policies(fake)[pid]["PolicyDocument"])["statement"]:
            acts = s["action"] if isinstance(s["action"], list) else [s["action"]]
            res = s.get("resource") or []
            res = res if isinstance(res, list) else [res]
            if any(fnmatch.fnmatchcase(act, a.removeprefix("name/")) for a in acts) and \
                    any(fnmatch.fnmatchcase(resource, x) for x in res):
                if s["effect"] == "deny":
                    return False
                ok = True
    return ok
