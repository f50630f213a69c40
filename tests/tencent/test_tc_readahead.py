"""Reads made ahead (core/readahead.h; tc_read_ahead in providers/tencent/ctx.c): an
update's and status's reads that do not need each other's answers go at once, each
answer waiting for the command's own read of the same request.  The fake holds one
read and the test sees the others arrive meanwhile (tests/held.py).  Every read goes
out once; nothing read ahead is used after the update's first write; an interrupt while
a read is held ends hoist at once."""
import json

from held import interrupt, run_held
from tc_helpers import actions_since, fake_requests, writes_since

EVENTS = [{"function": "tasks.cleanup", "expression": "rate(1 hour)"}]


def deployed(run, tc_project, tc_env):
    proj = tc_project({"events": EVENTS})
    r = run(["deploy", "dev"], cwd=proj, env=tc_env, timeout=120)
    assert r.returncode == 0, r.stderr
    return proj


def test_a_no_change_update_reads_side_by_side_and_each_once(start, run, tc_project, tc_env,
                                                            tc_fake):
    proj = deployed(run, tc_project, tc_env)
    n0 = len(fake_requests(tc_fake))
    # one after another, these would wait for the held GetAlias, or for the package
    rc, out, err, _ = run_held(start, tc_fake, ["update", "dev"], proj, tc_env, "GetAlias",
                               {"DescribeTopics", "ListTriggers"})
    assert rc == 0, err
    assert "Code unchanged" in err
    assert writes_since(tc_fake, n0) == []
    sent = [(q["action"], json.dumps(q["params"], sort_keys=True))
            for q in fake_requests(tc_fake)[n0:]]
    assert len(sent) == len(set(sent)), sent          # no read twice
    assert [a for a, _ in sent].count("GetFunction") == 2   # $LATEST, and the alias's version


def test_status_reads_its_parts_beside_the_function(start, run, tc_project, tc_env, tc_fake):
    proj = deployed(run, tc_project, tc_env)
    rc, out, err, _ = run_held(start, tc_fake, ["--json", "status", "dev"], proj, tc_env,
                               "GetFunction", {"ListVersionByFunction", "GetAlias",
                                               "ListTriggers", "GetMonitorData"})
    assert rc == 0, err
    st = json.loads(out)
    assert st["versions"] == [1] and st["version"] == 1 and st["url"].startswith("https://")
    assert st["invocations_24h"] == 0 and st["errors_24h"] == 0


def test_nothing_read_ahead_is_used_after_the_first_write(run, tc_project, tc_env, tc_fake):
    """A code change: the alias is read again after the first write (what was read ahead
    before it is dropped), and the alias ends on the new version."""
    proj = deployed(run, tc_project, tc_env)
    (proj / "app.py").write_text((proj / "app.py").read_text() + "\n# changed\n")
    n0 = len(fake_requests(tc_fake))
    r = run(["update", "dev"], cwd=proj, env=tc_env, timeout=120)
    assert r.returncode == 0, r.stderr
    acts = [a for _, a in actions_since(tc_fake, n0)]
    first = min(acts.index(w) for _, w in writes_since(tc_fake, n0))
    assert "GetAlias" in acts[first:]
    assert ("scf", "PublishVersion") in writes_since(tc_fake, n0)
    assert ("scf", "UpdateAlias") in writes_since(tc_fake, n0)


def test_an_interrupt_while_a_read_is_held_ends_hoist_at_once(start, run, tc_project, tc_env,
                                                              tc_fake):
    proj = deployed(run, tc_project, tc_env)
    n0 = len(fake_requests(tc_fake))
    rc, out, err, took = run_held(start, tc_fake, ["update", "dev"], proj, tc_env, "GetAlias",
                                  {"ListTriggers", "DescribeTopics"}, interrupt)
    assert rc == 130, err
    assert took < 10, took                               # not the held read's 60 s
    assert writes_since(tc_fake, n0) == []
