"""The fake AWS's event plumbing (issue 6): EventBridge rules and targets,
Lambda event source mappings (SQS, DynamoDB and Kinesis streams), S3 bucket
notifications and SNS subscriptions.

Behaviour follows the real APIs where hoist could notice:
- DeleteRule refuses a rule that still has targets (ValidationException);
- PutRule on an existing rule updates it in place (same ARN);
- ListRules / ListRuleNamesByTarget / ListTargetsByRule / ListEventSourceMappings
  paginate (NextToken), with small default pages so callers must follow them;
- CreateEventSourceMapping wants StartingPosition for streams and refuses it
  for SQS; a second mapping of the same source to the same function is a
  ResourceConflictException;
- PutBucketNotificationConfiguration checks that each Lambda destination's
  policy lets s3.amazonaws.com invoke it ("Unable to validate the following
  destination configurations"), as S3 does;
- Subscribe with protocol lambda is idempotent (same SubscriptionArn).
"""
import fnmatch
import json
import uuid

from .fakeaws import ACCOUNT, AWSError
from .services import _bucket, _fn, now, op, st

PAGE = 25


def _page(items, p, limit_key="Limit"):
    """(slice, next token) of `items` per NextToken / Limit."""
    start = int(p.get("NextToken") or 0)
    n = int(p.get(limit_key) or PAGE)
    chunk = items[start:start + n]
    nxt = str(start + n) if start + n < len(items) else None
    return chunk, nxt


# ---- EventBridge --------------------------------------------------------------

def _rules(fake):
    return st(fake, "events_rules")


def _rule(fake, name):
    r = _rules(fake).get(name)
    if r is None:
        raise AWSError(400, "ResourceNotFoundException", f"Rule {name} does not exist on EventBus default.")
    return r


def _check_bus(p):
    bus = p.get("EventBusName", "default")
    if bus not in ("default", f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default") and \
            not bus.endswith(":event-bus/default"):
        raise AWSError(400, "ResourceNotFoundException", f"Event bus {bus} does not exist.")


def _check_expression(expr):
    if not (expr.startswith("rate(") or expr.startswith("cron(")) or not expr.endswith(")"):
        raise AWSError(400, "ValidationException", "Parameter ScheduleExpression is not valid.")
    if expr.startswith("cron(") and len(expr[5:-1].split()) != 6:
        raise AWSError(400, "ValidationException", "Parameter ScheduleExpression is not valid.")


@op("events", "PutRule")
def put_rule(fake, p, ctx):
    _check_bus(p)
    if "ScheduleExpression" not in p and "EventPattern" not in p:
        raise AWSError(400, "ValidationException",
                       "Parameter(s) EventPattern or ScheduleExpression must be specified.")
    if "ScheduleExpression" in p:
        _check_expression(p["ScheduleExpression"])
    name = p["Name"]
    rules = _rules(fake)
    r = rules.get(name)
    arn = f"arn:aws:events:{ctx['region']}:{ACCOUNT}:rule/{name}"
    if r is None:   # Tags count on creation only (AWS ignores them when updating a rule)
        r = rules[name] = {"targets": {}, "created": now().isoformat(),
                           "tags": {t["Key"]: t["Value"] for t in p.get("Tags", [])}}
    for k in ("ScheduleExpression", "EventPattern", "Description", "RoleArn"):
        if k in p:
            r[k] = p[k]
        else:
            r.pop(k, None)
    r.update(Name=name, Arn=arn, State=p.get("State", "ENABLED"), EventBusName="default")
    return {"RuleArn": arn}


def _rule_out(r):
    return {k: r[k] for k in ("Name", "Arn", "ScheduleExpression", "EventPattern", "Description",
                              "State", "RoleArn", "EventBusName") if k in r}


@op("events", "DescribeRule")
def describe_rule(fake, p, ctx):
    _check_bus(p)
    return _rule_out(_rule(fake, p["Name"]))


@op("events", "ListRules")
def list_rules(fake, p, ctx):
    _check_bus(p)
    names = sorted(n for n in _rules(fake) if n.startswith(p.get("NamePrefix", "")))
    chunk, nxt = _page(names, p)
    out = {"Rules": [_rule_out(_rules(fake)[n]) for n in chunk]}
    if nxt:
        out["NextToken"] = nxt
    return out


@op("events", "ListTagsForResource")
def list_tags_for_resource(fake, p, ctx):
    name = p["ResourceARN"].split(":rule/", 1)[-1]
    r = _rule(fake, name)
    return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(r.get("tags", {}).items())]}


