"""The fake AWS's operations: state kept in fake.state, one function per
operation, registered in HANDLERS[(service, operation)].  Inputs arrive
already validated against botocore's model; outputs are dicts serialised by
the model's output shape (fakeaws.serialize_output).
"""
import base64
import datetime
import hashlib
import io
import json
import os
import struct
import subprocess
import tempfile
import time
import uuid
import zipfile
import zlib

from .fakeaws import ACCOUNT, AWSError, sha256_hex
from .zipcheck import check_zip

HANDLERS = {}
SETTLE_SECONDS = float(os.environ.get("HOIST_FAKE_SETTLE", "0.3"))


def op(service, name):
    def deco(fn):
        HANDLERS[(service, name)] = fn
        return fn
    return deco


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def st(fake, key):
    return fake.state.setdefault(key, {})


# ---- STS / CloudWatch -------------------------------------------------------

@op("sts", "GetCallerIdentity")
def get_caller_identity(fake, p, ctx):
    return {"UserId": ctx["access_key"], "Account": ACCOUNT,
            "Arn": f"arn:aws:iam::{ACCOUNT}:user/hoist-test"}


@op("cloudwatch", "GetMetricStatistics")
def get_metric_statistics(fake, p, ctx):
    name = p["MetricName"]
    fn = next((d["Value"] for d in p.get("Dimensions", []) if d["Name"] == "FunctionName"), None)
    count = st(fake, "metrics").get(f"{fn}/{name}", 0)
    pts = [{"Timestamp": now(), "Sum": float(count), "Unit": "Count"}] if count else []
    return {"Label": name, "Datapoints": pts}


# ---- IAM ----------------------------------------------------------------------

def _role(fake, name):
    r = st(fake, "iam_roles").get(name)
    if r is None:
        raise AWSError(404, "NoSuchEntity", f"The role with name {name} cannot be found.")
    return r


def _role_out(r):
    return {k: r[k] for k in ("Path", "RoleName", "RoleId", "Arn", "CreateDate",
                              "AssumeRolePolicyDocument")}


@op("iam", "CreateRole")
def create_role(fake, p, ctx):
    roles = st(fake, "iam_roles")
    name = p["RoleName"]
    if name in roles:
        raise AWSError(409, "EntityAlreadyExists", f"Role with name {name} already exists.")
    json.loads(p["AssumeRolePolicyDocument"])
    r = {"Path": p.get("Path", "/"), "RoleName": name, "RoleId": "AROA" + uuid.uuid4().hex[:16].upper(),
         "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}", "CreateDate": now(),
         "AssumeRolePolicyDocument": p["AssumeRolePolicyDocument"], "policies": {},
         "Tags": p.get("Tags", []),
         # IAM propagation: Lambda cannot assume a brand-new role that trusts it
         # at once; the first CreateFunction naming it is refused (hoist retries).
         "fresh": "lambda.amazonaws.com" in p["AssumeRolePolicyDocument"]}
    roles[name] = r
    return {"Role": _role_out(r)}


@op("iam", "GetRole")
def get_role(fake, p, ctx):
    return {"Role": _role_out(_role(fake, p["RoleName"]))}


@op("iam", "ListRoleTags")
def list_role_tags(fake, p, ctx):
    return {"Tags": list(_role(fake, p["RoleName"])["Tags"]), "IsTruncated": False}


@op("iam", "TagRole")
def tag_role(fake, p, ctx):
    r = _role(fake, p["RoleName"])
    keys = {t["Key"] for t in p["Tags"]}
    r["Tags"] = [t for t in r["Tags"] if t["Key"] not in keys] + list(p["Tags"])
    return {}


@op("iam", "DeleteRole")
def delete_role(fake, p, ctx):
    r = _role(fake, p["RoleName"])
    if r["policies"]:
        raise AWSError(409, "DeleteConflict", "Cannot delete entity, must delete policies first.")
    del st(fake, "iam_roles")[p["RoleName"]]
    return {}


@op("iam", "PutRolePolicy")
def put_role_policy(fake, p, ctx):
    json.loads(p["PolicyDocument"])
    _role(fake, p["RoleName"])["policies"][p["PolicyName"]] = p["PolicyDocument"]
    return {}


