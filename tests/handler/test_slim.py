"""Slim bundle: at cold start the project .tar.gz is fetched from S3 (through
boto3, which the AWS runtime provides -- here a small test double that copies
from a local directory and logs each download) and unpacked into
/tmp/<project> once per container."""
import io
import json
import shutil
import subprocess
import sys
import tarfile
import uuid

import pytest

from handler_support import DEFAULTS, TEMPLATES, build, settings_source

FAKE_BOTO3 = '''
import os, shutil

class _S3(object):
    def download_file(self, bucket, key, filename):
        root = os.environ["FAKE_S3_ROOT"]
        with open(os.path.join(root, "downloads.log"), "a") as log:
            log.write("%s/%s\\n" % (bucket, key))
        shutil.copyfile(os.path.join(root, bucket, key), filename)

def client(service, *args, **kwargs):
    assert service == "s3", service
    return _S3()
'''

APP = b'''
import helper
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("%s from %s" % (helper.WORD, __file__)).encode()]
'''

DRIVER = '''
import json, sys
sys.path[:0] = sys.argv[1:4]
import hoist_handler
event = json.loads(sys.argv[4])
for _ in range(int(sys.argv[5])):
    print("RESULT " + json.dumps(hoist_handler.handler(event, None)))
'''


def _tar(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def slim(tmp_path):
    project = "hoisttest-%s" % uuid.uuid4().hex[:10]
    s3 = tmp_path / "s3"
    (s3 / "deploy-bucket" / "demo").mkdir(parents=True)
    (tmp_path / "boto" / "boto3").mkdir(parents=True)
    (tmp_path / "boto" / "boto3" / "__init__.py").write_text(FAKE_BOTO3)
    settings = tmp_path / "settings"
    settings.mkdir()
    (settings / "hoist_settings.py").write_text(settings_source(dict(
        DEFAULTS, APP_FUNCTION="app.app", PROJECT_NAME=project,
        SLIM_BUNDLE={"url": "s3://deploy-bucket/demo/%s.tar.gz" % project, "project": project})))
    archive = s3 / "deploy-bucket" / "demo" / (project + ".tar.gz")

    def run(calls, event=None):
        event = event or build("aws_v2", "GET", "/")
        proc = subprocess.run(
            [sys.executable, "-I", "-S", "-c", DRIVER, str(TEMPLATES), str(settings),
             str(tmp_path / "boto"), json.dumps(event), str(calls)],
            capture_output=True, text=True, timeout=60, env={"FAKE_S3_ROOT": str(s3)})
        results = [json.loads(l[7:]) for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
        log = s3 / "downloads.log"
        return proc, results, log.read_text().splitlines() if log.exists() else []

    yield project, archive, run
    shutil.rmtree("/tmp/" + project, ignore_errors=True)


def test_bundle_is_downloaded_and_unpacked_once_per_container(slim):
    project, archive, run = slim
    archive.write_bytes(_tar({"app.py": APP, "helper.py": b"WORD = 'slim'\n"}))
    proc, results, downloads = run(2)
    assert proc.returncode == 0, proc.stderr
    body = "slim from /tmp/%s/app.py" % project
    expected = {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "cookies": [],
                "body": body, "isBase64Encoded": False}
    assert results == [expected, expected]
    assert downloads == ["deploy-bucket/demo/%s.tar.gz" % project]
    # a new process in the same container (same /tmp) does not download again
    proc, results, downloads = run(1)
    assert proc.returncode == 0, proc.stderr
    assert results == [expected]
    assert len(downloads) == 1


def test_unsafe_bundle_is_refused(slim):
    project, archive, run = slim
    archive.write_bytes(_tar({"../escape.py": b"x = 1\n", "app.py": APP}))
    proc, results, downloads = run(1)
    assert results[0]["statusCode"] == 500
    assert "escape.py" in proc.stderr or "outside" in proc.stderr
    import os
    assert not os.path.exists("/tmp/%s/app.py" % project)