@op("events", "DeleteRule")
def delete_rule(fake, p, ctx):
    _check_bus(p)
    r = _rules(fake).get(p["Name"])
    if r is None:
        return {}
    if r["targets"]:
        raise AWSError(400, "ValidationException", "Rule can't be deleted since it has targets.")
    del _rules(fake)[p["Name"]]
    return {}


@op("events", "PutTargets")
def put_targets(fake, p, ctx):
    _check_bus(p)
    r = _rule(fake, p["Rule"])
    for t in p["Targets"]:
        if "Input" in t:
            try:
                json.loads(t["Input"])
            except ValueError:
                raise AWSError(400, "ValidationException", "Input is not valid JSON.")
        r["targets"][t["Id"]] = dict(t)
    if len(r["targets"]) > 5:
        raise AWSError(400, "LimitExceededException", "The requested resource exceeds the maximum number allowed.")
    return {"FailedEntryCount": 0, "FailedEntries": []}


@op("events", "RemoveTargets")
def remove_targets(fake, p, ctx):
    _check_bus(p)
    r = _rule(fake, p["Rule"])
    for i in p["Ids"]:
        r["targets"].pop(i, None)
    return {"FailedEntryCount": 0, "FailedEntries": []}


@op("events", "ListTargetsByRule")
def list_targets_by_rule(fake, p, ctx):
    _check_bus(p)
    r = _rule(fake, p["Rule"])
    ids = sorted(r["targets"])
    chunk, nxt = _page(ids, p)
    out = {"Targets": [r["targets"][i] for i in chunk]}
    if nxt:
        out["NextToken"] = nxt
    return out


@op("events", "ListRuleNamesByTarget")
def list_rule_names_by_target(fake, p, ctx):
    _check_bus(p)
    names = sorted(n for n, r in _rules(fake).items()
                   if any(t["Arn"] == p["TargetArn"] for t in r["targets"].values()))
    chunk, nxt = _page(names, p)
    out = {"RuleNames": chunk}
    if nxt:
        out["NextToken"] = nxt
    return out


# ---- Lambda event source mappings ---------------------------------------------

def _esms(fake):
    return st(fake, "lambda_esm")


def _stream(arn):
    return ":kinesis:" in arn or (":dynamodb:" in arn and "/stream/" in arn)


def _esm_out(m):
    return {k: v for k, v in m.items() if not k.startswith("_")}


@op("lambda", "CreateEventSourceMapping")
def create_event_source_mapping(fake, p, ctx):
    f = _fn(fake, p["FunctionName"])
    src = p.get("EventSourceArn")
    if not src:
        raise AWSError(400, "InvalidParameterValueException", "EventSourceArn is required.")
    kind = src.split(":")[2] if src.count(":") >= 5 else ""
    if kind not in ("sqs", "kinesis", "dynamodb", "kafka", "mq"):
        raise AWSError(400, "InvalidParameterValueException", f"Unrecognized event source: {src}")
    if _stream(src) and "StartingPosition" not in p:
        raise AWSError(400, "InvalidParameterValueException",
                       "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null")
    if kind == "sqs" and "StartingPosition" in p:
        raise AWSError(400, "InvalidParameterValueException",
                       "Unsupported MQ/SQS parameter: StartingPosition")
    fa = f["config"]["FunctionArn"]
    for m in _esms(fake).values():
        if m["EventSourceArn"] == src and m["FunctionArn"] == fa:
            raise AWSError(409, "ResourceConflictException",
                           f"An event source mapping with {kind} arn \" {src} \" and function \" "
                           f"{f['config']['FunctionName']} \" already exists. Please update or delete "
                           f"the existing mapping with UUID {m['UUID']}")
    u = str(uuid.uuid4())
    m = {"UUID": u, "EventSourceArn": src, "FunctionArn": fa,
         "BatchSize": p.get("BatchSize", 10 if kind == "sqs" else 100),
         "State": "Enabled" if p.get("Enabled", True) else "Disabled",
         "StateTransitionReason": "USER_INITIATED", "LastModified": now()}
    if "StartingPosition" in p:
        m["StartingPosition"] = p["StartingPosition"]
    _esms(fake)[u] = m
    return dict(_esm_out(m), State="Creating")


