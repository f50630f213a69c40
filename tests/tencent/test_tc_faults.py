"""Faults the fake Tencent Cloud injects during deploy and update: each is
survived by retrying, or ends with exit 1, a clear message and a state that
running the command again completes — never a second function, logset,
topic, version, alias or trigger.  Kinds (faketencent.py): throttle
(RequestLimitExceeded), internal (InternalError), http500, reset (the
connection dropped before the answer, the call not applied), reset_after
(applied, then the answer lost), slow."""
import pytest

from tc_helpers import fake_post, fake_requests, state

FN = "hoistapp-dev"
DEPLOY_CALLS = ["CreateLogset", "CreateTopic", "CreateFunction", "GetFunction", "PublishVersion",
                "CreateAlias", "CreateTrigger", "ListTriggers", "DescribeTopics"]


def fault(fake, action, kind, count=1, delay=2, key=None):
    """Inject a fault into the next `count` calls of `action` ("cos:PutObject" for
    COS; `key`: only COS requests for keys starting with it)."""
    fake_post(fake, "/__fake/faults", {"action": action, "kind": kind, "count": count,
                                       "delay": delay, "key": key})


def clear_faults(fake):
    with fake.lock:
        fake.faults.clear()


def one_of_everything(fake):
    """The stage's resources, each exactly once."""
    s = state(fake)
    assert list(s["scf"]) == [FN]
    fn = s["scf"][FN]
    assert list(fn["versions"]) == ["1"]
    assert {k: a["FunctionVersion"] for k, a in fn["aliases"].items()} == {"dev": "1"}
    assert sorted((t["Type"], t["TriggerName"]) for t in fn["triggers"]) == [
        ("http", "hoist-url"), ("timer", f"{FN}-tasks-cleanup")]
    assert [ls["LogsetName"] for ls in s["cls_logsets"].values()] == ["hoist"]
    assert [t["TopicName"] for t in s["cls_topics"].values()] == [FN]
    return s


EVENTS = {"events": [{"function": "tasks.cleanup", "expression": "cron(0 3 * * ? *)"}]}


@pytest.mark.parametrize("kind", ["throttle", "internal", "http500", "reset", "reset_after"])
def test_every_deploy_call_faulting_once_is_survived(run, tc_env, tc_project, tc_fake, kind):
    d = tc_project(EVENTS)
    for action in DEPLOY_CALLS:
        fault(tc_fake, action, kind, 1)
    r = run(["-v", "deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    one_of_everything(tc_fake)
    assert not [f for f in tc_fake.faults if f["count"]], "every fault was hit"
    if kind == "reset_after":   # the lost answers were read back, not repeated blindly
        assert len(fake_requests(tc_fake, "scf", "CreateFunction")) == 1
        assert len(fake_requests(tc_fake, "scf", "PublishVersion")) == 1
        assert "took effect" in r.stderr


@pytest.mark.parametrize("kind", ["throttle", "reset", "reset_after"])
def test_update_calls_faulting_once_are_survived(run, tc_env, tc_project, tc_fake, kind):
    d = tc_project(EVENTS)
    assert run(["deploy", "dev"], cwd=d, env=tc_env).returncode == 0
    (d / "app.py").write_text((d / "app.py").read_text() + "\n# v2\n")
    d = tc_project(dict(EVENTS, memory_size=256))
    for action in ("UpdateFunctionCode", "UpdateFunctionConfiguration", "UpdateAlias",
                   "PublishVersion"):
        fault(tc_fake, action, kind, 1)
    r = run(["update", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    fn = state(tc_fake)["scf"][FN]
    assert sorted(fn["versions"]) == ["1", "2"] and fn["aliases"]["dev"]["FunctionVersion"] == "2"
    assert fn["config"]["MemorySize"] == 256


def test_a_slow_answer_times_out_and_is_retried(run, tc_env, tc_project, tc_fake):
    d = tc_project()
    fault(tc_fake, "GetFunction", "slow", 1, delay=3)
    r = run(["deploy", "dev"], cwd=d, env=dict(tc_env, HOIST_HTTP_TIMEOUT="1"))
    assert r.returncode == 0, r.stderr
    assert list(state(tc_fake)["scf"]) == [FN]


@pytest.mark.parametrize("action", DEPLOY_CALLS + ["GetUserAppId"])
def test_a_call_that_keeps_failing_ends_deploy_then_a_rerun_completes(run, tc_env, tc_project,
                                                                      tc_fake, action):
    d = tc_project(EVENTS)
    fault(tc_fake, action, "internal", -1)
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 1
    assert f"{action} failed: InternalError" in r.stderr
    had_function = FN in state(tc_fake).get("scf", {})
    # what was created is named with the way on (nothing created: nothing to say)
    assert "run 'hoist deploy dev' again" in r.stderr or action == "GetFunction"
    clear_faults(tc_fake)
    n0 = len(fake_requests(tc_fake))
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith(".ap-guangzhou.tencentscf.com")
    one_of_everything(tc_fake)
    ops = [q["action"] for q in fake_requests(tc_fake)[n0:]]
    if had_function:      # kept, and its code is not sent again
        assert "CreateFunction" not in ops and "UpdateFunctionCode" not in ops
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 1 and "did you mean 'hoist update dev'?" in r.stderr


def test_ctrl_c_during_a_long_invoke_returns_at_once(hoist, run, tc_env, tc_project, tc_fake,
                                                    tmp_path):
    """An invocation changes nothing: an interrupt cuts it short instead of
    waiting for SCF's answer."""
    import signal
    import subprocess
    import time
    from test_tc_lock import env_of
    d = tc_project()
    assert run(["deploy", "dev"], cwd=d, env=tc_env).returncode == 0
    fault(tc_fake, "Invoke", "slow", 1, delay=8)
    p = subprocess.Popen([hoist, "invoke", "dev", "app.app"], cwd=str(d),
                         env=env_of(tmp_path, tc_env), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        t0 = time.time()
        while not fake_requests(tc_fake, "scf", "Invoke") and time.time() - t0 < 30:
            time.sleep(0.02)
        time.sleep(0.3)
        t0 = time.time()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=15)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, err
    assert time.time() - t0 < 5 and "interrupted (SIGINT)" in err
