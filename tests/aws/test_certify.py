"""hoist certify on AWS against the fake: certificate_arn, imported PEM files,
ACM DNS validation through Route 53; API Gateway domain name, base path
mapping and the Route 53 alias; convergence on re-run; clear errors that
change nothing."""
import json
import subprocess

import pytest

from aws_helpers import fake_requests

DOMAIN = "api.example.com"
WRITES = ("ImportCertificate", "RequestCertificate", "CreateDomainName", "UpdateDomainName",
          "CreateBasePathMapping", "DeleteBasePathMapping", "ChangeResourceRecordSets")


def openssl(*args):
    r = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr


def make_cert(d, name=DOMAIN, tag="a"):
    """A CA and a leaf for `name`: returns (cert, key, chain) paths."""
    d.mkdir(exist_ok=True)
    ca, cak = d / f"ca-{tag}.pem", d / f"ca-{tag}.key"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", cak, "-out", ca, "-days", "2",
            "-subj", f"/CN=test CA {tag}", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign")
    key, csr, crt = d / f"leaf-{tag}.key", d / f"leaf-{tag}.csr", d / f"leaf-{tag}.pem"
    ext = d / f"ext-{tag}.cnf"
    ext.write_text(f"subjectAltName=DNS:{name}\n")
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", f"/CN={name}")
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", cak, "-CAcreateserial", "-out", crt,
            "-days", "2", "-extfile", ext)
    return crt, key, ca


@pytest.fixture
def deployed(run, aws_env, aws_project, flask_site_packages, boto):
    """deploy(settings) -> project dir with the stage deployed through hoist."""
    def deploy(settings=None, zone=True):
        if zone:
            boto("route53").create_hosted_zone(Name="example.com", CallerReference="ref-1")
        s = {"site_packages": str(flask_site_packages), "keep_warm": False}
        s.update(settings or {})
        d = aws_project(s)
        r = run(["deploy", "dev"], cwd=d, env=aws_env, timeout=120)
        assert r.returncode == 0, r.stderr
        return d
    return deploy


def env_fast(aws_env):
    return dict(aws_env, HOIST_AWS_POLL_MS="20")


def zone_records(boto):
    r53 = boto("route53")
    z = r53.list_hosted_zones()["HostedZones"][0]["Id"]
    return {(x["Name"], x["Type"]): x for x in r53.list_resource_record_sets(HostedZoneId=z)["ResourceRecordSets"]}


def check_installed(boto, cert_arn, base="(none)"):
    apigw = boto("apigateway")
    dom = apigw.get_domain_name(domainName=DOMAIN)
    assert dom["certificateArn"] == cert_arn
    api = [a for a in apigw.get_rest_apis()["items"] if a["name"] == "hoistapp-dev"][0]
    maps = apigw.get_base_path_mappings(domainName=DOMAIN)["items"]
    assert maps == [{"basePath": base, "restApiId": api["id"], "stage": "dev"}]
    rec = zone_records(boto)[(DOMAIN + ".", "A")]
    assert rec["AliasTarget"]["DNSName"] == dom["distributionDomainName"]
    assert rec["AliasTarget"]["HostedZoneId"] == "Z2FDTNDATAQYW2"


def test_certificate_arn(run, aws_env, deployed, boto, fake_aws, tmp_path):
    crt, key, ca = make_cert(tmp_path / "pki")
    arn = boto("acm", "us-east-1").import_certificate(
        Certificate=crt.read_bytes(), PrivateKey=key.read_bytes(), CertificateChain=ca.read_bytes())["CertificateArn"]
    d = deployed({"domain": DOMAIN, "base_path": "v1", "certificate_arn": arn})
    r = run(["certify", "dev"], cwd=d, env=env_fast(aws_env))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"https://{DOMAIN}/v1"
    assert "40 minutes" in r.stderr
    check_installed(boto, arn, base="v1")
    # re-run: nothing to change
    with fake_aws.lock:
        fake_aws.requests.clear()
    r = run(["certify", "dev"], cwd=d, env=env_fast(aws_env))
    assert r.returncode == 0, r.stderr
    assert [q["operation"] for q in fake_requests(fake_aws) if q["operation"] in WRITES] == \
        ["ChangeResourceRecordSets"]   # the alias UPSERT is idempotent
    # status / update show the domain
    r = run(["undeploy", "dev", "--yes"], cwd=d, env=env_fast(aws_env), timeout=120)
    assert r.returncode == 0, r.stderr
    assert boto("apigateway").get_domain_names()["items"] == []
    assert (DOMAIN + ".", "A") not in zone_records(boto)


