"""Functions called by timers, records and invoke in the handler tests."""
import os

calls = []


def two(event, context):
    calls.append(("two", event, context))
    return {"event_keys": sorted(event)}


def one(event):
    calls.append(("one", event))
    return "one"


def none():
    calls.append(("none",))
    print("none was called")
    return None


def kw(name, times=1):
    calls.append(("kw", name, times))
    return name * times


def env(key):
    return os.environ.get(key)


def fails(event, context):
    raise ValueError("bad record")


def handle_exception(exc, event, context):
    calls.append(("exception_handler", type(exc).__name__, sorted(event)))
    return os.environ.get("HOIST_TEST_SUPPRESS") == "1"


class NotJson(object):
    def __repr__(self):
        return "<NotJson>"


def not_json():
    return NotJson()


def authorize(event, context):
    """A Lambda authorizer: allow the token "letmein", deny anything else."""
    token = event.get("authorizationToken") or event.get("headers", {}).get("Authorization")
    effect = "Allow" if token == "letmein" else "Deny"
    return {"principalId": "user-1",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect,
                 "Resource": event["methodArn"]}]},
            "context": {"type": event["type"]}}
