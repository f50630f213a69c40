"""Streamed uploads (core/http_body.c): a zip is read and sent in chunks
(inline, Lambda's ZipFile JSON body base64'd on the way; over 4 MiB, S3's
PutObject body as is), so hoist's peak memory does not grow with the zip;
the fake recomputes each request's SigV4 signature over the body it
received (botocore's signer), so a body that did not match the SHA-256 hoist
signed up front would be refused; a retried upload is streamed again."""
import base64
import hashlib
import os
import zipfile

import pytest
from aws_helpers import fake_post, fake_requests, state, write_handler
from peak_rss import RSS_LIMIT_MIB, run_rss, sanitized

FN = "hoistapp-dev"


def big_zip(path, mib):
    """A zip of about `mib` MiB that does not compress (stored random bytes)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        write_handler(z)
        z.writestr("blob.bin", os.urandom(mib * 1024 * 1024 - 4096))
    return path


def code_sha(path):
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def test_zip_upload_memory_is_flat(hoist, aws_env, aws_project, fake_aws, tmp_path, boto):
    d = aws_project({"apigateway_enabled": False, "keep_warm": False})
    # the role exists already: only the zip's size decides how the code goes
    boto("iam").create_role(RoleName=f"{FN}-HoistLambdaExecutionRole",
                            AssumeRolePolicyDocument="{}")
    env = dict(aws_env, HOME=tmp_path / "home", XDG_STATE_HOME=tmp_path / "state")
    z45, z9, z3 = (big_zip(tmp_path / "z45.zip", 45), big_zip(tmp_path / "z9.zip", 9),
                   big_zip(tmp_path / "z3.zip", 3))

    rc, err, rss45 = run_rss(hoist, ["deploy", "dev", "--zip", z45], d, env)
    assert rc == 0, err
    assert state(fake_aws)["lambda"][FN]["config"]["CodeSha256"] == code_sha(z45)
    create = fake_requests(fake_aws, "lambda", "CreateFunction")
    assert create and "S3Bucket" in create[-1]["params"]["Code"]   # over 4 MiB: via S3

    assert fake_requests(fake_aws, "s3", "UploadPart")   # over 16 MiB: in parts

    rc, err, rss9 = run_rss(hoist, ["update", "dev", "--zip", z9], d, env)
    assert rc == 0, err
    assert state(fake_aws)["lambda"][FN]["config"]["CodeSha256"] == code_sha(z9)
    puts = [q for q in fake_requests(fake_aws, "s3", "PutObject")
            if q["params"]["Key"].endswith(".zip")]
    assert [q["params"]["Body"]["__bytes__"] for q in puts] == [z9.stat().st_size]

    # under 4 MiB: inline, the JSON body streamed (base64'd on the way), a 500 retried
    fake_post(fake_aws, "/__fake/faults", {"operation": "UpdateFunctionCode", "kind": "500",
                                           "count": 1})
    n0 = len(fake_requests(fake_aws, "lambda", "UpdateFunctionCode"))
    rc, err, rss3 = run_rss(hoist, ["update", "dev", "--zip", z3], d, env)
    assert rc == 0, err
    assert state(fake_aws)["lambda"][FN]["config"]["CodeSha256"] == code_sha(z3)
    code = fake_requests(fake_aws, "lambda", "UpdateFunctionCode")[n0:]
    assert len(code) == 2 and all("ZipFile" in q["params"] for q in code)

    if sanitized():
        pytest.skip("peak memory is not meaningful under AddressSanitizer")
    assert rss45 <= RSS_LIMIT_MIB, f"deploy of a 45 MiB zip peaked at {rss45:.1f} MiB"
    assert rss9 <= RSS_LIMIT_MIB, f"update with a 9 MiB zip peaked at {rss9:.1f} MiB"
    assert rss3 <= RSS_LIMIT_MIB, f"update with a 3 MiB zip peaked at {rss3:.1f} MiB"
