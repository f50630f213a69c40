"""The fake AWS's API Gateway custom domain names and base path mappings
(REST v1), issue 6.

As the real service:
- an EDGE domain needs `certificateArn` of an ISSUED ACM certificate in
  us-east-1 that covers the name; a REGIONAL one `regionalCertificateArn`
  in the API's region;
- CreateDomainName twice → ConflictException; the answer carries the
  CloudFront distribution name (EDGE, hosted zone Z2FDTNDATAQYW2) or the
  regional name and hosted zone;
- a base path mapping needs an existing REST API and stage; "(none)" is the
  empty base path.
"""
import random
import string

from .fakeaws import AWSError
from .services import now, op, st
from .svc_acm import covers

EDGE_ZONE = "Z2FDTNDATAQYW2"
REGIONAL_ZONES = {"us-east-1": "Z1UJRXOUMOOFQ8", "eu-west-1": "ZLY8HYME6SFDD"}


def _doms(fake):
    return st(fake, "apigw_domains")


def _dom(fake, name):
    d = _doms(fake).get(name)
    if d is None:
        raise AWSError(404, "NotFoundException", "Invalid domain name identifier specified")
    return d


def _check_cert(fake, arn, domain, region, kind):
    c = st(fake, "acm").get(arn)
    if c is None or c["_region"] != region:
        raise AWSError(400, "BadRequestException",
                       f"Invalid certificate ARN: {arn}. Certificate must be in '{region}'." if kind == "EDGE"
                       else f"Invalid certificate ARN: {arn}")
    if c["Status"] != "ISSUED":
        raise AWSError(400, "BadRequestException", f"Certificate {arn} is not ISSUED ({c['Status']})")
    if not covers(c, domain):
        raise AWSError(400, "BadRequestException",
                       f"The certificate {arn} does not cover the domain name {domain}")


def _out(d):
    return {k: v for k, v in d.items() if not k.startswith("_")}


def _rand(n):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


@op("apigateway", "CreateDomainName")
def create_domain_name(fake, p, ctx):
    name = p["domainName"]
    if name in _doms(fake):
        raise AWSError(409, "ConflictException", "The domain name you provided already exists.")
    types = (p.get("endpointConfiguration") or {}).get("types") or ["EDGE"]
    d = {"domainName": name, "domainNameStatus": "AVAILABLE", "certificateUploadDate": now(),
         "endpointConfiguration": {"types": types}, "securityPolicy": p.get("securityPolicy", "TLS_1_2"),
         "_mappings": {}, "_region": ctx["region"]}
    if types == ["EDGE"]:
        if not p.get("certificateArn"):
            raise AWSError(400, "BadRequestException", "A certificate is required for an EDGE domain name")
        _check_cert(fake, p["certificateArn"], name, "us-east-1", "EDGE")
        d.update(certificateArn=p["certificateArn"],
                 distributionDomainName=f"d{_rand(13)}.cloudfront.net",
                 distributionHostedZoneId=EDGE_ZONE)
    else:
        if not p.get("regionalCertificateArn"):
            raise AWSError(400, "BadRequestException", "A regional certificate is required for a REGIONAL domain name")
        _check_cert(fake, p["regionalCertificateArn"], name, ctx["region"], "REGIONAL")
        d.update(regionalCertificateArn=p["regionalCertificateArn"],
                 regionalDomainName=f"d-{_rand(10)}.execute-api.{ctx['region']}.amazonaws.com",
                 regionalHostedZoneId=REGIONAL_ZONES.get(ctx["region"], "Z2OJLYMUO9EFXC"))
    _doms(fake)[name] = d
    return _out(d)


@op("apigateway", "GetDomainName")
def get_domain_name(fake, p, ctx):
    return _out(_dom(fake, p["domainName"]))


@op("apigateway", "GetDomainNames")
def get_domain_names(fake, p, ctx):
    return {"items": [_out(d) for _, d in sorted(_doms(fake).items())]}


@op("apigateway", "UpdateDomainName")
def update_domain_name(fake, p, ctx):
    d = _dom(fake, p["domainName"])
    for po in p.get("patchOperations", []):
        path = po.get("path", "")
        if po.get("op") != "replace" or path not in ("/certificateArn", "/regionalCertificateArn"):
            raise AWSError(400, "BadRequestException", f"Invalid patch path {path}")
        if path == "/certificateArn":
            _check_cert(fake, po["value"], d["domainName"], "us-east-1", "EDGE")
        else:
            _check_cert(fake, po["value"], d["domainName"], d["_region"], "REGIONAL")
        d[path[1:]] = po["value"]
        d["certificateUploadDate"] = now()
    return _out(d)


@op("apigateway", "DeleteDomainName")
def delete_domain_name(fake, p, ctx):
    _dom(fake, p["domainName"])
    del _doms(fake)[p["domainName"]]
    return {}


def _api_stage(fake, api_id, stage):
    a = st(fake, "apigateway").get("apis", {}).get(api_id)
    if a is None:
        raise AWSError(400, "BadRequestException", "Invalid REST API identifier specified")
    if stage and stage not in a.get("stages", {}):
        raise AWSError(400, "BadRequestException", "Invalid stage identifier specified")


@op("apigateway", "CreateBasePathMapping")
def create_base_path_mapping(fake, p, ctx):
    d = _dom(fake, p["domainName"])
    bp = p.get("basePath") or "(none)"
    if bp in d["_mappings"]:
        raise AWSError(409, "ConflictException", "Base path already exists for this domain name")
    _api_stage(fake, p["restApiId"], p.get("stage"))
    m = {"basePath": bp, "restApiId": p["restApiId"]}
    if p.get("stage"):
        m["stage"] = p["stage"]
    d["_mappings"][bp] = m
    return dict(m)


@op("apigateway", "GetBasePathMappings")
def get_base_path_mappings(fake, p, ctx):
    d = _dom(fake, p["domainName"])
    return {"items": [dict(m) for _, m in sorted(d["_mappings"].items())]}


@op("apigateway", "GetBasePathMapping")
def get_base_path_mapping(fake, p, ctx):
    m = _dom(fake, p["domainName"])["_mappings"].get(p["basePath"])
    if m is None:
        raise AWSError(404, "NotFoundException", "Invalid base path mapping identifier specified")
    return dict(m)


@op("apigateway", "DeleteBasePathMapping")
def delete_base_path_mapping(fake, p, ctx):
    d = _dom(fake, p["domainName"])
    if d["_mappings"].pop(p["basePath"], None) is None:
        raise AWSError(404, "NotFoundException", "Invalid base path mapping identifier specified")
    return {}
