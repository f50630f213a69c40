"""ACME v2 (RFC 8555) client against Debian's pebble, with dns-01 through
pebble-challtestsrv.

The fixture makes a throw-away TLS CA for pebble's HTTPS listener (Debian's
package ships no test certificate), starts pebble-challtestsrv (DNS on a free
UDP port, management API on a free TCP port, the other challenge servers
off) and pebble (real validation: PEBBLE_VA_ALWAYS_VALID is never set; the
default 5% badNonce rejection stays on).  The test driver
tests/drivers/acme_get runs core/acme.c end to end; its DNS hook writes TXT
records through challtestsrv's /set-txt and /clear-txt.
"""
import json
import os
import pathlib
import random
import socket
import ssl
import stat
import struct
import subprocess
import urllib.request

import pytest

from pebble_support import free_port, make_tls, stop_process, wait_tcp

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
DRIVERS = pathlib.Path(os.environ.get("HOIST_TEST_DRIVERS")
                       or ROOT / "build" / "tests" / "drivers")
ACME_GET = DRIVERS / "acme_get"


def openssl(*args, **kw):
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True,
                          timeout=30, **kw)


def dns_txt_answers(port, name):
    """How many TXT answers the challtestsrv DNS server gives for `name`."""
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", 16, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.sendto(q, ("127.0.0.1", port))
        data = s.recv(4096)
    rid, _flags, _qd, ancount = struct.unpack(">HHHH", data[:8])
    assert rid == qid
    return ancount


def mgmt_post(port, path, body):
    rq = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(rq, timeout=5) as r:
        assert r.status == 200


class Pebble:
    def __init__(self, base, tls, challtest, env):
        self.dir = base
        self.port = free_port()
        self.mport = free_port()
        cfg = {"pebble": {
            "listenAddress": f"127.0.0.1:{self.port}",
            "managementListenAddress": f"127.0.0.1:{self.mport}",
            "certificate": str(tls / "tls.pem"), "privateKey": str(tls / "tls.key"),
            "httpPort": free_port(), "tlsPort": free_port(),
            "ocspResponderURL": "", "externalAccountBindingRequired": False,
        }}
        (base / "pebble.json").write_text(json.dumps(cfg))
        e = dict(os.environ)
        e.pop("PEBBLE_VA_ALWAYS_VALID", None)
        e.update({"PEBBLE_VA_NOSLEEP": "1"}, **env)
        self.log = base / "pebble.log"
        self.proc = subprocess.Popen(
            ["pebble", "-config", str(base / "pebble.json"),
             "-dnsserver", f"127.0.0.1:{challtest.dns_port}"],
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT, env=e,
            stdin=subprocess.DEVNULL)
        try:
            wait_tcp(self.port, self.proc, self.log)
            wait_tcp(self.mport, self.proc, self.log)
            ctx = ssl.create_default_context(cafile=str(tls / "ca.pem"))
            with urllib.request.urlopen(f"https://127.0.0.1:{self.mport}/roots/0",
                                        context=ctx, timeout=5) as r:
                self.root = r.read().decode()
        except BaseException:
            self.stop()
            raise
        assert "BEGIN CERTIFICATE" in self.root
        self.root_file = base / "pebble-root.pem"
        self.root_file.write_text(self.root)
        self.directory = f"https://127.0.0.1:{self.port}/dir"

    def stop(self):
        stop_process(self.proc)


