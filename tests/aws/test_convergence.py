"""Convergence gaps of issue 12: an update whose PublishVersion never happened
is published by the re-run (item 6); a deploy that failed after its front
door is finished by `hoist deploy` again, as its hint says (item 9)."""
from aws_helpers import fake_post, fake_requests, state

FN = "hoistapp-dev"


def versions(boto):
    vs = boto("lambda").list_versions_by_function(FunctionName=FN)["Versions"]
    return {v["Version"]: v for v in vs}


def fail_always(fake_aws, op):
    fake_post(fake_aws, "/__fake/faults", {"operation": op, "kind": "500", "count": -1})


def faults_off(fake_aws):
    fake_post(fake_aws, "/__fake/reset-faults", {})


def test_an_update_that_never_published_is_published_by_the_rerun(run, aws_env, aws_project,
                                                                  fake_aws, boto):
    d = aws_project({"keep_warm": False})
    assert run(["deploy", "dev"], cwd=d, env=aws_env).returncode == 0
    (d / "app.py").write_text((d / "app.py").read_text().replace("hello", "hello again"))
    fail_always(fake_aws, "PublishVersion")       # UpdateFunctionCode goes through, 5 x 500
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 1 and "PublishVersion" in r.stderr
    faults_off(fake_aws)
    vs = versions(boto)
    assert sorted(vs) == ["$LATEST", "1"] and vs["$LATEST"]["CodeSha256"] != vs["1"]["CodeSha256"]
    r = run(["update", "dev"], cwd=d, env=aws_env)   # nothing differs from the package...
    assert r.returncode == 0, r.stderr
    assert "publishing them" in r.stderr              # ...but $LATEST is ahead of version 1
    vs = versions(boto)
    assert sorted(vs) == ["$LATEST", "1", "2"] and vs["2"]["CodeSha256"] == vs["$LATEST"]["CodeSha256"]
    r = run(["--json", "status", "dev"], cwd=d, env=aws_env)
    assert '"version": 2' in r.stdout.replace('"version":2', '"version": 2'), r.stdout
    assert run(["rollback", "dev", "-n", "1"], cwd=d, env=aws_env).returncode == 0
    # and now truly nothing to do: no new version
    n0 = len(fake_requests(fake_aws, "lambda", "PublishVersion"))
    assert run(["update", "dev"], cwd=d, env=aws_env).returncode == 0
    assert run(["update", "dev"], cwd=d, env=aws_env).returncode == 0
    assert len(fake_requests(fake_aws, "lambda", "PublishVersion")) == n0 + 1   # the rollforward


def test_a_configuration_change_that_never_published(run, aws_env, aws_project, fake_aws, boto):
    d = aws_project({"keep_warm": False, "environment_variables": {"MODE": "a"}})
    assert run(["deploy", "dev"], cwd=d, env=aws_env).returncode == 0
    aws_project({"keep_warm": False, "environment_variables": {"MODE": "b"}})
    fail_always(fake_aws, "PublishVersion")
    assert run(["update", "dev"], cwd=d, env=aws_env).returncode == 1
    faults_off(fake_aws)
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    vs = versions(boto)
    assert vs[max((k for k in vs if k != "$LATEST"), key=int)]["Environment"]["Variables"] \
        == {"MODE": "b"}


