"""wait_until(pred, timeout): poll a test's condition on a fake cloud's
asynchronous work (a queued invocation, a stack settling) until it holds."""
import time


def wait_until(pred, timeout=30, step=0.05):
    """pred()'s first true value; AssertionError after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out after %s s waiting for %s" % (timeout, pred))