class ChallTest:
    def __init__(self, base):
        self.dns_port = free_port(socket.SOCK_DGRAM)
        self.mport = free_port()
        self.log = base / "challtestsrv.log"
        self.proc = subprocess.Popen(
            ["pebble-challtestsrv", "-dns01", f"127.0.0.1:{self.dns_port}",
             "-http01", "", "-https01", "", "-tlsalpn01", "",
             "-management", f"127.0.0.1:{self.mport}"],
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_tcp(self.mport, self.proc, self.log)
        except BaseException:
            self.stop()
            raise
        self.url = f"http://127.0.0.1:{self.mport}"

    def txt_count(self, fqdn):
        return dns_txt_answers(self.dns_port, fqdn)

    def stop(self):
        stop_process(self.proc)


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    make_tls(d)
    return d


@pytest.fixture(scope="module")
def challtest(tmp_path_factory):
    c = ChallTest(tmp_path_factory.mktemp("challtest"))
    try:
        # The DNS check used below must be able to see a record at all.
        mgmt_post(c.mport, "/set-txt", {"host": "_probe.example.org.", "value": "x"})
        assert c.txt_count("_probe.example.org") == 1
        mgmt_post(c.mport, "/clear-txt", {"host": "_probe.example.org."})
        assert c.txt_count("_probe.example.org") == 0
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def pebble(tmp_path_factory, tls, challtest):
    p = Pebble(tmp_path_factory.mktemp("pebble"), tls, challtest, {})
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture
def acme(tmp_path, tls, challtest):
    """acme(pebble, key, *domains, extra=[]) -> (CompletedProcess, out dir)."""
    assert os.access(ACME_GET, os.X_OK), f"test driver not built: {ACME_GET}"
    count = [0]

    def _run(server, key, *domains, extra=()):
        count[0] += 1
        out = tmp_path / f"out{count[0]}"
        args = [str(ACME_GET), "--directory", server.directory, "--key", str(key),
                "--challtestsrv", challtest.url, "--out", str(out), *extra]
        for d in domains:
            args += ["--domain", d]
        env = dict(os.environ, HOIST_CA_BUNDLE=str(tls / "ca.pem"), HOIST_HTTP_BACKOFF_MS="1")
        r = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env,
                           stdin=subprocess.DEVNULL)
        return r, out
    return _run


@pytest.fixture
def rsa_key(tmp_path):
    k = tmp_path / "account.key"
    r = openssl("genrsa", "-out", k, "2048")
    assert r.returncode == 0, r.stderr
    return k


def uniq(label):
    return f"{label}-{random.randrange(16**8):08x}.example.com"


def sans(cert):
    r = openssl("x509", "-in", cert, "-noout", "-ext", "subjectAltName")
    assert r.returncode == 0, r.stderr
    return sorted(x.strip()[4:] for x in r.stdout.splitlines()[1].split(","))


def verify(root, out):
    return openssl("verify", "-CAfile", root, "-untrusted", out / "chain.pem",
                   out / "cert.pem")


def pubkey(args):
    r = openssl(*args, "-pubout") if args[0] == "pkey" else openssl(*args, "-pubkey",
                                                                     "-noout")
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_obtains_a_certificate_that_verifies_against_pebbles_root(pebble, challtest, acme,
                                                                 rsa_key, tls):
    api, www = uniq("api"), uniq("www")
    r, out = acme(pebble, rsa_key, api, www)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("account created https://127.0.0.1:")

    v = verify(pebble.root_file, out)
    assert v.returncode == 0 and v.stdout.strip().endswith(": OK"), v.stdout + v.stderr
    # The same chain against another root must not verify.
    assert verify(tls / "ca.pem", out).returncode != 0
    assert sans(out / "cert.pem") == sorted([api, www])
    subj = openssl("x509", "-in", out / "cert.pem", "-noout", "-subject").stdout
    assert f"CN = {api}" in subj

    # The private key is the certificate's, and private.
    assert stat.S_IMODE(os.stat(out / "key.pem").st_mode) == 0o600
    assert pubkey(["pkey", "-in", out / "key.pem"]) == pubkey(["x509", "-in", out / "cert.pem"])
    assert "Private-Key: (2048 bit, 2 primes)\nmodulus:" in openssl(
        "pkey", "-in", out / "key.pem", "-noout", "-text").stdout
    full = (out / "fullchain.pem").read_text()
    assert full.count("BEGIN CERTIFICATE") >= 2
    assert full.replace("\n", "") == ((out / "cert.pem").read_text()
                                      + (out / "chain.pem").read_text()).replace("\n", "")

    # Both records were published, then removed.
    for d in (api, www):
        assert f"hook: present _acme-challenge.{d}" in r.stderr
        assert f"hook: remove _acme-challenge.{d}" in r.stderr
        assert challtest.txt_count(f"_acme-challenge.{d}") == 0


def test_wrong_txt_record_fails_with_the_cas_problem_and_is_cleaned_up(pebble, challtest, acme,
                                                                       rsa_key):
    bad = uniq("bad")
    r, out = acme(pebble, rsa_key, bad, extra=["--wrong-txt"])
    assert r.returncode == 1, r.stderr
    assert (f"error: ACME order for {bad} failed: "
            "urn:ietf:params:acme:error:unauthorized: ") in r.stderr
    assert f"hook: present _acme-challenge.{bad}" in r.stderr
    assert f"hook: remove _acme-challenge.{bad}" in r.stderr
    assert challtest.txt_count(f"_acme-challenge.{bad}") == 0
    assert not (out / "cert.pem").exists() and not (out / "key.pem").exists()


