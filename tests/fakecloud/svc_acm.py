"""The fake AWS's Certificate Manager (issue 6): requested certificates with
DNS validation, imported certificates, per-region like the real ACM.

- RequestCertificate answers PENDING_VALIDATION; the validation CNAME
  (DomainValidationOptions[].ResourceRecord) is only filled from the second
  DescribeCertificate on, as ACM takes a moment to produce it; the
  certificate turns ISSUED once that CNAME exists (INSYNC) in one of the
  fake's Route 53 zones.
- ImportCertificate parses the PEMs (cryptography): the key must match the
  certificate, the chain must parse; a re-import into CertificateArn keeps
  the ARN.
- DeleteCertificate refuses a certificate an API Gateway domain uses.
"""
import datetime
import hashlib
import uuid

from .fakeaws import ACCOUNT, AWSError
from .services import now, op, st


def _certs(fake):
    return st(fake, "acm")


def _cert(fake, arn):
    c = _certs(fake).get(arn)
    if c is None:
        raise AWSError(400, "ResourceNotFoundException", f"Certificate {arn} not found")
    return c


def _validation_name(domain):
    return f"_{hashlib.md5(domain.encode()).hexdigest()}.{domain}."


def _refresh(fake, c):
    """PENDING_VALIDATION -> ISSUED when every validation CNAME is in Route 53."""
    if c["Status"] != "PENDING_VALIDATION":
        return
    c["describes"] = c.get("describes", 0) + 1
    from .svc_route53 import lookup
    for o in c["DomainValidationOptions"]:
        rr = o["_record"]
        got = lookup(fake, rr["Name"], "CNAME", insync_only=True)
        if rr["Value"].rstrip(".") not in [v.rstrip(".") for v in got]:
            return
    c["Status"] = "ISSUED"
    c["IssuedAt"] = now()
    c["NotBefore"] = now()
    c["NotAfter"] = now() + datetime.timedelta(days=395)
    for o in c["DomainValidationOptions"]:
        o["ValidationStatus"] = "SUCCESS"


def _out(c):
    o = {k: v for k, v in c.items() if not k.startswith("_") and k not in ("key", "describes",
                                                                            "tags", "pem", "chain")}
    dvo = []
    for d in c.get("DomainValidationOptions", []):
        x = {k: v for k, v in d.items() if not k.startswith("_")}
        if c.get("describes", 0) >= 2 or c["Status"] != "PENDING_VALIDATION":
            x["ResourceRecord"] = d["_record"]
        dvo.append(x)
    if "DomainValidationOptions" in c:
        o["DomainValidationOptions"] = dvo
    return o


@op("acm", "RequestCertificate")
def request_certificate(fake, p, ctx):
    tok = p.get("IdempotencyToken")
    for arn, c in _certs(fake).items():
        if tok and c.get("_token") == (tok, p["DomainName"], ctx["region"]):
            return {"CertificateArn": arn}
    if p.get("ValidationMethod", "EMAIL") != "DNS":
        raise AWSError(400, "ValidationException", "the fake supports DNS validation only")
    arn = f"arn:aws:acm:{ctx['region']}:{ACCOUNT}:certificate/{uuid.uuid4()}"
    names = [p["DomainName"]] + [n for n in p.get("SubjectAlternativeNames", []) if n != p["DomainName"]]
    dvo = [{"DomainName": n, "ValidationDomain": n, "ValidationStatus": "PENDING_VALIDATION",
            "ValidationMethod": "DNS",
            "_record": {"Name": _validation_name(n.lstrip("*.")), "Type": "CNAME",
                        "Value": f"_{hashlib.md5((arn + n).encode()).hexdigest()}.abcdefgh.acm-validations.aws."}}
           for n in names]
    _certs(fake)[arn] = {"CertificateArn": arn, "DomainName": p["DomainName"],
                         "SubjectAlternativeNames": names, "Status": "PENDING_VALIDATION",
                         "Type": "AMAZON_ISSUED", "CreatedAt": now(), "DomainValidationOptions": dvo,
                         "InUseBy": [], "_token": (tok, p["DomainName"], ctx["region"]),
                         "_region": ctx["region"], "tags": list(p.get("Tags", []))}
    return {"CertificateArn": arn}


