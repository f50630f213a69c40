"""Reads made ahead (core/readahead.h; ali_read_ahead in providers/aliyun/ctx.c): an
update's and status's reads that do not need each other's answers go at once, each
answer waiting for the command's own read of the same request.  The fake holds one
read and the test sees the others arrive meanwhile (tests/held.py).  Every read goes
out once; readers never write (a converge run as a reader stops at its first write);
nothing read ahead is used after the update's first write, and what is still being read
then is dropped, not waited for; an interrupt while a read is held ends hoist at once."""
import json
import time

from ali_helpers import actions_since, admin, fault, requests, writes_since
from held import interrupt, run_held

EVENTS = [{"function": "tasks.cleanup", "expression": "rate(1 hour)"}]
DLQ = "acs:mns:cn-hangzhou:1234567890123456:/queues/dlq/messages"


def deployed(run, ali_project, ali_env):
    proj = ali_project({"events": EVENTS, "dead_letter_arn": DLQ})
    r = run(["deploy", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    return proj


def test_a_no_change_update_reads_side_by_side_and_each_once(start, run, ali_project,
                                                            ali_env, fake_aliyun):
    proj = deployed(run, ali_project, ali_env)
    n0 = len(requests(fake_aliyun))
    # one after another, these would all wait for the held GetAlias
    rc, out, err, _ = run_held(start, fake_aliyun, ["update", "dev"], proj, ali_env,
                               "GetAlias", {"GetAsyncInvokeConfig", "GetTrigger",
                                            "ListTriggers", "GetIndex"})
    assert rc == 0, err
    assert "Code unchanged" in err
    assert writes_since(fake_aliyun, n0) == []
    sent = [(q["action"], json.dumps(q["params"], sort_keys=True))
            for q in requests(fake_aliyun)[n0:]]
    assert len(sent) == len(set(sent)), sent          # no read twice
    assert [a for a, _ in sent].count("GetFunction") == 2   # LATEST, and the alias's version


def test_the_log_project_logstore_and_index_are_read_side_by_side(start, run, ali_project,
                                                                   ali_env, fake_aliyun):
    """The three SLS reads each need the account only: the readers share one
    GetCallerIdentity and then read them at once."""
    proj = deployed(run, ali_project, ali_env)
    n0 = len(requests(fake_aliyun))
    rc, out, err, _ = run_held(start, fake_aliyun, ["update", "dev"], proj, ali_env,
                               "GetProject", {"GetLogStore", "GetIndex"})
    assert rc == 0, err
    assert actions_since(fake_aliyun, n0).count("GetCallerIdentity") == 1
    assert writes_since(fake_aliyun, n0) == []


def test_status_reads_its_parts_beside_the_function(start, run, ali_project, ali_env,
                                                    fake_aliyun):
    proj = deployed(run, ali_project, ali_env)
    rc, out, err, _ = run_held(start, fake_aliyun, ["--json", "status", "dev"], proj, ali_env,
                               "GetFunction", {"ListFunctionVersions", "GetAlias",
                                               "GetTrigger", "ListTriggers", "GetHistograms"})
    assert rc == 0, err
    st = json.loads(out)
    assert st["versions"] == ["1"] and st["version"] == "1"
    assert st["url"].startswith("https://") and "invocations_24h" in st


def test_readers_never_write_and_the_update_writes_what_changed(run, ali_project, ali_env,
                                                                fake_aliyun):
    """A dead letter queue changed: the reader running the async config's converge, from
    the start, reads it and stops at the put it would make; the update makes it, once, in
    its turn (after the function's new version)."""
    proj = deployed(run, ali_project, ali_env)
    ali_project({"events": EVENTS, "dead_letter_arn": DLQ.replace("dlq", "dlq2")})
    n0 = len(requests(fake_aliyun))
    r = run(["update", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert writes_since(fake_aliyun, n0) == ["UpdateFunction", "PublishFunctionVersion",
                                             "UpdateAlias", "PutAsyncInvokeConfig"]


def test_nothing_read_ahead_is_used_after_the_first_write(run, ali_project, ali_env,
                                                         fake_aliyun):
    """A code change: the alias and the versions are read again after UpdateFunction
    (what was read ahead before it is dropped), and the new version is the one published."""
    proj = deployed(run, ali_project, ali_env)
    (proj / "app.py").write_text((proj / "app.py").read_text() + "\n# changed\n")
    n0 = len(requests(fake_aliyun))
    r = run(["update", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    acts = actions_since(fake_aliyun, n0)
    w = acts.index("UpdateFunction")
    assert "ListFunctionVersions" in acts[w:] and "GetAlias" in acts[w:]
    assert writes_since(fake_aliyun, n0) == ["UpdateFunction", "PublishFunctionVersion",
                                             "UpdateAlias"]


def test_an_interrupt_while_a_read_is_held_ends_hoist_at_once(start, run, ali_project, ali_env,
                                                              fake_aliyun):
    proj = deployed(run, ali_project, ali_env)
    n0 = len(requests(fake_aliyun))
    rc, out, err, took = run_held(start, fake_aliyun, ["update", "dev"], proj, ali_env,
                                  "GetAlias", {"ListTriggers", "GetIndex"}, interrupt)
    assert rc == 130, err
    assert took < 10, took                               # not the held read's 60 s
    assert writes_since(fake_aliyun, n0) == []


def test_a_read_ahead_nobody_will_take_does_not_hold_hoist_up(run, ali_project, ali_env,
                                                             fake_aliyun):
    """A code change: once the update writes, what is still being read ahead is of no use;
    a reader's read the fake holds (60 s) is dropped then, and the update reads it itself
    and ends without waiting for it."""
    proj = deployed(run, ali_project, ali_env)
    (proj / "app.py").write_text((proj / "app.py").read_text() + "\n# changed again\n")
    fault(fake_aliyun, "GetAsyncInvokeConfig", "block", count=1, delay=60)
    n0 = len(requests(fake_aliyun))
    t0 = time.time()
    r = run(["update", "dev"], cwd=proj, env=ali_env, timeout=120)
    took = time.time() - t0
    admin(fake_aliyun, "/__fake/release")
    assert r.returncode == 0, r.stderr
    assert took < 20, took
    assert actions_since(fake_aliyun, n0).count("GetAsyncInvokeConfig") == 2   # held, own


def test_after_the_alias_the_rest_is_read_side_by_side_again(run, ali_project, ali_env,
                                                            fake_aliyun, tmp_path):
    """A code change: the read-ahead ends at UpdateFunction; after the alias (the function's
    last write) the async config, the front door and the timers are read at once again,
    not one after another (every GetAsyncInvokeConfig answered 0.5 s late).  The function
    is read again while the pre-flight runs, under the stage lock, so that the write
    after it needs no read of its own."""
    from pyshim import slow_python
    ended = tmp_path / "ended"
    proj = deployed(run, ali_project, ali_env)
    (proj / "app.py").write_text((proj / "app.py").read_text() + "\n# changed\n")
    fault(fake_aliyun, "GetAsyncInvokeConfig", "slow", count=-1, delay=0.5)
    n0 = len(requests(fake_aliyun))
    r = run(["update", "dev"], cwd=proj, env=dict(ali_env, PATH=slow_python(tmp_path, ended)),
            timeout=120)
    assert r.returncode == 0, r.stderr
    reqs = requests(fake_aliyun)[n0:]
    acts = [q["action"] for q in reqs]
    alias, write = acts.index("UpdateAlias"), acts.index("UpdateFunction")
    first = {}
    for q in reqs[alias + 1:]:
        first.setdefault(q["action"], q["time"])
    reads = [first[a] for a in ("GetAsyncInvokeConfig", "GetTrigger", "ListTriggers")]
    assert max(reads) - min(reads) < 0.4, first
    pf_end = float(ended.read_text().split()[-1])
    assert not [q for q in reqs[:write] if q["action"] == "GetFunction" and q["time"] > pf_end]
    assert [q for q in reqs[:write] if q["action"] == "GetFunction"][-1]["time"] < pf_end
