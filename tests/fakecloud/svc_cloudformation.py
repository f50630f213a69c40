"""The fake's CloudFormation: enough of it for the stacks Zappa makes — its
API Gateway REST API, built from a template (TemplateURL in the fake's S3,
or TemplateBody) the way Zappa's troposphere template describes it:

  AWS::ApiGateway::RestApi    Name, Description, EndpointConfiguration,
                              BinaryMediaTypes, Policy
  AWS::ApiGateway::Resource   RestApiId, ParentId, PathPart
  AWS::ApiGateway::Method     RestApiId, ResourceId, HttpMethod,
                              AuthorizationType, AuthorizerId, ApiKeyRequired,
                              Integration {Type, Uri, IntegrationHttpMethod,
                              Credentials, PassthroughBehavior, CacheNamespace,
                              CacheKeyParameters, IntegrationResponses},
                              MethodResponses
  AWS::ApiGateway::Authorizer Name, Type, RestApiId, AuthorizerUri,
                              IdentitySource, IdentityValidationExpression,
                              AuthorizerResultTtlInSeconds, AuthorizerCredentials

with Ref and Fn::GetAtt (RootResourceId).  The resources are created
through the fake API Gateway's own operations, so they are what a REST API
made by hand would be.  CreateStack → CREATE_IN_PROGRESS, CREATE_COMPLETE
after the settle time (a template the fake cannot build → ROLLBACK_COMPLETE
with nothing left); DeleteStack deletes the resources (a resource already
gone is fine, as CloudFormation treats it) → DELETE_IN_PROGRESS, then the
stack is gone: DescribeStacks by name answers ValidationError "Stack with id
… does not exist", as AWS does.  State: fake.state["cloudformation"].
"""
import json
import time
import uuid

from .fakeaws import ACCOUNT, AWSError
from .services import SETTLE_SECONDS, now, op, st


def _stacks(fake):
    return st(fake, "cloudformation")


def _missing(name):
    return AWSError(400, "ValidationError", f"Stack with id {name} does not exist")


def _settle(s):
    if time.time() >= s["settle_at"]:
        if s["StackStatus"] == "CREATE_IN_PROGRESS":
            s["StackStatus"] = "CREATE_COMPLETE"
        elif s["StackStatus"] == "DELETE_IN_PROGRESS":
            s["StackStatus"] = "DELETE_COMPLETE"


def _stack(fake, name):
    for s in _stacks(fake).values():
        if name in (s["StackName"], s["StackId"]):
            _settle(s)
            if s["StackStatus"] == "DELETE_COMPLETE" and name == s["StackName"]:
                continue
            return s
    raise _missing(name)


def _template(fake, p):
    if p.get("TemplateBody"):
        text = p["TemplateBody"]
    elif p.get("TemplateURL"):
        url = p["TemplateURL"].split("://", 1)[-1]
        host, _, path = url.partition("/")
        if host.startswith("s3.") or host == "s3.amazonaws.com":
            bucket, _, key = path.partition("/")
        else:
            bucket, key = host.split(".s3")[0], path
        objs = st(fake, "s3").get(bucket, {}).get("objects", {})
        if key not in objs:
            raise AWSError(400, "ValidationError", "TemplateURL must be a supported URL.")
        text = objs[key]["data"].decode()
    else:
        raise AWSError(400, "ValidationError", "Either Template URL or Template Body must be "
                       "specified.")
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise AWSError(400, "ValidationError", f"Template format error: JSON not well-formed. "
                       f"({e})")
    if not isinstance(doc.get("Resources"), dict) or not doc["Resources"]:
        raise AWSError(400, "ValidationError", "Template format error: At least one Resources "
                       "member must be defined.")
    return doc


# ---- building ------------------------------------------------------------------------