def _load_pem(p):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    try:
        cert = x509.load_pem_x509_certificate(p["Certificate"])
    except ValueError:
        raise AWSError(400, "ValidationException", "Could not parse the certificate.")
    try:
        key = serialization.load_pem_private_key(p["PrivateKey"], None)
    except (ValueError, TypeError):
        raise AWSError(400, "ValidationException", "Could not parse the private key.")
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    if key.public_key().public_bytes(enc, pub) != cert.public_key().public_bytes(enc, pub):
        raise AWSError(400, "ValidationException", "The private key does not match the certificate.")
    if p.get("CertificateChain"):
        try:
            blocks = p["CertificateChain"].split(b"-----END CERTIFICATE-----")
            certs = [b + b"-----END CERTIFICATE-----" for b in blocks if b"-----BEGIN" in b]
            if not certs:
                raise ValueError("no certificate")
            for c in certs:
                x509.load_pem_x509_certificate(c.strip())
        except ValueError:
            raise AWSError(400, "ValidationException", "Could not parse the certificate chain.")
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value \
            .get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        sans = []
    cn = [a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
    return cert, (cn[0] if cn else (sans[0] if sans else "")), sans


@op("acm", "ImportCertificate")
def import_certificate(fake, p, ctx):
    cert, domain, sans = _load_pem(p)
    arn = p.get("CertificateArn")
    if arn:
        old = _cert(fake, arn)
        if old["Type"] != "IMPORTED":
            raise AWSError(400, "ValidationException", "Only imported certificates can be re-imported.")
    else:
        arn = f"arn:aws:acm:{ctx['region']}:{ACCOUNT}:certificate/{uuid.uuid4()}"
    prev = _certs(fake).get(arn, {})
    _certs(fake)[arn] = {"CertificateArn": arn, "DomainName": domain, "SubjectAlternativeNames": sans or [domain],
                         "Status": "ISSUED", "Type": "IMPORTED", "ImportedAt": now(),
                         "CreatedAt": prev.get("CreatedAt", now()),
                         "NotBefore": cert.not_valid_before.replace(tzinfo=datetime.timezone.utc),
                         "NotAfter": cert.not_valid_after.replace(tzinfo=datetime.timezone.utc),
                         "Serial": format(cert.serial_number, "x"), "InUseBy": prev.get("InUseBy", []),
                         "_region": ctx["region"], "tags": prev.get("tags", []) + list(p.get("Tags", [])),
                         "pem": p["Certificate"].decode(),
                         "chain": p.get("CertificateChain", b"").decode()}
    return {"CertificateArn": arn}


@op("acm", "GetCertificate")
def get_certificate(fake, p, ctx):
    c = _cert(fake, p["CertificateArn"])
    _refresh(fake, c)
    if c["Status"] != "ISSUED":
        raise AWSError(400, "RequestInProgressException",
                       f"Certificate {c['CertificateArn']} is in a {c['Status']} state.")
    if "pem" not in c:
        raise AWSError(400, "ValidationException", "the fake keeps no PEM of Amazon-issued certificates")
    out = {"Certificate": c["pem"]}
    if c.get("chain"):
        out["CertificateChain"] = c["chain"]
    return out


@op("acm", "DescribeCertificate")
def describe_certificate(fake, p, ctx):
    c = _cert(fake, p["CertificateArn"])
    _refresh(fake, c)
    return {"Certificate": _out(c)}


@op("acm", "ListCertificates")
def list_certificates(fake, p, ctx):
    want = p.get("CertificateStatuses")
    out = []
    for arn, c in sorted(_certs(fake).items()):
        if c["_region"] != ctx["region"]:
            continue
        _refresh(fake, c)
        if want and c["Status"] not in want:
            continue
        out.append({"CertificateArn": arn, "DomainName": c["DomainName"], "Status": c["Status"],
                    "Type": c["Type"], "SubjectAlternativeNameSummaries": c["SubjectAlternativeNames"]})
    return {"CertificateSummaryList": out}


@op("acm", "DeleteCertificate")
def delete_certificate(fake, p, ctx):
    c = _cert(fake, p["CertificateArn"])
    doms = st(fake, "apigw_domains")
    if any(p["CertificateArn"] in (d.get("certificateArn"), d.get("regionalCertificateArn"))
           for d in doms.values()):
        raise AWSError(400, "ResourceInUseException", f"Certificate {c['CertificateArn']} in use.")
    del _certs(fake)[p["CertificateArn"]]
    return {}


@op("acm", "AddTagsToCertificate")
def add_tags_to_certificate(fake, p, ctx):
    c = _cert(fake, p["CertificateArn"])
    keys = {t["Key"] for t in p["Tags"]}
    c["tags"] = [t for t in c["tags"] if t["Key"] not in keys] + list(p["Tags"])
    return {}


@op("acm", "ListTagsForCertificate")
def list_tags_for_certificate(fake, p, ctx):
    return {"Tags": list(_cert(fake, p["CertificateArn"])["tags"])}


def covers(cert, domain):
    for n in cert["SubjectAlternativeNames"] + [cert["DomainName"]]:
        if n == domain or (n.startswith("*.") and domain.split(".", 1)[-1] == n[2:]):
            return True
    return False
