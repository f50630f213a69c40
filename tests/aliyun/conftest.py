"""Shared fixtures for the Alibaba Cloud provider's tests (tests/aliyun/): one
fake Alibaba Cloud for the session (tests/fakecloud/fakealiyun.py and its node
judge), reset before each test; the environment that points hoist at it; a
project directory with a small Flask app.
"""
import os
import shutil

import pytest

os.environ.setdefault("HOIST_FAKE_SETTLE", "0.05")

from ali_helpers import AKID, REGION, SECRET  # noqa: E402

APP = '''from flask import Flask, request
app = Flask(__name__)


@app.route("/")
def index():
    return "hello from hoist on aliyun"


@app.route("/echo", methods=["GET", "POST"])
def echo():
    return {"method": request.method, "path": request.path, "args": request.args,
            "body": request.get_data(as_text=True)}
'''

TASKS = '''def cleanup(event=None, context=None):
    print("cleanup ran")
    return "cleaned"


def report(**kwargs):
    print("report", sorted(kwargs.items()))
    return kwargs
'''


@pytest.fixture(scope="session")
def _fake_aliyun_session():
    if not shutil.which("node"):
        pytest.skip("node is not installed (make check installs it)")
    from fakecloud.fakealiyun import FakeAliyun
    fake = FakeAliyun().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_aliyun(_fake_aliyun_session):
    """The session's fake Alibaba Cloud, emptied for this test."""
    _fake_aliyun_session.reset()
    return _fake_aliyun_session


@pytest.fixture
def ali_env(fake_aliyun, tmp_path):
    """Environment for hoist against the fake (run(..., env=ali_env))."""
    return {
        "ALIBABA_CLOUD_ENDPOINT_URL": fake_aliyun.url,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": AKID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
        "ALIBABA_CLOUD_SECURITY_TOKEN": None,
        "ALIBABA_CLOUD_PROFILE": None,
        "ALIBABA_CLOUD_REGION_ID": None,
        "ALIBABA_CLOUD_CONFIG_FILE": str(tmp_path / "no-aliyun-config.json"),
        "HOIST_HTTP_BACKOFF_MS": "1",
    }


@pytest.fixture
def ali_project(project_files, flask_site_packages):
    """write(stage_settings: dict, stage="dev") -> project dir with hoist.json, app.py, tasks.py."""
    return project_files(
        {"provider": "aliyun", "project_name": "hoistapp", "app_function": "app.app",
         "region": REGION, "runtime": "python3.12", "keep_warm": False,
         "site_packages": str(flask_site_packages)},
        {"app.py": APP, "tasks.py": TASKS})
