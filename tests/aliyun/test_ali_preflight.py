"""Pre-flight on aliyun: an update with new code takes the stage lock while the
pre-flight runs (its marker is hoist's own: the function is not written before
the pre-flight passed), a package it refuses leaves the function and the lock as
they were, and the account, once known, is not asked again by the lock's own contexts."""

from ali_helpers import ACCOUNT, REGION, requests, state, writes_since
from pyshim import slow_python

BUCKET = f"hoist-{ACCOUNT}-{REGION}"
KEY = f"hoist-locks/{REGION}/hoistapp-dev.json"


def marker(fake):
    return state(fake).get("oss", {}).get("buckets", {}).get(BUCKET, {}).get("objects", {}).get(KEY)


def checksum(fake):
    return state(fake)["fc"]["functions"]["hoistapp-dev"]["config"]["codeChecksum"]


def test_new_code_takes_the_lock_beside_the_pre_flight(run, ali_project, ali_env, fake_aliyun,
                                                      tmp_path):
    ended = tmp_path / "ended"
    env = dict(ali_env, PATH=slow_python(tmp_path, ended))
    proj = ali_project()
    assert run(["deploy", "dev"], cwd=proj, env=env, timeout=120).returncode == 0
    (proj / "app.py").write_text((proj / "app.py").read_text() + "\n# changed\n")
    n0 = len(requests(fake_aliyun))
    r = run(["update", "dev"], cwd=proj, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    pf_end = float(ended.read_text().split()[-1])
    reqs = requests(fake_aliyun)[n0:]
    lock = [q for q in reqs if q["action"] == "PutObject" and q["params"].get("key") == KEY]
    update = [q for q in reqs if q["action"] == "UpdateFunction"]
    assert lock and update
    assert lock[0]["time"] < pf_end < update[0]["time"]
    # the account is asked by the readers, and by the lock's own context only when it
    # needs it before their answer is in: never again once known (the lock's release)
    acts = [q["action"] for q in reqs]
    assert acts.count("GetCallerIdentity") <= 2
    assert "GetCallerIdentity" not in acts[acts.index("UpdateFunction"):]
    assert marker(fake_aliyun) is None


def test_a_refused_package_leaves_the_function_and_the_lock_as_they_were(
        run, ali_project, ali_env, fake_aliyun):
    proj = ali_project()
    assert run(["deploy", "dev"], cwd=proj, env=ali_env, timeout=120).returncode == 0
    before = checksum(fake_aliyun)
    (proj / "app.py").write_text("import yaml_not_here\n" + (proj / "app.py").read_text())
    n0 = len(requests(fake_aliyun))
    r = run(["update", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "No module named 'yaml_not_here'" in r.stderr
    assert "the stage was not changed" in r.stderr
    assert writes_since(fake_aliyun, n0) == []
    assert checksum(fake_aliyun) == before and marker(fake_aliyun) is None


def test_a_refused_first_deploy_creates_nothing(run, ali_project, ali_env, fake_aliyun):
    """No function yet: nothing is written before the verdict, not even the lock's
    bucket."""
    proj = ali_project()
    (proj / "app.py").write_text("import yaml_not_here\n" + (proj / "app.py").read_text())
    r = run(["deploy", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "No module named 'yaml_not_here'" in r.stderr
    acts = [q["action"] for q in requests(fake_aliyun)]
    assert acts and all(a.startswith(("Get", "List", "Describe", "Head")) for a in acts), acts
    s = state(fake_aliyun)
    assert not s.get("fc", {}).get("functions") and not s.get("oss", {}).get("buckets")
