"""The local provider's share of issue 12: the stage lock (a lock file is
enough on one machine); Ctrl-C while the gateway starts stops what was
started, so a re-run deploys."""
import fcntl
import json
import os
import signal
import socket
import subprocess
import time

import pytest

from local_support import wait_for


def test_a_second_run_is_refused_while_the_lock_file_is_held(make_stage):
    s = make_stage()
    locks = s.tmp / "state" / "hoist" / "locks"
    locks.mkdir(parents=True)
    with open(locks / f"local-{s.function}.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(json.dumps({"command": "deploy", "user": "ann", "host": "box", "pid": 9,
                            "since": 86400, "expires": 90000}))
        f.flush()
        for cmd in (["deploy", "dev"], ["update", "dev"], ["undeploy", "dev", "-y"]):
            r = s.run(*cmd)
            assert r.returncode == 1, r.stderr
            assert ("stage dev is being changed by another run since 1970-01-02 00:00:00 UTC "
                    "(hoist deploy by ann@box, pid 9); wait or use --force-unlock") in r.stderr
        assert not s.dir.exists(), "nothing was created"
    r = s.run("deploy", "dev")       # released: goes ahead
    assert r.returncode == 0, r.stderr


SLOW_APP = '''
import time
time.sleep(4)       # a slow import: the gateway takes a while to start


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"up"]
'''


def test_ctrl_c_while_the_gateway_starts_stops_it_and_a_rerun_deploys(make_stage):
    s = make_stage(files={"app.py": SLOW_APP})
    p = subprocess.Popen([s.hoist, "deploy", "dev"], cwd=s.proj, env=s.env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    assert wait_for(lambda: s.pid(), timeout=30), "the gateway began starting"
    daemon = s.pid()
    t0 = time.time()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 130, err
    assert time.time() - t0 < 3, "it did not wait for the app to finish importing"
    assert "interrupted (SIGINT)" in err and "the gateway was stopped" in err
    assert wait_for(lambda: not os.path.exists(f"/proc/{daemon}") or
                    open(f"/proc/{daemon}/stat").read().split()[2] in "ZX", timeout=5)
    assert not s.dir.exists(), "what was started is gone"
    left = s.processes_in_dir()
    assert left == [], [(open(f"/proc/{q}/cmdline").read(), os.readlink(f"/proc/{q}/cwd")) for q in left]
    time.sleep(4.5)                     # had it gone on, it would be serving by now
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", s.port), timeout=2)
    r = s.run("deploy", "dev", timeout=60)
    assert r.returncode == 0, r.stderr      # not "already deployed"
    assert s.get("/")[2] == b"up"


def test_the_state_tree_is_private(make_stage):
    """environment_variables end up in versions/N.json, hoist_settings.py and
    state: the tree is 0700 from the state directory down and those files 0600,
    so no other user can read them (issue 12 item 3)."""
    secret = "s3cr3t-value-0123456789"
    s = make_stage(settings={"environment_variables": {"API_TOKEN": secret}})
    r = s.run("deploy", "dev")
    assert r.returncode == 0, r.stderr
    (s.proj / "app.py").write_text((s.proj / "app.py").read_text() + "\n# v2\n")
    assert s.run("update", "dev").returncode == 0   # new code: a version 2
    root = s.tmp / "state" / "hoist"
    assert oct(root.stat().st_mode & 0o777) == "0o700"
    for name in ("versions/1.json", "versions/2.json", "versions/2/hoist_settings.py",
                 "state.json", "stage.log", "gateway.log"):
        assert oct((s.dir / name).stat().st_mode & 0o777) == "0o600", name
    for dirpath, dirs, files in os.walk(root):
        for d in dirs:
            if d == "__pycache__":      # Python's own, inside the private tree
                continue
            mode = os.stat(os.path.join(dirpath, d)).st_mode & 0o777
            assert mode == 0o700, (os.path.join(dirpath, d), oct(mode))
        for f in files:
            p = os.path.join(dirpath, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            if os.stat(p).st_mode & 0o077:       # readable by others: must hold no secret
                assert secret.encode() not in open(p, "rb").read(), p


@pytest.mark.parametrize("sig,status", [(signal.SIGINT, 0), (signal.SIGTERM, 143)])
def test_a_signal_ends_tail_follow(make_stage, sig, status):
    """Ctrl-C ends a follow with status 0 (hoist(1)); SIGTERM, what a CI runner
    sends, with 143 — it used to be ignored by the local follow loop."""
    s = make_stage()
    assert s.run("deploy", "dev").returncode == 0
    p = subprocess.Popen([s.hoist, "tail", "dev", "--follow"], cwd=s.proj, env=s.env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    assert p.poll() is None, "it follows"
    p.send_signal(sig)
    out, err = p.communicate(timeout=5)
    assert p.returncode == status, err
