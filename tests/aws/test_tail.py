"""hoist tail on AWS against the fake's CloudWatch Logs: many streams and
pages while tailing, exactly-once printing in time order, late (ingestion
delayed) events, --since, --filter, --http/--non-http, platform lines,
Ctrl-C exits 0."""
import os
import re
import signal
import subprocess
import threading
import time

from aws_helpers import fake_post, fake_requests

FN = "hoistapp-dev"
GROUP = f"/aws/lambda/{FN}"
LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})Z\] (.*)$")
ACCESS = '127.0.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET /items?q=1 HTTP/1.1" 200 12 "-" "curl/8" 3ms'


def now_ms():
    return int(time.time() * 1000)


def append(fake_aws, stream, events):
    fake_post(fake_aws, "/__fake/logs", {"group": GROUP, "stream": stream,
                                         "events": [{"timestamp": t, "message": m} for t, m in events]})


def tail_env(aws_env):
    return dict(aws_env, HOIST_TAIL_POLL_MS="20", HOIST_TAIL_OVERLAP_MS="5000")


def popen_env(aws_env, tmp_path):
    env = dict(os.environ, HOME=str(tmp_path / "home"), XDG_STATE_HOME=str(tmp_path / "state"))
    for k, v in tail_env(aws_env).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def messages(stdout):
    out = []
    for line in stdout.splitlines():
        m = LINE.match(line)
        assert m, f"unexpected output line {line!r}"
        out.append(m.group(2))
    return out


def test_follow_many_streams_and_pages_exactly_once_in_order(hoist, aws_env, aws_project,
                                                             lambda_function, fake_aws, tmp_path):
    lambda_function(FN)
    d = aws_project()
    base = now_ms() - 60000
    append(fake_aws, "s0", [(base, "ev-00000 first")])
    env = popen_env(aws_env, tmp_path)
    p = subprocess.Popen([hoist, "tail", "dev", "--follow", "--since", "5m"], cwd=d, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    got = []
    reader = threading.Thread(target=lambda: got.extend(iter(p.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        n = 1
        while n < 2500:           # 2,499 more events in batches over 3 streams, while tailing
            batch = []
            for _ in range(min(125, 2500 - n)):
                batch.append({"timestamp": base + n * 7, "stream": f"s{n % 3}",
                              "message": f"ev-{n:05d} stream s{n % 3}"})
                n += 1
            # one ingestion per batch, interleaved over the 3 streams (late arrivals
            # are the next test's subject)
            fake_post(fake_aws, "/__fake/logs", {"group": GROUP, "events": batch})
            time.sleep(0.01)
        deadline = time.time() + 30
        while len(got) < 2500 and time.time() < deadline and p.poll() is None:
            time.sleep(0.05)
        time.sleep(0.2)           # a few more polls: nothing may be printed twice
        p.send_signal(signal.SIGINT)
        p.wait(timeout=10)
        reader.join(timeout=10)
        err = p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    msgs = messages("".join(got))
    ids = [int(m.split()[0][3:]) for m in msgs]
    assert len(ids) == 2500, f"{len(ids)} lines, missing {sorted(set(range(2500)) - set(ids))[:20]}"
    assert ids == list(range(2500)), "every event exactly once, oldest first"
    # many pages were really read (the fake pages by 100 events)
    assert len(fake_requests(fake_aws, "logs", "FilterLogEvents")) > 25
    # a poll re-reads only a short overlap, never the whole --since window
    last = fake_requests(fake_aws, "logs", "FilterLogEvents")[-1]["params"]
    assert last["startTime"] > now_ms() - 5 * 60000 + 60000


def test_late_events_inside_the_overlap_are_not_missed(hoist, aws_env, aws_project,
                                                      lambda_function, fake_aws, tmp_path):
    lambda_function(FN)
    d = aws_project()
    t0 = now_ms() - 10000
    append(fake_aws, "a", [(t0 + 1000, "on time 1"), (t0 + 3000, "on time 2")])
    env = popen_env(aws_env, tmp_path)
    p = subprocess.Popen([hoist, "tail", "dev", "--follow"], cwd=d, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        # ingested late: older than what was already printed, in another stream
        append(fake_aws, "b", [(t0 + 2000, "late but inside the overlap")])
        time.sleep(0.5)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    assert messages(out) == ["on time 1", "on time 2", "late but inside the overlap"]


def test_since_filter_http_and_platform_lines(run, aws_env, aws_project, lambda_function,
                                              fake_aws):
    lambda_function(FN)
    d = aws_project()
    now = now_ms()
    append(fake_aws, "x", [(now - 3 * 3600 * 1000, "three hours ago"),
                           (now - 30 * 60 * 1000, "half an hour ago"),
                           (now - 60 * 1000, "START RequestId: 1f Version: $LATEST"),
                           (now - 59 * 1000, ACCESS),
                           (now - 58 * 1000, "ERROR something broke"),
                           (now - 57 * 1000, "END RequestId: 1f"),
                           (now - 56 * 1000, "REPORT RequestId: 1f Duration: 1.00 ms")])
    env = tail_env(aws_env)

    def tail(*args):
        r = run(["tail", "dev", "--no-follow", *args], cwd=d, env=env)
        assert r.returncode == 0, r.stderr
        return messages(r.stdout)

    assert tail("--since", "10m") == [ACCESS, "ERROR something broke"]
    assert tail("--since", "1h") == ["half an hour ago", ACCESS, "ERROR something broke"]
    assert tail("--since", "1d")[0] == "three hours ago"
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime((now - 40 * 60 * 1000) / 1000))
    assert tail("--since", iso)[0] == "half an hour ago"
    assert tail("--since", "1d", "--http") == [ACCESS]
    assert tail("--since", "10m", "--non-http") == ["ERROR something broke"]
    assert tail("--since", "1d", "--filter", "ERROR") == ["ERROR something broke"]
    q = fake_requests(fake_aws, "logs", "FilterLogEvents")[-1]["params"]
    assert q["filterPattern"] == "ERROR" and q["logGroupName"] == GROUP
    # START/END/REPORT only with -v
    r = run(["-v", "tail", "dev", "--no-follow", "--since", "10m"], cwd=d, env=env)
    assert r.returncode == 0
    assert any("REPORT RequestId: 1f" in line for line in r.stdout.splitlines())
    assert "START RequestId" in r.stdout and "END RequestId" in r.stdout
    # bad --since is a usage error, nothing fetched
    before = len(fake_requests(fake_aws, "logs"))
    r = run(["tail", "dev", "--no-follow", "--since", "yesterday-ish"], cwd=d, env=env)
    assert r.returncode == 2
    assert len(fake_requests(fake_aws, "logs")) == before


def test_no_color_off_a_tty_and_no_group_yet(run, aws_env, aws_project, lambda_function):
    lambda_function(FN)
    d = aws_project()
    r = run(["tail", "dev", "--no-follow"], cwd=d, env=tail_env(aws_env))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert "\033[" not in r.stdout


def test_tail_before_deploy(run, aws_env, aws_project):
    d = aws_project()
    r = run(["tail", "dev", "--no-follow"], cwd=d, env=tail_env(aws_env))
    assert r.returncode == 1
    assert "not deployed" in r.stderr
