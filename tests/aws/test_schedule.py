"""hoist schedule / unschedule on AWS against the fake: EventBridge rules and
targets, one Lambda permission for all of them, convergence (only the
difference changes on re-run), event sources, and clean removal."""
import json

from aws_helpers import ACCOUNT, REGION, fake_requests

FN = "hoistapp-dev"
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FN}"

EVENTS = [
    {"function": "tasks.cleanup", "expression": "rate(5 minutes)"},
    {"function": "tasks.report", "name": "nightly", "expression": "cron(0 3 * * ? *)",
     "kwargs": {"kind": "daily"}, "description": "nightly report"},
]


def rules(boto):
    ev = boto("events")
    out = {}
    for r in ev.list_rules(NamePrefix=FN + "-", Limit=100)["Rules"]:
        out[r["Name"]] = dict(r, Targets=ev.list_targets_by_rule(Rule=r["Name"])["Targets"])
    return out


def policy(boto):
    lam = boto("lambda")
    try:
        return json.loads(lam.get_policy(FunctionName=FN)["Policy"])["Statement"]
    except lam.exceptions.ResourceNotFoundException:
        return []


def test_schedule_creates_rules_targets_and_one_permission(run, aws_env, aws_project, boto,
                                                          lambda_function, fake_aws):
    lambda_function(FN)
    d = aws_project({"events": EVENTS})
    r = run(["schedule", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    got = rules(boto)
    assert sorted(got) == [f"{FN}-keep_warm", f"{FN}-nightly", f"{FN}-tasks-cleanup"]
    assert got[f"{FN}-tasks-cleanup"]["ScheduleExpression"] == "rate(5 minutes)"
    assert got[f"{FN}-nightly"]["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert got[f"{FN}-nightly"]["Description"] == "nightly report"
    assert got[f"{FN}-keep_warm"]["ScheduleExpression"] == "rate(4 minutes)"
    for name, rule in got.items():
        assert rule["State"] == "ENABLED"
        assert len(rule["Targets"]) == 1 and rule["Targets"][0]["Arn"] == ARN
    inputs = {n: json.loads(x["Targets"][0]["Input"]) for n, x in got.items()}
    assert inputs[f"{FN}-tasks-cleanup"] == {"hoist_event": {"name": "tasks-cleanup",
                                                             "function": "tasks.cleanup"}}
    assert inputs[f"{FN}-nightly"] == {"hoist_event": {"name": "nightly", "function": "tasks.report",
                                                       "kwargs": {"kind": "daily"}}}
    assert inputs[f"{FN}-keep_warm"] == {"hoist_event": {"name": "keep_warm", "keep_warm": True}}
    stmts = policy(boto)
    events_stmts = [s for s in stmts if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert len(events_stmts) == 1
    assert events_stmts[0]["Condition"]["ArnLike"]["AWS:SourceArn"] == \
        f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{FN}-*"
    assert len(fake_requests(fake_aws, "lambda", "AddPermission")) == 1
    assert "Rules: 3 created, 0 updated, 0 unchanged, 0 removed" in r.stderr


def test_rerun_changes_only_the_difference(run, aws_env, aws_project, boto, lambda_function,
                                           fake_aws):
    lambda_function(FN)
    d = aws_project({"events": EVENTS})
    assert run(["schedule", "dev"], cwd=d, env=aws_env).returncode == 0
    before = rules(boto)
    fake_post_reset_requests(fake_aws)

    # unchanged settings: nothing is written
    r = run(["schedule", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    writes = [q["operation"] for q in fake_requests(fake_aws)
              if q["operation"] in ("PutRule", "PutTargets", "DeleteRule", "RemoveTargets",
                                    "AddPermission", "RemovePermission")]
    assert writes == []

    # drop cleanup, change nightly's expression, add a new one, disable keep_warm
    fake_post_reset_requests(fake_aws)
    d = aws_project({"keep_warm": False, "events": [
        dict(EVENTS[1], expression="cron(30 4 * * ? *)"),
        {"function": "tasks.cleanup", "name": "hourly", "expressions": ["rate(1 hour)",
                                                                        "rate(90 minutes)"]},
    ]})
    r = run(["schedule", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    after = rules(boto)
    assert sorted(after) == [f"{FN}-hourly", f"{FN}-hourly-2", f"{FN}-nightly"]
    assert after[f"{FN}-nightly"]["ScheduleExpression"] == "cron(30 4 * * ? *)"
    assert after[f"{FN}-nightly"]["Arn"] == before[f"{FN}-nightly"]["Arn"]
    assert after[f"{FN}-hourly-2"]["ScheduleExpression"] == "rate(90 minutes)"
    ops = [(q["operation"], q["params"].get("Name") or q["params"].get("Rule"))
           for q in fake_requests(fake_aws, "events")]
    put = sorted(n for o, n in ops if o == "PutRule")
    deleted = sorted(n for o, n in ops if o == "DeleteRule")
    assert put == [f"{FN}-hourly", f"{FN}-hourly-2", f"{FN}-nightly"]
    assert deleted == [f"{FN}-keep_warm", f"{FN}-tasks-cleanup"]
    # still exactly one permission, never re-added
    assert fake_requests(fake_aws, "lambda", "AddPermission") == []
    assert len([s for s in policy(boto) if s["Sid"] == "hoist-events"]) == 1


def fake_post_reset_requests(fake_aws):
    with fake_aws.lock:
        fake_aws.requests.clear()


def test_unschedule_removes_everything(run, aws_env, aws_project, boto, lambda_function):
    lambda_function(FN)
    d = aws_project({"events": EVENTS})
    assert run(["schedule", "dev"], cwd=d, env=aws_env).returncode == 0
    r = run(["unschedule", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert rules(boto) == {}
    assert policy(boto) == []
    # idempotent
    assert run(["unschedule", "dev"], cwd=d, env=aws_env).returncode == 0


def test_other_stage_rules_are_left_alone(run, aws_env, aws_project, boto, lambda_function):
    """Rules of function hoistapp-dev-x start with 'hoistapp-dev-' too; they are not ours."""
    lambda_function(FN)
    other = lambda_function(FN + "-x")
    ev = boto("events")
    ev.put_rule(Name=FN + "-x-job", ScheduleExpression="rate(1 day)")
    ev.put_targets(Rule=FN + "-x-job", Targets=[{"Id": "1", "Arn": other}])
    d = aws_project({"keep_warm": False})
    assert run(["schedule", "dev"], cwd=d, env=aws_env).returncode == 0
    assert run(["unschedule", "dev"], cwd=d, env=aws_env).returncode == 0
    assert FN + "-x-job" in [r["Name"] for r in ev.list_rules()["Rules"]]


def test_long_names_are_hashed_and_unique(run, aws_env, aws_project, boto, lambda_function):
    lambda_function(FN)
    long = "x" * 70
    d = aws_project({"keep_warm": False, "events": [
        {"function": "tasks.cleanup", "name": long + "a", "expression": "rate(2 hours)"},
        {"function": "tasks.cleanup", "name": long + "b", "expression": "rate(3 hours)"}]})
    r = run(["schedule", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    names = sorted(rules(boto))
    assert len(names) == 2 and names[0] != names[1]
    assert all(len(n) <= 64 and n.startswith(FN + "-") for n in names)


def test_event_sources(run, aws_env, aws_project, boto, lambda_function, fake_aws):
    lambda_function(FN)
    s3 = boto("s3")
    s3.create_bucket(Bucket="uploads-bucket")
    s3.put_bucket_notification_configuration(Bucket="uploads-bucket", NotificationConfiguration={
        "QueueConfigurations": [{"Id": "someone-else", "QueueArn": "arn:aws:sqs:us-east-1:123456789012:q",
                                 "Events": ["s3:ObjectRemoved:*"]}]})
    topic = boto("sns").create_topic(Name="alerts")["TopicArn"]
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"
    stream = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/clicks"
    d = aws_project({"keep_warm": False, "events": [
        {"function": "tasks.cleanup", "event_source": {
            "arn": "arn:aws:s3:::uploads-bucket", "events": ["s3:ObjectCreated:*"],
            "key_filters": [{"type": "suffix", "value": ".csv"}]}},
        {"function": "tasks.cleanup", "event_source": {"arn": topic}},
        {"function": "tasks.cleanup", "event_source": {"arn": queue, "batch_size": 5}},
        {"function": "tasks.cleanup", "event_source": {"arn": stream,
                                                        "starting_position": "LATEST"}},
    ]})
    r = run(["schedule", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    n = s3.get_bucket_notification_configuration(Bucket="uploads-bucket")
    assert [q["Id"] for q in n.get("QueueConfigurations", [])] == ["someone-else"]
    [lc] = n["LambdaFunctionConfigurations"]
    assert lc["LambdaFunctionArn"] == ARN and lc["Events"] == ["s3:ObjectCreated:*"]
    assert lc["Filter"]["Key"]["FilterRules"] == [{"Name": "suffix", "Value": ".csv"}]
    subs = boto("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("lambda", ARN)]
    maps = {m["EventSourceArn"]: m for m in
            boto("lambda").list_event_source_mappings(FunctionName=FN)["EventSourceMappings"]}
    assert sorted(maps) == sorted([queue, stream])
    assert maps[queue]["BatchSize"] == 5 and "StartingPosition" not in maps[queue]
    assert maps[stream]["StartingPosition"] == "LATEST"
    principals = sorted(s["Principal"]["Service"] for s in policy(boto))
    assert principals == ["s3.amazonaws.com", "sns.amazonaws.com"]

    # re-run: nothing new is created
    fake_post_reset_requests(fake_aws)
    assert run(["schedule", "dev"], cwd=d, env=aws_env).returncode == 0
    assert [q["operation"] for q in fake_requests(fake_aws)
            if q["operation"] in ("CreateEventSourceMapping", "AddPermission")] == []

    # unschedule: ours gone, someone else's S3 notification kept
    r = run(["unschedule", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    n = s3.get_bucket_notification_configuration(Bucket="uploads-bucket")
    assert "LambdaFunctionConfigurations" not in n
    assert [q["Id"] for q in n["QueueConfigurations"]] == ["someone-else"]
    assert boto("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    assert boto("lambda").list_event_source_mappings(FunctionName=FN)["EventSourceMappings"] == []
    assert policy(boto) == []


def test_schedule_before_deploy_is_a_clear_error(run, aws_env, aws_project, fake_aws):
    d = aws_project({"events": EVENTS})
    r = run(["schedule", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 1
    assert "not deployed" in r.stderr and "hoist deploy dev" in r.stderr
    assert [q for q in fake_requests(fake_aws) if q["operation"] in ("PutRule", "AddPermission")] == []


def test_enabled_false_creates_a_disabled_rule_and_toggles(run, aws_env, aws_project, boto,
                                                           lambda_function, fake_aws):
    lambda_function(FN)
    off = [dict(EVENTS[0], enabled=False), EVENTS[1]]
    d = aws_project({"events": off, "keep_warm": False})
    r = run(["schedule", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    [put] = [q for q in fake_requests(fake_aws, "events", "PutRule")
             if q["params"]["Name"] == f"{FN}-tasks-cleanup"]
    assert put["params"]["State"] == "DISABLED"
    got = rules(boto)
    assert got[f"{FN}-tasks-cleanup"]["State"] == "DISABLED"
    assert got[f"{FN}-nightly"]["State"] == "ENABLED"
    # the disabled rule is still listed, with its state
    assert f"{FN}-tasks-cleanup  rate(5 minutes)  next never (rule DISABLED)" in r.stderr
    # enable it: one PutRule for that rule only, then nothing on a re-run
    d = aws_project({"events": EVENTS, "keep_warm": False})
    n = len(fake_requests(fake_aws, "events", "PutRule"))
    r = run(["schedule", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    puts = fake_requests(fake_aws, "events", "PutRule")[n:]
    assert [(q["params"]["Name"], q["params"]["State"]) for q in puts] == \
        [(f"{FN}-tasks-cleanup", "ENABLED")]
    assert rules(boto)[f"{FN}-tasks-cleanup"]["State"] == "ENABLED"
    assert "Rules: 0 created, 1 updated, 1 unchanged, 0 removed" in r.stderr
    r = run(["schedule", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert len(fake_requests(fake_aws, "events", "PutRule")) == n + 1
    # and back off
    d = aws_project({"events": off, "keep_warm": False})
    r = run(["schedule", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert rules(boto)[f"{FN}-tasks-cleanup"]["State"] == "DISABLED"
    assert len(rules(boto)[f"{FN}-tasks-cleanup"]["Targets"]) == 1


def test_schedule_prints_what_it_scheduled(run, aws_env, aws_project, lambda_function):
    import datetime
    import re
    lambda_function(FN)
    d = aws_project({"events": EVENTS})
    r = run(["schedule", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    at = lines.index("Scheduled the events of stage 'dev':")
    shown = {}
    for line in lines[at + 1:at + 4]:
        m = re.fullmatch(r"  (\S+)  (.+)  next (\S+)", line)
        assert m, line
        shown[m[1]] = (m[2], m[3])
    assert sorted(shown) == [f"{FN}-keep_warm", f"{FN}-nightly", f"{FN}-tasks-cleanup"]
    assert shown[f"{FN}-nightly"][0] == "cron(0 3 * * ? *)"
    nxt = datetime.datetime.strptime(shown[f"{FN}-nightly"][1], "%Y-%m-%dT%H:%M:%SZ")
    now = datetime.datetime.utcnow()
    assert (nxt.hour, nxt.minute) == (3, 0) and now < nxt <= now + datetime.timedelta(days=1)
    nxt = datetime.datetime.strptime(shown[f"{FN}-tasks-cleanup"][1], "%Y-%m-%dT%H:%M:%SZ")
    assert now - datetime.timedelta(seconds=2) < nxt <= now + datetime.timedelta(minutes=5, seconds=2)
    # --json: the same on stdout as one JSON document
    r = run(["--json", "schedule", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["stage"] == "dev"
    assert {s["name"]: s["expression"] for s in doc["schedules"]} == \
        {k: v[0] for k, v in shown.items()}
    assert {s["state"] for s in doc["schedules"]} == {"ENABLED"}
