"""hoist tail on Tencent: CLS SearchLog on the function's topic, times in ms,
Context paging until ListOver — 3,000 lines come back over several pages,
each exactly once, oldest first; --since, --filter (a CQL phrase), --http /
--non-http, and --follow picking up lines that arrive later."""
import json
import subprocess
import time

import pytest

from tc_helpers import fake_post, fake_requests, state

FN = "hoistapp-dev"


@pytest.fixture
def stage(run, tc_env, tc_project, tc_fake):
    d = tc_project()
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    topic = state(tc_fake)["scf"][FN]["config"]["ClsTopicId"]
    return d, topic


def add(fake, topic, lines):
    fake_post(fake, "/__fake/logs", {"topic": topic, "lines": lines})


def test_three_thousand_lines_each_once_in_order(run, tc_env, stage, tc_fake):
    d, topic = stage
    now = int(time.time() * 1000)
    # written out of order, two with the same millisecond
    lines = [{"time": now - 100000 + i * 10, "message": f"line {i:04d}"} for i in range(3000)]
    add(tc_fake, topic, lines[1500:] + lines[:1500])
    r = run(["tail", "dev", "--since", "1h", "--no-follow"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    got = [ln.split("] ", 1)[1] for ln in r.stdout.splitlines()]
    assert got == [f"line {i:04d}" for i in range(3000)]
    pages = fake_requests(tc_fake, "cls", "SearchLog")
    assert len(pages) == 3
    assert all(p["params"]["Limit"] == 1000 and p["params"]["Sort"] == "asc" for p in pages)
    assert "Context" not in pages[0]["params"] and pages[1]["params"]["Context"]
    assert pages[0]["params"]["From"] >= now - 3600 * 1000 - 5000      # --since 1h, in ms
    assert pages[0]["params"]["TopicId"] == topic


def test_since_filter_http(run, tc_env, stage, tc_fake):
    d, topic = stage
    now = int(time.time() * 1000)
    access = '127.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "GET /q HTTP/1.1" 200 5 "-" "curl" 3ms'
    add(tc_fake, topic, [{"time": now - 7200 * 1000, "message": "too old"},
                         {"time": now - 1000, "message": access},
                         {"time": now - 900, "message": "something failed here"},
                         {"time": now - 800, "message": "all fine"}])
    r = run(["tail", "dev", "--since", "10m", "--no-follow"], cwd=d, env=tc_env)
    assert "too old" not in r.stdout and "all fine" in r.stdout and "GET /q" in r.stdout
    r = run(["tail", "dev", "--since", "10m", "--no-follow", "--filter", "failed"], cwd=d,
            env=tc_env)
    assert [ln.split("] ", 1)[1] for ln in r.stdout.splitlines()] == ["something failed here"]
    assert fake_requests(tc_fake, "cls", "SearchLog")[-1]["params"]["QueryString"] == '"failed"'
    r = run(["tail", "dev", "--since", "10m", "--no-follow", "--http"], cwd=d, env=tc_env)
    assert [ln.split("] ", 1)[1] for ln in r.stdout.splitlines()] == [access]
    r = run(["tail", "dev", "--since", "10m", "--no-follow", "--non-http"], cwd=d, env=tc_env)
    assert "GET /q" not in r.stdout and "all fine" in r.stdout
    r = run(["--json", "tail", "dev", "--since", "10m", "--no-follow"], cwd=d, env=tc_env)
    assert [json.loads(x)["message"] for x in r.stdout.splitlines()][-1] == "all fine"


def test_function_output_reaches_tail(run, tc_env, stage, tc_fake):
    d, topic = stage
    r = run(["invoke", "dev", "tasks.cleanup"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    r = run(["tail", "dev", "--since", "5m", "--no-follow"], cwd=d, env=tc_env)
    assert "cleanup ran" in r.stdout
    assert "START RequestId" not in r.stdout and "Report RequestId" not in r.stdout
    r = run(["-v", "tail", "dev", "--since", "5m", "--no-follow"], cwd=d, env=tc_env)
    assert "START RequestId" in r.stdout


def test_follow_prints_late_lines_once(hoist, tc_env, stage, tc_fake, tmp_path):
    import os
    d, topic = stage
    now = int(time.time() * 1000)
    add(tc_fake, topic, [{"time": now - 2000, "message": "first"}])
    env = dict(os.environ, HOME=str(tmp_path / "home"), **{k: v for k, v in tc_env.items()
                                                           if v is not None})
    env.update(HOIST_TAIL_POLL_MS="50")
    p = subprocess.Popen([hoist, "tail", "dev", "--since", "1m", "--follow"], cwd=d, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         stdin=subprocess.DEVNULL)
    try:
        time.sleep(0.8)
        add(tc_fake, topic, [{"time": now - 1500, "message": "late but older"},
                             {"time": int(time.time() * 1000), "message": "second"}])
        time.sleep(1.0)
    finally:
        p.terminate()
        out, err = p.communicate(timeout=10)
    got = [ln.split("] ", 1)[1] for ln in out.splitlines()]
    assert got == ["first", "late but older", "second"], err
