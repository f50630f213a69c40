"""A hoist run with one request held by a fake (its "block" fault, until POST
/__fake/release): what else arrives meanwhile was sent beside it.  For the fakes
whose requests and faults name an "action" (fakealiyun, faketencent)."""
import json
import signal
import time
import urllib.request


def _post(fake, path, doc):
    rq = urllib.request.Request(fake.url + path, data=json.dumps(doc).encode(), method="POST",
                                headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(rq) as r:
        r.read()


def actions(fake, n0=0):
    """The actions of the requests the fake received, from the n0-th on."""
    with urllib.request.urlopen(fake.url + "/__fake/requests") as r:
        return [q["action"] for q in json.load(r)[n0:]]


def wait_for(pred, timeout=30):
    """Poll until pred() is true (AssertionError after `timeout` s)."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def run_held(start, fake, args, cwd, env, held, seen, meanwhile=None):
    """hoist `args` (the `start` fixture) with the fake holding its first `held` request
    until every action in `seen` has arrived too.  meanwhile(process), if given, runs
    then, and hoist must end while the request is still held.  -> (exit status, stdout,
    stderr, seconds from meanwhile to hoist's end)."""
    _post(fake, "/__fake/faults", {"action": held, "kind": "block", "count": 1, "delay": 60})
    n0 = len(actions(fake))
    p = start(args, cwd=cwd, env=env)
    took = None
    try:
        wait_for(lambda: {held, *seen} <= set(actions(fake, n0)))
        if meanwhile:
            meanwhile(p)
            t0 = time.time()
            p.wait(timeout=30)
            took = time.time() - t0
    finally:
        _post(fake, "/__fake/release", {})
    out, err = p.communicate(timeout=60)
    return p.returncode, out, err, took


def interrupt(p):
    """A meanwhile for run_held: SIGINT, once hoist's own steps have reached the held read."""
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
