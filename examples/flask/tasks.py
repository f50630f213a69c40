"""Scheduled functions (see "events" in hoist.json)."""
import time


def heartbeat():
    """Runs on a timer; what it prints ends up in `hoist tail`."""
    print("heartbeat at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    return "ok"
