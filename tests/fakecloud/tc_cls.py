"""Fake CLS (Cloud Log Service, API 2020-10-16) for faketencent.py: logsets,
topics, and SearchLog over a topic's lines (From/To in ms, QueryString as a
plain substring filter, Sort, Limit ≤ 1000, Context paging until ListOver).
Function runs append their output here the way SCF ships logs to CLS
(append_function_log); POST /__fake/logs adds lines directly.
"""
import json
import time
import uuid

from .faketencent import TCError, action, now_ms, stamp

PAGE_MAX = 1000


def logsets(fake):
    return fake.st("cls_logsets")


def topics(fake):
    return fake.st("cls_topics")


def _filters(p, names):
    out = {}
    for f in p.get("Filters") or []:
        if f["Key"] not in names:
            raise TCError("InvalidParameterValue", f"unsupported filter key {f['Key']}")
        out[f["Key"]] = f["Values"]
    return out


@action("cls", "CreateLogset")
def create_logset(fake, p, ctx):
    if any(ls["LogsetName"] == p["LogsetName"] for ls in logsets(fake).values()):
        raise TCError("ResourceInUse.Logset", f"logset {p['LogsetName']} already exists")
    lid = str(uuid.uuid4())
    logsets(fake)[lid] = {"LogsetId": lid, "LogsetName": p["LogsetName"], "CreateTime": stamp(),
                          "Tags": p.get("Tags") or []}
    return {"LogsetId": lid}


@action("cls", "DescribeLogsets")
def describe_logsets(fake, p, ctx):
    f = _filters(p, ("logsetName", "logsetId", "tagKey"))
    out = [dict(ls, TopicCount=sum(1 for t in topics(fake).values() if t["LogsetId"] == k))
           for k, ls in logsets(fake).items()
           if (not f.get("logsetName") or ls["LogsetName"] in f["logsetName"])
           and (not f.get("logsetId") or k in f["logsetId"])]
    off, lim = p.get("Offset") or 0, p.get("Limit") or 20
    return {"TotalCount": len(out), "Logsets": out[off:off + lim]}


@action("cls", "DeleteLogset")
def delete_logset(fake, p, ctx):
    if p["LogsetId"] not in logsets(fake):
        raise TCError("ResourceNotFound.LogsetNotExist", "logset not found")
    if any(t["LogsetId"] == p["LogsetId"] for t in topics(fake).values()):
        raise TCError("OperationDenied.LogsetHasTopic", "the logset still has topics")
    del logsets(fake)[p["LogsetId"]]
    return {}


@action("cls", "CreateTopic")
def create_topic(fake, p, ctx):
    if p["LogsetId"] not in logsets(fake):
        raise TCError("ResourceNotFound.LogsetNotExist", "logset not found")
    if any(t["TopicName"] == p["TopicName"] and t["LogsetId"] == p["LogsetId"]
           for t in topics(fake).values()):
        raise TCError("ResourceInUse.Topic", f"topic {p['TopicName']} already exists")
    tid = str(uuid.uuid4())
    topics(fake)[tid] = {"TopicId": tid, "TopicName": p["TopicName"], "LogsetId": p["LogsetId"],
                         "CreateTime": stamp(), "Status": True, "Index": True,
                         "Period": p.get("Period") or 30, "lines": []}
    return {"TopicId": tid}


@action("cls", "DescribeTopics")
def describe_topics(fake, p, ctx):
    f = _filters(p, ("topicName", "logsetName", "topicId", "logsetId", "tagKey", "storageType"))
    out = []
    for k, t in topics(fake).items():
        if f.get("topicName") and t["TopicName"] not in f["topicName"]:
            continue
        if f.get("topicId") and k not in f["topicId"]:
            continue
        if f.get("logsetId") and t["LogsetId"] not in f["logsetId"]:
            continue
        out.append({x: t[x] for x in ("TopicId", "TopicName", "LogsetId", "CreateTime",
                                      "Status", "Index", "Period")})
    off, lim = p.get("Offset") or 0, p.get("Limit") or 20
    return {"TotalCount": len(out), "Topics": out[off:off + lim]}


