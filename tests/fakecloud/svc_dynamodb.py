"""The fake's DynamoDB: the response table of Zappa's asynchronous tasks.

Tables (CreateTable → CREATING, ACTIVE after the settle time; DescribeTable,
UpdateTable of ProvisionedThroughput, DeleteTable → gone; Tags on creation,
ListTagsOfResource; UpdateTimeToLive / DescribeTimeToLive) and items
(PutItem, GetItem, UpdateItem with "SET a = :x, b = :y" expressions) in
fake.state["dynamodb"].  Item operations on a table that is not ACTIVE are
refused as DynamoDB refuses them; an item's attributes must include the key
and match its declared type.
"""
import re
import time

from .fakeaws import ACCOUNT, AWSError
from .services import SETTLE_SECONDS, now, op, st


def _tables(fake):
    return st(fake, "dynamodb")


def _not_found(name):
    return AWSError(400, "ResourceNotFoundException",
                    f"Requested resource not found: Table: {name} not found")


def _table(fake, name, active=False):
    t = _tables(fake).get(name)
    if t is None:
        raise _not_found(name)
    if t["TableStatus"] == "CREATING" and time.time() >= t["settle_at"]:
        t["TableStatus"] = "ACTIVE"
    if active and t["TableStatus"] != "ACTIVE":
        raise AWSError(400, "ResourceNotFoundException",
                       f"Requested resource not found: Table: {name} not found")
    return t


def _out(t):
    keys = ("AttributeDefinitions", "TableName", "KeySchema", "TableStatus", "CreationDateTime",
            "ProvisionedThroughput", "TableSizeBytes", "ItemCount", "TableArn", "TableId")
    out = {k: t[k] for k in keys}
    out["ItemCount"] = len(t["items"])
    return out


@op("dynamodb", "CreateTable")
def create_table(fake, p, ctx):
    tables, name = _tables(fake), p["TableName"]
    if name in tables:
        raise AWSError(400, "ResourceInUseException", f"Table already exists: {name}")
    declared = {a["AttributeName"]: a["AttributeType"] for a in p["AttributeDefinitions"]}
    for k in p["KeySchema"]:
        if k["AttributeName"] not in declared:
            raise AWSError(400, "ValidationException",
                           "One or more parameter values were invalid: Some index key "
                           "attributes are not defined in AttributeDefinitions.")
    mode = p.get("BillingMode", "PROVISIONED")
    pt = p.get("ProvisionedThroughput")
    if mode == "PROVISIONED" and not pt:
        raise AWSError(400, "ValidationException", "No provisioned throughput specified for "
                       "the table")
    import uuid
    tables[name] = {
        "TableName": name, "AttributeDefinitions": p["AttributeDefinitions"],
        "KeySchema": p["KeySchema"], "TableStatus": "CREATING", "CreationDateTime": now(),
        "ProvisionedThroughput": {"ReadCapacityUnits": (pt or {}).get("ReadCapacityUnits", 0),
                                  "WriteCapacityUnits": (pt or {}).get("WriteCapacityUnits", 0),
                                  "NumberOfDecreasesToday": 0},
        "TableSizeBytes": 0, "ItemCount": 0, "TableId": str(uuid.uuid4()),
        "TableArn": f"arn:aws:dynamodb:{ctx['region']}:{ACCOUNT}:table/{name}",
        "Tags": list(p.get("Tags") or []), "ttl": None, "items": {},
        "settle_at": time.time() + SETTLE_SECONDS}
    return {"TableDescription": _out(tables[name])}


@op("dynamodb", "DescribeTable")
def describe_table(fake, p, ctx):
    return {"Table": _out(_table(fake, p["TableName"]))}


@op("dynamodb", "UpdateTable")
def update_table(fake, p, ctx):
    t = _table(fake, p["TableName"], active=True)
    pt = p.get("ProvisionedThroughput")
    if pt:
        have = t["ProvisionedThroughput"]
        if (have["ReadCapacityUnits"], have["WriteCapacityUnits"]) == \
                (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]):
            raise AWSError(400, "ValidationException", "The provisioned throughput for the "
                           "table will not change. The requested value equals the current "
                           "value.")
        have.update(ReadCapacityUnits=pt["ReadCapacityUnits"],
                    WriteCapacityUnits=pt["WriteCapacityUnits"])
    return {"TableDescription": _out(t)}


