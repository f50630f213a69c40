"""Reads on AWS (issue 14 item 5): what a deploy or update reads whatever the
package holds — the account, the execution role and its policy, the
artifacts bucket, the function's configuration — is read while the package
is being built, before anything is written, and once per run: an answer is
remembered until hoist itself changes what it describes."""
from aws_helpers import fake_requests

EVENTS = [{"function": "tasks.cleanup", "expression": "rate(1 hour)"}]
READS = ("Get", "Head", "List", "Describe")


def ops_of(run, d, aws_env, fake_aws, *args):
    n0 = len(fake_requests(fake_aws))
    r = run(list(args), cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    return [q["operation"] for q in fake_requests(fake_aws)[n0:]]


def first_write(ops):
    return next(i for i, o in enumerate(ops) if not o.startswith(READS))


def test_deploy_reads_the_account_role_and_bucket_once_before_any_write(
        run, aws_env, aws_project, fake_aws):
    d = aws_project({"events": EVENTS})
    ops_of(run, d, aws_env, fake_aws, "deploy", "dev")        # the bucket exists from now on
    ops_of(run, d, aws_env, fake_aws, "undeploy", "dev", "-y")
    ops = ops_of(run, d, aws_env, fake_aws, "deploy", "dev")
    w = first_write(ops)
    for op in ("GetCallerIdentity", "GetRole", "HeadBucket"):
        assert ops.count(op) == 1 and ops.index(op) < w, (op, ops)
    assert "GetRolePolicy" not in ops        # the role was just created: it has none
    assert ops.index("CreateRole") > w


def test_update_reads_once_and_waits_only_for_its_own_writes(
        run, aws_env, aws_project, fake_aws):
    d = aws_project({"events": EVENTS})
    ops_of(run, d, aws_env, fake_aws, "deploy", "dev")
    with open(d / "app.py", "a") as f:
        f.write("\n# one file changed\n")
    ops = ops_of(run, d, aws_env, fake_aws, "update", "dev")
    w = first_write(ops)
    # GetPolicy, ListRuleNamesByTarget: no permission, no rule changed since stage_present
    for op in ("GetRole", "GetRolePolicy", "GetPolicy", "ListRuleNamesByTarget"):
        assert ops.count(op) == 1 and ops.index(op) < w, (op, ops)
    assert "GetCallerIdentity" not in ops                   # the function's ARN names the account
    # GetFunction said the function had settled: no GetFunctionConfiguration before the upload
    assert "GetFunctionConfiguration" not in ops[:ops.index("UpdateFunctionCode")], ops
    assert "GetFunctionConfiguration" in ops[ops.index("UpdateFunctionCode"):]
