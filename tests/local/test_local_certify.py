"""hoist certify on the local provider: HTTPS for `domain` on its own port,
with a certificate from the machine user's local CA or from the user's PEM
files; X-Forwarded-* headers and the scheme the app sees on each listener."""
import http.client
import json
import os
import shlex
import socket
import ssl
import subprocess

from local_support import free_port

DOMAIN = "app.hoist.test"

ENV_APP = '''
import json

def app(environ, start_response):
    keys = ("wsgi.url_scheme", "SCRIPT_NAME", "PATH_INFO", "SERVER_NAME", "SERVER_PORT",
            "REMOTE_ADDR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_PORT",
            "HTTP_X_FORWARDED_FOR", "QUERY_STRING")
    out = json.dumps({k: environ.get(k) for k in keys}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [out]
'''


def https_get(port, path, cafile, domain=DOMAIN, headers=None):
    """GET https://domain:port/path through 127.0.0.1, verifying against cafile.
    Returns (status, parsed JSON body or raw bytes, peer certificate)."""
    ctx = ssl.create_default_context(cafile=str(cafile))
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock = ctx.wrap_socket(raw, server_hostname=domain)
    cert = sock.getpeercert()
    conn = http.client.HTTPConnection(domain, port, timeout=10)
    conn.sock = sock
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        body = r.read()
    finally:
        conn.close()
    try:
        body = json.loads(body)
    except ValueError:
        pass
    return r.status, body, cert


def san(cert):
    return sorted(v for k, v in cert.get("subjectAltName", ()) if k == "DNS")


def mode(p):
    return os.stat(p).st_mode & 0o777


def test_certify_with_the_local_ca(make_stage):
    hport = free_port()
    s = make_stage(settings={"domain": DOMAIN, "local_https_port": hport},
                   files={"app.py": ENV_APP})
    ca = s.tmp / "state" / "hoist" / "local" / "ca"

    r = s.run("certify", s.name)  # not deployed: exit 1, with the way out
    assert r.returncode == 1 and "hoist deploy" in r.stderr, r.stderr
    assert not ca.exists()

    assert s.run("deploy", s.name).returncode == 0
    r = s.run("certify", s.name)
    assert r.returncode == 0, r.stderr
    url = "https://%s:%d/" % (DOMAIN, hport)
    assert r.stdout.strip() == url
    hint = "curl --cacert %s --resolve %s:%d:127.0.0.1 %s" % (ca / "ca.pem", DOMAIN, hport, url)
    assert hint in r.stderr
    assert mode(ca / "ca.key") == 0o600 and mode(s.dir / "tls" / "key.pem") == 0o600

    # the printed command works as printed
    out = subprocess.run(shlex.split(hint) + ["-s", "--max-time", "10"], capture_output=True,
                         text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["wsgi.url_scheme"] == "https"

    # HTTPS: the whole path goes to the app (a custom domain), scheme https
    code, j, cert = https_get(hport, "/deep/path?q=1", ca / "ca.pem",
                              headers={"X-Forwarded-For": "10.1.2.3"})
    assert code == 200
    assert san(cert) == [DOMAIN]
    assert j["wsgi.url_scheme"] == "https" and j["HTTP_X_FORWARDED_PROTO"] == "https"
    assert j["PATH_INFO"] == "/deep/path" and j["QUERY_STRING"] == "q=1"
    assert j["SERVER_NAME"] == DOMAIN and j["SERVER_PORT"] == str(hport)
    assert j["HTTP_X_FORWARDED_PORT"] == str(hport)
    assert j["HTTP_X_FORWARDED_FOR"] == "10.1.2.3, 127.0.0.1"

    # the HTTP listener kept serving: scheme http, even when the client claims https
    code, _, body = s.get("/x", headers={"X-Forwarded-Proto": "https"})
    j = json.loads(body)
    assert code == 200 and j["wsgi.url_scheme"] == "http"
    assert j["HTTP_X_FORWARDED_PROTO"] == "http"
    assert j["HTTP_X_FORWARDED_PORT"] == str(s.port) and j["SERVER_PORT"] == str(s.port)
    assert j["HTTP_X_FORWARDED_FOR"] == "127.0.0.1" and j["REMOTE_ADDR"] == "127.0.0.1"

    st = json.loads(s.run("status", s.name, "--json").stdout)
    assert st["https_url"] == url and st["https_port"] == hport
    gateway = s.pid()

    # certify again converges: same CA, same certificate
    ca_pem, leaf = (ca / "ca.pem").read_bytes(), (s.dir / "tls" / "cert.pem").read_bytes()
    r = s.run("certify", s.name)
    assert r.returncode == 0 and r.stdout.strip() == url, r.stderr
    assert (ca / "ca.pem").read_bytes() == ca_pem
    assert (s.dir / "tls" / "cert.pem").read_bytes() == leaf
    # a certificate that no longer covers the domain is reissued by the same CA
    s.write_settings(domain="other.hoist.test", base_path="api")
    r = s.run("certify", s.name)
    assert r.returncode == 0, r.stderr
    assert "hoist update %s" % s.name in r.stderr  # the app still has the old base_path
    assert s.run("update", s.name, "--no-upload").returncode == 0
    assert r.stdout.strip() == "https://other.hoist.test:%d/api" % hport
    assert (ca / "ca.pem").read_bytes() == ca_pem
    code, j, cert = https_get(hport, "/api/x", ca / "ca.pem", domain="other.hoist.test")
    assert code == 200 and san(cert) == ["other.hoist.test"]
    assert j["SCRIPT_NAME"] == "/api" and j["PATH_INFO"] == "/x"
    code, _, _ = https_get(hport, "/elsewhere", ca / "ca.pem", domain="other.hoist.test")
    assert code == 403
    # the HTTPS listener was replaced; the HTTP one and the gateway were not
    assert s.get("/still")[0] == 200 and s.pid() == gateway

    # undeploy removes the stage's certificate, not the machine's CA
    assert s.run("undeploy", s.name, "-y").returncode == 0
    assert not (s.dir / "tls").exists() and (ca / "ca.pem").exists()
    try:
        socket.create_connection(("127.0.0.1", hport), timeout=2).close()
        assert False, "the HTTPS port still answers"
    except OSError:
        pass


def openssl_pair(d, name, cn):
    cert, key = d / (name + ".crt"), d / (name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "90", "-subj", "/CN=" + cn,
                    "-addext", "subjectAltName=DNS:" + cn],
                   check=True, capture_output=True)
    return cert, key


