"""pebble (Debian's ACME test CA) for the certify tests: a throw-away CA made
with the openssl CLI for its HTTPS listeners (trust it with HOIST_CA_BUNDLE),
and dns-01 validation that really resolves through a fake cloud's DNS
responder (-dnsserver; PEBBLE_VA_ALWAYS_VALID is never set)."""
import contextlib
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.request


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_tcp(port, proc, log, timeout=15):
    """Until 127.0.0.1:port accepts; a server that exits first fails with its log."""
    end = time.time() + timeout
    while time.time() < end:
        assert proc.poll() is None, f"server exited: {log.read_text()}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"port {port} never opened: {log.read_text()}")


def stop_process(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def openssl(*args):
    r = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def make_tls(d):
    """CA + 127.0.0.1 server certificate for pebble's HTTPS listeners."""
    (d / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", d / "ca.key", "-out", d / "ca.pem", "-days", "2",
            "-subj", "/CN=hoist test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign")
    openssl("req", "-new", *ec, "-keyout", d / "tls.key", "-out", d / "tls.csr", "-subj", "/CN=localhost")
    openssl("x509", "-req", "-in", d / "tls.csr", "-CA", d / "ca.pem", "-CAkey", d / "ca.key",
            "-CAcreateserial", "-out", d / "tls.pem", "-days", "2", "-extfile", d / "ext.cnf")


class Pebble:
    def __init__(self, d, dns_port):
        make_tls(d)
        self.port, self.mport = free_port(), free_port()
        cfg = {"pebble": {
            "listenAddress": f"127.0.0.1:{self.port}",
            "managementListenAddress": f"127.0.0.1:{self.mport}",
            "certificate": str(d / "tls.pem"), "privateKey": str(d / "tls.key"),
            "httpPort": free_port(), "tlsPort": free_port(),
            "ocspResponderURL": "", "externalAccountBindingRequired": False}}
        (d / "pebble.json").write_text(json.dumps(cfg))
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1")
        env.pop("PEBBLE_VA_ALWAYS_VALID", None)
        self.log = d / "pebble.log"
        self.ca = d / "ca.pem"
        self.proc = subprocess.Popen(
            ["pebble", "-config", str(d / "pebble.json"), "-dnsserver", f"127.0.0.1:{dns_port}"],
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        self.directory = f"https://127.0.0.1:{self.port}/dir"
        try:
            wait_tcp(self.port, self.proc, self.log)
            wait_tcp(self.mport, self.proc, self.log)
        except BaseException:
            self.stop()
            raise

    def mgmt(self, path):
        ctx = ssl.create_default_context(cafile=str(self.ca))
        with urllib.request.urlopen(f"https://127.0.0.1:{self.mport}{path}", context=ctx, timeout=5) as r:
            return r.read().decode()

    def stop(self):
        stop_process(self.proc)


def start_pebble(tmp_path, dns_port):
    """A running Pebble (stop() it); retries when a free port was taken meanwhile."""
    for attempt in range(3):
        d = tmp_path / f"pebble{attempt}"
        d.mkdir()
        try:
            return Pebble(d, dns_port)
        except AssertionError as e:
            if attempt == 2 or "address already in use" not in str(e):
                raise


@contextlib.contextmanager
def pebble_over(fake, dns_server, tmp_path):
    """A running Pebble validating through `fake`'s DNS responder
    (dns_server(fake) starts it); afterwards pebble stops and the responder
    closes, so the next test (a session fake too) starts its own."""
    p = start_pebble(tmp_path, dns_server(fake))
    try:
        yield p
    finally:
        p.stop()
        fake._dns.close()
        del fake._dns


def self_signed_pem(name, days=30):
    """A self-signed EC certificate for `name` (its SAN) and its PKCS#8 key, as PEM bytes."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))
