"""Fake CAM (GetUserAppId), SSL certificates, DNSPod records and Cloud Monitor
for faketencent.py, plus the DNS view a custom-domain check or pebble sees
(DNSPod records and records registered outside DNSPod; dnsserver.py serves
them over UDP).
"""
import re
import time
import uuid

from . import dnsserver
from .faketencent import APPID, UIN, TCError, action, stamp


@action("cam", "GetUserAppId")
def get_user_app_id(fake, p, ctx):
    return {"Uin": UIN, "OwnerUin": UIN, "AppId": int(APPID)}


# ---- SSL ---------------------------------------------------------------------------

def certs(fake):
    return fake.st("ssl_certs")


@action("ssl", "UploadCertificate")
def upload_certificate(fake, p, ctx):
    pem = p["CertificatePublicKey"]
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise TCError("FailedOperation.CertificateInvalid", "CertificatePublicKey is not a PEM certificate")
    if (p.get("CertificateType") or "SVR") == "SVR" and "PRIVATE KEY-----" not in (p.get("CertificatePrivateKey") or ""):
        raise TCError("FailedOperation.CertificateInvalid", "a server certificate needs its private key")
    for cid, c in certs(fake).items():
        if c["pem"] == pem and p.get("Repeatable") is False:
            return {"CertificateId": cid, "RepeatCertId": cid}
    cid = uuid.uuid4().hex[:8]
    certs(fake)[cid] = {"pem": pem, "Alias": p.get("Alias") or "", "InsertTime": stamp(),
                        "CertificateType": p.get("CertificateType") or "SVR"}
    return {"CertificateId": cid}


@action("ssl", "DescribeCertificates")
def describe_certificates(fake, p, ctx):
    out = [{"CertificateId": cid, "Alias": c["Alias"], "InsertTime": c["InsertTime"],
            "CertificateType": c["CertificateType"], "From": "upload"}
           for cid, c in sorted(certs(fake).items())
           if (not p.get("SearchKey") or p["SearchKey"] in c["Alias"] or p["SearchKey"] == cid)
           and (not p.get("CertIds") or cid in p["CertIds"])]
    off, lim = p.get("Offset") or 0, p.get("Limit") or 20
    return {"TotalCount": len(out), "Certificates": out[off:off + lim]}


@action("ssl", "DeleteCertificate")
def delete_certificate(fake, p, ctx):
    if p["CertificateId"] not in certs(fake):
        raise TCError("FailedOperation.CertificateNotFound", "certificate not found")
    for d in fake.st("scf_domains").values():
        if (d.get("CertConfig") or {}).get("CertificateId") == p["CertificateId"]:
            raise TCError("FailedOperation.DeleteResourceFailed", "the certificate is in use "
                          f"by custom domain {d['Domain']}")
    del certs(fake)[p["CertificateId"]]
    return {"DeleteResult": True}


# ---- DNSPod ------------------------------------------------------------------------

def zones(fake):
    return fake.st("dnspod")


def add_zone(fake, name):
    """Test setup: a domain hosted in DNSPod."""
    with fake.lock:
        zones(fake).setdefault(name.lower(), {"id": len(zones(fake)) + 1, "records": {}, "next": 1})


def _zone(fake, name):
    z = zones(fake).get(name.lower())
    if z is None:
        raise TCError("ResourceNotFound.NoDataOfDomain", f"domain {name} is not in this account")
    return z


@action("dnspod", "DescribeDomainList")
def describe_domain_list(fake, p, ctx):
    names = sorted(zones(fake))
    if p.get("Keyword"):
        names = [n for n in names if p["Keyword"] in n]
    off, lim = p.get("Offset") or 0, p.get("Limit") or 20
    return {"DomainList": [{"DomainId": zones(fake)[n]["id"], "Name": n, "Status": "ENABLE",
                            "DNSStatus": "", "RecordCount": len(zones(fake)[n]["records"])}
                           for n in names[off:off + lim]],
            "DomainCountInfo": {k: 0 for k in ("AllTotal", "MineTotal", "ShareTotal", "VipTotal",
                                               "PauseTotal", "ErrorTotal", "LockTotal", "SpamTotal",
                                               "VipExpire", "ShareOutTotal", "GroupTotal")}
            | {"DomainTotal": len(names), "AllTotal": len(names), "MineTotal": len(names)}}


def _record_out(rid, r):
    return {"RecordId": rid, "Name": r["Name"], "Type": r["Type"], "Value": r["Value"],
            "Line": r["Line"], "LineId": "0", "TTL": r["TTL"], "Status": "ENABLE",
            "UpdatedOn": r["UpdatedOn"], "Weight": 0, "MonitorStatus": "", "Remark": ""}


