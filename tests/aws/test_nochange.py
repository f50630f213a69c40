"""The no-change update on AWS: when the package, the configuration, the
tags and the stage digest (hoist:digest, recorded once everything has
converged) all match, hoist only proves that what the last converge made is
still there — six reads, no write, nothing uploaded — and a stage that
drifted (a rule deleted by hand, the REST API deleted, the role's policy
edited) or a changed setting gets the full converge again."""
from aws_helpers import fake_requests, state

FN = "hoistapp-dev"
NO_CHANGE = [("lambda", "GetFunction"), ("iam", "GetRole"), ("lambda", "GetPolicy"),
             ("apigateway", "GetStage"), ("events", "ListRuleNamesByTarget"),
             ("iam", "GetRolePolicy")]
EVENTS = [{"function": "tasks.cleanup", "expression": "rate(1 hour)"}]


def calls(fake_aws, n0):
    return [(q["service"], q["operation"]) for q in fake_requests(fake_aws)[n0:]]


def update(run, d, aws_env, fake_aws):
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    return r, calls(fake_aws, n0)


def test_no_change_update_is_reads_only(run, aws_env, aws_project, fake_aws, boto):
    d = aws_project({"events": EVENTS, "touch": True})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    digest = state(fake_aws)["lambda"][FN]["tags"]["hoist:digest"]

    r, ops = update(run, d, aws_env, fake_aws)
    assert ops == NO_CHANGE                      # the exact request list: reads only
    assert r.stdout.strip() == url
    assert "Nothing changed" in r.stderr

    # drift: a rule deleted by hand is noticed and converged back
    ev = boto("events")
    rule = f"{FN}-tasks-cleanup"
    ev.remove_targets(Rule=rule, Ids=["hoist"])
    ev.delete_rule(Name=rule)
    r, ops = update(run, d, aws_env, fake_aws)
    assert ("events", "PutRule") in ops and ("events", "PutTargets") in ops
    assert ("lambda", "UpdateFunctionCode") not in ops and ("lambda", "TagResource") not in ops
    assert any(rule == n for n in state(fake_aws)["events_rules"])
    assert update(run, d, aws_env, fake_aws)[1] == NO_CHANGE

    # drift: the REST API deleted by hand: a new one, and its URL
    boto("apigateway").delete_rest_api(restApiId=url.split("//")[1].split(".")[0])
    r, ops = update(run, d, aws_env, fake_aws)
    assert ("apigateway", "CreateRestApi") in ops and ("apigateway", "CreateDeployment") in ops
    url = r.stdout.strip()
    r, ops = update(run, d, aws_env, fake_aws)
    assert ops == NO_CHANGE and r.stdout.strip() == url

    # drift: the role's inline policy edited by hand is put back, nothing else sent
    iam = boto("iam")
    role = f"{FN}-HoistLambdaExecutionRole"
    iam.put_role_policy(RoleName=role, PolicyName="hoist-permissions", PolicyDocument=(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Action": "s3:*", "Resource": "*"}]}'))
    r, ops = update(run, d, aws_env, fake_aws)
    assert ops.count(("iam", "PutRolePolicy")) == 1
    doc = iam.get_role_policy(RoleName=role, PolicyName="hoist-permissions")["PolicyDocument"]
    assert "s3:*" not in str(doc) and "logs:CreateLogStream" in str(doc)
    assert ("lambda", "UpdateFunctionCode") not in ops and ("iam", "CreateRole") not in ops
    assert update(run, d, aws_env, fake_aws)[1] == NO_CHANGE

    # a changed setting: the full converge, then the new digest is recorded
    d = aws_project({"events": EVENTS, "touch": True, "timeout_seconds": 60})
    r, ops = update(run, d, aws_env, fake_aws)
    assert ("lambda", "UpdateFunctionConfiguration") in ops
    assert ops.count(("lambda", "TagResource")) == 1
    assert ("lambda", "Invoke") in ops                       # something changed: touched
    assert state(fake_aws)["lambda"][FN]["tags"]["hoist:digest"] != digest
    r, ops = update(run, d, aws_env, fake_aws)
    assert ops == NO_CHANGE                                   # nothing changed: not touched


def test_no_change_update_without_front_door_or_rules(run, aws_env, aws_project, fake_aws):
    d = aws_project({"apigateway_enabled": False, "function_url_enabled": True,
                     "keep_warm": False})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    r, ops = update(run, d, aws_env, fake_aws)
    assert ops == [("lambda", "GetFunction"), ("iam", "GetRole"), ("lambda", "GetPolicy"),
                   ("lambda", "GetFunctionUrlConfig"), ("iam", "GetRolePolicy")]
    assert r.stdout.strip() == url