@op("iam", "GetRolePolicy")
def get_role_policy(fake, p, ctx):
    pol = _role(fake, p["RoleName"])["policies"].get(p["PolicyName"])
    if pol is None:
        raise AWSError(404, "NoSuchEntity", f"The role policy with name {p['PolicyName']} cannot be found.")
    return {"RoleName": p["RoleName"], "PolicyName": p["PolicyName"], "PolicyDocument": pol}


@op("iam", "ListRolePolicies")
def list_role_policies(fake, p, ctx):
    return {"PolicyNames": sorted(_role(fake, p["RoleName"])["policies"]), "IsTruncated": False}


@op("iam", "DeleteRolePolicy")
def delete_role_policy(fake, p, ctx):
    pols = _role(fake, p["RoleName"])["policies"]
    if p["PolicyName"] not in pols:
        raise AWSError(404, "NoSuchEntity", f"The role policy with name {p['PolicyName']} cannot be found.")
    del pols[p["PolicyName"]]
    return {}


# ---- S3 -----------------------------------------------------------------------

def _bucket(fake, name, must_exist=True):
    if name in fake.foreign_buckets:
        raise AWSError(403, "AccessDenied", "Access Denied")
    b = st(fake, "s3").get(name)
    if b is None and must_exist:
        raise AWSError(404, "NoSuchBucket", "The specified bucket does not exist")
    return b


