"""The fake Simple Log Service: projects, logstores, indexes and logs in
fake.state["sls"].  Function runs append their output to the logstore their
logConfig names (topic "FCLogs:<function>", as FC does).

GetLogs is strict where tail depends on it:
- a logstore without an index refuses queries (400 IndexConfigNotExist);
- at most 100 lines per call (line), paged by offset, oldest first unless
  reverse=true, window [from, to) in seconds;
- every distinct request is first answered "x-log-progress: Incomplete" with
  no lines (the query is still running); the same request again completes it,
  so a client that does not repeat Incomplete queries loses lines;
- the query language: terms joined by " and " (or "*"): field:"value",
  field:value (exact), "phrase" or word (case-insensitive substring of the
  message), "not" before a term negates it.
"""
import re
import shlex
import time

from .fakealiyun import AliError, op

PROJECT_RX = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
LOGSTORE_RX = re.compile(r"^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$")


def _projects(fake):
    return fake.st("sls").setdefault("projects", {})


def _project(fake, name, region=None):
    p = _projects(fake).get(name)
    if p is None or (region and p["region"] != region):
        raise AliError(404, "ProjectNotExist", f"Project {name} does not exist")
    return p


def _logstore(p, name):
    ls = p["logstores"].get(name)
    if ls is None:
        raise AliError(404, "LogStoreNotExist", f"logstore {name} does not exist")
    return ls


def logstore_exists(fake, project, logstore, region):
    """None when both exist in `region`, else the message FC gives."""
    with fake.lock:
        p = _projects(fake).get(project or "")
        if p is None or p["region"] != region:
            return f"project '{project}' does not exist"
        if (logstore or "") not in p["logstores"]:
            return f"logstore '{logstore}' does not exist in project '{project}'"
    return None


@op("sls", "CreateProject")
def create_project(fake, p, ctx):
    b = p["body"] or {}
    name = b.get("projectName", "")
    if not PROJECT_RX.match(name):
        raise AliError(400, "ProjectNameInvalid", f"project name {name} is invalid")
    if not b.get("description") and b.get("description") != "":
        raise AliError(400, "ParameterInvalid", "description is required")
    with fake.lock:
        if name in _projects(fake):
            raise AliError(400, "ProjectAlreadyExist", f"Project {name} already exist")
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        _projects(fake)[name] = {"region": ctx["region"], "description": b.get("description", ""),
                                 "created": now, "logstores": {}}
        return (200, None, {})


@op("sls", "GetProject")
def get_project(fake, p, ctx):
    with fake.lock:
        pr = _project(fake, ctx["project"], ctx["region"])
        return {"projectName": ctx["project"], "description": pr["description"], "region": ctx["region"],
                "status": "Normal", "createTime": pr["created"], "lastModifyTime": pr["created"],
                "owner": "fake"}


@op("sls", "DeleteProject")
def delete_project(fake, p, ctx):
    with fake.lock:
        _project(fake, ctx["project"], ctx["region"])
        del _projects(fake)[ctx["project"]]
        return (200, None, {})


@op("sls", "CreateLogStore")
def create_logstore(fake, p, ctx):
    b = p["body"] or {}
    name = b.get("logstoreName", "")
    if not LOGSTORE_RX.match(name):
        raise AliError(400, "LogStoreInvalid", f"logstore name {name} is invalid")
    for k in ("ttl", "shardCount"):
        if not isinstance(b.get(k), int) or b[k] < 1:
            raise AliError(400, "ParameterInvalid", f"{k} is required and must be positive")
    with fake.lock:
        pr = _project(fake, ctx["project"], ctx["region"])
        if name in pr["logstores"]:
            raise AliError(400, "LogStoreAlreadyExist", f"logstore {name} already exists")
        pr["logstores"][name] = {"ttl": b["ttl"], "shardCount": b["shardCount"], "created": int(time.time()),
                                 "index": None, "logs": []}
        return (200, None, {})


