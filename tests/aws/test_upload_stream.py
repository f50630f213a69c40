"""Streamed uploads (core/http_body.c): Lambda's ZipFile JSON body is read,
base64'd and sent in chunks, so hoist's peak memory does not grow with the
zip; the fake recomputes each request's SigV4 signature over the body it
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
    # the role exists already: CreateFunction takes the code inline (a new role's goes
    # through S3, test_deploy.py)
    boto("iam").create_role(RoleName=f"{FN}-HoistLambdaExecutionRole",
                            AssumeRolePolicyDocument="{}")
    env = dict(aws_env, HOME=tmp_path / "home", XDG_STATE_HOME=tmp_path / "state")
    z45, z9 = big_zip(tmp_path / "z45.zip", 45), big_zip(tmp_path / "z9.zip", 9)

    rc, err, rss45 = run_rss(hoist, ["deploy", "dev", "--zip", z45], d, env)
    assert rc == 0, err
    assert state(fake_aws)["lambda"][FN]["config"]["CodeSha256"] == code_sha(z45)
    create = fake_requests(fake_aws, "lambda", "CreateFunction")
    assert create and "S3Bucket" not in create[-1]["params"]["Code"]   # inline, not via S3

    fake_post(fake_aws, "/__fake/faults", {"operation": "UpdateFunctionCode", "kind": "500",
                                           "count": 1})
    rc, err, rss9 = run_rss(hoist, ["update", "dev", "--zip", z9], d, env)
    assert rc == 0, err
    assert state(fake_aws)["lambda"][FN]["config"]["CodeSha256"] == code_sha(z9)
    # the 500 was retried: the body streamed again, and signed the same
    assert len(fake_requests(fake_aws, "lambda", "UpdateFunctionCode")) == 2

    if sanitized():
        pytest.skip("peak memory is not meaningful under AddressSanitizer")
    assert rss45 <= RSS_LIMIT_MIB, f"deploy of a 45 MiB zip peaked at {rss45:.1f} MiB"
    assert rss9 <= RSS_LIMIT_MIB, f"update with a 9 MiB zip peaked at {rss9:.1f} MiB"
