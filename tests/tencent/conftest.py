"""Shared fixtures for the Tencent Cloud provider's tests (tests/tencent/): the
fake Tencent Cloud (one server for the session, reset before each test), the
environment that points hoist at it, and a project with an app."""
import pytest

from tc_helpers import REGION, SECRET_ID, SECRET_KEY

APP = '''from flask import Flask, request
app = Flask(__name__)


@app.route("/")
def index():
    return "hello from hoist"


@app.route("/q", methods=["GET", "POST"])
def q():
    body = request.get_data(as_text=True)
    return "x=" + request.args.get("x", "") + (":" + body if body else "")
'''

TASKS = '''def cleanup(event=None, context=None):
    print("cleanup ran")
    return "cleaned"


def report(**kwargs):
    return kwargs
'''


@pytest.fixture(scope="session")
def tc_fake_session():
    from fakecloud.faketencent import Fake
    fake = Fake().start()
    yield fake
    fake.stop()


@pytest.fixture
def tc_fake(tc_fake_session):
    """The session's fake Tencent Cloud, emptied: .url, .state, .faults, .keys."""
    tc_fake_session.reset()
    tc_fake_session.tokens.clear()
    yield tc_fake_session


@pytest.fixture
def tc_env(tc_fake, tmp_path):
    """Environment for hoist against the fake (pass as run(..., env=tc_env))."""
    return {
        "TENCENTCLOUD_ENDPOINT_URL": tc_fake.url,
        "TENCENTCLOUD_SECRET_ID": SECRET_ID,
        "TENCENTCLOUD_SECRET_KEY": SECRET_KEY,
        "TENCENTCLOUD_SESSION_TOKEN": None,
        "TENCENTCLOUD_PROFILE": None,
        "TENCENTCLOUD_REGION": None,
        "HOIST_HTTP_BACKOFF_MS": "1",
        "HOIST_POLL_MS": "1",
    }


@pytest.fixture
def tc_project(project_files, flask_site_packages):
    """write(stage_settings: dict, stage="dev") -> project dir with hoist.json, app.py, tasks.py."""
    return project_files(
        {"provider": "tencent", "project_name": "hoistapp", "app_function": "app.app",
         "region": REGION, "runtime": "python3.10", "site_packages": str(flask_site_packages),
         "exclude": ["*.so"], "keep_warm": False,
         "touch": False},    # test_tc_deploy.py turns it on; saves an Invoke per deploy
        {"app.py": APP, "tasks.py": TASKS})
