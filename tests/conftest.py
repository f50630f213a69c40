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


def _environment(tmp_path, env):
    """os.environ with HOME and XDG_STATE_HOME inside tmp_path, `env` added (None removes)."""
    e = dict(os.environ)
    e["HOME"] = str(tmp_path / "home")
    e["XDG_STATE_HOME"] = str(tmp_path / "state")
    e.pop("VIRTUAL_ENV", None)
    e.pop("NO_COLOR", None)
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = str(v)
    return e


@pytest.fixture
def run(hoist, tmp_path):
    """run(args, cwd=None, env=None, input=None, timeout=60) -> CompletedProcess.

    Runs hoist with text output, no stdin unless `input` is given, and an
    environment with HOME and XDG_STATE_HOME inside tmp_path so tests never
    touch the real user's files.  `env` entries are added (None removes).
    """
    def _run(args, cwd=None, env=None, input=None, timeout=60):
        return subprocess.run(
            [hoist] + [str(a) for a in args],
            cwd=str(cwd) if cwd else None,
            env=_environment(tmp_path, env),
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    return _run


@pytest.fixture
def start(hoist, tmp_path):
    """start(args, cwd=None, env=None) -> Popen: hoist in the background, as `run` runs it
    (the same environment; no stdin; stdout and stderr piped, text)."""
    def _start(args, cwd=None, env=None):
        return subprocess.Popen([hoist] + [str(a) for a in args],
                                cwd=str(cwd) if cwd else None, env=_environment(tmp_path, env),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    return _start


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
def project_files(tmp_path):
    """project_files(defaults: dict, files: {name: text}) -> write(stage_settings: dict,
    stage="dev") -> tmp_path/proj holding `files` and a hoist.json with `defaults`
    updated by stage_settings for `stage` (written once with none); the clouds'
    *_project fixtures."""
    import json
    d = tmp_path / "proj"

    def make(defaults, files):
        d.mkdir()
        for name, text in files.items():
            (d / name).write_text(text)

        def write(settings=None, stage="dev"):
            s = dict(defaults, **(settings or {}))
            (d / "hoist.json").write_text(json.dumps({stage: s}, indent=2))
            return d
        write()
        return write
    return make


@pytest.fixture
def flask_example(tmp_path, root):
    """stage_dir(settings: dict, stage="dev") -> examples/flask copied into tmp_path
    (no .venv, caches or zips) with a hoist.json holding `settings` for `stage`."""
    import json
    import shutil
    d = tmp_path / "flask"
    shutil.copytree(root / "examples" / "flask", d,
                    ignore=shutil.ignore_patterns(".venv", "__pycache__", "*.zip"))

    def write(settings, stage="dev"):
        (d / "hoist.json").write_text(json.dumps({stage: settings}, indent=2))
        return d
    return write


@pytest.fixture
def fake_aws():
    """A fresh fake AWS (tests/fakecloud/fakeaws.py) on 127.0.0.1: .url, .requests,
    .faults, .state; point hoist at it with AWS_ENDPOINT_URL=fake_aws.url and the
    keys fakecloud.fakeaws.DEFAULT_KEYS."""
    from fakecloud.fakeaws import Fake
    fake = Fake().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def sparse_zip():
    """sparse_zip(path, size, function) -> path: a valid hoist package of exactly `size`
    bytes that takes no disk: hoist_handler.py, hoist_settings.py naming `function` (what
    --zip checks), then blob.bin, the rest, stored zeros written as a hole."""
    return _sparse_zip


def _sparse_zip(path, size, function):
    import struct
    import zlib

    small = [("hoist_handler.py", b"def handler(event, context):\n    return event\n"),
             ("hoist_settings.py", b'FUNCTION_NAME = "%s"\n' % function.encode())]
    names = [n for n, _ in small] + ["blob.bin"]
    overhead = sum(30 + len(n) for n in names) + sum(len(d) for _, d in small) + \
        sum(46 + len(n) for n in names) + 22
    blob = size - overhead
    crc, chunk, left = 0, bytes(1 << 20), blob
    while left:
        n = min(left, len(chunk))
        crc = zlib.crc32(chunk[:n], crc)
        left -= n
    entries = [(n, zlib.crc32(d), len(d), d) for n, d in small] + [("blob.bin", crc, blob, None)]
    central, offset = b"", 0
    with open(path, "wb") as f:
        for name, c, n, data in entries:
            nb = name.encode()
            f.write(struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 0, 0, 0x21, c, n, n,
                                len(nb), 0) + nb)
            if data is None:
                f.seek(n, 1)        # the hole
            else:
                f.write(data)
            central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 0, 0, 0, 0x21,
                                   c, n, n, len(nb), 0, 0, 0, 0, 0o644 << 16, offset) + nb
            offset = f.tell()
        f.write(central)
        f.write(struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, len(entries), len(entries),
                            len(central), offset, 0))
    assert path.stat().st_size == size
    return path