def test_imported_files_and_renewal(run, aws_env, deployed, boto, fake_aws, tmp_path):
    crt, key, ca = make_cert(tmp_path / "pki", tag="a")
    d = deployed({"domain": DOMAIN, "certificate": str(crt), "certificate_key": str(key),
                  "certificate_chain": str(ca)})
    r = run(["certify", "dev"], cwd=d, env=env_fast(aws_env))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"https://{DOMAIN}"
    [imp] = fake_requests(fake_aws, "acm", "ImportCertificate")
    certs = boto("acm", "us-east-1").list_certificates()["CertificateSummaryList"]
    assert len(certs) == 1 and certs[0]["DomainName"] == DOMAIN
    arn = certs[0]["CertificateArn"]
    check_installed(boto, arn)
    # renewal: new files are re-imported into the same ARN; the domain keeps it
    crt2, key2, ca2 = make_cert(tmp_path / "pki", tag="b")
    proj = tmp_path / "proj"
    s = json.loads((proj / "hoist.json").read_text())
    s["dev"].update(certificate=str(crt2), certificate_key=str(key2), certificate_chain=str(ca2))
    (proj / "hoist.json").write_text(json.dumps(s))
    r = run(["certify", "dev"], cwd=proj, env=env_fast(aws_env))
    assert r.returncode == 0, r.stderr
    imports = fake_requests(fake_aws, "acm", "ImportCertificate")
    assert len(imports) == 2 and imports[1]["params"]["CertificateArn"] == arn
    assert len(boto("acm", "us-east-1").list_certificates()["CertificateSummaryList"]) == 1
    assert fake_requests(fake_aws, "apigateway", "CreateDomainName").__len__() == 1
    check_installed(boto, arn)


def test_acm_dns_validation(run, aws_env, deployed, boto, fake_aws):
    d = deployed({"domain": DOMAIN})
    r = run(["certify", "dev"], cwd=d, env=env_fast(aws_env))
    assert r.returncode == 0, r.stderr
    [req] = fake_requests(fake_aws, "acm", "RequestCertificate")
    assert req["params"]["DomainName"] == DOMAIN and req["params"]["ValidationMethod"] == "DNS"
    acm = boto("acm", "us-east-1")
    [c] = acm.list_certificates()["CertificateSummaryList"]
    desc = acm.describe_certificate(CertificateArn=c["CertificateArn"])["Certificate"]
    assert desc["Status"] == "ISSUED"
    rr = desc["DomainValidationOptions"][0]["ResourceRecord"]
    recs = zone_records(boto)
    assert recs[(rr["Name"], "CNAME")]["ResourceRecords"] == [{"Value": rr["Value"]}]
    check_installed(boto, c["CertificateArn"])
    # re-run reuses the issued certificate
    r = run(["certify", "dev"], cwd=d, env=env_fast(aws_env))
    assert r.returncode == 0, r.stderr
    assert len(fake_requests(fake_aws, "acm", "RequestCertificate")) == 1


def no_writes(fake_aws):
    return [q["operation"] for q in fake_requests(fake_aws) if q["operation"] in WRITES] == []


def test_without_domain_is_a_usage_error(run, aws_env, deployed, fake_aws):
    d = deployed()
    r = run(["certify", "dev"], cwd=d, env=env_fast(aws_env))
    assert r.returncode == 2
    assert "no `domain` setting" in r.stderr
    assert no_writes(fake_aws)


def test_domain_without_hosted_zone(run, aws_env, deployed, fake_aws):
    d = deployed({"domain": "api.elsewhere.org"})
    r = run(["certify", "dev"], cwd=d, env=env_fast(aws_env))
    assert r.returncode == 1
    assert "no Route 53 hosted zone matches api.elsewhere.org" in r.stderr
    assert no_writes(fake_aws)


def test_before_deploy(run, aws_env, aws_project, fake_aws, boto):
    boto("route53").create_hosted_zone(Name="example.com", CallerReference="ref-1")
    d = aws_project({"domain": DOMAIN})
    r = run(["certify", "dev"], cwd=d, env=env_fast(aws_env))
    assert r.returncode == 1
    assert "not deployed" in r.stderr and "hoist deploy dev" in r.stderr
    assert no_writes(fake_aws)