@op("sls", "GetLogStore")
def get_logstore(fake, p, ctx):
    with fake.lock:
        name = p["labels"]["logstore"]
        ls = _logstore(_project(fake, ctx["project"], ctx["region"]), name)
        return {"logstoreName": name, "ttl": ls["ttl"], "shardCount": ls["shardCount"],
                "createTime": ls["created"], "lastModifyTime": ls["created"]}


@op("sls", "DeleteLogStore")
def delete_logstore(fake, p, ctx):
    with fake.lock:
        pr = _project(fake, ctx["project"], ctx["region"])
        _logstore(pr, p["labels"]["logstore"])
        del pr["logstores"][p["labels"]["logstore"]]
        return (200, None, {})


@op("sls", "CreateIndex")
def create_index(fake, p, ctx):
    b = p["body"] or {}
    if not b.get("line") and not b.get("keys"):
        raise AliError(400, "ParameterInvalid", "an index needs line (full text) or keys")
    with fake.lock:
        ls = _logstore(_project(fake, ctx["project"], ctx["region"]), p["labels"]["logstore"])
        if ls["index"] is not None:
            raise AliError(400, "IndexAlreadyExist", "index already exists")
        ls["index"] = b
        return (200, None, {})


@op("sls", "GetIndex")
def get_index(fake, p, ctx):
    with fake.lock:
        ls = _logstore(_project(fake, ctx["project"], ctx["region"]), p["labels"]["logstore"])
        if ls["index"] is None:
            raise AliError(404, "IndexConfigNotExist", "index config doesn't exist")
        out = {"ttl": ls["ttl"], "lastModifyTime": ls["created"], "index_mode": "v2"}
        for k in ("line", "keys"):
            if ls["index"].get(k) is not None:
                out[k] = ls["index"][k]
        return out


@op("sls", "ListLogStores")
def list_logstores(fake, p, ctx):
    with fake.lock:
        names = sorted(_project(fake, ctx["project"], ctx["region"])["logstores"])
        return {"count": len(names), "total": len(names), "logstores": names}


# ---- logs -------------------------------------------------------------------------

def _append(fake, project, logstore, entries):
    with fake.lock:
        pr = _projects(fake).get(project)
        ls = pr and pr["logstores"].get(logstore)
        if ls is None:
            return 0
        seq = fake.st("sls").setdefault("seq", 0)
        for e in entries:
            seq += 1
            ls["logs"].append(dict(e, _seq=seq))
        fake.st("sls")["seq"] = seq
        return len(entries)


def function_logs(fake, cfg, fname, qualifier, rid, text, failed, ms=1):
    """What FC writes for one run: each line of output under topic FCLogs:<fn>, and
    (enableRequestMetrics) one FCRequestMetrics:/<fn> line."""
    lc = cfg.get("logConfig") or {}
    if not lc.get("project"):
        return
    t = int(time.time())
    entries = [{"__time__": t, "__topic__": f"FCLogs:{fname}", "functionName": fname,
                "qualifier": qualifier, "requestId": rid, "instanceID": "c-fake-" + rid[-8:],
                "message": line} for line in text.splitlines() if line.strip()]
    if lc.get("enableRequestMetrics"):
        entries.append({"__time__": t, "__topic__": f"FCRequestMetrics:/{fname}",
                        "functionName": fname, "qualifier": qualifier, "requestId": rid,
                        "durationMs": str(ms), "hasFunctionError": "true" if failed else "false",
                        "isColdStart": "false", "message": ""})
    _append(fake, lc["project"], lc["logstore"], entries)


def admin_append(fake, doc):
    t = int(doc.get("time") or time.time())
    topic = doc.get("topic") or ""
    fname = topic.split(":", 1)[1] if topic.startswith("FCLogs:") else ""
    entries = [{"__time__": t + int(i * doc.get("spread", 0)), "__topic__": topic, "functionName": fname,
                "qualifier": doc.get("qualifier", "LATEST"), "instanceID": "c-fake-admin",
                "message": line} for i, line in enumerate(doc.get("lines") or [])]
    return {"appended": _append(fake, doc["project"], doc["logstore"], entries)}