def test_a_deploy_that_failed_after_its_front_door_is_finished_by_deploy(
        run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": True})          # rules come after the front door
    fail_always(fake_aws, "PutRule")
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 1
    assert "run 'hoist deploy dev' again to finish" in r.stderr
    assert len(state(fake_aws)["apigateway"]["apis"]) == 1       # the front door exists
    faults_off(fake_aws)
    r = run(["deploy", "dev"], cwd=d, env=aws_env)             # the command the hint names
    assert r.returncode == 0, r.stderr
    assert "Deployment complete!" in r.stderr and "finishing it" in r.stderr
    s = state(fake_aws)
    assert len(s["apigateway"]["apis"]) == 1 and list(s["lambda"]) == [FN]
    assert any(n.endswith("keep_warm") for n in s["events_rules"])
    r = run(["deploy", "dev"], cwd=d, env=aws_env)             # finished: deploy refuses now
    assert r.returncode == 1 and "did you mean 'hoist update dev'?" in r.stderr


def rule_names(fake_aws):
    return sorted(state(fake_aws).get("events_rules", {}))


def orphan(boto, name):
    """What a run stopped between RemoveTargets and DeleteRule leaves."""
    ev = boto("events")
    ids = [t["Id"] for t in ev.list_targets_by_rule(Rule=name)["Targets"]]
    ev.remove_targets(Rule=name, Ids=ids)


EVENTS = [{"function": "tasks.cleanup", "name": "nightly", "expression": "rate(1 day)"}]


def test_undeploy_removes_a_rule_that_lost_its_targets(run, aws_env, aws_project, fake_aws, boto):
    d = aws_project({"events": EVENTS})
    assert run(["deploy", "dev"], cwd=d, env=aws_env).returncode == 0
    assert rule_names(fake_aws) == [f"{FN}-keep_warm", f"{FN}-nightly"]
    orphan(boto, f"{FN}-nightly")        # invisible to ListRuleNamesByTarget now
    r = run(["undeploy", "dev", "-y"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert rule_names(fake_aws) == []


def test_schedule_and_unschedule_find_orphans_by_name_and_leave_others(
        run, aws_env, aws_project, fake_aws, boto):
    d = aws_project({"events": EVENTS})
    assert run(["deploy", "dev"], cwd=d, env=aws_env).returncode == 0
    ev = boto("events")
    # another stage whose function name starts like ours: its rules are not ours
    ev.put_rule(Name=f"{FN}-x-keep_warm", ScheduleExpression="rate(4 minutes)",
                Tags=[{"Key": "hoist:function", "Value": f"{FN}-x"}])
    # an untagged orphan an older hoist left, named as our settings name one
    ev.put_rule(Name=f"{FN}-nightly-old", ScheduleExpression="rate(2 days)")
    orphan(boto, f"{FN}-nightly")
    aws_project({"events": [], "keep_warm": True})      # nightly removed from the settings
    r = run(["schedule", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert f"{FN}-nightly" not in rule_names(fake_aws), "the tagged orphan is removed"
    assert f"{FN}-x-keep_warm" in rule_names(fake_aws) and f"{FN}-nightly-old" in rule_names(fake_aws)
    orphan(boto, f"{FN}-keep_warm")
    # now the settings name "nightly-old": the untagged orphan is recognised as ours
    aws_project({"events": [{"function": "tasks.cleanup", "name": "nightly-old",
                             "expression": "rate(2 days)"}]})
    r = run(["unschedule", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert rule_names(fake_aws) == [f"{FN}-x-keep_warm"]


def test_already_exists_on_create_converges(hoist, aws_env, aws_project, fake_aws,
                                            lambda_function, tmp_path):
    """Item 8: what another tool (or a run without the lock) created between
    hoist's read and its create is converged, not reported as a raw error."""
    from aws_helpers import env_of, start, wait_for
    d = aws_project({"keep_warm": False})
    fake_post(fake_aws, "/__fake/faults", {"operation": "CreateFunction", "kind": "block",
                                           "delay": 60})
    p = start(hoist, ["deploy", "dev"], d, env_of(tmp_path, aws_env))
    try:
        wait_for(lambda: fake_requests(fake_aws, "lambda", "CreateFunction"))
        faults_off(fake_aws)
        lambda_function(FN)                      # someone else creates it meanwhile
    finally:
        fake_post(fake_aws, "/__fake/release", {})
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert "exists already; converging it" in err and "Deployment complete!" in err
    s = state(fake_aws)
    assert list(s["lambda"]) == [FN] and len(s["apigateway"]["apis"]) == 1
    assert fake_requests(fake_aws, "lambda", "UpdateFunctionCode"), "hoist's code went in"
