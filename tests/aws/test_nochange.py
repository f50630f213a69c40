"""The no-change update on AWS: when the package, the configuration, the
tags and the stage digest (hoist:digest, recorded once everything has
converged) all match, hoist only proves that what the last converge made is
still there — six reads, no write, nothing uploaded — and a stage that
drifted (a rule deleted by hand, the REST API deleted, the role's policy
edited) or a changed setting gets the full converge again.  The reads that
do not depend on each other go side by side: two round trips, not six."""
from aws_helpers import env_of, fake_post, fake_requests, start, state, wait_for

FN = "hoistapp-dev"
NO_CHANGE = sorted([("lambda", "GetFunction"), ("iam", "GetRole"), ("lambda", "GetPolicy"),
                    ("apigateway", "GetStage"), ("events", "ListRuleNamesByTarget"),
                    ("iam", "GetRolePolicy")])
EVENTS = [{"function": "tasks.cleanup", "expression": "rate(1 hour)"}]


def calls(fake_aws, n0):
    """The requests since n0, sorted: reads side by side arrive in any order."""
    return sorted((q["service"], q["operation"]) for q in fake_requests(fake_aws)[n0:])


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
    assert ops == sorted([("lambda", "GetFunction"), ("iam", "GetRole"), ("lambda", "GetPolicy"),
                          ("lambda", "GetFunctionUrlConfig"), ("iam", "GetRolePolicy")])
    assert r.stdout.strip() == url


def held_until(fake_aws, n0, held, seen):
    """While the fake holds `held` (unanswered), every operation in `seen` arrives too."""
    def arrived():
        reqs = fake_requests(fake_aws)[n0:]
        ops = {q["operation"] for q in reqs}
        hold = [q for q in reqs if q["operation"] == held]
        return seen <= ops and hold and "took" not in hold[-1]
    wait_for(arrived, timeout=20)


def test_no_change_update_reads_side_by_side(run, hoist, aws_env, aws_project, fake_aws,
                                             tmp_path):
    """The role, its policy and the function's policy are read while GetFunction is
    still unanswered; the rules while the front door's GetStage is: two round trips
    (against a cloud, each its latency) where one after another made six."""
    d = aws_project({"events": EVENTS})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    for held, seen in (("GetFunction", {"GetRole", "GetRolePolicy", "GetPolicy"}),
                       ("GetStage", {"ListRuleNamesByTarget"})):
        fake_post(fake_aws, "/__fake/reset-faults", {})
        fake_post(fake_aws, "/__fake/faults", {"operation": held, "kind": "block",
                                               "count": 1, "delay": 60})
        n0 = len(fake_requests(fake_aws))
        p = start(hoist, ["update", "dev"], d, env_of(tmp_path, aws_env))
        try:
            held_until(fake_aws, n0, held, seen)
        finally:
            fake_post(fake_aws, "/__fake/release", {})
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0 and "Nothing changed" in err, err
        assert out.strip() == url
        assert calls(fake_aws, n0) == NO_CHANGE
