"""hoist certify on aliyun: a Function Compute custom domain (HTTP and HTTPS,
the route to the stage's alias) with the certificate from PEM files or from
Let's Encrypt — ACME v2 against Debian's pebble, whose dns-01 validation
really resolves the TXT record hoist wrote through the fake Alibaba Cloud
DNS (pebble -dnsserver points at the fake's DNS responder) — and the CNAME to
the account's FC endpoint in Alibaba Cloud DNS.  Renewal converges to one
certificate, one domain, one record; a zone outside Alibaba Cloud DNS is
refused by FC with the exact record to create, nothing changed."""
import json

import pytest

from ali_helpers import ACCOUNT, REGION, admin, http, requests, state, writes_since
from fakecloud import ali_dns
from pebble_support import openssl, pebble_over, self_signed_pem

DOMAIN = "api.example.com"
ENDPOINT = f"{ACCOUNT}.{REGION}.fc.aliyuncs.com"


def self_signed(tmp_path, name=DOMAIN):
    """A certificate for `name` and its key, as PEM files."""
    cert, key = self_signed_pem(name)
    c, k = tmp_path / "cert.pem", tmp_path / "key.pem"
    c.write_bytes(cert)
    k.write_bytes(key)
    return c, k


def deployed(run, ali_project, ali_env, settings):
    proj = ali_project(settings)
    r = run(["deploy", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    return proj


def zone_records(fake, zone="example.com"):
    return sorted((r["RR"], r["Type"], r["Value"])
                  for r in state(fake)["dns"]["zones"][zone]["records"].values())


def test_own_pem_files_and_rerun_converges(run, ali_project, ali_env, fake_aliyun, tmp_path):
    admin(fake_aliyun, "/__fake/dns-zones", {"zones": ["example.com"]})
    cert, key = self_signed(tmp_path)
    proj = deployed(run, ali_project, ali_env, {"domain": DOMAIN, "base_path": "shop",
                                                "certificate": str(cert),
                                                "certificate_key": str(key)})
    r = run(["certify", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"https://{DOMAIN}/shop"
    d = state(fake_aliyun)["fc_domains"][DOMAIN]
    assert d["protocol"] == "HTTP,HTTPS"
    assert d["certConfig"]["certificate"].strip() == cert.read_text().strip()
    assert d["routeConfig"]["routes"] == [{"path": "/shop/*", "functionName": "hoistapp-dev",
                                           "qualifier": "dev", "methods": ["GET", "POST", "PUT",
                                           "DELETE", "HEAD", "PATCH", "OPTIONS"]}]
    assert zone_records(fake_aliyun) == [("api", "CNAME", ENDPOINT)]
    # the domain serves the stage, base path and all
    status, _, body = http(fake_aliyun, f"https://{DOMAIN}/shop/")
    assert status == 200 and body == b"hello from hoist on aliyun"
    assert "PRIVATE KEY" not in r.stderr + r.stdout
    st = json.loads(run(["--json", "status", "dev"], cwd=proj, env=ali_env).stdout)
    assert st["domain_url"] == f"https://{DOMAIN}/shop"
    # again: nothing to change
    n0 = len(requests(fake_aliyun))
    r = run(["certify", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert writes_since(fake_aliyun, n0) == []
    # undeploy takes the domain and the CNAME with it
    r = run(["undeploy", "dev", "-y"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert state(fake_aliyun)["fc_domains"] == {} and zone_records(fake_aliyun) == []


def test_zone_outside_alibaba_dns_is_refused_by_fc(run, ali_project, ali_env, fake_aliyun, tmp_path):
    cert, key = self_signed(tmp_path, "api.other.net")
    proj = deployed(run, ali_project, ali_env, {"domain": "api.other.net",
                                                "certificate": str(cert), "certificate_key": str(key)})
    n0 = len(requests(fake_aliyun))
    r = run(["certify", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 1
    assert "DomainNameNotResolved" in r.stderr and "nothing was changed" in r.stderr
    assert f"api.other.net. CNAME {ENDPOINT}." in r.stderr
    assert state(fake_aliyun).get("fc_domains", {}) == {}
    assert [w for w in writes_since(fake_aliyun, n0) if w != "CreateCustomDomain"] == []
    # --manual: what to do by hand, nothing changed
    n0 = len(requests(fake_aliyun))
    r = run(["certify", "dev", "--manual"], cwd=proj, env=dict(ali_env, XDG_STATE_HOME=str(tmp_path / "st")),
            timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"CNAME {ENDPOINT}" in r.stdout
    assert writes_since(fake_aliyun, n0) == []


def test_certify_needs_a_certificate_setting(run, ali_project, ali_env, fake_aliyun):
    r = run(["certify", "dev"], cwd=ali_project({"domain": DOMAIN}), env=ali_env)
    assert r.returncode == 2 and "take the certificate itself" in r.stderr
    assert requests(fake_aliyun) == []


def test_certify_needs_a_front_door(run, ali_project, ali_env, fake_aliyun, tmp_path):
    cert, key = self_signed(tmp_path)
    r = run(["certify", "dev"], cwd=ali_project({"domain": DOMAIN, "function_url_enabled": False,
                                                 "certificate": str(cert),
                                                 "certificate_key": str(key)}), env=ali_env)
    assert r.returncode == 2 and "has no front door" in r.stderr, r.stderr
    assert "apigateway_enabled: true" in r.stderr
    assert requests(fake_aliyun) == []


@pytest.fixture
def pebble(fake_aliyun, tmp_path):
    with pebble_over(fake_aliyun, ali_dns.dns_server, tmp_path) as p:
        yield p


def test_lets_encrypt_through_alidns_and_renewal(run, ali_project, ali_env, fake_aliyun, pebble,
                                                 tmp_path):
    admin(fake_aliyun, "/__fake/dns-zones", {"zones": ["example.com"]})
    key = tmp_path / "account.key"
    openssl("genrsa", "-out", key, "2048")
    proj = deployed(run, ali_project, ali_env, {"domain": DOMAIN, "lets_encrypt_key": str(key),
                                                "acme_directory": pebble.directory})
    env = dict(ali_env, HOIST_CA_BUNDLE=str(pebble.ca), HOIST_ALIDNS_WAIT_MS="0")
    r = run(["certify", "dev"], cwd=proj, env=env, timeout=120)
    assert r.returncode == 0, r.stderr + pebble.log.read_text()
    assert r.stdout.strip() == f"https://{DOMAIN}"
    txt = [q["params"]["query"] for q in requests(fake_aliyun, "alidns", "AddDomainRecord")
           if q["params"]["query"]["Type"] == "TXT"]
    assert [t["RR"] for t in txt] == ["_acme-challenge.api"]
    assert ("_acme-challenge.api.example.com", "TXT") in fake_aliyun.dns_queries
    assert zone_records(fake_aliyun) == [("api", "CNAME", ENDPOINT)]   # the TXT is gone
    first = state(fake_aliyun)["fc_domains"][DOMAIN]["certConfig"]["certificate"]
    root = tmp_path / "root.pem"
    root.write_text(pebble.mgmt("/roots/0"))
    leaf = tmp_path / "leaf.pem"
    leaf.write_text(first)
    assert openssl("verify", "-CAfile", root, "-untrusted", leaf, leaf).strip().endswith("OK")
    # renewal: a new certificate in the same domain; one CNAME
    r = run(["certify", "dev"], cwd=proj, env=env, timeout=120)
    assert r.returncode == 0, r.stderr + pebble.log.read_text()
    assert len(state(fake_aliyun)["fc_domains"]) == 1
    assert state(fake_aliyun)["fc_domains"][DOMAIN]["certConfig"]["certificate"] != first
    assert len(requests(fake_aliyun, "fc", "CreateCustomDomain")) == 1
    assert len(requests(fake_aliyun, "fc", "UpdateCustomDomain")) == 1
    assert zone_records(fake_aliyun) == [("api", "CNAME", ENDPOINT)]
    assert "PRIVATE KEY" not in r.stderr + r.stdout
