"""The settle wait on AWS (issue 14): a function hoist has just created or
changed is Pending / InProgress for a while (the fake: HOIST_FAKE_SETTLE after
the write).  The front door and the rules need only the function's ARN, so
they are converged meanwhile; the wait counts from the write (the first
GetFunctionConfiguration comes HOIST_POLL_MS after it, and finds the function
settled); PublishVersion, then the stage digest (TagResource) come last."""
import pytest

from aws_helpers import fake_requests

EVENTS = [{"function": "tasks.cleanup", "expression": "rate(1 hour)"}]
FRONT_DOOR = ("CreateRestApi", "PutIntegration", "AddPermission", "CreateDeployment",
              "PutRule", "PutTargets")
FRONT_DOOR_READS = ("GetRestApis", "GetResources", "GetStage", "ListRules",
                    "ListTargetsByRule", "ListEventSourceMappings")


def run_ops(run, d, aws_env, fake_aws, *args):
    n0 = len(fake_requests(fake_aws))
    r = run(list(args), cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    return fake_requests(fake_aws)[n0:]


def writes(reqs):
    return [q["operation"] for q in reqs if q["service"] != "s3"   # the stage lock's
            and not q["operation"].startswith(("Get", "List", "Describe", "Head"))]


def test_deploy_converges_the_front_door_and_rules_while_the_function_settles(
        run, aws_env, aws_project, fake_aws):
    d = aws_project({"events": EVENTS})
    reqs = run_ops(run, d, aws_env, fake_aws, "deploy", "dev")
    ops = [q["operation"] for q in reqs]
    create = ops.index("CreateFunction")
    poll = ops.index("GetFunctionConfiguration")
    for op in FRONT_DOOR:
        assert create < ops.index(op) < poll, (op, ops)
    # one poll, HOIST_POLL_MS after CreateFunction was answered: settled by then
    assert ops.count("GetFunctionConfiguration") == 1, ops
    # the digest last, once the function is seen Active
    w = writes(reqs)
    assert w[-1] == "TagResource" and ops.index("TagResource") > poll, w


def test_update_publishes_after_the_front_door_once_the_code_settled(
        run, aws_env, aws_project, fake_aws):
    d = aws_project({"events": EVENTS})
    run_ops(run, d, aws_env, fake_aws, "deploy", "dev")
    for i in range(2):
        with open(d / "app.py", "a") as f:
            f.write(f"\n# change {i}\n")
        ops = [q["operation"] for q in run_ops(run, d, aws_env, fake_aws, "update", "dev")]
        code = ops.index("UpdateFunctionCode")
        poll = ops.index("GetFunctionConfiguration")
        for op in FRONT_DOOR_READS:
            assert code < ops.index(op, code) < poll, (op, ops)
        assert ops.count("GetFunctionConfiguration") == 1, ops   # the wait began at the write
        assert poll < ops.index("PublishVersion") < ops.index("TagResource", code), ops
    # pruning (num_retained_versions) follows the publish: test_deploy_update.py


QUEUE = "arn:aws:sqs:us-east-1:123456789012:jobs"


@pytest.mark.parametrize("op,settings", [
    ("AddPermission", {}),                                            # the API's
    ("AddPermission", {"apigateway_enabled": False, "events": EVENTS}),   # a rule's
    ("CreateFunctionUrlConfig", {"apigateway_enabled": False, "function_url_enabled": True}),
    ("PutFunctionConcurrency", {"lambda_concurrency": 5}),
    ("CreateEventSourceMapping", {"events": [{"function": "tasks.cleanup",
                                              "event_source": {"arn": QUEUE}}]}),
])
def test_a_call_refused_while_the_function_is_pending_waits_and_goes_on(
        run, aws_env, aws_project, fake_aws, op, settings):
    """Real Lambda may refuse calls on a function still Pending (409, "currently in the
    following state: Pending"): each call sent while the function settles (the front door's
    and the rules' permissions, its URL, its reserved concurrency, its triggers) waits for it
    and is sent again; the deploy goes on."""
    from aws_helpers import fake_post
    d = aws_project(settings)
    fake_post(fake_aws, "/__fake/faults", {"operation": op, "kind": "pending", "count": 1})
    reqs = run_ops(run, d, aws_env, fake_aws, "deploy", "dev")
    ops = [q["operation"] for q in reqs]
    first = ops.index(op)
    assert ops.count(op) >= 2, ops
    assert "GetFunctionConfiguration" in ops[first:ops.index(op, first + 1)], ops
