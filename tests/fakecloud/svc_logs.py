"""The fake AWS's CloudWatch Logs (issue 6): log groups, many streams, and
FilterLogEvents with real pagination.

Tests append events through the side channel
    POST /__fake/logs {"group": "/aws/lambda/fn", "stream": "s1",
                       "events": [{"timestamp": ms, "message": "..."}]}
(group and stream are created as needed; an event may name its own
"stream" so one call fills several streams at once; timestamps may be older than what
is already stored — that is how CloudWatch's ingestion delay looks to a
reader).

FilterLogEvents, as the real one:
- events of all (or the named) streams interleaved in (timestamp, ingestion)
  order, startTime/endTime inclusive/exclusive in milliseconds;
- pages of `limit` events (default FAKE_LOGS_PAGE = 100 here, so a few
  thousand events span many pages) with an opaque nextToken that is a cursor
  after the last returned event: an event ingested later with an older
  timestamp is not in the following pages — a reader has to look again;
- filterPattern: the text-pattern subset — terms that must all appear
  (case-sensitive), "quoted phrases", ?term alternatives, -term exclusions.
"""
import base64
import json
import shlex
import time

from .fakeaws import ACCOUNT, AWSError
from .services import op, st

PAGE = 100


def _groups(fake):
    return st(fake, "logs")


def _group(fake, name):
    g = _groups(fake).get(name)
    if g is None:
        raise AWSError(400, "ResourceNotFoundException", "The specified log group does not exist.")
    return g


def _new_group(fake, name, region="us-east-1"):
    return _groups(fake).setdefault(name, {
        "arn": f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}:*",
        "created": int(time.time() * 1000), "streams": {}, "events": [], "seq": 0})


def admin_append(fake, doc):
    """POST /__fake/logs: append events; returns {"appended": n}."""
    g = _new_group(fake, doc["group"])
    for ev in doc.get("events", []):
        stream = ev.get("stream") or doc.get("stream", "stream")
        g["streams"].setdefault(stream, {"created": int(time.time() * 1000)})
        g["seq"] += 1
        g["events"].append({"timestamp": int(ev["timestamp"]), "message": ev["message"],
                            "logStreamName": stream, "seq": g["seq"],
                            "ingestionTime": int(time.time() * 1000),
                            "eventId": f"{int(ev['timestamp']):013d}{g['seq']:020d}"})
    return {"appended": len(doc.get("events", []))}


@op("logs", "CreateLogGroup")
def create_log_group(fake, p, ctx):
    if p["logGroupName"] in _groups(fake):
        raise AWSError(400, "ResourceAlreadyExistsException", "The specified log group already exists")
    _new_group(fake, p["logGroupName"], ctx["region"])
    return {}


@op("logs", "DeleteLogGroup")
def delete_log_group(fake, p, ctx):
    _group(fake, p["logGroupName"])
    del _groups(fake)[p["logGroupName"]]
    return {}


@op("logs", "DescribeLogGroups")
def describe_log_groups(fake, p, ctx):
    names = sorted(n for n in _groups(fake) if n.startswith(p.get("logGroupNamePrefix", "")))
    return {"logGroups": [{"logGroupName": n, "arn": _groups(fake)[n]["arn"],
                           "creationTime": _groups(fake)[n]["created"], "storedBytes": 0}
                          for n in names]}


@op("logs", "DescribeLogStreams")
def describe_log_streams(fake, p, ctx):
    g = _group(fake, p.get("logGroupName") or p.get("logGroupIdentifier"))
    return {"logStreams": [{"logStreamName": n, "creationTime": s["created"]}
                           for n, s in sorted(g["streams"].items())]}


def _matcher(pattern):
    """A predicate for the text subset of CloudWatch filter patterns."""
    pattern = (pattern or "").strip()
    if not pattern:
        return lambda m: True
    if pattern.startswith("{") or pattern.startswith("["):
        raise AWSError(400, "InvalidParameterException",
                       "the fake implements text filter patterns only")
    try:
        terms = shlex.split(pattern)
    except ValueError:
        raise AWSError(400, "InvalidParameterException", "Invalid filter pattern")
    must = [t for t in terms if not t.startswith("?") and not t.startswith("-")]
    anyof = [t[1:] for t in terms if t.startswith("?")]
    nots = [t[1:] for t in terms if t.startswith("-")]

    def ok(m):
        if anyof:
            return any(t in m for t in anyof)
        return all(t in m for t in must) and not any(t in m for t in nots)
    return ok


def _token(key):
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _untoken(tok):
    try:
        return tuple(json.loads(base64.urlsafe_b64decode(tok.encode())))
    except ValueError:
        raise AWSError(400, "InvalidParameterException", "The specified nextToken is invalid.")


@op("logs", "FilterLogEvents")
def filter_log_events(fake, p, ctx):
    name = p.get("logGroupName") or p.get("logGroupIdentifier")
    if not name:
        raise AWSError(400, "InvalidParameterException", "logGroupName or logGroupIdentifier is required")
    g = _group(fake, name.split(":log-group:")[-1].rstrip(":*"))
    ok = _matcher(p.get("filterPattern"))
    streams = set(p.get("logStreamNames") or [])
    prefix = p.get("logStreamNamePrefix")
    lo, hi = p.get("startTime"), p.get("endTime")
    after = _untoken(p["nextToken"]) if p.get("nextToken") else None
    limit = int(p.get("limit") or PAGE)
    evs = sorted(g["events"], key=lambda e: (e["timestamp"], e["seq"]))
    out = []
    last = None
    for e in evs:
        key = (e["timestamp"], e["seq"])
        if after is not None and key <= after:
            continue
        if lo is not None and e["timestamp"] < lo:
            continue
        if hi is not None and e["timestamp"] > hi:
            continue
        if streams and e["logStreamName"] not in streams:
            continue
        if prefix and not e["logStreamName"].startswith(prefix):
            continue
        last = key
        if not ok(e["message"]):
            continue
        out.append({k: e[k] for k in ("logStreamName", "timestamp", "message", "ingestionTime",
                                      "eventId")})
        if len(out) >= limit:
            break
    res = {"events": out, "searchedLogStreams": []}
    more = last is not None and any((e["timestamp"], e["seq"]) > last for e in evs
                                   if (hi is None or e["timestamp"] <= hi))
    if len(out) >= limit and more:
        res["nextToken"] = _token(list(last))
    return res