@op("lambda", "ListEventSourceMappings")
def list_event_source_mappings(fake, p, ctx):
    fa = _fn(fake, p["FunctionName"])["config"]["FunctionArn"] if p.get("FunctionName") else None
    ms = [m for _, m in sorted(_esms(fake).items())
          if (fa is None or m["FunctionArn"] == fa)
          and (not p.get("EventSourceArn") or m["EventSourceArn"] == p["EventSourceArn"])]
    start = int(p.get("Marker") or 0)
    n = int(p.get("MaxItems") or PAGE)
    out = {"EventSourceMappings": [_esm_out(m) for m in ms[start:start + n]]}
    if start + n < len(ms):
        out["NextMarker"] = str(start + n)
    return out


@op("lambda", "GetEventSourceMapping")
def get_event_source_mapping(fake, p, ctx):
    m = _esms(fake).get(p["UUID"])
    if m is None:
        raise AWSError(404, "ResourceNotFoundException", "The resource you requested does not exist.")
    return _esm_out(m)


@op("lambda", "UpdateEventSourceMapping")
def update_event_source_mapping(fake, p, ctx):
    m = _esms(fake).get(p["UUID"])
    if m is None:
        raise AWSError(404, "ResourceNotFoundException", "The resource you requested does not exist.")
    if "BatchSize" in p:
        m["BatchSize"] = p["BatchSize"]
    if "Enabled" in p:
        m["State"] = "Enabled" if p["Enabled"] else "Disabled"
    return dict(_esm_out(m), State="Updating")


@op("lambda", "DeleteEventSourceMapping")
def delete_event_source_mapping(fake, p, ctx):
    m = _esms(fake).pop(p["UUID"], None)
    if m is None:
        raise AWSError(404, "ResourceNotFoundException", "The resource you requested does not exist.")
    return dict(_esm_out(m), State="Deleting")


# ---- S3 bucket notifications --------------------------------------------------

def _s3_may_invoke(fake, fn_arn, bucket):
    try:
        f = _fn(fake, fn_arn)
    except AWSError:
        return False
    for s in f["policy"]:
        if s["Principal"].get("Service") != "s3.amazonaws.com":
            continue
        src = s.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn")
        if src is None or fnmatch.fnmatchcase(f"arn:aws:s3:::{bucket}", src):
            return True
    return False


@op("s3", "PutBucketNotificationConfiguration")
def put_bucket_notification_configuration(fake, p, ctx):
    b = _bucket(fake, p["Bucket"])
    cfg = p.get("NotificationConfiguration") or {}
    bad = [c["LambdaFunctionArn"] for c in cfg.get("LambdaFunctionConfigurations", [])
           if not _s3_may_invoke(fake, c["LambdaFunctionArn"], p["Bucket"])]
    if bad:
        raise AWSError(400, "InvalidArgument", "Unable to validate the following destination configurations")
    ids = [c.get("Id") for c in cfg.get("LambdaFunctionConfigurations", [])]
    if len(ids) != len(set(ids)):
        raise AWSError(400, "InvalidArgument", "Configuration Ids must be unique")
    b["notification"] = cfg
    return {}


@op("s3", "GetBucketNotificationConfiguration")
def get_bucket_notification_configuration(fake, p, ctx):
    return dict(_bucket(fake, p["Bucket"]).get("notification") or {})


# ---- SNS ------------------------------------------------------------------------

def _topics(fake):
    return st(fake, "sns_topics")


def _topic(fake, arn):
    t = _topics(fake).get(arn)
    if t is None:
        raise AWSError(404, "NotFound", "Topic does not exist")
    return t


@op("sns", "CreateTopic")
def create_topic(fake, p, ctx):
    arn = f"arn:aws:sns:{ctx['region']}:{ACCOUNT}:{p['Name']}"
    _topics(fake).setdefault(arn, {"subs": {}})
    return {"TopicArn": arn}


