"""The code zip goes to OSS while the pre-flight runs (providers/aliyun/upload_early.c,
core/upload_early.c), as on AWS: a zip over 4 MiB goes through OSS, and when hoist's
bucket is there already it is uploaded meanwhile; a pre-flight that refuses the
package leaves the function and the bucket as they were."""
import os

from ali_helpers import ACCOUNT, REGION, requests, state
from pyshim import slow_python

BUCKET = f"hoist-{ACCOUNT}-{REGION}"


def big_project(ali_project, tmp_path, ended=None):
    """A project whose zip is over 4 MiB, and a PATH whose only Python is a shim
    that sleeps 1 s (tests/pyshim.py)."""
    d = ali_project()
    (d / "blob.bin").write_bytes(os.urandom(5 * 1024 * 1024))   # stored: over 4 MiB
    return d, slow_python(tmp_path, ended)


def objects(fake):
    return state(fake).get("oss", {}).get("buckets", {}).get(BUCKET, {}).get("objects", {})


def checksum(fake):
    return state(fake)["fc"]["functions"]["hoistapp-dev"]["config"]["codeChecksum"]


def code_puts(reqs):
    return [q for q in reqs if q["action"] == "PutObject" and "/code-" in q["params"]["key"]]


def test_the_code_is_uploaded_while_the_pre_flight_runs(run, ali_project, ali_env, fake_aliyun,
                                                        tmp_path):
    ended = tmp_path / "ended"
    d, path = big_project(ali_project, tmp_path, ended)
    env = dict(ali_env, PATH=path)
    r = run(["deploy", "dev"], cwd=d, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    first = requests(fake_aliyun, "fc", "CreateFunction")[-1]["params"]["body"]["code"]
    assert "ossObjectName" in first and "zipFile" not in first    # over 4 MiB: through OSS
    (d / "app.py").write_text((d / "app.py").read_text() + "\n# changed\n")
    n0 = len(requests(fake_aliyun))
    r = run(["update", "dev"], cwd=d, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "while the pre-flight runs" in r.stderr
    pf_end = float(ended.read_text().split()[-1])
    reqs = requests(fake_aliyun)[n0:]
    put = code_puts(reqs)
    update = [q for q in reqs if q["action"] == "UpdateFunction"]
    assert len(put) == 1 and len(update) == 1, [q["action"] for q in reqs]
    assert put[0]["time"] < pf_end, "uploaded after the pre-flight"
    assert update[0]["time"] > pf_end, "the function changed before the pre-flight passed"
    code = update[0]["params"]["body"]["code"]
    assert (code["ossBucketName"], code["ossObjectName"]) == (BUCKET, put[0]["params"]["key"])
    assert code["checksum"] == checksum(fake_aliyun)
    assert objects(fake_aliyun) == {}, "the zip is removed once FC has it, and the lock"


def test_a_refused_pre_flight_removes_what_was_uploaded_meanwhile(run, ali_project, ali_env,
                                                                 fake_aliyun, tmp_path):
    d, path = big_project(ali_project, tmp_path)
    env = dict(ali_env, PATH=path)
    assert run(["deploy", "dev"], cwd=d, env=env, timeout=120).returncode == 0
    before = checksum(fake_aliyun)
    (d / "app.py").write_text("import yaml_not_here\n" + (d / "app.py").read_text())
    n0 = len(requests(fake_aliyun))
    r = run(["update", "dev"], cwd=d, env=env, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "No module named 'yaml_not_here'" in r.stderr
    assert "the stage was not changed" in r.stderr
    reqs = requests(fake_aliyun)[n0:]
    put = code_puts(reqs)
    assert put, [q["action"] for q in reqs]    # it did go up meanwhile (the pre-flight slept)
    assert [q["params"]["key"] for q in reqs if q["action"] == "DeleteObject"
            and "/code-" in q["params"]["key"]] == [put[0]["params"]["key"]]
    fc = [q["action"] for q in reqs if q["product"] == "fc"]
    assert all(a.startswith(("Get", "List")) for a in fc), fc
    assert checksum(fake_aliyun) == before
    assert objects(fake_aliyun) == {}
