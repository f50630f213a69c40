"""Faults the fake Alibaba Cloud injects during deploy, tail and update:
each is survived by retrying, or ends with exit 1, a clear message and a
state that running the command again completes — never a second function,
trigger or version."""
import time

from ali_helpers import ACCOUNT, REGION, admin, fault, requests, state

FN = "hoistapp-dev"


def clear_faults(fake):
    with fake.lock:
        fake.faults.clear()


def fn_state(fake):
    return state(fake)["fc"]["functions"]


def test_throttled_and_reset_creates_are_retried_once_each(run, ali_project, ali_env, fake_aliyun):
    fault(fake_aliyun, "CreateFunction", "throttle", 2)
    fault(fake_aliyun, "CreateTrigger", "reset", 1)
    fault(fake_aliyun, "PublishFunctionVersion", "reset", 1)
    fault(fake_aliyun, "CreateProject", "500", 1)
    r = run(["deploy", "dev"], cwd=ali_project(), env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    f = fn_state(fake_aliyun)
    assert list(f) == [FN]
    assert list(f[FN]["triggers"]) == ["hoist-http"] and list(f[FN]["versions"]) == ["1"]
    assert len(requests(fake_aliyun, "fc", "CreateFunction")) == 3     # 2 throttled + 1
    assert len(requests(fake_aliyun, "fc", "CreateTrigger")) == 2      # reset, checked, sent again
    assert len(requests(fake_aliyun, "fc", "PublishFunctionVersion")) == 2


def test_reset_create_function_checks_before_sending_again(run, ali_project, ali_env, fake_aliyun):
    fault(fake_aliyun, "CreateFunction", "reset", 1)
    r = run(["deploy", "dev"], cwd=ali_project(), env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert list(fn_state(fake_aliyun)) == [FN]
    acts = [q["action"] for q in requests(fake_aliyun, "fc")]
    first = acts.index("CreateFunction")
    assert acts[first + 1] == "GetFunction"          # did it take effect? no: send again
    assert acts.count("CreateFunction") == 2


def test_trigger_500_then_rerun_completes(run, ali_project, ali_env, fake_aliyun):
    proj = ali_project()
    fault(fake_aliyun, "CreateTrigger", "500", -1)
    r = run(["deploy", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 1
    assert "CreateTrigger" in r.stderr and "InternalServerError" in r.stderr
    assert "run 'hoist deploy dev' again" in r.stderr
    assert list(fn_state(fake_aliyun)) == [FN]          # the function is kept
    clear_faults(fake_aliyun)
    n0 = len(requests(fake_aliyun))
    r = run(["deploy", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    f = fn_state(fake_aliyun)[FN]
    assert list(f["triggers"]) == ["hoist-http"] and list(f["versions"]) == ["1"]
    acts = [q["action"] for q in requests(fake_aliyun)[n0:]]
    assert "CreateFunction" not in acts and "UpdateFunction" not in acts
    assert "PublishFunctionVersion" not in acts
    r = run(["deploy", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 1 and "did you mean 'hoist update dev'?" in r.stderr


def test_create_function_failing_then_rerun(run, ali_project, ali_env, fake_aliyun):
    proj = ali_project()
    fault(fake_aliyun, "CreateFunction", "500", -1)
    r = run(["deploy", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 1 and "CreateFunction" in r.stderr
    assert fn_state(fake_aliyun) == {}
    clear_faults(fake_aliyun)
    r = run(["deploy", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert list(fn_state(fake_aliyun)) == [FN]
    assert list(state(fake_aliyun)["sls"]["projects"]) == [f"hoist-{ACCOUNT}-{REGION}"]


def test_slow_answers_time_out_and_are_retried(run, ali_project, ali_env, fake_aliyun):
    proj = ali_project()
    fault(fake_aliyun, "GetFunction", "slow", 1, delay=2)
    r = run(["deploy", "dev"], cwd=proj, env=dict(ali_env, HOIST_HTTP_TIMEOUT="1"), timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Timeout was reached, retrying" in r.stderr or r.returncode == 0
    assert list(fn_state(fake_aliyun)) == [FN]


def test_tail_survives_throttling_and_500s(run, ali_project, ali_env, fake_aliyun):
    proj = ali_project()
    assert run(["deploy", "dev"], cwd=proj, env=ali_env, timeout=120).returncode == 0
    old = int(time.time()) - 7200                     # before --since 1h: not shown
    admin(fake_aliyun, "/__fake/logs", {"project": f"hoist-{ACCOUNT}-{REGION}", "logstore": FN,
                                        "topic": f"FCLogs:{FN}", "lines": [f"l{i}" for i in range(250)],
                                        "time": old})
    admin(fake_aliyun, "/__fake/logs", {"project": f"hoist-{ACCOUNT}-{REGION}", "logstore": FN,
                                        "topic": f"FCLogs:{FN}", "lines": [f"m{i}" for i in range(250)]})
    fault(fake_aliyun, "GetLogs", "throttle", 2)
    fault(fake_aliyun, "GetLogs", "500", 1)
    fault(fake_aliyun, "GetLogs", "reset", 1)
    r = run(["tail", "dev", "--since", "1h", "--no-follow"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    got = [l.rsplit(" ", 1)[-1] for l in r.stdout.splitlines()]
    assert got == [f"m{i}" for i in range(250)]


def test_persistent_throttling_ends_with_exit_1(run, ali_project, ali_env, fake_aliyun):
    fault(fake_aliyun, "GetFunction", "throttle", -1)
    r = run(["deploy", "dev"], cwd=ali_project(), env=ali_env, timeout=120)
    assert r.returncode == 1
    assert "GetFunction failed: ResourceThrottled" in r.stderr
    assert len(requests(fake_aliyun, "fc", "GetFunction")) == 5