def _terms(query):
    q = (query or "").strip()
    if q in ("", "*"):
        return []
    out = []
    for part in re.split(r"\s+and\s+", q, flags=re.I):
        part = part.strip()
        neg = False
        if part.lower().startswith("not "):
            neg, part = True, part[4:].strip()
        m = re.match(r'^([A-Za-z_][\w:]*)\s*:\s*(.+)$', part)
        if m and not part.startswith('"'):
            field, val = m.group(1), m.group(2).strip()
            if val.startswith('"'):
                val = shlex.split(val)[0]
            out.append((neg, field, val))
        else:
            if part.startswith('"'):
                try:
                    part = shlex.split(part)[0]
                except ValueError:
                    raise AliError(400, "ParameterInvalid", f"query term {part!r} is not closed")
            out.append((neg, None, part))
    return out


def _match(entry, terms):
    for neg, field, val in terms:
        if field is None:
            hit = val.lower() in str(entry.get("message", "")).lower()
        else:
            hit = str(entry.get(field, "")) == val
        if hit == neg:
            return False
    return True


@op("sls", "GetLogs")
def get_logs(fake, p, ctx):
    q = p["query"]
    try:
        t0, t1 = int(q["from"]), int(q["to"])
        line = int(q.get("line") or 100)
        offset = int(q.get("offset") or 0)
    except (KeyError, ValueError):
        raise AliError(400, "ParameterInvalid", "from and to are required integers")
    if not 0 <= line <= 100:
        raise AliError(400, "ParameterInvalid", "line must be 0-100")
    if t1 <= t0:
        raise AliError(400, "ParameterInvalid", "to must be after from")
    terms = _terms(q.get("query"))
    with fake.lock:
        ls = _logstore(_project(fake, ctx["project"], ctx["region"]), p["labels"]["logstore"])
        if terms and ls["index"] is None:
            raise AliError(400, "IndexConfigNotExist", "logstore index config does not exist; "
                           "create an index to query")
        key = (ctx["project"], p["labels"]["logstore"], q.get("query"), t0, t1, line, offset,
               q.get("reverse"))
        seen = fake.st("sls").setdefault("asked", set())
        if key not in seen:
            seen.add(key)
            return (200, [], {"x-log-progress": "Incomplete", "x-log-count": "0"})
        hits = [e for e in ls["logs"] if t0 <= e["__time__"] < t1 and _match(e, terms)]
    hits.sort(key=lambda e: (e["__time__"], e["_seq"]), reverse=q.get("reverse") == "true")
    page = hits[offset:offset + line]
    out = [{k: str(v) for k, v in e.items() if not k.startswith("_") or k in ("__time__", "__topic__")}
           for e in page]
    for e in out:
        e["__source__"] = "fc"
    return (200, out, {"x-log-progress": "Complete", "x-log-count": str(len(out)),
                       "x-log-processed-rows": str(len(hits))})


@op("sls", "GetHistograms")
def get_histograms(fake, p, ctx):
    q = p["query"]
    try:
        t0, t1 = int(q["from"]), int(q["to"])
    except (KeyError, ValueError):
        raise AliError(400, "ParameterInvalid", "from and to are required integers")
    terms = _terms(q.get("query"))
    with fake.lock:
        ls = _logstore(_project(fake, ctx["project"], ctx["region"]), p["labels"]["logstore"])
        if terms and ls["index"] is None:
            raise AliError(400, "IndexConfigNotExist", "logstore index config does not exist")
        n = sum(1 for e in ls["logs"] if t0 <= e["__time__"] < t1 and _match(e, terms))
    return (200, [{"from": t0, "to": t1, "count": n, "progress": "Complete"}],
            {"x-log-progress": "Complete"})
