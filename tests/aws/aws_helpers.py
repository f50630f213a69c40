"""Plain helpers for tests/aws (importable by test modules, unlike conftest)."""
import json
import urllib.request

from fakecloud.fakeaws import ACCOUNT, DEFAULT_KEYS  # noqa: F401

AKID, SECRET = next(iter(DEFAULT_KEYS.items()))
REGION = "us-east-1"


def fake_requests(fake_aws, service=None, operation=None):
    """The signed requests the fake received, optionally filtered."""
    with urllib.request.urlopen(fake_aws.url + "/__fake/requests") as r:
        reqs = json.load(r)
    return [q for q in reqs if (service is None or q["service"] == service)
            and (operation is None or q["operation"] == operation)]


def fake_post(fake_aws, path, doc):
    req = urllib.request.Request(fake_aws.url + path, data=json.dumps(doc).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def state(fake_aws):
    """The fake's whole state (functions, APIs, rules, …) as JSON."""
    with urllib.request.urlopen(fake_aws.url + "/__fake/state") as r:
        return json.load(r)


def ops_since(fake_aws, n0):
    """Operation names of the requests after the first n0."""
    return [q["operation"] for q in fake_requests(fake_aws)[n0:]]
