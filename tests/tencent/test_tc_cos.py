"""Packages over SCF's inline limit go through COS (the bucket <name>-<appid>
created when missing, the upload signed as cos-nodejs-sdk-v5 signs, the
function pointed at the object, the object deleted once SCF has copied it);
a package over SCF's 500 MB unzipped limit is refused before anything is
written or uploaded."""
import os

from tc_helpers import APPID, fake_requests, state

FN = "hoistapp-dev"
LOCK = f"hoist-locks/ap-guangzhou/{FN}.json"      # the stage lock's marker (test_tc_lock.py)


def package_puts(fake):
    return [q for q in fake_requests(fake, "cos", "PutObject") if q["params"]["Key"] != LOCK]


def big(d, mib=8):
    (d / "blob.bin").write_bytes(os.urandom(mib * 1024 * 1024))   # incompressible


def test_large_package_goes_through_cos(run, tc_env, tc_project, tc_fake):
    d = tc_project({"s3_bucket": "my-artifacts"})
    big(d)
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert "going through COS" in r.stderr or "COS" in r.stderr
    s = state(tc_fake)
    bucket = f"my-artifacts-{APPID}"
    assert list(s["cos"]) == [bucket] and s["cos"][bucket]["region"] == "ap-guangzhou"
    assert s["cos"][bucket]["objects"] == {}          # deleted once SCF had it
    puts = package_puts(tc_fake)
    assert len(puts) == 1 and puts[0]["params"]["Size"] > 8 * 1024 * 1024
    key = puts[0]["params"]["Key"]
    assert key.startswith(f"{FN}/") and key.endswith(".zip")
    code = fake_requests(tc_fake, "scf", "CreateFunction")[0]["params"]["Code"]
    assert code == {"CosBucketName": "my-artifacts", "CosObjectName": "/" + key,
                    "CosBucketRegion": "ap-guangzhou"}
    assert s["scf"][FN]["code"]["__bytes__"] == puts[0]["params"]["Size"]
    assert fake_requests(tc_fake, "cam", "GetUserAppId")

    # no change: nothing uploaded, no code update
    n0 = len(fake_requests(tc_fake))
    r = run(["update", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    ops = [q["action"] for q in fake_requests(tc_fake)[n0:]]
    assert "PutObject" not in ops and "UpdateFunctionCode" not in ops     # not even the lock

    # a change: through COS again, with a reset on the way
    (d / "app.py").write_text((d / "app.py").read_text() + "\n# v2\n")
    from test_tc_faults import fault
    fault(tc_fake, "cos:PutObject", "reset", 1, key=f"{FN}/")
    r = run(["update", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    upd = fake_requests(tc_fake, "scf", "UpdateFunctionCode")
    assert len(upd) == 1 and upd[0]["params"]["CosBucketName"] == "my-artifacts"
    assert len(package_puts(tc_fake)) == 3      # 1 + reset + retry
    assert state(tc_fake)["cos"][bucket]["objects"] == {}

    r = run(["undeploy", "dev", "--yes"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr


def test_default_bucket_name(run, tc_env, tc_project, tc_fake):
    d = tc_project()
    big(d)
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert list(state(tc_fake)["cos"]) == [f"hoist-ap-guangzhou-{APPID}"]
    assert len(fake_requests(tc_fake, "cos", "PutBucket")) == 1


def test_over_500_mb_unzipped_is_refused_before_any_upload(run, tc_env, tc_project, tc_fake):
    d = tc_project()
    with open(d / "huge.bin", "wb") as f:          # sparse: no disk, 501 MiB of size
        f.truncate(501 * 1024 * 1024)
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 2, r.stderr
    assert "unzipped" in r.stderr and "524288000" in r.stderr.replace(",", "")
    # the function was read while the package was built; nothing written, nothing uploaded
    assert {q["action"] for q in fake_requests(tc_fake)} <= {"GetFunction"}