def test_missing_key_file_is_a_usage_error(run, aws_env, deployed, fake_aws, tmp_path):
    crt, key, ca = make_cert(tmp_path / "pki")
    d = deployed({"domain": DOMAIN, "certificate": str(crt),
                  "certificate_key": str(tmp_path / "nope.key")})
    r = run(["certify", "dev"], cwd=d, env=env_fast(aws_env))
    assert r.returncode == 2
    assert "certificate_key" in r.stderr and "nope.key" in r.stderr
    assert no_writes(fake_aws)


def test_manual_acm_prints_validation_records(run, aws_env, deployed, boto, fake_aws):
    d = deployed({"domain": DOMAIN})
    r = run(["certify", "dev", "--manual"], cwd=d, env=env_fast(aws_env))
    assert r.returncode == 0, r.stderr
    assert "Certificate installed" not in r.stderr + r.stdout
    acm = boto("acm", "us-east-1")
    [c] = acm.list_certificates()["CertificateSummaryList"]
    desc = acm.describe_certificate(CertificateArn=c["CertificateArn"])["Certificate"]
    assert desc["Status"] == "PENDING_VALIDATION"
    rr = desc["DomainValidationOptions"][0]["ResourceRecord"]
    assert r.stdout.splitlines() == [f"{rr['Name']} CNAME {rr['Value']}"]
    assert "without --manual" in r.stderr
    # nothing written in Route 53 or API Gateway
    assert [q["operation"] for q in fake_requests(fake_aws) if q["operation"] in WRITES] == \
        ["RequestCertificate"]
    # the user creates the record; the normal run then reuses the same certificate
    boto("route53").change_resource_record_sets(
        HostedZoneId=boto("route53").list_hosted_zones()["HostedZones"][0]["Id"],
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": rr["Name"], "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": rr["Value"]}]}}]})
    r = run(["certify", "dev"], cwd=d, env=env_fast(aws_env))
    assert r.returncode == 0, r.stderr
    assert len(fake_requests(fake_aws, "acm", "RequestCertificate")) == 1
    check_installed(boto, c["CertificateArn"])


def test_manual_with_files_writes_copies(run, aws_env, deployed, fake_aws, tmp_path):
    crt, key, ca = make_cert(tmp_path / "pki")
    d = deployed({"domain": DOMAIN, "certificate": str(crt), "certificate_key": str(key),
                  "certificate_chain": str(ca)}, zone=False)
    env = dict(env_fast(aws_env), XDG_STATE_HOME=str(tmp_path / "state"))
    r = run(["certify", "dev", "--manual"], cwd=d, env=env)
    assert r.returncode == 0, r.stderr
    certs = tmp_path / "state" / "hoist" / "certs" / DOMAIN
    assert r.stdout.splitlines() == [f"certificate: {certs / 'cert.pem'}", f"key: {certs / 'key.pem'}",
                                     f"chain: {certs / 'chain.pem'}"]
    assert (certs / "key.pem").stat().st_mode & 0o777 == 0o600
    assert (certs / "cert.pem").read_text() == crt.read_text()
    assert (certs / "chain.pem").read_text() == ca.read_text()
    assert no_writes(fake_aws)


def test_manual_with_certificate_arn_is_a_usage_error(run, aws_env, deployed, fake_aws):
    d = deployed({"domain": DOMAIN, "certificate_arn":
                  "arn:aws:acm:us-east-1:123456789012:certificate/0000"})
    r = run(["certify", "dev", "--manual"], cwd=d, env=env_fast(aws_env))
    assert r.returncode == 2
    assert "--manual" in r.stderr and "certificate_arn" in r.stderr
    assert r.stdout == ""
    assert no_writes(fake_aws)


def test_http_api_v2_is_a_clear_usage_error(run, aws_env, deployed, fake_aws):
    d = deployed({"domain": DOMAIN, "apigateway_version": "v2"})
    r = run(["certify", "dev"], cwd=d, env=env_fast(aws_env))
    assert r.returncode == 2
    assert "apigateway_version v2" in r.stderr and "nothing was changed" in r.stderr
    assert r.stdout == ""
    assert no_writes(fake_aws)
