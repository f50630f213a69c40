"""The fake AWS's Route 53 (issue 6): hosted zones, record sets changed in
atomic batches, changes PENDING until SETTLE_SECONDS have passed (GetChange
then says INSYNC), and a small DNS server answering from the record sets.

Real-API behaviour kept where hoist could notice:
- a batch is checked as a whole before anything changes: CREATE of an
  existing set, DELETE of a set that differs or is absent, a name outside
  the zone, a TXT value without its double quotes → InvalidChangeBatch;
- UPSERT replaces; record names are stored with a trailing dot, lower case;
- ListHostedZonesByName orders by reversed labels like Route 53.

DNS: dns_server(fake) starts (once per fake) dnsserver.py's UDP responder on
127.0.0.1 and returns its port.  It answers TXT, A, CNAME (and CNAME for an A query) from
the INSYNC record sets of every zone, NXDOMAIN for unknown names; alias
records answer 127.0.0.1.  pebble's -dnsserver can point at it, so pebble
validates the dns-01 TXT records hoist wrote through ChangeResourceRecordSets.
"""
import random
import string
import time

from . import dnsserver
from .fakeaws import AWSError
from .services import SETTLE_SECONDS, now, op, st


def _r53(fake):
    s = st(fake, "route53")
    s.setdefault("zones", {})
    s.setdefault("changes", {})
    return s


def _id(prefix, n=13):
    return prefix + "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(n))


def _norm(name):
    name = name.lower()
    return name if name.endswith(".") else name + "."


def _zone(fake, zid):
    zid = zid.split("/")[-1]
    z = _r53(fake)["zones"].get(zid)
    if z is None:
        raise AWSError(404, "NoSuchHostedZone", f"No hosted zone found with ID: {zid}")
    return z


def _zone_out(z):
    return {"Id": "/hostedzone/" + z["id"], "Name": z["name"], "CallerReference": z["ref"],
            "Config": {"PrivateZone": False}, "ResourceRecordSetCount": len(z["records"])}


@op("route53", "CreateHostedZone")
def create_hosted_zone(fake, p, ctx):
    r = _r53(fake)
    for z in r["zones"].values():
        if z["ref"] == p["CallerReference"]:
            raise AWSError(400, "HostedZoneAlreadyExists", "A hosted zone has already been created with the specified caller reference.")
    zid = _id("Z")
    name = _norm(p["Name"])
    z = {"id": zid, "name": name, "ref": p["CallerReference"], "records": {}}
    ns = [f"ns-{i}.awsdns-{i:02d}.org." for i in (1, 2)]
    z["records"][(name, "NS", None)] = {"Name": name, "Type": "NS", "TTL": 172800,
                                        "ResourceRecords": [{"Value": n} for n in ns], "_at": 0}
    z["records"][(name, "SOA", None)] = {"Name": name, "Type": "SOA", "TTL": 900, "_at": 0,
                                         "ResourceRecords": [{"Value": f"{ns[0]} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"}]}
    r["zones"][zid] = z
    cid = _change(fake)
    return {"HostedZone": _zone_out(z), "ChangeInfo": _change_out(fake, cid),
            "DelegationSet": {"NameServers": [n.rstrip(".") for n in ns]},
            "Location": f"https://route53.amazonaws.com/2013-04-01/hostedzone/{zid}"}


def _rev(name):
    return list(reversed(name.rstrip(".").split(".")))


@op("route53", "ListHostedZones")
def list_hosted_zones(fake, p, ctx):
    zs = sorted(_r53(fake)["zones"].values(), key=lambda z: z["id"])
    return {"HostedZones": [_zone_out(z) for z in zs], "IsTruncated": False, "Marker": p.get("Marker", ""),
            "MaxItems": str(p.get("MaxItems", 100))}


@op("route53", "ListHostedZonesByName")
def list_hosted_zones_by_name(fake, p, ctx):
    zs = sorted(_r53(fake)["zones"].values(), key=lambda z: (_rev(z["name"]), z["id"]))
    if p.get("DNSName"):
        start = _rev(_norm(p["DNSName"]))
        zs = [z for z in zs if _rev(z["name"]) >= start]
    return {"HostedZones": [_zone_out(z) for z in zs], "IsTruncated": False,
            "MaxItems": str(p.get("MaxItems", 100))}


@op("route53", "GetHostedZone")
def get_hosted_zone(fake, p, ctx):
    return {"HostedZone": _zone_out(_zone(fake, p["Id"]))}


