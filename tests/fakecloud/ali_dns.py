"""The fake Alibaba Cloud DNS (alidns 2015-01-09, RPC): zones ("domains") and
their records in fake.state["dns"], plus STS GetCallerIdentity.

Zones exist only when a test adds them (POST /__fake/dns-zones {"zones": [...]})
— a domain whose zone is not here is "not in Alibaba Cloud DNS".  Records:
AddDomainRecord, DescribeDomainRecords (RRKeyWord / TypeKeyWord / ValueKeyWord
filters, pages of PageSize ≤ 500), DescribeSubDomainRecords, UpdateDomainRecord,
DeleteDomainRecord, DescribeDomains.  DomainRecordDuplicate for an identical
record, as the real service answers.  resolves_to() is what FC's custom-domain
check and the DNS responder below (dns_server: what pebble asks) read.
"""
import itertools
import time

from .fakealiyun import ACCOUNT, AliError, op

_ids = itertools.count(int(time.time()) * 1000)


def _dns(fake):
    return fake.st("dns")


def zones(fake):
    return _dns(fake).setdefault("zones", {})


def add_zones(fake, names):
    with fake.lock:
        for n in names:
            zones(fake).setdefault(n.lower().rstrip("."), {"records": {}, "id": str(next(_ids))})


def zone_of(fake, fqdn):
    """(zone name, RR) for a name under a known zone, longest match; else (None, None)."""
    fqdn = fqdn.lower().rstrip(".")
    best = None
    for z in zones(fake):
        if fqdn == z or fqdn.endswith("." + z):
            if best is None or len(z) > len(best):
                best = z
    if best is None:
        return None, None
    rr = "@" if fqdn == best else fqdn[:-len(best) - 1]
    return best, rr


def records_for(fake, fqdn, rtype):
    with fake.lock:
        z, rr = zone_of(fake, fqdn)
        if z is None:
            return []
        return [r["Value"] for r in zones(fake)[z]["records"].values()
                if r["RR"] == rr and r["Type"] == rtype and r["Status"] == "ENABLE"]


def resolves_to(fake, name, target):
    t = target.lower().rstrip(".")
    return any(v.lower().rstrip(".") == t for v in records_for(fake, name, "CNAME"))


def _zone(fake, name):
    z = zones(fake).get((name or "").lower())
    if z is None:
        raise AliError(400, "InvalidDomainName.NoExist", f"The specified domain name {name} "
                       "does not exist. Refresh the page and try again.")
    return z


