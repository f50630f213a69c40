"""The code zip goes to COS while the pre-flight runs (providers/tencent/upload_early.c,
core/upload_early.c), as on AWS: a zip over 4 MiB goes through COS, and when hoist's
bucket is there already it is uploaded meanwhile (an update's, and a new stage's
deploy); a pre-flight that refuses the package leaves the function and the bucket as
they were."""
import json
import os

from pyshim import slow_python
from tc_helpers import fake_requests, state, writes_since

FN = "hoistapp-dev"


def big_project(tc_project, tmp_path, ended=None):
    """A project whose zip is over 4 MiB, with a second stage, and a PATH whose only
    Python is a shim that sleeps 1 s (tests/pyshim.py)."""
    d = tc_project()
    stages = json.loads((d / "hoist.json").read_text())
    stages["prod"] = stages["dev"]
    (d / "hoist.json").write_text(json.dumps(stages))
    (d / "blob.bin").write_bytes(os.urandom(5 * 1024 * 1024))   # stored: over 4 MiB
    return d, slow_python(tmp_path, ended)


def zips(fake):
    return [k for b in state(fake).get("cos", {}).values() for k in b["objects"]
            if k.endswith(".zip")]


def description(fake, fn=FN):
    return state(fake)["scf"][fn]["config"]["Description"]


def code_puts(reqs):
    return [q for q in reqs if q["action"] == "PutObject" and q["params"]["Key"].endswith(".zip")]


def test_the_code_is_uploaded_while_the_pre_flight_runs(run, tc_project, tc_env, tc_fake,
                                                        tmp_path):
    ended = tmp_path / "ended"
    d, path = big_project(tc_project, tmp_path, ended)
    env = dict(tc_env, PATH=path)
    r = run(["deploy", "dev"], cwd=d, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "CosObjectName" in fake_requests(tc_fake, "scf", "CreateFunction")[0]["params"]["Code"]
    for cmd in (["update", "dev"], ["deploy", "prod"]):   # prod: a new stage, the bucket there
        # a package the pre-flight has not seen (else its verdict is known at once)
        (d / "app.py").write_text((d / "app.py").read_text() + f"\n# {cmd}\n")
        n0 = len(fake_requests(tc_fake))
        r = run(cmd, cwd=d, env=env, timeout=120)
        assert r.returncode == 0, r.stderr
        assert "while the pre-flight runs" in r.stderr
        pf_end = float(ended.read_text().split()[-1])
        reqs = fake_requests(tc_fake)[n0:]
        put = code_puts(reqs)
        code = [q for q in reqs if q["action"] in ("UpdateFunctionCode", "CreateFunction")]
        assert len(put) == 1 and len(code) == 1, [q["action"] for q in reqs]
        assert put[0]["time"] < pf_end, "uploaded after the pre-flight"
        assert code[0]["time"] > pf_end, "the function changed before the pre-flight passed"
        where = code[0]["params"].get("Code", code[0]["params"])
        assert where["CosObjectName"] == "/" + put[0]["params"]["Key"]
        assert zips(tc_fake) == [], "the zip is removed once SCF has it"
    assert not [k for b in state(tc_fake)["cos"].values() for k in b["objects"]
                if k.startswith("hoist-locks/") and k.endswith(".json")]


def test_a_refused_pre_flight_removes_what_was_uploaded_meanwhile(run, tc_project, tc_env,
                                                                 tc_fake, tmp_path):
    d, path = big_project(tc_project, tmp_path)
    env = dict(tc_env, PATH=path)
    assert run(["deploy", "dev"], cwd=d, env=env, timeout=120).returncode == 0
    before = description(tc_fake)
    (d / "app.py").write_text("import yaml_not_here\n" + (d / "app.py").read_text())
    n0 = len(fake_requests(tc_fake))
    r = run(["update", "dev"], cwd=d, env=env, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "No module named 'yaml_not_here'" in r.stderr
    assert "the stage was not changed" in r.stderr
    reqs = fake_requests(tc_fake)[n0:]
    put = code_puts(reqs)
    assert put, [q["action"] for q in reqs]    # it did go up meanwhile (the pre-flight slept)
    assert [q["params"]["Key"] for q in reqs if q["action"] == "DeleteObject"
            and q["params"]["Key"].endswith(".zip")] == [put[0]["params"]["Key"]]
    assert [w for w in writes_since(tc_fake, n0) if w[0] != "cos"] == []
    assert description(tc_fake) == before
    assert zips(tc_fake) == []
