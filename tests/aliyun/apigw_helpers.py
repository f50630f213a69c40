"""What the API Gateway tests (tests/aliyun/test_apigw_*.py) share: examples/flask
with an aliyun stage fronted by Alibaba Cloud API Gateway, the fake's API Gateway
state, deploy."""
import json
import shutil

import pytest

from ali_helpers import REGION, state


def deploy(run, proj, env, stage="dev"):
    r = run(["deploy", stage], cwd=proj, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def cloudapi(fake):
    return state(fake).get("cloudapi", {})


@pytest.fixture
def gw_example(tmp_path, root, flask_site_packages):
    """examples/flask with an aliyun stage fronted by API Gateway: write(**settings) -> dir."""
    d = tmp_path / "flask"
    shutil.copytree(root / "examples" / "flask", d,
                    ignore=shutil.ignore_patterns(".venv", "__pycache__", "*.zip"))

    def write(**extra):
        s = {"provider": "aliyun", "project_name": "flaskdemo", "app_function": "app.app",
             "region": REGION, "runtime": "python3.12", "site_packages": str(flask_site_packages),
             "keep_warm": False, "apigateway_enabled": True}
        s.update(extra)
        (d / "hoist.json").write_text(json.dumps({"dev": s}, indent=2))
        return d
    return write
