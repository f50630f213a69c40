"""hoist certify on Tencent: an SCF custom domain on the stage alias with a
certificate in the SSL service — from the user's PEM files, or from Let's
Encrypt through Debian's pebble with dns-01 TXT records written in the fake
DNSPod and resolved for real through the fake's DNS responder
(tests/pebble_support.py).  The CNAME SCF requires is written in DNSPod when
the zone is there, else printed and required before the domain is made.
Renewal converges to one certificate, one domain, one record; undeploy
removes the domain and the certificate hoist uploaded."""
import json
import urllib.request

import pytest

from fakecloud import tc_misc
from pebble_support import openssl, pebble_over
from tc_helpers import fake_post, fake_requests, state

DOMAIN = "api.example.com"
TARGET = "1250000000.ap-guangzhou.tencentscf.com"
FN = "hoistapp-dev"


def self_signed(d, name=DOMAIN):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", d / "key.pem", "-out", d / "cert.pem", "-days", "30", "-subj",
            f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}")
    return d / "cert.pem", d / "key.pem"


def get(fake, host, path="/"):
    req = urllib.request.Request(fake.url + path, headers={"Host": host})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.fixture
def deployed(run, tc_env, tc_project, tc_fake, tmp_path):
    """deploy(settings) -> project dir of a deployed stage dev."""
    def deploy(settings):
        d = tc_project(settings)
        r = run(["deploy", "dev"], cwd=d, env=tc_env)
        assert r.returncode == 0, r.stderr
        return d
    return deploy


