"""Plain helpers for tests/aliyun (importable by test modules, unlike conftest)."""
import json
import urllib.request

from fakecloud.fakealiyun import ACCOUNT, DEFAULT_KEYS, STS_KEYS  # noqa: F401

AKID, SECRET = next(iter(DEFAULT_KEYS.items()))
REGION = "cn-hangzhou"


def requests(fake, product=None, action=None):
    """The accepted calls the fake received, optionally filtered."""
    with urllib.request.urlopen(fake.url + "/__fake/requests") as r:
        reqs = json.load(r)
    return [q for q in reqs if (product is None or q["product"] == product)
            and (action is None or q["action"] == action)]


def actions_since(fake, n0):
    return [q["action"] for q in requests(fake)[n0:]]


READS = ("Get", "List", "Describe", "Head")


def writes_since(fake, n0):
    """Actions after the first n0 that change something, the stage lock's own
    marker (hoist-locks/… in OSS, taken before the first write) left out."""
    return [q["action"] for q in requests(fake)[n0:] if not q["action"].startswith(READS)
            and "hoist-locks/" not in (q["params"].get("key") or "")]


def admin(fake, path, doc=None):
    data = json.dumps(doc if doc is not None else {}).encode()
    req = urllib.request.Request(fake.url + path, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def state(fake):
    with urllib.request.urlopen(fake.url + "/__fake/state") as r:
        return json.load(r)


def fault(fake, action, kind, count=1, delay=2, match=""):
    return admin(fake, "/__fake/faults", {"action": action, "kind": kind, "count": count,
                                           "delay": delay, "match": match})


def http(fake, url, method="GET", body=None, headers=None):
    """A request to a production URL (https://x.fcapp.run/...) sent to the fake:
    the Host header is the URL's, the connection goes to 127.0.0.1."""
    from urllib.parse import urlsplit
    import http.client
    u = urlsplit(url)
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=60)
    h = {"Host": u.netloc}
    h.update(headers or {})
    conn.request(method, (u.path or "/") + ("?" + u.query if u.query else ""), body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, dict(r.getheaders()), data