@op("dynamodb", "DeleteTable")
def delete_table(fake, p, ctx):
    t = _table(fake, p["TableName"])
    if t["TableStatus"] == "CREATING":
        raise AWSError(400, "ResourceInUseException", f"Table is being created: {p['TableName']}")
    del _tables(fake)[p["TableName"]]
    out = _out(t)
    out["TableStatus"] = "DELETING"
    return {"TableDescription": out}


def _by_arn(fake, arn):
    for t in _tables(fake).values():
        if t["TableArn"] == arn:
            return t
    raise AWSError(400, "ResourceNotFoundException", f"Requested resource not found: {arn}")


@op("dynamodb", "ListTagsOfResource")
def list_tags_of_resource(fake, p, ctx):
    return {"Tags": list(_by_arn(fake, p["ResourceArn"])["Tags"])}


@op("dynamodb", "UpdateTimeToLive")
def update_time_to_live(fake, p, ctx):
    t = _table(fake, p["TableName"], active=True)
    spec = p["TimeToLiveSpecification"]
    if spec["Enabled"] and t["ttl"] == spec["AttributeName"]:
        raise AWSError(400, "ValidationException", "TimeToLive is already enabled")
    t["ttl"] = spec["AttributeName"] if spec["Enabled"] else None
    return {"TimeToLiveSpecification": spec}


@op("dynamodb", "DescribeTimeToLive")
def describe_time_to_live(fake, p, ctx):
    t = _table(fake, p["TableName"])
    if t["ttl"]:
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED",
                                          "AttributeName": t["ttl"]}}
    return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}


# ---- items ---------------------------------------------------------------------------

def _key_of(t, attrs):
    key = []
    types = {a["AttributeName"]: a["AttributeType"] for a in t["AttributeDefinitions"]}
    for k in t["KeySchema"]:
        name = k["AttributeName"]
        v = attrs.get(name)
        if not v or list(v) != [types[name]]:
            raise AWSError(400, "ValidationException", "One or more parameter values were "
                           "invalid: Missing the key %s in the item" % name
                           if not v else "The provided key element does not match the schema")
        key.append(v[types[name]])
    return tuple(key)


@op("dynamodb", "PutItem")
def put_item(fake, p, ctx):
    t = _table(fake, p["TableName"], active=True)
    t["items"][_key_of(t, p["Item"])] = dict(p["Item"])
    return {}


@op("dynamodb", "GetItem")
def get_item(fake, p, ctx):
    t = _table(fake, p["TableName"], active=True)
    if len(p["Key"]) != len(t["KeySchema"]):
        raise AWSError(400, "ValidationException", "The provided key element does not match "
                       "the schema")
    item = t["items"].get(_key_of(t, p["Key"]))
    return {"Item": dict(item)} if item is not None else {}


_SET = re.compile(r"^\s*SET\s+(.+)$", re.I)


@op("dynamodb", "UpdateItem")
def update_item(fake, p, ctx):
    t = _table(fake, p["TableName"], active=True)
    key = _key_of(t, p["Key"])
    m = _SET.match(p.get("UpdateExpression") or "")
    if not m:
        raise AWSError(400, "ValidationException", "Invalid UpdateExpression: the fake knows "
                       "SET a = :x[, b = :y]")
    values = p.get("ExpressionAttributeValues") or {}
    item = dict(t["items"].get(key) or dict(p["Key"]))
    for part in m.group(1).split(","):
        name, _, ref = (x.strip() for x in part.partition("="))
        name = (p.get("ExpressionAttributeNames") or {}).get(name, name)
        if ref not in values:
            raise AWSError(400, "ValidationException", "Invalid UpdateExpression: An "
                           f"expression attribute value used in expression is not defined; "
                           f"attribute value: {ref}")
        item[name] = values[ref]
    t["items"][key] = item
    return {}
