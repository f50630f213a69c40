"""Code over Function Compute's inline limit goes through OSS: a 150 MB zip
is uploaded once to the artifacts bucket (created private in the stage's
region), FC is given ossBucketName/ossObjectName and the CRC-64 to check,
the uploaded object is removed once FC has the code, and the function
runs; a throttled bucket creation and a failed upload are retried.  (One
over 500 MB is refused before any upload: test_ali_errors.py.)"""
import os
import zipfile

from ali_helpers import ACCOUNT, REGION, fault, http, requests, state

MB = 1000 * 1000


def test_150_mb_package_goes_through_oss(run, ali_project, ali_env, fake_aliyun, tmp_path):
    proj = ali_project()
    small = tmp_path / "app.zip"
    r = run(["package", "dev", "-o", small], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(big, "w", zipfile.ZIP_STORED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        with dst.open("blob.bin", "w") as f:          # incompressible filler
            for _ in range(150):
                f.write(os.urandom(MB))
    assert os.path.getsize(big) > 150 * MB
    fault(fake_aliyun, "PutBucket", "throttle", 1)
    fault(fake_aliyun, "PutObject", "500", 1, match="/code-")   # the 150 MB body is sent again
    r = run(["deploy", "dev", "--zip", big], cwd=proj, env=ali_env, timeout=300)
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    puts = [q for q in requests(fake_aliyun, "oss", "PutObject") if "/code-" in q["params"]["key"]]
    assert len(puts) == 2
    bucket = f"hoist-{ACCOUNT}-{REGION}"
    create = requests(fake_aliyun, "fc", "CreateFunction")[-1]["params"]["body"]
    assert create["code"]["ossBucketName"] == bucket
    assert create["code"]["ossObjectName"].startswith("hoistapp-dev/code-")
    assert create["code"]["checksum"] == state(fake_aliyun)["fc"]["functions"]["hoistapp-dev"]["config"]["codeChecksum"]
    assert "zipFile" not in create["code"]
    assert state(fake_aliyun)["oss"]["buckets"][bucket]["objects"] == {}   # nor the lock marker
    assert http(fake_aliyun, url + "/")[2] == b"hello from hoist on aliyun"
    n0 = len(requests(fake_aliyun, "oss"))
    r = run(["update", "dev", "--zip", big], cwd=proj, env=ali_env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert requests(fake_aliyun, "oss")[n0:] == []    # unchanged: no upload, no lock marker