def test_certify_with_certificate_files(make_stage):
    s = make_stage(files={"app.py": ENV_APP})
    domain = "files.hoist.test"
    cert, key = openssl_pair(s.proj, "site", domain)
    _, other_key = openssl_pair(s.proj, "other", domain)

    s.write_settings(certificate="site.crt", certificate_key="site.key")  # no domain
    r = s.run("certify", s.name)
    assert r.returncode == 2 and '"domain"' in r.stderr, r.stderr

    s.write_settings(domain=domain, certificate_key="other.key")
    r = s.run("certify", s.name)
    assert r.returncode == 2, r.stderr
    assert "does not match" in r.stderr and str(cert) in r.stderr and str(other_key) in r.stderr

    s.write_settings(domain="wrong.hoist.test", certificate_key="site.key")
    r = s.run("certify", s.name)
    assert r.returncode == 2, r.stderr
    assert "does not cover" in r.stderr and str(cert) in r.stderr and domain in r.stderr

    hport = free_port()
    s.write_settings(domain=domain, local_https_port=hport)
    assert s.run("deploy", s.name).returncode == 0
    r = s.run("certify", s.name)
    assert r.returncode == 0, r.stderr
    url = "https://%s:%d/" % (domain, hport)
    assert r.stdout.strip() == url
    assert "curl --cacert %s --resolve %s:%d:127.0.0.1 %s" % (cert, domain, hport, url) \
        in r.stderr
    code, j, peer = https_get(hport, "/hello", cert, domain=domain)
    assert code == 200 and san(peer) == [domain]
    assert j["wsgi.url_scheme"] == "https" and j["PATH_INFO"] == "/hello"
    # the user's certificate needs no local CA
    assert not (s.tmp / "state" / "hoist" / "local" / "ca").exists()
