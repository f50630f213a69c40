"""hoist certify on AWS with `lets_encrypt_key`: ACME v2 against Debian's
pebble, whose dns-01 validation really resolves the TXT record hoist wrote
through the fake's Route 53 (pebble -dnsserver points at the fake's DNS
responder, svc_route53.dns_server; PEBBLE_VA_ALWAYS_VALID is never set).
Then the ACM import, the API Gateway domain name, base path mapping and
Route 53 alias exist in the fake; a second run renews into the same ARN.

pebble runs as tests/pebble_support.py starts it.
"""
import pytest

from aws_helpers import fake_requests
from fakecloud import svc_route53
from pebble_support import openssl, pebble_over

DOMAIN = "api.example.com"
CHALLENGE = "_acme-challenge." + DOMAIN + "."


@pytest.fixture
def pebble(fake_aws, tmp_path):
    with pebble_over(fake_aws, svc_route53.dns_server, tmp_path) as p:
        yield p


@pytest.fixture
def acme_project(run, aws_env, aws_project, flask_site_packages, boto, pebble, tmp_path):
    """Deployed stage with domain + lets_encrypt_key (a fresh RSA account key)."""
    boto("route53").create_hosted_zone(Name="example.com", CallerReference="ref-1")
    key = tmp_path / "account.key"
    openssl("genrsa", "-out", key, "2048")
    d = aws_project({"site_packages": str(flask_site_packages), "keep_warm": False,
                     "domain": DOMAIN, "lets_encrypt_key": str(key),
                     "acme_directory": pebble.directory})
    r = run(["deploy", "dev"], cwd=d, env=aws_env, timeout=120)
    assert r.returncode == 0, r.stderr
    return d


def acme_env(aws_env, pebble):
    return dict(aws_env, HOIST_AWS_POLL_MS="20", HOIST_CA_BUNDLE=str(pebble.ca))


def zone_records(boto):
    r53 = boto("route53")
    z = r53.list_hosted_zones()["HostedZones"][0]["Id"]
    return {(x["Name"], x["Type"]): x for x in r53.list_resource_record_sets(HostedZoneId=z)["ResourceRecordSets"]}


def verify_chain(tmp_path, pebble, cert, chain):
    """The leaf verifies against pebble's root (chain from ACM) and names DOMAIN."""
    root = tmp_path / "root.pem"
    root.write_text(pebble.mgmt("/roots/0"))
    (tmp_path / "leaf.pem").write_text(cert)
    (tmp_path / "chain.pem").write_text(chain)
    out = openssl("verify", "-CAfile", root, "-untrusted", tmp_path / "chain.pem", tmp_path / "leaf.pem")
    assert out.strip().endswith(": OK")
    # the chain is pebble's intermediate
    assert pebble.mgmt("/intermediates/0").strip() in chain
    text = openssl("x509", "-in", tmp_path / "leaf.pem", "-noout", "-ext", "subjectAltName")
    assert f"DNS:{DOMAIN}" in text and text.count("DNS:") == 1


def installed(boto, arn):
    apigw = boto("apigateway")
    assert [d["domainName"] for d in apigw.get_domain_names()["items"]] == [DOMAIN]
    dom = apigw.get_domain_name(domainName=DOMAIN)
    assert dom["certificateArn"] == arn
    api = [a for a in apigw.get_rest_apis()["items"] if a["name"] == "hoistapp-dev"][0]
    assert apigw.get_base_path_mappings(domainName=DOMAIN)["items"] == \
        [{"basePath": "(none)", "restApiId": api["id"], "stage": "dev"}]
    recs = zone_records(boto)
    assert recs[(DOMAIN + ".", "A")]["AliasTarget"]["DNSName"] == dom["distributionDomainName"]
    assert (CHALLENGE, "TXT") not in recs   # the dns-01 record was removed
    return recs