def test_missing_account_key_says_how_to_create_one(pebble, acme, tmp_path):
    key = tmp_path / "nope" / "account.key"
    r, out = acme(pebble, key, uniq("nokey"))
    assert r.returncode == 2
    assert f"lets_encrypt_key {key} does not exist" in r.stderr
    assert f"openssl genrsa -out {key} 2048" in r.stderr
    assert "hook:" not in r.stderr
    assert not out.exists()


def test_unusable_account_keys_are_named(pebble, acme, tmp_path):
    garbage = tmp_path / "garbage.key"
    garbage.write_text("not a key\n")
    r, _ = acme(pebble, garbage, uniq("garbage"))
    assert r.returncode == 2
    assert f"lets_encrypt_key {garbage}: not a PEM private key" in r.stderr

    small = tmp_path / "small.key"
    assert openssl("genrsa", "-out", small, "1024").returncode == 0
    r, _ = acme(pebble, small, uniq("small"))
    assert r.returncode == 2
    assert f"lets_encrypt_key {small}: RSA key of 1024 bits is too small" in r.stderr

    r, _ = acme(pebble, tmp_path, uniq("dir"))
    assert r.returncode == 2
    assert f"lets_encrypt_key: cannot read {tmp_path}" in r.stderr


def test_second_run_with_the_same_key_reuses_the_account(pebble, acme, rsa_key):
    r1, _ = acme(pebble, rsa_key, uniq("reuse"))
    assert r1.returncode == 0, r1.stderr
    kind1, url1 = r1.stdout.split()[1:3]
    r2, out2 = acme(pebble, rsa_key, uniq("reuse"))
    assert r2.returncode == 0, r2.stderr
    kind2, url2 = r2.stdout.split()[1:3]
    assert (kind1, kind2) == ("created", "existing")
    assert url1 == url2
    assert verify(pebble.root_file, out2).returncode == 0


def test_ec_account_key_ec_certificate_and_wildcard(pebble, challtest, acme, tmp_path):
    key = tmp_path / "ec.key"
    # The PEM openssl ecparam writes by default: EC PARAMETERS + EC PRIVATE KEY.
    assert openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", key).returncode == 0
    base = uniq("wild")
    r, out = acme(pebble, key, base, f"*.{base}", extra=["--ec"])
    assert r.returncode == 0, r.stderr
    assert verify(pebble.root_file, out).returncode == 0
    assert sans(out / "cert.pem") == sorted([base, f"*.{base}"])
    assert "ASN1 OID: prime256v1" in openssl("pkey", "-in", out / "key.pem", "-noout",
                                             "-text").stdout
    # Two values for the same record name, both removed.
    assert r.stderr.count(f"hook: present _acme-challenge.{base}") == 2
    assert r.stderr.count(f"hook: remove _acme-challenge.{base}") == 2
    assert challtest.txt_count(f"_acme-challenge.{base}") == 0


def test_bad_nonce_rejections_are_retried(tmp_path_factory, tls, challtest, acme, rsa_key):
    noisy = Pebble(tmp_path_factory.mktemp("pebble-noisy"), tls, challtest,
                   {"PEBBLE_WFE_NONCEREJECT": "40"})
    try:
        r, out = acme(noisy, rsa_key, uniq("nonce"), extra=["-v"])
    finally:
        noisy.stop()
    assert r.returncode == 0, r.stderr
    assert "the CA rejected the nonce (badNonce); retrying" in r.stderr
    assert verify(noisy.root_file, out).returncode == 0


def test_a_url_that_is_not_an_acme_directory_is_refused(pebble, acme, rsa_key):
    class NotACME:
        directory = f"https://127.0.0.1:{pebble.mport}/roots/0"
    r, out = acme(NotACME, rsa_key, uniq("nodir"))
    assert r.returncode == 1
    assert f"ACME directory {NotACME.directory}: HTTP 200, not an ACME directory" in r.stderr
    assert "check acme_directory" in r.stderr
    assert "hook:" not in r.stderr and not out.exists()
