"""On a terminal, steps carry their timings (and colour); off a terminal the
same steps are plain lines — what CI logs and pipelines see."""
import json
import os
import re

from pty_run import run_on_pty


def project(tmp_path):
    (tmp_path / "app.py").write_text("def app(environ, start_response):\n    pass\n")
    (tmp_path / "site").mkdir()
    (tmp_path / "hoist.json").write_text(json.dumps({"dev": {
        "provider": "local", "app_function": "app.app", "site_packages": str(tmp_path / "site")}}))
    return tmp_path


def test_steps_carry_timings_on_a_terminal(hoist, tmp_path):
    d = project(tmp_path)
    env = dict(os.environ, HOME=str(tmp_path))
    env.pop("NO_COLOR", None)
    p, text = run_on_pty([hoist, "package", "dev", "-o", str(tmp_path / "x.zip")], d, env)
    assert p.returncode == 0
    assert p.stdout.decode().strip() == str(tmp_path / "x.zip")   # stdout stays plain
    assert re.search(r"\[\s*\d+\.\d\ds\] ", text), text
    assert "\x1b[" in text


def test_steps_are_plain_off_a_terminal(run, tmp_path):
    d = project(tmp_path)
    r = run(["package", "dev", "-o", tmp_path / "x.zip"], cwd=d)
    assert r.returncode == 0, r.stderr
    assert not re.search(r"\[\s*\d+\.\d\ds\]", r.stderr)
    assert "\x1b[" not in r.stderr