TYPES = ("A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "CAA")


def _view(zone, r):
    return {"DomainName": zone, "RecordId": r["RecordId"], "RR": r["RR"], "Type": r["Type"],
            "Value": r["Value"], "TTL": r["TTL"], "Line": "default", "Status": r["Status"],
            "Locked": False, "Weight": 1}


@op("alidns", "AddDomainRecord")
def add_record(fake, p, ctx):
    q = p["query"]
    if q["Type"] not in TYPES:
        raise AliError(400, "InvalidRecordType", f"record type {q['Type']} is not valid")
    with fake.lock:
        z = _zone(fake, q["DomainName"])
        for r in z["records"].values():
            if (r["RR"], r["Type"], r["Value"]) == (q["RR"], q["Type"], q["Value"]):
                raise AliError(400, "DomainRecordDuplicate", "The DNS record already exists.")
        if q["Type"] == "CNAME" and any(r["RR"] == q["RR"] for r in z["records"].values()):
            raise AliError(400, "DomainRecordConflict", "The DNS record conflicts with other records.")
        rid = str(next(_ids))
        z["records"][rid] = {"RecordId": rid, "RR": q["RR"], "Type": q["Type"], "Value": q["Value"],
                             "TTL": int(q.get("TTL") or 600), "Status": "ENABLE"}
        return {"RecordId": rid}


def _page(fake, zone, records, q):
    size, number = int(q.get("PageSize") or 20), int(q.get("PageNumber") or 1)
    if not 1 <= size <= 500:
        raise AliError(400, "InvalidPageSize", "PageSize must be 1-500")
    page = records[(number - 1) * size:number * size]
    return {"TotalCount": len(records), "PageNumber": number, "PageSize": size,
            "DomainRecords": {"Record": [_view(zone, r) for r in page]}}


@op("alidns", "DescribeDomainRecords")
def describe_records(fake, p, ctx):
    q = p["query"]
    with fake.lock:
        zone = q["DomainName"].lower()
        z = _zone(fake, zone)
        recs = sorted(z["records"].values(), key=lambda r: r["RecordId"])
        if q.get("RRKeyWord"):
            recs = [r for r in recs if q["RRKeyWord"].lower() in r["RR"].lower()]
        if q.get("TypeKeyWord"):
            recs = [r for r in recs if r["Type"] == q["TypeKeyWord"].upper()]
        if q.get("ValueKeyWord"):
            recs = [r for r in recs if q["ValueKeyWord"] in r["Value"]]
        return _page(fake, zone, recs, q)


@op("alidns", "DescribeSubDomainRecords")
def describe_sub(fake, p, ctx):
    q = p["query"]
    with fake.lock:
        zone, rr = zone_of(fake, q["SubDomain"])
        if zone is None:
            raise AliError(400, "InvalidDomainName.NoExist", f"no zone for {q['SubDomain']}")
        recs = [r for r in sorted(zones(fake)[zone]["records"].values(), key=lambda r: r["RecordId"])
                if r["RR"] == rr and (not q.get("Type") or r["Type"] == q["Type"])]
        return _page(fake, zone, recs, q)


def _record(fake, rid):
    for name, z in zones(fake).items():
        if rid in z["records"]:
            return name, z
    raise AliError(400, "DomainRecordNotBelongToUser", "The DNS record does not exist or "
                   "does not belong to you.")


@op("alidns", "UpdateDomainRecord")
def update_record(fake, p, ctx):
    q = p["query"]
    with fake.lock:
        _, z = _record(fake, q["RecordId"])
        r = z["records"][q["RecordId"]]
        if (r["RR"], r["Type"], r["Value"]) == (q["RR"], q["Type"], q["Value"]):
            raise AliError(400, "DomainRecordDuplicate", "The DNS record already exists.")
        r.update(RR=q["RR"], Type=q["Type"], Value=q["Value"], TTL=int(q.get("TTL") or r["TTL"]))
        return {"RecordId": q["RecordId"]}


@op("alidns", "DeleteDomainRecord")
def delete_record(fake, p, ctx):
    q = p["query"]
    with fake.lock:
        _, z = _record(fake, q["RecordId"])
        del z["records"][q["RecordId"]]
        return {"RecordId": q["RecordId"]}


@op("alidns", "DescribeDomains")
def describe_domains(fake, p, ctx):
    q = p["query"]
    with fake.lock:
        names = sorted(n for n in zones(fake) if not q.get("KeyWord") or q["KeyWord"] in n)
        size, number = int(q.get("PageSize") or 20), int(q.get("PageNumber") or 1)
        page = names[(number - 1) * size:number * size]
        return {"TotalCount": len(names), "PageNumber": number, "PageSize": size,
                "Domains": {"Domain": [{"DomainName": n, "DomainId": zones(fake)[n]["id"],
                                        "RecordCount": len(zones(fake)[n]["records"])} for n in page]}}


@op("sts", "GetCallerIdentity")
def get_caller_identity(fake, p, ctx):
    akid = ctx["access_key"]
    sts = akid.startswith("STS.")
    return {"AccountId": ACCOUNT, "UserId": "2" + ACCOUNT[1:] if not sts else "30000" + ACCOUNT[5:],
            "Arn": f"acs:ram::{ACCOUNT}:user/hoist-test" if not sts
            else f"acs:ram::{ACCOUNT}:assumed-role/hoist-ci/session",
            "IdentityType": "RAMUser" if not sts else "AssumedRoleUser",
            "PrincipalId": "2" + ACCOUNT[1:]}


# ---- DNS responder (what pebble asks for dns-01) ----------------------------------------

def dns_server(fake):
    """Start (once) dnsserver.py's UDP responder over the fake's zones; returns its port."""
    from . import dnsserver

    def exists(name):
        with fake.lock:
            return zone_of(fake, name)[0] is not None
    return dnsserver.start(fake, lambda name, t: records_for(fake, name, t), exists)
