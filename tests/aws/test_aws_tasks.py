"""Asynchronous tasks on AWS (issue 13), end to end on the fake AWS: the
packaged handler runs in the fake Lambda with its role's session credentials,
so every call it makes itself (Lambda Invoke Event, SNS Publish, DynamoDB,
S3 for remote_env) is SigV4-checked by botocore's signer and authorised
against the role hoist wrote.

- @task through Zappa's import path and hoist's: the HTTP request returns
  before the task runs (the task waits for an object the test puts in S3
  afterwards), the task runs once in the function, and with capture_response
  get_async_response returns its result from the DynamoDB table;
- async_source sns + async_resources: topic, subscription and permission
  made by deploy, the task goes through SNS, undeploy removes the topic and
  the table hoist created (a table it did not create is kept);
- remote_env: visible to the app; a missing object or a non-object refused
  at deploy with exit 2 and nothing created; the role may read exactly that
  object."""
import json
import time
import urllib.error
import urllib.request

from aws_helpers import ACCOUNT, REGION, fake_requests, state
from fakecloud.polling import wait_until

FN = "hoistapp-dev"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:{FN}-zappa-async"

APP = r'''import json, os, time
from urllib.parse import parse_qs

from zappa.asynchronous import task, get_async_response
import hoist_aws
import hoist_tasks


def gate_open(tag):
    """The test puts s3://gates/<tag> once the request has answered."""
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            return hoist_aws.s3_get("gates", tag)
        except hoist_aws.AWSError:
            time.sleep(0.05)
    raise RuntimeError("the gate never opened")


@task(capture_response=True)
def bake(flavour, tag):
    gate_open(tag)
    print("BAKED", flavour, tag)
    return {"pie": flavour}


@hoist_tasks.task_sns
def announce(tag):
    print("ANNOUNCED", tag)


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    q = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if path == "/bake":
        r = bake(q["flavour"], tag=q["tag"])
        out = {"sent": bool(r.sent), "response_id": r.response_id}
    elif path == "/announce":
        out = {"sent": bool(announce(q["tag"]).sent)}
    elif path == "/response":
        out = get_async_response(q["id"])
    elif path == "/env":
        out = {k: os.environ.get(k) for k in ("DB_URL", "GREETING")}
    else:
        out = {"path": path}
    body = json.dumps(out).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
'''


def project(aws_project, **extra):
    d = aws_project(dict({"keep_warm": False, "async_response_table": "pies",
                          "async_response_table_read_capacity": 2,
                          "extra_permissions": [{"Effect": "Allow", "Action": ["s3:GetObject"],
                                                 "Resource": "arn:aws:s3:::gates/*"}]},
                         **extra))
    (d / "app.py").write_text(APP)
    return d


def get(fake_aws, url, path):
    host = url.split("/")[2]
    req = urllib.request.Request(fake_aws.url + "/dev" + path, headers={"Host": host})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def task_runs(fake_aws, marker):
    return [a for a in state(fake_aws).get("async_invocations", {}).values()
            if marker in a.get("logs", "")]


