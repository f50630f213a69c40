"""Zappa settings keys the AWS provider honours beyond the basics (each proven
by the requests the fake AWS received), and the Zappa keys hoist refuses."""
import os
import zipfile

from aws_helpers import fake_requests, ops_since, state, write_handler

FN = "hoistapp-dev"


WSGI_APP = '''def app(environ, start_response):
    if environ["PATH_INFO"] == "/boom":
        raise RuntimeError("boom")
    ok = environ["PATH_INFO"] == "/health" and environ["REQUEST_METHOD"] == "GET"
    start_response("200 OK" if ok else "404 Not Found", [("Content-Type", "text/plain")])
    return [b"ok" if ok else b"no"]
'''


def test_touch_invokes_an_api_gateway_get_once(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False, "touch": True, "touch_path": "/health"})
    (d / "app.py").write_text(WSGI_APP)
    r = run(["-v", "deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert len(fake_requests(fake_aws, "lambda", "Invoke")) == 1
    # the app answers 200 only to GET /health, as the REST API would send it
    assert "touch: GET /health answered HTTP 200" in r.stderr
    # a failing app is a warning, never a failed update
    d = aws_project({"keep_warm": False, "touch": True, "touch_path": "/boom"})
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert "touch: GET /boom answered HTTP 500" in r.stderr
    assert len(fake_requests(fake_aws, "lambda", "Invoke")) == 2
    # touch: false: no Invoke
    d = aws_project({"keep_warm": False, "touch": False})
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert len(fake_requests(fake_aws, "lambda", "Invoke")) == 2


def test_function_settings_concurrency_snap_start_kms(run, aws_env, aws_project, fake_aws):
    kms = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    d = aws_project({"keep_warm": False, "apigateway_enabled": False, "lambda_concurrency": 5,
                     "snap_start": "PublishedVersions", "aws_kms_key_arn": kms})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    create = fake_requests(fake_aws, "lambda", "CreateFunction")[0]["params"]
    assert create["SnapStart"] == {"ApplyOn": "PublishedVersions"} and create["KMSKeyArn"] == kms
    put = fake_requests(fake_aws, "lambda", "PutFunctionConcurrency")
    assert [q["params"]["ReservedConcurrentExecutions"] for q in put] == [5]
    # unchanged: no concurrency or configuration call
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    ops = ops_since(fake_aws, n0)
    assert not {"PutFunctionConcurrency", "DeleteFunctionConcurrency",
                "UpdateFunctionConfiguration"} & set(ops), ops
    # changed concurrency: Put again; settings removed: Delete, SnapStart off, Lambda's key
    d = aws_project({"keep_warm": False, "apigateway_enabled": False, "lambda_concurrency": 9,
                     "snap_start": "PublishedVersions", "aws_kms_key_arn": kms})
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert fake_requests(fake_aws, "lambda", "PutFunctionConcurrency")[-1]["params"][
        "ReservedConcurrentExecutions"] == 9
    d = aws_project({"keep_warm": False, "apigateway_enabled": False})
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert "DeleteFunctionConcurrency" in ops_since(fake_aws, n0)
    upd = fake_requests(fake_aws, "lambda", "UpdateFunctionConfiguration")[-1]["params"]
    assert upd["SnapStart"] == {"ApplyOn": "None"} and upd["KMSKeyArn"] == ""
    cfg = state(fake_aws)["lambda"][FN]["config"]
    assert "KMSKeyArn" not in cfg and cfg["SnapStart"]["ApplyOn"] == "None"
    assert state(fake_aws)["lambda"][FN].get("concurrency") is None


def test_rest_api_compression_cache_and_logging(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    # Zappa's defaults: compression on from 0 bytes; no stage settings to change
    assert fake_requests(fake_aws, "apigateway", "CreateRestApi")[0]["params"][
        "minimumCompressionSize"] == 0
    assert not [q for q in fake_requests(fake_aws, "apigateway", "UpdateStage")
                if any(o["path"] != "/description" for o in q["params"]["patchOperations"])]
    d = aws_project({"keep_warm": False, "payload_minimum_compression_size": 1024,
                     "cache_cluster_enabled": True, "cache_cluster_size": 1.6,
                     "cache_cluster_ttl": 60, "cache_cluster_encrypted": True,
                     "cloudwatch_log_level": "INFO", "cloudwatch_data_trace": True,
                     "cloudwatch_metrics_enabled": True})
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    patch = fake_requests(fake_aws, "apigateway", "UpdateRestApi")[-1]["params"]["patchOperations"]
    assert {"op": "replace", "path": "/minimumCompressionSize", "value": "1024"} in patch
    ops = {o["path"]: o["value"] for q in fake_requests(fake_aws, "apigateway", "UpdateStage")
           for o in q["params"]["patchOperations"]}
    assert ops["/cacheClusterEnabled"] == "true" and ops["/cacheClusterSize"] == "1.6"
    assert ops["/*/*/logging/loglevel"] == "INFO" and ops["/*/*/logging/dataTrace"] == "true"
    assert ops["/*/*/metrics/enabled"] == "true" and ops["/*/*/caching/ttlInSeconds"] == "60"
    assert ops["/*/*/caching/dataEncrypted"] == "true"
    api = state(fake_aws)["apigateway"]["apis"]
    (a,) = api.values()
    assert a["minimumCompressionSize"] == 1024
    ms = a["stages"]["dev"]["methodSettings"]["*/*"]
    assert (ms["loggingLevel"], ms["metricsEnabled"], ms["cacheTtlInSeconds"]) == ("INFO", True, 60)
    # unchanged: no write; back to defaults with compression off: converge back
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert not {"UpdateStage", "UpdateRestApi"} & set(ops_since(fake_aws, n0))
    d = aws_project({"keep_warm": False, "payload_compression": False})
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    (a,) = state(fake_aws)["apigateway"]["apis"].values()
    assert a.get("minimumCompressionSize") is None
    st = a["stages"]["dev"]
    assert st["cacheClusterEnabled"] is False and st["methodSettings"]["*/*"]["loggingLevel"] == "OFF"


def test_rest_only_keys_refused_on_http_api(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False, "apigateway_version": "v2",
                     "cloudwatch_log_level": "INFO"})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 2
    assert "cloudwatch_log_level" in r.stderr and "v2" in r.stderr
    assert fake_requests(fake_aws, "lambda") == []
    # the defaults are fine on v2
    d = aws_project({"keep_warm": False, "apigateway_version": "v2",
                     "cloudwatch_log_level": "OFF", "payload_compression": True})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr


def test_delete_s3_zip_false_keeps_the_uploaded_zip(run, aws_env, aws_project, fake_aws, tmp_path):
    d = aws_project({"keep_warm": False, "apigateway_enabled": False, "delete_s3_zip": False,
                     "s3_bucket": "hoist-keys-artifacts"})
    z = tmp_path / "big.zip"          # over Lambda's 50 MiB inline limit: goes through S3
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        write_handler(zf)
        zf.writestr("blob.bin", os.urandom(51 * 1024 * 1024))
    r = run(["-v", "deploy", "dev", "--zip", z], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert [q for q in fake_requests(fake_aws, "s3", "DeleteObject")
            if not q["params"]["Key"].startswith("hoist-locks/")] == []   # the stage lock's marker
    objs = state(fake_aws)["s3"]["hoist-keys-artifacts"]["objects"]
    assert len(objs) == 1 and "delete_s3_zip is false" in r.stderr


def test_delete_local_zip_false_keeps_the_built_zip(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False, "apigateway_enabled": False})
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    assert not (d / f"{FN}.zip").exists()          # the default: nothing left behind
    d = aws_project({"keep_warm": False, "apigateway_enabled": False, "delete_local_zip": False})
    r = run(["update", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(d / f"{FN}.zip") as z:
        assert "hoist_handler.py" in z.namelist() and "app.py" in z.namelist()


REFUSED = [("apigateway_policy", "policy.json"),
           ("context_header_mappings", {"user_id": "authorizer.user_id"}),
           ("assume_policy", "trust.json"), ("attach_policy", "extra.json")]


def test_unimplemented_zappa_keys_are_refused(run, aws_env, aws_project, fake_aws):
    for key, value in REFUSED:
        d = aws_project({key: value})
        r = run(["deploy", "dev"], cwd=d, env=aws_env)
        assert r.returncode == 2, (key, r.stderr)
        assert key in r.stderr and "not implement" in r.stderr, (key, r.stderr)
    assert fake_requests(fake_aws) == []
    # Zappa's default values load unchanged
    d = aws_project({"remote_env": None, "async_resources": False, "delete_local_zip": True,
                     "context_header_mappings": {}, "use_precompiled_packages": True,
                     "apigateway_policy": ""})
    r = run(["settings", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    r = run(["settings", "dev"], cwd=aws_project({"use_precompiled_packages": False}), env=aws_env)
    assert r.returncode == 0, r.stderr
