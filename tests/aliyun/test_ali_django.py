"""hoist manage on aliyun: a Django project (tests/handler/apps/djproject
with Debian's Django vendored) deployed to the fake Function Compute; a
management command runs inside the deployed runtime through InvokeFunction
and its output comes back on stdout, the log tail on stderr."""
import json
import shutil

import pytest

from ali_helpers import REGION, http

DJANGO_DISTS = ("django", "asgiref", "sqlparse", "pytz")


@pytest.fixture(scope="session")
def django_site_packages(tmp_path_factory):
    src = "/usr/lib/python3/dist-packages"
    dst = tmp_path_factory.mktemp("django-site-packages")
    for name in DJANGO_DISTS:
        shutil.copytree(f"{src}/{name}", dst / name, symlinks=False, ignore_dangling_symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__", "LC_MESSAGES", "tests"))
    return dst


def test_manage_runs_a_django_command(run, root, tmp_path, ali_env, fake_aliyun,
                                      django_site_packages):
    proj = tmp_path / "dj"
    shutil.copytree(root / "tests" / "handler" / "apps" / "djproject", proj / "djproject",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (proj / "hoist.json").write_text(json.dumps({"dev": {
        "provider": "aliyun", "project_name": "djshop", "django_settings": "djproject.settings",
        "region": REGION, "runtime": "python3.12", "keep_warm": False,
        "site_packages": str(django_site_packages), "exclude": ["*.mo", "*.po"]}}))
    r = run(["deploy", "dev"], cwd=proj, env=ali_env, timeout=180)
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    st, _, body = http(fake_aliyun, url + "/echo?x=1")
    assert st == 200, body
    assert json.loads(body)["path_info"] == "/echo"
    r = run(["manage", "dev", "greet", "world", "--shout"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "HELLO WORLD" in r.stderr      # the output (the log tail) goes to stderr
    r = run(["manage", "dev", "nosuchcommand"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 1
    assert "Unknown command" in r.stdout + r.stderr
