"""The local provider's share of issue 12: the stage lock (a lock file is
enough on one machine)."""
import fcntl
import json


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