@op("s3", "CreateBucket")
def create_bucket(fake, p, ctx):
    name = p["Bucket"]
    if name in fake.foreign_buckets:
        raise AWSError(409, "BucketAlreadyExists", "The requested bucket name is not available.")
    if name in st(fake, "s3"):
        raise AWSError(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")
    loc = (p.get("CreateBucketConfiguration") or {}).get("LocationConstraint")
    if ctx["region"] == "us-east-1" and loc is not None:
        raise AWSError(400, "InvalidLocationConstraint",
                       "The specified location-constraint is not valid")
    if ctx["region"] != "us-east-1" and loc != ctx["region"]:
        raise AWSError(400, "IllegalLocationConstraintException",
                       f"The {loc or 'unspecified'} location constraint is incompatible for the region specific endpoint this request was sent to.")
    st(fake, "s3")[name] = {"objects": {}, "uploads": {}, "region": ctx["region"]}
    return {"Location": "/" + name}


@op("s3", "HeadBucket")
def head_bucket(fake, p, ctx):
    _bucket(fake, p["Bucket"])
    return {}


@op("s3", "DeleteBucket")
def delete_bucket(fake, p, ctx):
    b = _bucket(fake, p["Bucket"])
    if b["objects"]:
        raise AWSError(409, "BucketNotEmpty", "The bucket you tried to delete is not empty")
    del st(fake, "s3")[p["Bucket"]]
    return {}


def _etag(data):
    return '"' + hashlib.md5(data).hexdigest() + '"'


def _precondition(objects, p):
    """S3's conditional writes and deletes: If-None-Match: * and If-Match: <ETag>."""
    cur = objects.get(p["Key"])
    if "IfNoneMatch" in p:
        if p["IfNoneMatch"] != "*":
            raise AWSError(501, "NotImplemented",
                           "A header you provided implies functionality that is not implemented")
        if cur is not None:
            raise AWSError(412, "PreconditionFailed",
                           "At least one of the pre-conditions you specified did not hold")
    if "IfMatch" in p:
        if cur is None:
            raise AWSError(404, "NoSuchKey", "The specified key does not exist.")
        if p["IfMatch"] not in ("*", cur["etag"]):
            raise AWSError(412, "PreconditionFailed",
                           "At least one of the pre-conditions you specified did not hold")


@op("s3", "PutObject")
def put_object(fake, p, ctx):
    data = p.get("Body") or b""
    etag = _etag(data)   # (hashed once, and not while holding the fake's lock)
    with fake.lock:      # the condition and the write are one atomic step
        objects = _bucket(fake, p["Bucket"])["objects"]
        _precondition(objects, p)
        objects[p["Key"]] = {"data": data, "etag": etag, "modified": now(),
                             "meta": dict(p.get("Metadata") or {})}
    return {"ETag": etag}


def _object(fake, p):
    o = _bucket(fake, p["Bucket"])["objects"].get(p["Key"])
    if o is None:
        raise AWSError(404, "NoSuchKey", "The specified key does not exist.")
    return o


@op("s3", "GetObject")
def get_object(fake, p, ctx):
    o = _object(fake, p)
    return {"Body": o["data"], "ETag": o["etag"]}


@op("s3", "HeadObject")
def head_object(fake, p, ctx):
    o = _object(fake, p)
    return {"ETag": o["etag"], "ContentLength": len(o["data"]), "Metadata": o.get("meta", {})}


@op("s3", "DeleteObject")
def delete_object(fake, p, ctx):
    with fake.lock:
        objects = _bucket(fake, p["Bucket"])["objects"]
        _precondition(objects, p)
        objects.pop(p["Key"], None)
    return {}


@op("s3", "ListObjectsV2")
def list_objects_v2(fake, p, ctx):
    b = _bucket(fake, p["Bucket"])
    keys = sorted(k for k in b["objects"] if k.startswith(p.get("Prefix", "")))
    return {"Name": p["Bucket"], "KeyCount": len(keys), "IsTruncated": False,
            "Contents": [{"Key": k, "Size": len(b["objects"][k]["data"]),
                          "ETag": b["objects"][k]["etag"]} for k in keys]}


@op("s3", "CreateMultipartUpload")
def create_multipart_upload(fake, p, ctx):
    uid = uuid.uuid4().hex
    _bucket(fake, p["Bucket"])["uploads"][uid] = {"key": p["Key"], "parts": {},
                                                  "meta": dict(p.get("Metadata") or {})}
    return {"Bucket": p["Bucket"], "Key": p["Key"], "UploadId": uid}


def _upload(fake, p):
    u = _bucket(fake, p["Bucket"])["uploads"].get(p["UploadId"])
    if u is None or u["key"] != p["Key"]:
        raise AWSError(404, "NoSuchUpload", "The specified upload does not exist.")
    return u


@op("s3", "UploadPart")
def upload_part(fake, p, ctx):
    data = p.get("Body") or b""
    _upload(fake, p)["parts"][p["PartNumber"]] = data
    return {"ETag": _etag(data)}


@op("s3", "CompleteMultipartUpload")
def complete_multipart_upload(fake, p, ctx):
    u = _upload(fake, p)
    parts = (p.get("MultipartUpload") or {}).get("Parts", [])
    nums = [x["PartNumber"] for x in parts]
    if not nums or nums != sorted(nums) or any(n not in u["parts"] for n in nums):
        raise AWSError(400, "InvalidPart", "One or more of the specified parts could not be found.")
    for x in parts:
        if x.get("ETag") != _etag(u["parts"][x["PartNumber"]]):
            raise AWSError(400, "InvalidPart", f"part {x['PartNumber']}: ETag mismatch")
    data = b"".join(u["parts"][n] for n in nums)
    b = _bucket(fake, p["Bucket"])
    etag = _etag(data)
    b["objects"][p["Key"]] = {"data": data, "etag": etag, "modified": now(),
                              "meta": u.get("meta", {})}
    del b["uploads"][p["UploadId"]]
    return {"Bucket": p["Bucket"], "Key": p["Key"], "ETag": etag}


@op("s3", "AbortMultipartUpload")
def abort_multipart_upload(fake, p, ctx):
    _upload(fake, p)
    del _bucket(fake, p["Bucket"])["uploads"][p["UploadId"]]
    return {}


# ---- Lambda -------------------------------------------------------------------

def _fn(fake, name):
    name = name.split(":")[-1] if name.startswith("arn:") else name
    f = st(fake, "lambda").get(name)
    if f is None:
        raise AWSError(404, "ResourceNotFoundException",
                       f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}")
    return f


def _settle(f):
    """Pending -> Active and InProgress -> Successful after SETTLE_SECONDS."""
    if time.time() >= f["settle_at"]:
        f["config"]["State"] = "Active"
        f["config"]["LastUpdateStatus"] = "Successful"


def _busy(f):
    _settle(f)
    if f["config"]["State"] == "Pending" or f["config"]["LastUpdateStatus"] == "InProgress":
        raise AWSError(409, "ResourceConflictException",
                       f"The operation cannot be performed at this time. An update is in progress "
                       f"for resource: {f['config']['FunctionArn']}")


def _code(fake, p, ctx):
    if p.get("ZipFile") is not None:
        return p["ZipFile"]
    if p.get("S3Bucket"):
        return _object(fake, {"Bucket": p["S3Bucket"], "Key": p["S3Key"]})["data"]
    raise AWSError(400, "InvalidParameterValueException", "Please provide a source for function code.")


def _check_zip(data):
    """Every member inflates to its recorded size and CRC-32, as Lambda's unzip
    checks (zipcheck.py)."""
    try:
        check_zip(data)
    except (zipfile.BadZipFile, zlib.error, struct.error):
        raise AWSError(400, "InvalidParameterValueException",
                       "Could not unzip uploaded file. Please check your file, then try to upload again.")


CONFIG_KEYS = ("Role", "Handler", "Runtime", "Description", "Timeout", "MemorySize", "Environment",
               "VpcConfig", "TracingConfig", "DeadLetterConfig", "Layers", "Architectures",
               "EphemeralStorage", "KMSKeyArn", "SnapStart", "FileSystemConfigs")


def _check_file_systems(cfg):
    """Lambda mounts EFS only inside a VPC (its mount targets are reached through it)."""
    if cfg.get("FileSystemConfigs") and not (cfg.get("VpcConfig") or {}).get("SubnetIds"):
        raise AWSError(400, "InvalidParameterValueException",
                       "Function must be connected to a VPC to use an Amazon EFS file system.")
    if not cfg.get("FileSystemConfigs"):
        cfg.pop("FileSystemConfigs", None)


def _set_extra(cfg, p):
    """KMSKeyArn ("" = back to Lambda's key) and SnapStart, as Lambda reports them."""
    if "KMSKeyArn" in p:
        if p["KMSKeyArn"]:
            cfg["KMSKeyArn"] = p["KMSKeyArn"]
        else:
            cfg.pop("KMSKeyArn", None)
    if "SnapStart" in p:
        on = p["SnapStart"].get("ApplyOn", "None")
        if on == "PublishedVersions" and not (cfg.get("Runtime") or "").startswith(
                ("java", "python3.12", "python3.13", "dotnet")):
            raise AWSError(400, "InvalidParameterValueException",
                           f"{cfg.get('Runtime')} is not supported for SnapStart enabled functions.")
        cfg["SnapStart"] = {"ApplyOn": on, "OptimizationStatus": "On" if on != "None" else "Off"}


@op("lambda", "CreateFunction")
def create_function(fake, p, ctx):
    fns = st(fake, "lambda")
    name = p["FunctionName"]
    if name in fns:
        raise AWSError(409, "ResourceConflictException", f"Function already exist: {name}")
    role = p["Role"].split("/")[-1]
    r = st(fake, "iam_roles").get(role)
    if r is None or r.get("fresh"):
        if r is not None:
            r["fresh"] = False
        raise AWSError(400, "InvalidParameterValueException",
                       "The role defined for the function cannot be assumed by Lambda.")
    code = _code(fake, p.get("Code", {}), ctx)
    _check_zip(code)
    arn = f"arn:aws:lambda:{ctx['region']}:{ACCOUNT}:function:{name}"
    cfg = {"FunctionName": name, "FunctionArn": arn, "Runtime": p.get("Runtime"),
           "Role": p["Role"], "Handler": p.get("Handler"), "CodeSize": len(code),
           "Description": p.get("Description", ""), "Timeout": p.get("Timeout", 3),
           "MemorySize": p.get("MemorySize", 128),
           "LastModified": now().strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
           "CodeSha256": base64.b64encode(bytes.fromhex(sha256_hex(code))).decode(),
           "Version": "$LATEST", "State": "Pending", "StateReason": "The function is being created.",
           "LastUpdateStatus": "InProgress", "PackageType": "Zip",
           "Architectures": p.get("Architectures", ["x86_64"]),
           "EphemeralStorage": p.get("EphemeralStorage", {"Size": 512})}
    for k in ("Environment", "VpcConfig", "TracingConfig", "DeadLetterConfig", "FileSystemConfigs"):
        if k in p:
            cfg[k] = p[k]
    _check_file_systems(cfg)
    _set_extra(cfg, p)
    if "Layers" in p:
        cfg["Layers"] = [{"Arn": a, "CodeSize": 0} for a in p["Layers"]]
    fns[name] = {"config": cfg, "code": code, "versions": {}, "next_version": 1,
                 "policy": [], "url": None, "tags": p.get("Tags", {}),
                 "settle_at": time.time() + SETTLE_SECONDS}
    if p.get("Publish"):
        _publish(fns[name])
    return dict(cfg)


def _publish(f):
    v = str(f["next_version"])
    f["next_version"] += 1
    cfg = dict(f["config"], Version=v, FunctionArn=f["config"]["FunctionArn"] + ":" + v)
    f["versions"][v] = {"config": cfg, "code": f["code"]}
    return cfg


def _config(f):
    _settle(f)
    return dict(f["config"])


@op("lambda", "GetFunctionConfiguration")
def get_function_configuration(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    q = p.get("Qualifier")
    if q and q != "$LATEST":
        if q not in f["versions"]:
            raise AWSError(404, "ResourceNotFoundException", f"Function not found: {q}")
        return dict(f["versions"][q]["config"], State="Active", LastUpdateStatus="Successful")
    return _config(f)


@op("lambda", "GetFunction")
def get_function(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    q = p.get("Qualifier") or "$LATEST"
    if q == "$LATEST":
        cfg = _config(f)
    elif q in f["versions"]:
        cfg = dict(f["versions"][q]["config"], State="Active", LastUpdateStatus="Successful")
    elif q in f.get("aliases", {}):
        cfg = dict(f["versions"][f["aliases"][q]["FunctionVersion"]]["config"])
    else:
        raise AWSError(404, "ResourceNotFoundException", f"Function not found: {cfg_arn(f)}:{q}")
    # Code.Location: a URL the fake itself serves (like S3's pre-signed one).
    host = ctx["headers"].get("Host", "127.0.0.1")
    loc = f"http://{host}/__fake/code/{f['config']['FunctionName']}/{q.replace('$', '%24')}"
    out = {"Configuration": cfg, "Code": {"RepositoryType": "S3", "Location": loc}}
    if f["tags"]:
        out["Tags"] = dict(f["tags"])
    if f.get("concurrency") is not None:
        out["Concurrency"] = {"ReservedConcurrentExecutions": f["concurrency"]}
    return out


@op("lambda", "PutFunctionConcurrency")
def put_function_concurrency(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    f["concurrency"] = p["ReservedConcurrentExecutions"]
    return {"ReservedConcurrentExecutions": f["concurrency"]}


@op("lambda", "DeleteFunctionConcurrency")
def delete_function_concurrency(fake, p, ctx):
    _fn(fake, p["FunctionName"]).pop("concurrency", None)
    return {}


def cfg_arn(f):
    return f["config"]["FunctionArn"]


def serve_code(fake, path):
    """GET /__fake/code/<function>/<version>: the code zip (Code.Location)."""
    from urllib.parse import unquote
    _, _, name, ver = unquote(path).strip("/").split("/", 3)
    with fake.lock:
        f = st(fake, "lambda").get(name)
        if f is None:
            return 404, {}, b"no such function"
        code = f["code"] if ver == "$LATEST" else f["versions"].get(ver, {}).get("code")
    if code is None:
        return 404, {}, b"no such version"
    return 200, {"Content-Type": "application/zip"}, code


@op("lambda", "ListAliases")
def list_aliases(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    return {"Aliases": [dict(a) for a in f.get("aliases", {}).values()]}


@op("lambda", "CreateAlias")
def create_alias(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    aliases = f.setdefault("aliases", {})
    if p["Name"] in aliases:
        raise AWSError(409, "ResourceConflictException", f"Alias already exists: {p['Name']}")
    if p["FunctionVersion"] != "$LATEST" and p["FunctionVersion"] not in f["versions"]:
        raise AWSError(404, "ResourceNotFoundException", f"Function not found: {p['FunctionVersion']}")
    a = {"AliasArn": cfg_arn(f) + ":" + p["Name"], "Name": p["Name"],
         "FunctionVersion": p["FunctionVersion"], "Description": p.get("Description", ""),
         "RevisionId": uuid.uuid4().hex}
    aliases[p["Name"]] = a
    return dict(a)


def _fn_by_arn(fake, arn):
    name = arn.split(":function:")[-1].split(":")[0]
    return _fn(fake, name)


@op("lambda", "TagResource")
def tag_resource(fake, p, ctx):
    _fn_by_arn(fake, p["Resource"])["tags"].update(p["Tags"])
    return {}


@op("lambda", "UntagResource")
def untag_resource(fake, p, ctx):
    f = _fn_by_arn(fake, p["Resource"])
    for k in p["TagKeys"]:
        f["tags"].pop(k, None)
    return {}


@op("lambda", "ListTags")
def list_tags(fake, p, ctx):
    return {"Tags": dict(_fn_by_arn(fake, p["Resource"])["tags"])}


@op("lambda", "ListFunctions")
def list_functions(fake, p, ctx):
    return {"Functions": [_config(f) for _, f in sorted(st(fake, "lambda").items())]}


@op("lambda", "UpdateFunctionCode")
def update_function_code(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    _busy(f)
    code = _code(fake, p, ctx)
    _check_zip(code)
    f["code"] = code
    f["config"].update(CodeSize=len(code), LastUpdateStatus="InProgress",
                       CodeSha256=base64.b64encode(bytes.fromhex(sha256_hex(code))).decode())
    f["settle_at"] = time.time() + SETTLE_SECONDS
    if p.get("Architectures"):
        f["config"]["Architectures"] = p["Architectures"]
    out = dict(f["config"])
    if p.get("Publish"):
        f["config"]["LastUpdateStatus"] = "Successful"
        out = _publish(f)
    return out


@op("lambda", "UpdateFunctionConfiguration")
def update_function_configuration(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    _busy(f)
    if p.get("Role") and p["Role"] != f["config"]["Role"]:
        r = st(fake, "iam_roles").get(p["Role"].split("/")[-1])
        if r is None or r.get("fresh"):       # IAM propagation, as in CreateFunction
            if r is not None:
                r["fresh"] = False
            raise AWSError(400, "InvalidParameterValueException",
                           "The role defined for the function cannot be assumed by Lambda.")
    cfg = dict(f["config"])
    for k in CONFIG_KEYS:
        if k in p and k not in ("KMSKeyArn", "SnapStart"):
            cfg[k] = [{"Arn": a, "CodeSize": 0} for a in p[k]] if k == "Layers" else p[k]
    _check_file_systems(cfg)
    f["config"] = cfg
    _set_extra(f["config"], p)
    f["config"]["LastUpdateStatus"] = "InProgress"
    f["settle_at"] = time.time() + SETTLE_SECONDS
    return dict(f["config"])


@op("lambda", "PublishVersion")
def publish_version(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    _busy(f)
    return _publish(f)


@op("lambda", "ListVersionsByFunction")
def list_versions_by_function(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    vs = [_config(f)] + [v["config"] for _, v in sorted(f["versions"].items(), key=lambda kv: int(kv[0]))]
    return {"Versions": vs}


@op("lambda", "DeleteFunction")
def delete_function(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    q = p.get("Qualifier")
    if q:
        if q == "$LATEST":
            raise AWSError(400, "InvalidParameterValueException",
                           "$LATEST version cannot be deleted without deleting the function.")
        used = [a["Name"] for a in f.get("aliases", {}).values() if a["FunctionVersion"] == q]
        if used:
            raise AWSError(409, "ResourceConflictException",
                           f"Unable to delete version because the following aliases reference it: {used}")
        if q not in f["versions"]:
            raise AWSError(404, "ResourceNotFoundException", f"Function not found: {cfg_arn(f)}:{q}")
        f["versions"].pop(q, None)
    else:
        del st(fake, "lambda")[f["config"]["FunctionName"]]
    return {"StatusCode": 204}


@op("lambda", "AddPermission")
def add_permission(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    if any(s["Sid"] == p["StatementId"] for s in f["policy"]):
        raise AWSError(409, "ResourceConflictException",
                       f"The statement id ({p['StatementId']}) provided already exists. Please provide a new statement id, or remove the existing statement.")
    stmt = {"Sid": p["StatementId"], "Effect": "Allow", "Principal": {"Service": p["Principal"]},
            "Action": p["Action"], "Resource": f["config"]["FunctionArn"]}
    if p.get("SourceArn"):
        stmt["Condition"] = {"ArnLike": {"AWS:SourceArn": p["SourceArn"]}}
    f["policy"].append(stmt)
    return {"Statement": json.dumps(stmt), "StatusCode": 201}


@op("lambda", "RemovePermission")
def remove_permission(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    before = len(f["policy"])
    f["policy"] = [s for s in f["policy"] if s["Sid"] != p["StatementId"]]
    if len(f["policy"]) == before:
        raise AWSError(404, "ResourceNotFoundException", "The resource you requested does not exist.")
    return {"StatusCode": 204}


@op("lambda", "GetPolicy")
def get_policy(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    if not f["policy"]:
        raise AWSError(404, "ResourceNotFoundException", "The resource you requested does not exist.")
    return {"Policy": json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": f["policy"]}),
            "RevisionId": uuid.uuid4().hex}


@op("lambda", "CreateFunctionUrlConfig")
def create_function_url_config(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    if f["url"]:
        raise AWSError(409, "ResourceConflictException", "Failed to create function url config: already exists")
    f["url"] = {"FunctionUrl": f"https://{uuid.uuid4().hex[:26]}.lambda-url.{ctx['region']}.on.aws/",
                "FunctionArn": f["config"]["FunctionArn"], "AuthType": p["AuthType"],
                "CreationTime": now().strftime("%Y-%m-%dT%H:%M:%S.000+0000")}
    if "Cors" in p:
        f["url"]["Cors"] = p["Cors"]
    return dict(f["url"], StatusCode=201)


@op("lambda", "GetFunctionUrlConfig")
def get_function_url_config(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    if not f["url"]:
        raise AWSError(404, "ResourceNotFoundException", "The resource you requested does not exist.")
    return dict(f["url"], LastModifiedTime=f["url"]["CreationTime"])


@op("lambda", "DeleteFunctionUrlConfig")
def delete_function_url_config(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    if not f["url"]:
        raise AWSError(404, "ResourceNotFoundException", "The resource you requested does not exist.")
    f["url"] = None
    return {"StatusCode": 204}


RUNNER = r"""
import json, sys, traceback, importlib
sys.path.insert(0, sys.argv[1])
event = json.loads(sys.stdin.read())
class Ctx:
    function_name = sys.argv[2]; memory_limit_in_mb = 128; aws_request_id = sys.argv[3]
    invoked_function_arn = sys.argv[4]
    def get_remaining_time_in_millis(self): return 30000
try:
    mod, _, fn = sys.argv[5].rpartition('.')
    out = getattr(importlib.import_module(mod), fn)(event, Ctx())
    sys.stdout = sys.__stdout__
    print('\x00RESULT' + json.dumps({'ok': out}))
except Exception as e:
    traceback.print_exc()
    print('\x00RESULT' + json.dumps({'error': {'errorMessage': str(e), 'errorType': type(e).__name__}}))
"""


ASYNC_PAYLOAD_MAX = 256 * 1024
RETRY_DELAY = float(os.environ.get("HOIST_FAKE_RETRY_DELAY", "0.2"))


def _version(fake, f, q):
    code, cfg = f["code"], _config(f)
    if q and q != "$LATEST":
        if q not in f["versions"]:
            raise AWSError(404, "ResourceNotFoundException", f"Function not found: {q}")
        code, cfg = f["versions"][q]["code"], f["versions"][q]["config"]
    if cfg["State"] != "Active":
        raise AWSError(409, "ResourceConflictException",
                       "The operation cannot be performed at this time. The function is currently in the following state: Pending")
    return code, cfg


def run_function(fake, code, cfg, payload, region):
    """Run the handler once in a fresh interpreter, as Lambda runs it: with the
    role's session credentials and the fake as every AWS endpoint.
    -> (result {"ok": value} | {"error": {...}}, log text, request id)."""
    from . import roles
    rid = str(uuid.uuid4())
    akid, secret, token = roles.mint(fake, cfg["Role"], cfg["FunctionName"])
    with tempfile.TemporaryDirectory() as d:
        zipfile.ZipFile(io.BytesIO(code)).extractall(d)
        env = {"PATH": "/usr/bin:/bin", "AWS_LAMBDA_FUNCTION_NAME": cfg["FunctionName"],
               "AWS_REGION": region, "AWS_DEFAULT_REGION": region, "LAMBDA_TASK_ROOT": d,
               "AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret,
               "AWS_SESSION_TOKEN": token, "AWS_ENDPOINT_URL": getattr(fake, "url", "")}
        env.update((cfg.get("Environment") or {}).get("Variables", {}))
        proc = subprocess.run(["/usr/bin/python3", "-I", "-S", "-c", RUNNER, d, cfg["FunctionName"], rid,
                               cfg["FunctionArn"], cfg.get("Handler") or "hoist_handler.handler"],
                              input=payload, capture_output=True, timeout=60, env=env)
    with fake.lock:
        fake.keys.pop(akid, None)
        fake.sessions.pop(akid, None)
    out, _, res = proc.stdout.partition(b"\x00RESULT")
    logs = (f"START RequestId: {rid} Version: $LATEST\n" + out.decode(errors="replace")
            + proc.stderr.decode(errors="replace") + f"END RequestId: {rid}\n")
    m = st(fake, "metrics")
    m[f"{cfg['FunctionName']}/Invocations"] = m.get(f"{cfg['FunctionName']}/Invocations", 0) + 1
    result = json.loads(res) if res else {"error": {"errorMessage": "Runtime exited", "errorType": "Runtime.ExitError"}}
    if "error" in result:
        m[f"{cfg['FunctionName']}/Errors"] = m.get(f"{cfg['FunctionName']}/Errors", 0) + 1
    return result, logs, rid


def invoke_async(fake, f, q, payload, region, source="lambda"):
    """InvocationType Event: queued, answered at once; run on a thread, retried
    twice on a function error (Lambda's policy), then sent to the function's
    dead-letter target (recorded in state["dead_letters"])."""
    import threading
    code, cfg = _version(fake, f, q)
    record = {"function": cfg["FunctionName"], "source": source, "status": "queued",
              "attempts": 0, "payload": payload.decode(errors="replace")}
    with fake.lock:
        st(fake, "async_invocations").setdefault(str(uuid.uuid4()), record)

    def work():
        for attempt in range(3):
            record["attempts"] = attempt + 1
            result, logs, _ = run_function(fake, code, cfg, payload, region)
            record["logs"] = logs
            if "error" not in result:
                record["status"] = "done"
                return
            time.sleep(RETRY_DELAY * (attempt + 1))
        record["status"] = "failed"
        target = (cfg.get("DeadLetterConfig") or {}).get("TargetArn")
        if target:
            with fake.lock:
                st(fake, "dead_letters").setdefault(target, []).append(record["payload"])

    threading.Thread(target=work, daemon=True).start()


@op("lambda", "Invoke")
def invoke(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    q = p.get("Qualifier")
    payload = p.get("Payload") or b"{}"
    if p.get("InvocationType") == "Event":
        if len(payload) > ASYNC_PAYLOAD_MAX:
            raise AWSError(413, "RequestEntityTooLargeException",
                           f"{len(payload)} byte payload is too large for the Event invocation "
                           f"type (limit {ASYNC_PAYLOAD_MAX} bytes)")
        invoke_async(fake, f, q, payload, ctx["region"])
        return {"StatusCode": 202, "Payload": b""}
    code, cfg = _version(fake, f, q)
    result, logs, _ = run_function(fake, code, cfg, payload, ctx["region"])
    o = {"StatusCode": 200, "ExecutedVersion": q or "$LATEST"}
    if p.get("LogType") == "Tail":
        o["LogResult"] = base64.b64encode(logs.encode()[-4096:]).decode()
    if "error" in result:
        o["FunctionError"] = "Unhandled"
        o["Payload"] = json.dumps(result["error"]).encode()
    else:
        o["Payload"] = json.dumps(result["ok"]).encode()
    return o


from . import svc_events, svc_logs, svc_acm, svc_route53, svc_apigw_domains  # noqa: E402,F401
from . import svc_apigateway, svc_dynamodb, svc_cloudformation  # noqa: E402,F401