def _change(fake):
    cid = _id("C")
    _r53(fake)["changes"][cid] = {"at": time.time(), "submitted": now()}
    return cid


def _change_out(fake, cid):
    c = _r53(fake)["changes"][cid]
    status = "INSYNC" if time.time() >= c["at"] + SETTLE_SECONDS else "PENDING"
    return {"Id": "/change/" + cid, "Status": status, "SubmittedAt": c["submitted"]}


@op("route53", "GetChange")
def get_change(fake, p, ctx):
    cid = p["Id"].split("/")[-1]
    if cid not in _r53(fake)["changes"]:
        raise AWSError(404, "NoSuchChange", f"A change with the specified change ID does not exist: {cid}")
    return {"ChangeInfo": _change_out(fake, cid)}


def _bad(msg):
    return AWSError(400, "InvalidChangeBatch", msg)


def _key(rr):
    return (_norm(rr["Name"]), rr["Type"], rr.get("SetIdentifier"))


def _same(a, b):
    strip = lambda r: {k: v for k, v in r.items() if not k.startswith("_")}  # noqa: E731
    a, b = strip(a), strip(b)
    a["Name"], b["Name"] = _norm(a["Name"]), _norm(b["Name"])
    return a == b


@op("route53", "ChangeResourceRecordSets")
def change_resource_record_sets(fake, p, ctx):
    z = _zone(fake, p["HostedZoneId"])
    recs = dict(z["records"])
    for ch in p["ChangeBatch"]["Changes"]:
        rr = dict(ch["ResourceRecordSet"])
        name = _norm(rr["Name"])
        if name != z["name"] and not name.endswith("." + z["name"]):
            raise _bad(f"RRSet with DNS name {name} is not permitted in zone {z['name']}")
        if rr["Type"] == "TXT":
            for v in rr.get("ResourceRecords", []):
                if not (v["Value"].startswith('"') and v["Value"].endswith('"')):
                    raise _bad("Invalid Resource Record: FATAL problem: InvalidCharacterString "
                               "(Value should be enclosed in quotation marks)")
        if "AliasTarget" not in rr and "TTL" not in rr:
            raise _bad("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords]]")
        k = _key(rr)
        act = ch["Action"]
        if act == "CREATE":
            if k in recs:
                raise _bad(f"Tried to create resource record set [name='{name}', type='{rr['Type']}'] but it already exists")
        elif act == "DELETE":
            if k not in recs or not _same(recs[k], rr):
                raise _bad(f"Tried to delete resource record set [name='{name}', type='{rr['Type']}'] but it was not found")
            del recs[k]
            continue
        rr["Name"] = name
        rr["_at"] = time.time()
        recs[k] = rr
    z["records"] = recs
    cid = _change(fake)
    return {"ChangeInfo": _change_out(fake, cid)}


@op("route53", "ListResourceRecordSets")
def list_resource_record_sets(fake, p, ctx):
    z = _zone(fake, p["HostedZoneId"])
    rrs = sorted(z["records"].values(), key=lambda r: (_rev(r["Name"]), r["Type"]))
    if p.get("StartRecordName"):
        start = _rev(_norm(p["StartRecordName"]))
        rrs = [r for r in rrs if _rev(r["Name"]) >= start]
    return {"ResourceRecordSets": [{k: v for k, v in r.items() if not k.startswith("_")} for r in rrs],
            "IsTruncated": False, "MaxItems": str(p.get("MaxItems", 300))}


def lookup(fake, name, rtype, insync_only=False):
    """Values of `name`/`rtype` in any zone (TXT values unquoted)."""
    name = _norm(name)
    out = []
    with fake.lock:
        for z in _r53(fake).get("zones", {}).values():
            for (n, t, _), rr in z["records"].items():
                if n != name or t != rtype:
                    continue
                if insync_only and time.time() < rr.get("_at", 0) + SETTLE_SECONDS:
                    continue
                if "AliasTarget" in rr:
                    out.append("127.0.0.1")
                for v in rr.get("ResourceRecords", []):
                    out.append(v["Value"][1:-1] if t == "TXT" else v["Value"])
    return out


def _exists(fake, name):
    name = _norm(name)
    with fake.lock:
        return any(n == name for z in _r53(fake).get("zones", {}).values() for (n, _, _) in z["records"])


# ---- DNS responder -------------------------------------------------------------

def dns_server(fake):
    """Start (once) the UDP DNS responder for this fake; returns its port."""
    return dnsserver.start(fake, lambda name, t: lookup(fake, name, t, insync_only=True),
                           lambda name: _exists(fake, name))
