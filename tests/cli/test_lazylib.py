"""libcurl, libxml2, libarchive and libmicrohttpd are opened when hoist first calls
them (core/lazylib.h), not at start: a run that needs none of them never maps them,
and one that needs a library it cannot load stops with an error naming the package."""
import json
import subprocess

import pytest


@pytest.mark.parametrize("kind", ["no symbols", "not a library"])
def test_a_library_loaded_when_first_called_or_a_clear_error(run, tmp_path, kind):
    libs = tmp_path / "libs"
    libs.mkdir()
    bad = libs / "libcurl.so.4"    # found first: LD_LIBRARY_PATH
    if kind == "no symbols":
        subprocess.run(["cc", "-shared", "-o", str(bad), "-x", "c", "/dev/null"], check=True)
    else:
        bad.write_text("not an ELF file\n")
    d = tmp_path / "proj"
    d.mkdir()
    (d / "app.py").write_text("app = None\n")
    (d / "hoist.json").write_text(json.dumps({"dev": {
        "provider": "aws", "app_function": "app.app", "aws_region": "us-east-1"}}))
    env = {"LD_LIBRARY_PATH": libs, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
           "AWS_SECRET_ACCESS_KEY": "secret", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
           "AWS_CONFIG_FILE": tmp_path / "none", "AWS_SHARED_CREDENTIALS_FILE": tmp_path / "none"}
    # runs that make no request never open libcurl
    for args in (["--version"], ["settings", "dev"], ["package", "dev", "-o", tmp_path / "a.zip"]):
        r = run(args, cwd=d, env=env)
        assert r.returncode == 0, (args, r.stderr)
    # one that does stops at its first request, saying what to install
    r = run(["status", "dev"], cwd=d, env=env)
    assert r.returncode == 1, r.stderr
    what = "libcurl.so.4 has no curl_global_init" if kind == "no symbols" \
        else "cannot load libcurl.so.4"
    assert f"hoist: error: {what}" in r.stderr, r.stderr
    assert "apt-get install libcurl4" in r.stderr and r.stdout == ""