class _Build:
    def __init__(self, fake, region, resources):
        self.fake, self.ctx, self.res = fake, {"region": region}, resources
        self.physical, self.attrs = {}, {}

    def value(self, v):
        if isinstance(v, dict) and "Ref" in v:
            return self.physical[v["Ref"]]
        if isinstance(v, dict) and "Fn::GetAtt" in v:
            name, attr = v["Fn::GetAtt"]
            return self.attrs[(name, attr)]
        if isinstance(v, dict):
            return {k: self.value(x) for k, x in v.items()}
        if isinstance(v, list):
            return [self.value(x) for x in v]
        return v

    def deps(self, v):
        if isinstance(v, dict) and "Ref" in v:
            return {v["Ref"]}
        if isinstance(v, dict) and "Fn::GetAtt" in v:
            return {v["Fn::GetAtt"][0]}
        if isinstance(v, dict):
            return set().union(*(self.deps(x) for x in v.values())) if v else set()
        if isinstance(v, list):
            return set().union(*(self.deps(x) for x in v)) if v else set()
        return set()

    def order(self):
        done, out = set(), []
        while len(out) < len(self.res):
            ready = [k for k, r in self.res.items() if k not in done and
                     self.deps(r.get("Properties", {})) <= done]
            if not ready:
                raise AWSError(400, "ValidationError", "Circular dependency between resources")
            for k in sorted(ready):
                done.add(k)
                out.append(k)
        return out

    def create(self, logical):
        from . import svc_apigateway as ag
        r = self.res[logical]
        t, props = r["Type"], self.value(r.get("Properties", {}))
        f, ctx = self.fake, self.ctx
        if t == "AWS::ApiGateway::RestApi":
            p = {"name": props["Name"]}
            for cf, api in (("Description", "description"), ("BinaryMediaTypes", "binaryMediaTypes"),
                            ("Policy", "policy")):
                if cf in props:
                    p[api] = props[cf] if cf != "Policy" else json.dumps(props[cf])
            if "EndpointConfiguration" in props:
                p["endpointConfiguration"] = {"types": props["EndpointConfiguration"]["Types"]}
            out = ag.create_rest_api(f, p, ctx)
            self.physical[logical] = out["id"]
            self.attrs[(logical, "RootResourceId")] = out["rootResourceId"]
        elif t == "AWS::ApiGateway::Resource":
            out = ag.create_resource(f, {"restApiId": props["RestApiId"],
                                         "parentId": props["ParentId"],
                                         "pathPart": props["PathPart"]}, ctx)
            self.physical[logical] = out["id"]
        elif t == "AWS::ApiGateway::Authorizer":
            p = {"restApiId": props["RestApiId"], "name": props.get("Name", logical),
                 "type": props["Type"]}
            for cf, api in (("AuthorizerUri", "authorizerUri"), ("IdentitySource", "identitySource"),
                            ("IdentityValidationExpression", "identityValidationExpression"),
                            ("AuthorizerResultTtlInSeconds", "authorizerResultTtlInSeconds"),
                            ("AuthorizerCredentials", "authorizerCredentials")):
                if cf in props:
                    p[api] = props[cf]
            self.physical[logical] = ag.create_authorizer(f, p, ctx)["id"]
        elif t == "AWS::ApiGateway::Method":
            base = {"restApiId": props["RestApiId"], "resourceId": props["ResourceId"],
                    "httpMethod": props["HttpMethod"]}
            p = dict(base, authorizationType=props.get("AuthorizationType", "NONE"),
                     apiKeyRequired=bool(props.get("ApiKeyRequired", False)))
            if props.get("AuthorizerId"):
                p["authorizerId"] = props["AuthorizerId"]
            ag.put_method(f, p, ctx)
            integ = props.get("Integration")
            if integ:
                ip = dict(base, type=integ["Type"])
                for cf, api in (("Uri", "uri"), ("IntegrationHttpMethod", "integrationHttpMethod"),
                                ("Credentials", "credentials"),
                                ("PassthroughBehavior", "passthroughBehavior"),
                                ("CacheNamespace", "cacheNamespace"),
                                ("CacheKeyParameters", "cacheKeyParameters"),
                                ("RequestTemplates", "requestTemplates")):
                    if cf in integ:
                        ip[api] = integ[cf]
                ag.put_integration(f, ip, ctx)
            self.physical[logical] = f"{props['RestApiId']}-{props['ResourceId']}-{props['HttpMethod']}"
        else:
            raise AWSError(400, "ValidationError", f"the fake cannot build {t} ({logical})")
        return t