@action("cls", "DeleteTopic")
def delete_topic(fake, p, ctx):
    if p["TopicId"] not in topics(fake):
        raise TCError("ResourceNotFound.TopicNotExist", "topic not found")
    del topics(fake)[p["TopicId"]]
    return {}


@action("cls", "SearchLog")
def search_log(fake, p, ctx):
    tid = p.get("TopicId")
    t = topics(fake).get(tid)
    if t is None:
        raise TCError("ResourceNotFound.TopicNotExist", f"topic {tid} not found")
    if p.get("Query") is not None:
        raise TCError("InvalidParameter", "Query is deprecated: use QueryString")
    limit = p.get("Limit") or 100
    if not 1 <= limit <= PAGE_MAX:
        raise TCError("InvalidParameterValue", f"Limit {limit} is not in 1-{PAGE_MAX}")
    if p["From"] > p["To"]:
        raise TCError("InvalidParameterValue", "From is after To")
    q = (p.get("QueryString") or "").strip()
    text = None if q in ("", "*") else q.strip('"')
    rows = [ln for ln in t["lines"] if p["From"] <= ln["time"] <= p["To"]
            and (text is None or text in ln["message"])]
    rows.sort(key=lambda ln: (ln["time"], ln["seq"]))
    if (p.get("Sort") or "desc") == "desc":
        rows.reverse()
    start = 0
    if p.get("Context"):
        try:
            start = json.loads(p["Context"])["next"]
        except (ValueError, KeyError, TypeError):
            raise TCError("InvalidParameterValue", "Context is invalid or expired")
    page = rows[start:start + limit]
    over = start + limit >= len(rows)
    return {"Context": "" if over else json.dumps({"next": start + limit, "n": uuid.uuid4().hex[:6]}),
            "ListOver": over, "Analysis": False,
            "Results": [{"Time": ln["time"], "TopicId": tid, "TopicName": t["TopicName"],
                         "Source": "127.0.0.1", "FileName": "", "PkgId": ln["pkg"],
                         "PkgLogId": str(ln["seq"]), "LogJson": ln["json"], "RawLog": ""}
                        for ln in page]}


def _add(t, when, message, fields=None):
    t.setdefault("seq", 0)
    t["seq"] += 1
    doc = dict(fields or {}, SCF_Message=message)
    t["lines"].append({"time": when, "seq": t["seq"], "pkg": f"{when:X}-{t['seq']:X}",
                       "message": message, "json": json.dumps(doc)})


def append_function_log(fake, f, name, version, rid, text, ms, failed):
    """What SCF ships to the function's topic for one run."""
    t = topics(fake).get(f["config"].get("ClsTopicId") or "")
    if t is None:
        return
    base = {"SCF_FunctionName": name, "SCF_Namespace": "default", "SCF_RequestId": rid,
            "SCF_Qualifier": version, "SCF_Type": "Custom", "SCF_RetryNum": 0}
    when = now_ms()
    _add(t, when, f"START RequestId: {rid}", dict(base, SCF_Type="Platform"))
    for line in text.splitlines():
        _add(t, when, line, base)
    _add(t, when, f"END RequestId: {rid}", dict(base, SCF_Type="Platform"))
    _add(t, when, f"Report RequestId: {rid} Duration:{ms}ms Memory:128MB MemUsage:16MB"
         + (" (error)" if failed else ""), dict(base, SCF_Type="Platform"))


def admin_append(fake, doc):
    t = topics(fake).get(doc["topic"])
    if t is None:
        return {"error": "no such topic"}
    for ln in doc["lines"]:
        _add(t, int(ln.get("time") or time.time() * 1000), ln["message"])
    return {"count": len(t["lines"])}
