"""Shared pytest fixtures for hoist's CLI, handler, local and fake-cloud tests.

The binary under test comes from $HOIST (the Makefile sets it to the plain or
the sanitizer build); by default build/hoist in this checkout.
"""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
HOIST = os.environ.get("HOIST") or str(ROOT / "build" / "hoist")


@pytest.fixture(scope="session")
def root():
    """The repository root."""
    return ROOT


@pytest.fixture(scope="session")
def hoist():
    """Absolute path of the hoist binary under test."""
    assert os.access(HOIST, os.X_OK), f"hoist binary not built: {HOIST}"
    return HOIST


@pytest.fixture
def run(hoist, tmp_path):
    """run(args, cwd=None, env=None, input=None, timeout=60) -> CompletedProcess.

    Runs hoist with text output, no stdin unless `input` is given, and an
    environment with HOME and XDG_STATE_HOME inside tmp_path so tests never
    touch the real user's files.  `env` entries are added (None removes).
    """
    def _run(args, cwd=None, env=None, input=None, timeout=60):
        e = dict(os.environ)
        e.setdefault("HOME", str(tmp_path / "home"))
        e["HOME"] = str(tmp_path / "home")
        e["XDG_STATE_HOME"] = str(tmp_path / "state")
        e.pop("VIRTUAL_ENV", None)
        e.pop("NO_COLOR", None)
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = str(v)
        return subprocess.run(
            [hoist] + [str(a) for a in args],
            cwd=str(cwd) if cwd else None,
            env=e,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    return _run


FLASK_DISTS = ("flask", "werkzeug", "jinja2", "markupsafe", "itsdangerous", "click", "blinker")


@pytest.fixture(scope="session")
def flask_site_packages(tmp_path_factory):
    """A vendored site-packages holding Debian's Flask and its dependencies.

    Copied once per session (symlinks resolved, dangling ones skipped) from
    /usr/lib/python3/dist-packages; use it through the `site_packages` setting.
    """
    import shutil
    src = pathlib.Path("/usr/lib/python3/dist-packages")
    dst = tmp_path_factory.mktemp("flask-site-packages")
    for name in FLASK_DISTS:
        if (src / name).is_dir():
            shutil.copytree(src / name, dst / name, symlinks=False,
                            ignore_dangling_symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
    assert (dst / "flask" / "__init__.py").is_file(), "python3-flask is not installed"
    return dst


@pytest.fixture
def fake_aws():
    """A fresh fake AWS (tests/fakecloud/fakeaws.py) on 127.0.0.1: .url, .requests,
    .faults, .state; point hoist at it with AWS_ENDPOINT_URL=fake_aws.url and the
    keys fakecloud.fakeaws.DEFAULT_KEYS."""
    from fakecloud.fakeaws import Fake
    fake = Fake().start()
    yield fake
    fake.stop()
