"""The kill-at-every-request converge check (issue 12), fast mode: deploy,
update and undeploy against the fake AWS, SIGKILLed before and after the fake
acts on a few requests k of each (the first write, the middle, the last
writes and the lock's release), each followed by a re-run that must converge
(tests/aws/killpoints.py says what converged means).  Every k:
`python3 tests/aws/killpoints.py` (bench/killpoints/run.sh), which prints
the table."""
import io

from killpoints import Harness, run_table

WRITES = ("Create", "Put", "Update", "Delete", "Publish", "Tag", "Add", "Remove")


def some(ops):
    first = next(i for i, op in enumerate(ops) if op.startswith(WRITES))
    return sorted({first, len(ops) // 2, len(ops) - 4, len(ops) - 1})


def test_killed_at_some_requests_a_rerun_converges(hoist, aws_env, fake_aws, tmp_path):
    env = {k: v for k, v in aws_env.items() if v is not None}
    h = Harness(hoist, fake_aws, str(tmp_path), env)
    out = io.StringIO()
    failures = run_table(h, ks=some, out=out)
    print(out.getvalue())
    assert not failures, out.getvalue()