@op("sns", "Subscribe")
def subscribe(fake, p, ctx):
    t = _topic(fake, p["TopicArn"])
    for arn, s in t["subs"].items():
        if s["Protocol"] == p["Protocol"] and s["Endpoint"] == p.get("Endpoint"):
            return {"SubscriptionArn": arn}
    arn = f"{p['TopicArn']}:{uuid.uuid4()}"
    t["subs"][arn] = {"SubscriptionArn": arn, "Owner": ACCOUNT, "Protocol": p["Protocol"],
                      "Endpoint": p.get("Endpoint"), "TopicArn": p["TopicArn"]}
    return {"SubscriptionArn": arn}


@op("sns", "ListSubscriptionsByTopic")
def list_subscriptions_by_topic(fake, p, ctx):
    t = _topic(fake, p["TopicArn"])
    subs = [t["subs"][k] for k in sorted(t["subs"])]
    chunk, nxt = _page(subs, p, limit_key="__none__")
    out = {"Subscriptions": chunk}
    if nxt:
        out["NextToken"] = nxt
    return out


@op("sns", "Unsubscribe")
def unsubscribe(fake, p, ctx):
    for t in _topics(fake).values():
        if t["subs"].pop(p["SubscriptionArn"], None) is not None:
            return {}
    raise AWSError(404, "NotFound", "Subscription does not exist")


@op("sns", "GetTopicAttributes")
def get_topic_attributes(fake, p, ctx):
    t = _topic(fake, p["TopicArn"])
    return {"Attributes": {"TopicArn": p["TopicArn"], "Owner": ACCOUNT,
                           "SubscriptionsConfirmed": str(len(t["subs"]))}}


@op("sns", "DeleteTopic")
def delete_topic(fake, p, ctx):
    _topics(fake).pop(p["TopicArn"], None)     # SNS: deleting a missing topic is fine
    return {}


def _sns_may_invoke(f, topic):
    for s in f["policy"]:
        principal = s.get("Principal")
        if (principal == {"Service": "sns.amazonaws.com"} or principal == "*") and \
                s.get("Action") in ("lambda:InvokeFunction", "lambda:*"):
            cond = s.get("Condition") or {}
            src = (cond.get("ArnLike") or cond.get("ArnEquals") or {}).get("AWS:SourceArn")
            if src in (None, topic):
                return True
    return False


@op("sns", "Publish")
def publish(fake, p, ctx):
    """Deliver to the topic's lambda subscriptions as an asynchronous invocation
    with SNS's event; a function whose policy does not allow SNS is not
    invoked (the delivery failure is recorded, as SNS logs it)."""
    from .services import _fn, invoke_async
    arn = p.get("TopicArn") or p.get("TargetArn")
    if not arn:
        raise AWSError(400, "InvalidParameter", "Invalid parameter: TopicArn or TargetArn "
                       "Reason: no value for required parameter")
    t = _topic(fake, arn)
    if len(p["Message"].encode()) > 256 * 1024:
        raise AWSError(400, "InvalidParameter", "Invalid parameter: Message too long")
    mid = str(uuid.uuid4())
    t.setdefault("published", []).append(mid)
    for sub in list(t["subs"].values()):
        if sub["Protocol"] != "lambda":
            continue
        event = {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
                              "EventSubscriptionArn": sub["SubscriptionArn"],
                              "Sns": {"Type": "Notification", "MessageId": mid, "TopicArn": arn,
                                      "Subject": p.get("Subject"), "Message": p["Message"],
                                      "Timestamp": now().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                                      "MessageAttributes": {}}}]}
        try:
            f = _fn(fake, sub["Endpoint"])
        except AWSError:
            t.setdefault("failed_deliveries", []).append({"endpoint": sub["Endpoint"],
                                                          "why": "no such function"})
            continue
        if not _sns_may_invoke(f, arn):
            t.setdefault("failed_deliveries", []).append({"endpoint": sub["Endpoint"],
                                                          "why": "permission"})
            continue
        invoke_async(fake, f, None, json.dumps(event).encode(), ctx["region"], source="sns")
    return {"MessageId": mid}