def test_task_capture_response_and_sns(run, aws_env, aws_project, fake_aws, boto):
    boto("s3").create_bucket(Bucket="gates")
    d = project(aws_project, async_source="sns")
    r = run(["deploy", "dev"], cwd=d, env=aws_env, timeout=120)
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    assert f"SNS Topic created: {TOPIC}" in r.stderr
    assert "DynamoDB table created: pies" in r.stderr
    s = state(fake_aws)
    assert s["dynamodb"]["pies"]["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    assert s["dynamodb"]["pies"]["ProvisionedThroughput"]["WriteCapacityUnits"] == 1
    assert s["dynamodb"]["pies"]["ttl"] == "ttl"
    subs = list(s["sns_topics"][TOPIC]["subs"].values())
    assert [(x["Protocol"], x["Endpoint"].split(":")[-1]) for x in subs] == [("lambda", FN)]

    # the request answers before the task runs
    status, ans = get(fake_aws, url, "/bake?flavour=apple&tag=t1")
    assert status == 200 and ans["sent"] is True, ans
    invokes = fake_requests(fake_aws, "lambda", "Invoke")
    assert invokes[-1]["params"]["InvocationType"] == "Event"
    pending = wait_until(lambda: get(fake_aws, url, "/response?id=" + ans["response_id"])[1])
    assert pending == {"status": "in progress", "response": "N/A"}     # started, gated
    assert not task_runs(fake_aws, "BAKED apple t1")
    boto("s3").put_object(Bucket="gates", Key="t1", Body=b"open")
    wait_until(lambda: get(fake_aws, url, "/response?id=" + ans["response_id"])[1]["status"]
         == "complete")
    assert get(fake_aws, url, "/response?id=" + ans["response_id"])[1] == \
        {"status": "complete", "response": {"pie": "apple"}}
    runs = task_runs(fake_aws, "BAKED apple t1")
    assert len(runs) == 1 and runs[0]["attempts"] == 1        # once
    assert get(fake_aws, url, "/response?id=nope")[1] is None

    # SNS: published by the function, delivered to it
    status, ans = get(fake_aws, url, "/announce?tag=t2")
    assert ans == {"sent": True}
    pubs = fake_requests(fake_aws, "sns", "Publish")
    assert pubs[-1]["params"]["TargetArn"] == TOPIC
    wait_until(lambda: task_runs(fake_aws, "ANNOUNCED t2"))
    assert task_runs(fake_aws, "ANNOUNCED t2")[0]["source"] == "sns"

    # an unchanged update writes nothing for them
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=aws_env, timeout=120)
    assert r.returncode == 0, r.stderr
    ops = [q["operation"] for q in fake_requests(fake_aws)[n0:] if q["service"] in ("sns", "dynamodb")]
    assert ops == ["GetTopicAttributes", "ListSubscriptionsByTopic", "DescribeTable"], ops

    # undeploy removes what hoist created
    r = run(["undeploy", "dev", "-y"], cwd=d, env=aws_env, timeout=120)
    assert r.returncode == 0, r.stderr
    s = state(fake_aws)
    assert TOPIC not in s["sns_topics"] and "pies" not in s.get("dynamodb", {})
    assert f"SNS Topic removed: {TOPIC}" in r.stderr


def test_role_may_do_exactly_what_tasks_need(run, aws_env, aws_project, fake_aws):
    d = project(aws_project, async_source="sns", remote_env="s3://cfg/app.json")
    import botocore.session  # noqa: F401
    s3 = _s3(fake_aws)
    s3.create_bucket(Bucket="cfg")
    s3.put_object(Bucket="cfg", Key="app.json", Body=b'{"DB_URL": "postgres://x"}')
    r = run(["deploy", "dev"], cwd=d, env=aws_env, timeout=120)
    assert r.returncode == 0, r.stderr
    role = state(fake_aws)["iam_roles"][f"{FN}-HoistLambdaExecutionRole"]
    stmts = json.loads(role["policies"]["hoist-permissions"])["Statement"]
    grants = {(a, st["Resource"]) for st in stmts for a in st["Action"]}
    assert ("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FN}") in grants
    assert ("sns:Publish", TOPIC) in grants
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/pies"
    assert {("dynamodb:GetItem", table), ("dynamodb:PutItem", table),
            ("dynamodb:UpdateItem", table)} <= grants
    assert sorted(r for a, r in grants if a.startswith(("s3:", "dynamodb:", "sns:"))) == sorted([
        "arn:aws:s3:::cfg/app.json", "arn:aws:s3:::gates/*", TOPIC, table, table, table])
    url = r.stdout.strip()
    assert get(fake_aws, url, "/env")[1] == {"DB_URL": "postgres://x", "GREETING": None}


def _s3(fake_aws):
    import botocore.session
    from aws_helpers import AKID, SECRET
    return botocore.session.get_session().create_client(
        "s3", region_name=REGION, endpoint_url=fake_aws.url, aws_access_key_id=AKID,
        aws_secret_access_key=SECRET)


def test_remote_env_checked_at_deploy(run, aws_env, aws_project, fake_aws):
    s3 = _s3(fake_aws)
    s3.create_bucket(Bucket="cfg")
    d = project(aws_project, remote_env="s3://cfg/missing.json")
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 2, r.stderr
    assert "remote_env s3://cfg/missing.json cannot be read" in r.stderr and "NoSuchKey" in r.stderr
    for body, why in [(b'["a"]', "JSON object of strings"), (b'{"A": 1}', "must be a string"),
                      (b"not json", "not JSON")]:
        s3.put_object(Bucket="cfg", Key="bad.json", Body=body)
        d = project(aws_project, remote_env="s3://cfg/bad.json")
        r = run(["deploy", "dev"], cwd=d, env=aws_env)
        assert r.returncode == 2 and why in r.stderr, r.stderr
    writes = [q for q in fake_requests(fake_aws) if q["service"] not in ("s3", "sts")
              and not q["operation"].startswith(("Get", "List"))]
    assert writes == []                                  # nothing else was touched
    assert not state(fake_aws).get("lambda")
    d = project(aws_project, remote_env="s3://nobucket/x.json")
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 2 and "NoSuchBucket" in r.stderr
