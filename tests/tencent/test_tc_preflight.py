"""Pre-flight on tencent: an update with new code takes the stage lock (its AppId
and marker) while the pre-flight runs, and reads the function again under it; the
function is not written before the pre-flight passed, and a package it refuses
leaves the function and the lock as they were."""
from pyshim import slow_python
from tc_helpers import REGION, fake_requests, state, writes_since

FN = "hoistapp-dev"
LOCK = f"hoist-locks/{REGION}/{FN}.json"


def markers(fake):
    return [k for b in state(fake).get("cos", {}).values() for k in b["objects"]
            if k.startswith("hoist-locks/")]


def description(fake):
    return state(fake)["scf"][FN]["config"]["Description"]


def test_new_code_takes_the_lock_beside_the_pre_flight(run, tc_project, tc_env, tc_fake,
                                                      tmp_path):
    ended = tmp_path / "ended"
    env = dict(tc_env, PATH=slow_python(tmp_path, ended))
    proj = tc_project()
    assert run(["deploy", "dev"], cwd=proj, env=env, timeout=120).returncode == 0
    (proj / "app.py").write_text((proj / "app.py").read_text() + "\n# changed\n")
    n0 = len(fake_requests(tc_fake))
    r = run(["update", "dev"], cwd=proj, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    pf_end = float(ended.read_text().split()[-1])
    reqs = fake_requests(tc_fake)[n0:]
    lock = [q for q in reqs if q["action"] == "PutObject" and q["params"].get("Key") == LOCK]
    writes = [q for q in reqs if q["action"].startswith("UpdateFunction")]
    assert lock and writes
    assert lock[0]["time"] < pf_end < writes[0]["time"]
    # the function was read again under the lock while the pre-flight ran: its first
    # write after the verdict needs no read of its own
    assert not [q for q in reqs if q["action"] == "GetFunction"
                and pf_end < q["time"] < writes[0]["time"]]
    assert [q["action"] for q in reqs].count("GetUserAppId") <= 1
    assert markers(tc_fake) == []


def test_a_refused_package_leaves_the_function_and_the_lock_as_they_were(
        run, tc_project, tc_env, tc_fake):
    proj = tc_project()
    assert run(["deploy", "dev"], cwd=proj, env=tc_env, timeout=120).returncode == 0
    before = description(tc_fake)
    (proj / "app.py").write_text("import yaml_not_here\n" + (proj / "app.py").read_text())
    n0 = len(fake_requests(tc_fake))
    r = run(["update", "dev"], cwd=proj, env=tc_env, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "No module named 'yaml_not_here'" in r.stderr
    assert "the stage was not changed" in r.stderr
    assert writes_since(tc_fake, n0) == []
    assert description(tc_fake) == before and markers(tc_fake) == []


def test_a_refused_first_deploy_creates_nothing(run, tc_project, tc_env, tc_fake):
    """No function yet: nothing is written before the verdict, not even the lock's
    bucket."""
    proj = tc_project()
    (proj / "app.py").write_text("import yaml_not_here\n" + (proj / "app.py").read_text())
    r = run(["deploy", "dev"], cwd=proj, env=tc_env, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "No module named 'yaml_not_here'" in r.stderr
    assert writes_since(tc_fake, 0) == [] and not any(
        q["action"] in ("PutObject", "PutBucket") for q in fake_requests(tc_fake))
    s = state(tc_fake)
    assert not s.get("scf") and not any(s.get("cos", {}).values())