@action("dnspod", "DescribeRecordList")
def describe_record_list(fake, p, ctx):
    z = _zone(fake, p["Domain"])
    rs = [(rid, r) for rid, r in sorted(z["records"].items())
          if (not p.get("Subdomain") or r["Name"] == p["Subdomain"])
          and (not p.get("RecordType") or r["Type"] == p["RecordType"])]
    if not rs and (p.get("ErrorOnEmpty") or "yes") == "yes":
        raise TCError("ResourceNotFound.NoDataOfRecord", "记录列表为空。")
    off, lim = p.get("Offset") or 0, p.get("Limit") or 100
    return {"RecordCountInfo": {"SubdomainCount": len(rs), "ListCount": len(rs[off:off + lim]),
                                "TotalCount": len(rs)},
            "RecordList": [_record_out(rid, r) for rid, r in rs[off:off + lim]]}


def _check_record(p):
    if p["RecordType"] not in ("A", "AAAA", "CNAME", "TXT", "MX", "NS", "CAA"):
        raise TCError("InvalidParameterValue.RecordTypeInvalid", f"record type {p['RecordType']}")
    if p["RecordLine"] not in ("默认", "default"):
        raise TCError("InvalidParameterValue.RecordLineInvalid", f"line {p['RecordLine']}")
    if p["RecordType"] == "CNAME" and not re.match(r"^[a-z0-9.-]+\.?$", p["Value"].lower()):
        raise TCError("InvalidParameterValue.ValueInvalid", f"CNAME value {p['Value']}")


@action("dnspod", "CreateRecord")
def create_record(fake, p, ctx):
    z = _zone(fake, p["Domain"])
    _check_record(p)
    sub = p.get("SubDomain") or "@"
    for r in z["records"].values():
        if r["Name"] == sub and r["Type"] == p["RecordType"] and r["Value"] == p["Value"]:
            raise TCError("InvalidParameter.DomainRecordExist", "记录已经存在，无需再次添加。")
        if r["Name"] == sub and "CNAME" in (r["Type"], p["RecordType"]) and r["Type"] != p["RecordType"]:
            raise TCError("InvalidParameter.RecordConflict", "CNAME conflicts with another record")
    rid = z["next"]
    z["next"] += 1
    z["records"][rid] = {"Name": sub, "Type": p["RecordType"], "Value": p["Value"],
                         "Line": p["RecordLine"], "TTL": p.get("TTL") or 600, "UpdatedOn": stamp(),
                         "at": time.time()}
    return {"RecordId": rid}


@action("dnspod", "ModifyRecord")
def modify_record(fake, p, ctx):
    z = _zone(fake, p["Domain"])
    _check_record(p)
    r = z["records"].get(p["RecordId"])
    if r is None:
        raise TCError("InvalidParameter.RecordIdInvalid", "record not found")
    r.update({"Name": p.get("SubDomain") or "@", "Type": p["RecordType"], "Value": p["Value"],
              "TTL": p.get("TTL") or r["TTL"], "UpdatedOn": stamp()})
    return {"RecordId": p["RecordId"]}


@action("dnspod", "DeleteRecord")
def delete_record(fake, p, ctx):
    z = _zone(fake, p["Domain"])
    if z["records"].pop(p["RecordId"], None) is None:
        raise TCError("InvalidParameter.RecordIdInvalid", "record not found")
    return {}


def resolve(fake, name, rtype):
    """Values for name/rtype in DNSPod zones and in records registered outside them."""
    name = name.rstrip(".").lower()
    out = list(fake.external_dns.get((name, rtype), []))
    for zname, z in zones(fake).items():
        if name != zname and not name.endswith("." + zname):
            continue
        sub = "@" if name == zname else name[:-len(zname) - 1]
        out += [r["Value"].rstrip(".") for r in z["records"].values()
                if r["Name"] == sub and r["Type"] == rtype]
    return out


def dns_server(fake):
    """The UDP responder over resolve() (pebble's -dnsserver); returns its port."""
    def exists(name):
        n = name.rstrip(".").lower()
        return any(k[0] == n for k in fake.external_dns) or \
            any(resolve(fake, n, t) for t in ("A", "CNAME", "TXT"))
    return dnsserver.start(fake, lambda n, t: resolve(fake, n, t), exists)


# ---- Cloud Monitor -------------------------------------------------------------------

@action("monitor", "GetMonitorData")
def get_monitor_data(fake, p, ctx):
    if p["Namespace"] != "QCE/SCF_V2":
        raise TCError("InvalidParameterValue", f"namespace {p['Namespace']} is not served by the fake")
    if p["MetricName"] not in ("Invocation", "Error"):
        raise TCError("InvalidParameterValue", f"metric {p['MetricName']}")
    points = []
    for inst in p["Instances"]:
        dims = {d["Name"]: d["Value"] for d in inst["Dimensions"]}
        if "functionName" not in dims or "namespace" not in dims:
            raise TCError("MissingParameter", "Instances need functionName and namespace dimensions")
        m = fake.st("metrics").get(dims["functionName"], {})
        points.append({"Dimensions": inst["Dimensions"], "Timestamps": [int(time.time())],
                       "Values": [m.get(p["MetricName"], 0)]})
    return {"Period": p.get("Period") or 300, "MetricName": p["MetricName"], "DataPoints": points,
            "StartTime": p.get("StartTime") or "", "EndTime": p.get("EndTime") or "", "Msg": ""}