def _delete_resources(fake, s, region):
    """In reverse creation order; what is already gone is fine."""
    from . import svc_apigateway as ag
    for r in reversed(s["resources"]):
        try:
            if r["ResourceType"] == "AWS::ApiGateway::RestApi":
                ag.delete_rest_api(fake, {"restApiId": r["PhysicalResourceId"]}, {"region": region})
        except AWSError:
            pass


# ---- operations ------------------------------------------------------------------------

@op("cloudformation", "CreateStack")
def create_stack(fake, p, ctx):
    name = p["StackName"]
    try:
        _stack(fake, name)
        raise AWSError(400, "AlreadyExistsException", f"Stack [{name}] already exists")
    except AWSError as e:
        if e.code != "ValidationError":
            raise
    doc = _template(fake, p)
    sid = f"arn:aws:cloudformation:{ctx['region']}:{ACCOUNT}:stack/{name}/{uuid.uuid4()}"
    s = {"StackName": name, "StackId": sid, "CreationTime": now(), "Tags": list(p.get("Tags") or []),
         "Description": doc.get("Description"), "Template": doc, "resources": [],
         "StackStatus": "CREATE_IN_PROGRESS", "settle_at": time.time() + SETTLE_SECONDS,
         "region": ctx["region"]}
    b = _Build(fake, ctx["region"], doc["Resources"])
    try:
        for logical in b.order():
            t = b.create(logical)
            s["resources"].append({"LogicalResourceId": logical, "ResourceType": t,
                                   "PhysicalResourceId": b.physical[logical],
                                   "ResourceStatus": "CREATE_COMPLETE",
                                   "LastUpdatedTimestamp": now()})
    except AWSError as e:
        _delete_resources(fake, s, ctx["region"])
        s["resources"] = []
        s["StackStatus"], s["StackStatusReason"] = "ROLLBACK_COMPLETE", e.message
    _stacks(fake)[sid] = s
    return {"StackId": sid}


def _stack_out(s):
    out = {k: s[k] for k in ("StackName", "StackId", "CreationTime", "StackStatus", "Tags")}
    if s.get("Description"):
        out["Description"] = s["Description"]
    if s.get("StackStatusReason"):
        out["StackStatusReason"] = s["StackStatusReason"]
    out["Outputs"] = []
    return out


@op("cloudformation", "DescribeStacks")
def describe_stacks(fake, p, ctx):
    if p.get("StackName"):
        return {"Stacks": [_stack_out(_stack(fake, p["StackName"]))]}
    live = []
    for s in _stacks(fake).values():
        _settle(s)
        if s["StackStatus"] != "DELETE_COMPLETE":
            live.append(_stack_out(s))
    return {"Stacks": live}


@op("cloudformation", "DescribeStackResource")
def describe_stack_resource(fake, p, ctx):
    s = _stack(fake, p["StackName"])
    for r in s["resources"]:
        if r["LogicalResourceId"] == p["LogicalResourceId"]:
            return {"StackResourceDetail": dict(r, StackName=s["StackName"],
                                                StackId=s["StackId"])}
    raise AWSError(400, "ValidationError", f"Resource {p['LogicalResourceId']} does not exist "
                   f"for stack {p['StackName']}")


@op("cloudformation", "ListStackResources")
def list_stack_resources(fake, p, ctx):
    s = _stack(fake, p["StackName"])
    return {"StackResourceSummaries": [
        {k: r[k] for k in ("LogicalResourceId", "PhysicalResourceId", "ResourceType",
                           "ResourceStatus", "LastUpdatedTimestamp")} for r in s["resources"]]}


@op("cloudformation", "GetTemplate")
def get_template(fake, p, ctx):
    return {"TemplateBody": json.dumps(_stack(fake, p["StackName"])["Template"])}


@op("cloudformation", "DeleteStack")
def delete_stack(fake, p, ctx):
    try:
        s = _stack(fake, p["StackName"])
    except AWSError:
        return {}                      # deleting a stack that does not exist succeeds
    if s["StackStatus"] in ("DELETE_IN_PROGRESS", "DELETE_COMPLETE"):
        return {}
    _delete_resources(fake, s, s["region"])
    for r in s["resources"]:
        r["ResourceStatus"] = "DELETE_COMPLETE"
    s["StackStatus"], s["settle_at"] = "DELETE_IN_PROGRESS", time.time() + SETTLE_SECONDS
    return {}
