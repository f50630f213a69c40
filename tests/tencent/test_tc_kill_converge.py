"""The kill-at-every-request converge check on Tencent Cloud, fast mode:
deploy, update and undeploy against the fake, SIGKILLed before and after the
fake acts on a few requests k of each (the first write, the middle, the last
writes and the lock's release), each followed by a re-run that must converge
(tests/tencent/tc_killpoints.py says what converged means; run it on its own
for every k and the table)."""
import io

from tc_killpoints import TcHarness, run_table, tc_env

WRITES = ("Create", "Put", "Update", "Delete", "Publish")


def some(ops):
    first = next(i for i, op in enumerate(ops) if op.startswith(WRITES))
    return sorted({first, len(ops) // 2, len(ops) - 4, len(ops) - 1})


def test_killed_at_some_requests_a_rerun_converges(hoist, tc_fake, tmp_path):
    h = TcHarness(hoist, tc_fake, str(tmp_path), tc_env(tc_fake))
    out = io.StringIO()
    failures = run_table(h, ks=some, out=out)
    print(out.getvalue())
    assert not failures, out.getvalue()