def test_own_certificate_domain_dns_and_undeploy(run, tc_env, deployed, tc_fake, tmp_path):
    tc_misc.add_zone(tc_fake, "example.com")
    cert, key = self_signed(tmp_path)
    d = deployed({"domain": DOMAIN, "certificate": str(cert), "certificate_key": str(key)})
    r = run(["certify", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"https://{DOMAIN}"
    s = state(tc_fake)
    [(cid, c)] = s["ssl_certs"].items()
    assert c["Alias"] == f"hoist-{DOMAIN}" and c["pem"] == cert.read_text()
    dom = s["scf_domains"][DOMAIN]
    assert dom["Protocol"] == "HTTP&HTTPS" and dom["CertConfig"] == {"CertificateId": cid}
    assert dom["EndpointsConfig"] == [{"Namespace": "default", "FunctionName": FN,
                                       "Qualifier": "dev", "PathMatch": "/*"}]
    recs = list(s["dnspod"]["example.com"]["records"].values())
    assert [(x["Name"], x["Type"], x["Value"]) for x in recs] == [("api", "CNAME", TARGET)]
    # the domain serves the app
    assert get(tc_fake, DOMAIN) == (200, "hello from hoist")
    # status shows it
    r = run(["--json", "status", "dev"], cwd=d, env=tc_env)
    assert json.loads(r.stdout)["domain_url"] == f"https://{DOMAIN}"

    # again, same files: nothing new
    n0 = len(fake_requests(tc_fake))
    r = run(["certify", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    acts = [q["action"] for q in fake_requests(tc_fake)[n0:]]
    assert not {"CreateCustomDomain", "UpdateCustomDomain", "CreateRecord", "ModifyRecord",
                "DeleteCertificate"} & set(acts), acts
    assert len(state(tc_fake)["ssl_certs"]) == 1

    # new files (a renewal): the domain moves to the new certificate, the old one goes
    cert2, key2 = self_signed(tmp_path)
    r = run(["certify", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    s = state(tc_fake)
    [(cid2, c2)] = s["ssl_certs"].items()
    assert cid2 != cid and c2["pem"] == cert2.read_text()
    assert s["scf_domains"][DOMAIN]["CertConfig"] == {"CertificateId": cid2}
    assert len(s["dnspod"]["example.com"]["records"]) == 1
    assert len(fake_requests(tc_fake, "scf", "CreateCustomDomain")) == 1

    # undeploy removes the domain and hoist's certificate, keeps the DNS record
    r = run(["undeploy", "dev", "--yes"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    s = state(tc_fake)
    assert s["scf_domains"] == {} and s["ssl_certs"] == {}


def test_base_path(run, tc_env, deployed, tc_fake, tmp_path):
    tc_misc.add_zone(tc_fake, "example.com")
    cert, key = self_signed(tmp_path)
    d = deployed({"domain": DOMAIN, "base_path": "v1", "certificate": str(cert),
                  "certificate_key": str(key)})
    r = run(["certify", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"https://{DOMAIN}/v1"
    ep = state(tc_fake)["scf_domains"][DOMAIN]["EndpointsConfig"][0]
    assert ep["PathMatch"] == "/v1/*"
    assert get(tc_fake, DOMAIN, "/v1/") == (200, "hello from hoist")
    assert get(tc_fake, DOMAIN, "/v1/q?x=7") == (200, "x=7")
    assert get(tc_fake, DOMAIN, "/elsewhere")[0] == 404


def test_zone_outside_dnspod_prints_the_record(run, tc_env, deployed, tc_fake, tmp_path):
    cert, key = self_signed(tmp_path)
    d = deployed({"domain": DOMAIN, "certificate": str(cert), "certificate_key": str(key)})
    r = run(["certify", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 1
    assert f"{DOMAIN} CNAME {TARGET}" in r.stderr
    assert "FailedOperation.CNAME" in r.stderr
    assert state(tc_fake).get("scf_domains", {}) == {}
    # --manual says the same without changing anything
    r = run(["--json", "certify", "dev", "--manual"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["manual"]["records"] == [{"name": DOMAIN, "type": "CNAME",
                                                "value": TARGET}]
    # the user creates the record where the zone lives; the rerun completes
    fake_post(tc_fake, "/__fake/dns", {"name": DOMAIN, "type": "CNAME", "value": TARGET})
    r = run(["certify", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    s = state(tc_fake)
    assert list(s["scf_domains"]) == [DOMAIN] and len(s["ssl_certs"]) == 1


def test_bad_certify_settings(run, tc_env, deployed, tc_project, tc_fake, tmp_path):
    d = deployed({})
    r = run(["certify", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 2 and "has no `domain` setting" in r.stderr
    d = tc_project({"domain": DOMAIN})
    r = run(["certify", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 2 and "names no certificate" in r.stderr
    cert, key = self_signed(tmp_path, "other.example.com")
    d = tc_project({"domain": DOMAIN, "certificate": str(cert), "certificate_key": str(key)})
    r = run(["certify", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 2 and "does not cover api.example.com" in r.stderr
    assert fake_requests(tc_fake, "ssl") == []


# ---- Let's Encrypt through pebble ------------------------------------------------

@pytest.fixture
def pebble(tc_fake, tmp_path):
    with pebble_over(tc_fake, tc_misc.dns_server, tmp_path) as p:
        yield p


def test_lets_encrypt_through_dnspod_and_renewal(run, tc_env, deployed, tc_fake, pebble,
                                                 tmp_path):
    tc_misc.add_zone(tc_fake, "example.com")
    account = tmp_path / "account.key"
    openssl("genrsa", "-out", account, "2048")
    d = deployed({"domain": DOMAIN, "lets_encrypt_key": str(account),
                  "acme_directory": pebble.directory})
    env = dict(tc_env, HOIST_CA_BUNDLE=str(pebble.ca))
    r = run(["certify", "dev"], cwd=d, env=env, timeout=120)
    assert r.returncode == 0, r.stderr + pebble.log.read_text()
    assert r.stdout.strip() == f"https://{DOMAIN}"
    # the TXT record went through DNSPod, pebble resolved it, hoist removed it
    creates = [q["params"] for q in fake_requests(tc_fake, "dnspod", "CreateRecord")]
    assert [(c["SubDomain"], c["RecordType"]) for c in creates] == [
        ("_acme-challenge.api", "TXT"), ("api", "CNAME")]
    assert len(fake_requests(tc_fake, "dnspod", "DeleteRecord")) == 1
    assert (f"_acme-challenge.{DOMAIN}", "TXT") in tc_fake.dns_queries
    s = state(tc_fake)
    [(cid, c)] = s["ssl_certs"].items()
    root = tmp_path / "root.pem"
    root.write_text(pebble.mgmt("/roots/0"))
    (tmp_path / "uploaded.pem").write_text(c["pem"])
    out = openssl("verify", "-CAfile", root, "-untrusted", tmp_path / "uploaded.pem",
                  tmp_path / "uploaded.pem")
    assert out.strip().endswith(": OK")
    assert s["scf_domains"][DOMAIN]["CertConfig"] == {"CertificateId": cid}
    assert [r["Type"] for r in s["dnspod"]["example.com"]["records"].values()] == ["CNAME"]

    # renewal: a new certificate, the domain moved to it, the old deleted; one of each
    r = run(["certify", "dev"], cwd=d, env=env, timeout=120)
    assert r.returncode == 0, r.stderr + pebble.log.read_text()
    s = state(tc_fake)
    [(cid2, c2)] = s["ssl_certs"].items()
    assert cid2 != cid and c2["pem"] != c["pem"]
    assert s["scf_domains"][DOMAIN]["CertConfig"] == {"CertificateId": cid2}
    assert [r["Type"] for r in s["dnspod"]["example.com"]["records"].values()] == ["CNAME"]
    assert len(fake_requests(tc_fake, "scf", "CreateCustomDomain")) == 1
    assert "PRIVATE KEY" not in r.stderr + r.stdout


def test_lets_encrypt_needs_the_zone_in_dnspod(run, tc_env, deployed, tc_fake, tmp_path):
    account = tmp_path / "account.key"
    openssl("genrsa", "-out", account, "2048")
    d = deployed({"domain": DOMAIN, "lets_encrypt_key": str(account),
                  "acme_directory": "https://127.0.0.1:9/dir"})
    r = run(["certify", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 1 and "needs the zone of api.example.com in DNSPod" in r.stderr