def test_lets_encrypt_end_to_end_and_renewal(run, aws_env, acme_project, pebble, boto, fake_aws,
                                             tmp_path):
    env = acme_env(aws_env, pebble)
    r = run(["certify", "dev"], cwd=acme_project, env=env, timeout=120)
    assert r.returncode == 0, r.stderr + pebble.log.read_text()
    assert r.stdout.strip() == f"https://{DOMAIN}"
    assert "Certificate installed" in r.stderr
    # the TXT record went through Route 53 (quoted), was waited for, then deleted
    changes = fake_requests(fake_aws, "route53", "ChangeResourceRecordSets")
    txt = [c["params"]["ChangeBatch"]["Changes"][0] for c in changes
           if c["params"]["ChangeBatch"]["Changes"][0]["ResourceRecordSet"]["Type"] == "TXT"]
    assert [c["Action"] for c in txt] == ["UPSERT", "DELETE"]
    assert txt[0]["ResourceRecordSet"]["Name"].rstrip(".") == CHALLENGE.rstrip(".")
    assert fake_requests(fake_aws, "route53", "GetChange")
    acm = boto("acm", "us-east-1")
    [c] = acm.list_certificates()["CertificateSummaryList"]
    arn = c["CertificateArn"]
    got = acm.get_certificate(CertificateArn=arn)
    verify_chain(tmp_path, pebble, got["Certificate"], got["CertificateChain"])
    installed(boto, arn)
    assert (CHALLENGE.rstrip(".").lower(), "TXT") in fake_aws.dns_queries
    first = got["Certificate"]

    # renewal: a new certificate, re-imported into the same ARN; converges
    r = run(["certify", "dev"], cwd=acme_project, env=env, timeout=120)
    assert r.returncode == 0, r.stderr + pebble.log.read_text()
    imports = fake_requests(fake_aws, "acm", "ImportCertificate")
    assert len(imports) == 2 and imports[1]["params"]["CertificateArn"] == arn
    assert [x["CertificateArn"] for x in acm.list_certificates()["CertificateSummaryList"]] == [arn]
    got = acm.get_certificate(CertificateArn=arn)
    assert got["Certificate"] != first
    verify_chain(tmp_path, pebble, got["Certificate"], got["CertificateChain"])
    recs = installed(boto, arn)
    assert [k for k in recs if k[1] == "A"] == [(DOMAIN + ".", "A")]
    assert len(fake_requests(fake_aws, "apigateway", "CreateDomainName")) == 1
    assert len(fake_requests(fake_aws, "apigateway", "CreateBasePathMapping")) == 1
    # the private key never reaches the output
    assert "PRIVATE KEY" not in r.stderr + r.stdout


def test_failed_validation_changes_nothing(run, aws_env, acme_project, pebble, boto, fake_aws):
    """pebble cannot see the TXT record (the DNS answers NXDOMAIN): exit 1 with
    the CA's problem, the TXT record is removed, nothing is installed."""
    fake_aws.dns_blackout = True
    r = run(["certify", "dev"], cwd=acme_project, env=acme_env(aws_env, pebble), timeout=120)
    assert r.returncode == 1, r.stderr
    assert "ACME" in r.stderr and DOMAIN in r.stderr
    assert "urn:ietf:params:acme:error" in r.stderr
    assert r.stderr.count("Requesting a certificate") == 1
    assert (CHALLENGE.rstrip(".").lower(), "TXT") in fake_aws.dns_queries
    assert r.stdout == ""
    assert boto("acm", "us-east-1").list_certificates()["CertificateSummaryList"] == []
    assert boto("apigateway").get_domain_names()["items"] == []
    recs = zone_records(boto)
    assert (CHALLENGE, "TXT") not in recs and (DOMAIN + ".", "A") not in recs


def test_manual_writes_files_and_installs_nothing(run, aws_env, acme_project, pebble, boto,
                                                  fake_aws, tmp_path):
    env = dict(acme_env(aws_env, pebble), XDG_STATE_HOME=str(tmp_path / "state"))
    r = run(["certify", "dev", "--manual"], cwd=acme_project, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Certificate installed" not in r.stderr + r.stdout
    lines = dict(line.split(": ", 1) for line in r.stdout.splitlines())
    assert sorted(lines) == ["certificate", "chain", "key"]
    certs = tmp_path / "state" / "hoist" / "certs" / DOMAIN
    assert lines == {"certificate": str(certs / "cert.pem"), "key": str(certs / "key.pem"),
                     "chain": str(certs / "chain.pem")}
    assert (certs / "key.pem").stat().st_mode & 0o777 == 0o600
    assert "PRIVATE KEY" in (certs / "key.pem").read_text()
    verify_chain(tmp_path, pebble, (certs / "cert.pem").read_text(), (certs / "chain.pem").read_text())
    # nothing installed; the TXT record is gone again
    assert fake_requests(fake_aws, "acm", "ImportCertificate") == []
    assert boto("apigateway").get_domain_names()["items"] == []
    recs = zone_records(boto)
    assert (CHALLENGE, "TXT") not in recs and (DOMAIN + ".", "A") not in recs
