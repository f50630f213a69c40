"""Execution-role sessions in the fake AWS: what a function's own calls are
allowed to do.

When the fake Lambda runs a function it gives it temporary credentials of
the function's role (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
AWS_SESSION_TOKEN, as Lambda does).  A request signed with them is checked,
after its signature, against the role's inline policies the way IAM
evaluates identity policies: an explicit Deny wins, else some Allow must
match the action and the resource (wildcards * and ? in both; actions
case-insensitive).  A refusal is AWS's AccessDenied for the protocol, naming
the assumed role, the action and the resource — so a test proves the role
hoist writes grants exactly what the handler uses, no more.
"""
import fnmatch
import json
import secrets
import uuid

from .fakeaws import ACCOUNT, AWSError

ALWAYS = {("sts", "GetCallerIdentity")}


def mint(fake, role_arn, function):
    """New session credentials for `role_arn` (the function's role)."""
    akid = "ASIA" + uuid.uuid4().hex[:16].upper()
    secret = secrets.token_urlsafe(30)
    token = "FQoGZXIvYXdzE" + secrets.token_urlsafe(40)
    with fake.lock:
        fake.keys[akid] = secret
        fake.sessions[akid] = {"role": role_arn.split("/")[-1], "function": function,
                               "token": token}
    return akid, secret, token


def _action_and_resource(svc, op, p, region):
    if svc == "lambda" and op == "Invoke":
        name = p.get("FunctionName", "")
        if not name.startswith("arn:"):
            name = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"
        if p.get("Qualifier"):
            name += ":" + p["Qualifier"]
        return "lambda:InvokeFunction", name
    if svc == "sns" and op == "Publish":
        return "sns:Publish", p.get("TopicArn") or p.get("TargetArn") or ""
    if svc == "dynamodb" and "TableName" in p:
        return f"dynamodb:{op}", f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{p['TableName']}"
    if svc == "s3" and "Key" in p:
        return f"s3:{op}", f"arn:aws:s3:::{p['Bucket']}/{p['Key']}"
    if svc == "s3" and "Bucket" in p:
        return f"s3:{op}", f"arn:aws:s3:::{p['Bucket']}"
    return f"{svc}:{op}", "*"


def _listed(v):
    return v if isinstance(v, list) else [v]


def _match(patterns, value, nocase=False):
    for pat in _listed(patterns):
        if nocase:
            pat, value = pat.lower(), value.lower()
        if fnmatch.fnmatchcase(value, pat):
            return True
    return False


def _statements(role):
    for text in role.get("policies", {}).values():
        doc = json.loads(text)
        yield from _listed(doc.get("Statement", []))


def authorize(fake, akid, token, svc, op, params, region):
    """Raise AccessDenied unless the session's role may make this call."""
    sess = fake.sessions.get(akid)
    if sess is None:
        return
    if token != sess["token"]:
        raise AWSError(403, "InvalidClientTokenId" if svc in ("sts", "iam", "sns")
                       else "UnrecognizedClientException",
                       "The security token included in the request is invalid.")
    if (svc, op) in ALWAYS:
        return
    action, resource = _action_and_resource(svc, op, params, region)
    role = fake.state.get("iam_roles", {}).get(sess["role"], {})
    allowed = False
    for s in _statements(role):
        if not (_match(s.get("Action", []), action, nocase=True) and
                _match(s.get("Resource", []), resource)):
            continue
        if s.get("Effect") == "Deny":
            allowed = False
            break
        allowed = True
    if not allowed:
        code = {"sts": "AccessDenied", "sns": "AuthorizationError", "s3": "AccessDenied"}.get(
            svc, "AccessDeniedException")
        raise AWSError(403, code, f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{sess['role']}/"
                       f"{sess['function']} is not authorized to perform: {action} on "
                       f"resource: {resource} because no identity-based policy allows the "
                       f"{action} action")
