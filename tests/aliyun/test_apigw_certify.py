"""hoist certify on a stage Alibaba Cloud API Gateway serves (issue 11): the
domain is bound to the stage's API group in its environment (SetDomain) with
its certificate (SetDomainCertificate) — from PEM files, or from Let's Encrypt
through pebble with dns-01 in the fake Alibaba Cloud DNS — after a CNAME to the
group's subdomain, which the fake gateway checks before it binds.  The bound
domain serves the stage (base_path mounted, a redirect keeps the prefix);
re-running writes nothing, renewal replaces the certificate in place (one
binding, one CNAME); undeploy unbinds the domain and deletes the CNAME."""
import json

from ali_helpers import admin, http, requests, state, writes_since
from apigw_helpers import cloudapi, deploy, gw_example  # noqa: F401  (fixture)
from pebble_support import openssl
from test_ali_certify import DOMAIN, pebble, zone_records  # noqa: F401  (fixture)
from test_ali_certify import self_signed as pem_files


def group(fake):
    [g] = cloudapi(fake)["groups"].values()
    return g


def test_domain_bound_to_the_group(run, gw_example, ali_env, fake_aliyun, tmp_path):
    admin(fake_aliyun, "/__fake/dns-zones", {"zones": ["example.com"]})
    cert, key = pem_files(tmp_path)
    proj = gw_example(domain=DOMAIN, base_path="shop", certificate=str(cert),
                      certificate_key=str(key), api_key_required=True)
    url = deploy(run, proj, ali_env)
    assert url == "https://" + group(fake_aliyun)["SubDomain"]
    r = run(["certify", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"https://{DOMAIN}/shop"
    g = group(fake_aliyun)
    d = g["domains"][DOMAIN]
    assert d["stage"] == "RELEASE"
    assert d["cert"]["body"].strip() == cert.read_text().strip()
    assert zone_records(fake_aliyun) == [("api", "CNAME", g["SubDomain"])]
    assert state(fake_aliyun).get("fc_domains", {}) == {}          # no FC custom domain
    assert "PRIVATE KEY" not in r.stderr + r.stdout
    # the domain serves the stage through the gateway (the app's signature still needed)
    assert http(fake_aliyun, f"https://{DOMAIN}/shop/")[0] == 401
    app = next(iter(cloudapi(fake_aliyun)["apps"].values()))
    status, _, body = http(fake_aliyun, f"https://{DOMAIN}/shop/",
                           headers={"Authorization": "APPCODE " + app["AppCode"]})
    assert (status, body) == (200, b"Hello from hoist!\n")
    status, headers, _ = http(fake_aliyun, f"https://{DOMAIN}/shop/go",
                              headers={"Authorization": "APPCODE " + app["AppCode"]})
    assert status == 302 and headers["Location"] in ("/shop/", f"https://{DOMAIN}/shop/")
    st = json.loads(run(["--json", "status", "dev"], cwd=proj, env=ali_env).stdout)
    assert st["domain_url"] == f"https://{DOMAIN}/shop" and st["url"] == url
    # again: nothing to change; update keeps the binding
    n0 = len(requests(fake_aliyun))
    r = run(["certify", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert writes_since(fake_aliyun, n0) == []
    r = run(["update", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == url and list(group(fake_aliyun)["domains"]) == [DOMAIN]
    # undeploy: no binding, no CNAME, no group
    r = run(["undeploy", "dev", "-y"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert cloudapi(fake_aliyun)["groups"] == {} and zone_records(fake_aliyun) == []


def test_zone_outside_alibaba_dns(run, gw_example, ali_env, fake_aliyun, tmp_path):
    cert, key = pem_files(tmp_path, "api.other.net")
    proj = gw_example(domain="api.other.net", certificate=str(cert), certificate_key=str(key))
    deploy(run, proj, ali_env)
    n0 = len(requests(fake_aliyun))
    r = run(["certify", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 1
    assert "DomainNotResolved" in r.stderr
    assert f"CNAME of {group(fake_aliyun)['SubDomain']}" in r.stderr
    assert group(fake_aliyun)["domains"] == {}
    assert [w for w in writes_since(fake_aliyun, n0) if w != "SetDomain"] == []


def test_lets_encrypt_and_renewal(run, gw_example, ali_env, fake_aliyun, pebble, tmp_path):
    admin(fake_aliyun, "/__fake/dns-zones", {"zones": ["example.com"]})
    key = tmp_path / "account.key"
    openssl("genrsa", "-out", key, "2048")
    proj = gw_example(domain=DOMAIN, lets_encrypt_key=str(key),
                      acme_directory=pebble.directory, apigateway_stage="PRE")
    deploy(run, proj, ali_env)
    env = dict(ali_env, HOIST_CA_BUNDLE=str(pebble.ca), HOIST_ALIDNS_WAIT_MS="0")
    r = run(["certify", "dev"], cwd=proj, env=env, timeout=120)
    assert r.returncode == 0, r.stderr + pebble.log.read_text()
    assert r.stdout.strip() == f"https://{DOMAIN}"
    g = group(fake_aliyun)
    assert g["domains"][DOMAIN]["stage"] == "PRE"
    assert zone_records(fake_aliyun) == [("api", "CNAME", g["SubDomain"])]   # TXT gone
    first = g["domains"][DOMAIN]["cert"]["body"]
    root, leaf = tmp_path / "root.pem", tmp_path / "leaf.pem"
    root.write_text(pebble.mgmt("/roots/0"))
    leaf.write_text(first)
    assert openssl("verify", "-CAfile", root, "-untrusted", leaf, leaf).strip().endswith("OK")
    # the bound domain serves the PRE environment without X-Ca-Stage
    assert http(fake_aliyun, f"https://{DOMAIN}/")[2] == b"Hello from hoist!\n"
    # renewal: a new certificate on the same binding, one CNAME
    r = run(["certify", "dev"], cwd=proj, env=env, timeout=120)
    assert r.returncode == 0, r.stderr + pebble.log.read_text()
    g = group(fake_aliyun)
    assert list(g["domains"]) == [DOMAIN] and g["domains"][DOMAIN]["cert"]["body"] != first
    assert len(requests(fake_aliyun, "cloudapi", "SetDomain")) == 1
    assert len(requests(fake_aliyun, "cloudapi", "SetDomainCertificate")) == 2
    assert zone_records(fake_aliyun) == [("api", "CNAME", g["SubDomain"])]
    assert "PRIVATE KEY" not in r.stderr + r.stdout
