"""Pre-flight (issue 12 item 23): before anything is uploaded, deploy and
update import the app from the package alone, the way the runtime will; a
dependency the package lacks is refused (exit 2) saying where it lives on
this machine; --no-preflight skips it."""
import pathlib
import stat
import subprocess

FLASK_APP = "from flask import Flask\napp = Flask(__name__)\n"


def test_system_site_packages_virtualenv_is_caught(make_stage, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", "--without-pip",
                    str(venv)], check=True, timeout=60)
    s = make_stage(files={"app.py": FLASK_APP})
    s.env["VIRTUAL_ENV"] = str(venv)
    r = s.run("deploy", s.name)
    assert r.returncode == 2, r.stderr
    assert "pre-flight: the app does not import from the package: " \
           "ModuleNotFoundError: No module named 'flask'" in r.stderr
    assert f"flask is in /usr/lib/python3/dist-packages, outside the virtualenv ({venv})" \
        in r.stderr
    assert "pip install flask" in r.stderr and r.stdout == ""
    assert not s.dir.exists()                       # nothing was started or unpacked
    # --no-preflight: hoist goes on, and the gateway's own import fails instead (exit 1)
    r = s.run("deploy", s.name, "--no-preflight")
    assert r.returncode == 1 and "No module named 'flask'" in r.stderr
    assert "pre-flight" not in r.stderr


def test_app_function_not_in_the_package(make_stage):
    s = make_stage(settings={"app_function": "nowhere.app"})
    r = s.run("deploy", s.name)
    assert r.returncode == 2
    assert "pre-flight: app_function: no module named 'nowhere'" in r.stderr
    assert not s.dir.exists()


def test_stage_environment_and_other_errors(make_stage, flask_site_packages):
    # the import sees the stage's environment_variables, as the runtime does
    app = ("import os\nMODE = os.environ['API_MODE']\n"
           "if os.path.basename(os.path.dirname(os.getcwd())).startswith('hoist-preflight'):\n"
           "    raise RuntimeError('no database from here')\n"
           "def app(environ, start_response):\n"
           "    start_response('200 OK', [])\n    return [MODE.encode()]\n")
    s = make_stage(settings={"environment_variables": {"API_MODE": "blue"}}, files={"app.py": app})
    r = s.run("deploy", s.name)
    # anything but a missing module is the app's business: a warning, and the deploy goes on
    assert r.returncode == 0, r.stderr
    assert "warning: pre-flight: the app raised RuntimeError: no database from here" in r.stderr
    assert s.get("/")[2] == b"blue"
    # an update with the import working says so
    s.write_settings(environment_variables={"API_MODE": "green"})
    (s.proj / "app.py").write_text(app.replace("raise RuntimeError('no database from here')",
                                               "pass"))
    r = s.run("update", s.name)
    assert r.returncode == 0, r.stderr
    assert "Pre-flight: the app imports from the package alone" in r.stderr
    assert s.get("/")[2] == b"green"


def test_native_modules_load_and_a_pass_is_remembered(make_stage, flask_site_packages):
    # markupsafe's C speedups cannot load from a zip: pre-flight unpacks them to import
    app = ("import markupsafe._speedups\nfrom flask import Flask\napp = Flask(__name__)\n")
    s = make_stage(settings={"site_packages": str(flask_site_packages), "runtime": "python3.11"},
                   files={"app.py": app})
    r = s.run("deploy", s.name)
    assert r.returncode == 0, r.stderr
    assert "Pre-flight: the app imports from the package alone (python3.11" in r.stderr
    # the same package, Python and environment again: not tried twice
    (s.proj / "hoist.json").write_text((s.proj / "hoist.json").read_text())
    r = s.run("update", s.name)
    assert r.returncode == 0, r.stderr
    assert "Pre-flight: this package imported with python3.11 before" in r.stderr


def test_tried_from_its_files_while_compressed_and_nothing_written_beside_them(make_stage,
                                                                               tmp_path):
    """The pre-flight imports from the files the package is made of (while they are
    compressed), exactly those: an excluded module stays unimportable though it is on
    disk beside its package, and nothing is written into the project or site-packages
    (compiled code goes to hoist's private cache)."""
    site = tmp_path / "site"
    (site / "mylib").mkdir(parents=True)
    (site / "mylib" / "__init__.py").write_text("NAME = 'mylib'\n")
    (site / "mylib" / "extra.py").write_text("EXTRA = 1\n")
    app = ("import mylib\nimport mylib.extra\n"
           "def app(environ, start_response):\n"
           "    start_response('200 OK', [])\n    return [mylib.NAME.encode()]\n")
    s = make_stage(settings={"site_packages": str(site), "exclude": ["extra.py"]},
                   files={"app.py": app})
    r = s.run("deploy", s.name)
    # a submodule of a package that is in the package: a warning; then the gateway's own
    # import of the package fails as the cloud's would (exit 1)
    assert "pre-flight: the app raised ModuleNotFoundError: No module named 'mylib.extra'" \
        in r.stderr
    assert r.returncode == 1, r.stderr
    # nothing beside the files: no __pycache__ in the project or site-packages
    assert not list(site.rglob("__pycache__")) and not list(s.proj.rglob("__pycache__"))
    cache = pathlib.Path(s.env["HOME"]) / ".cache" / "hoist" / "preflight"
    assert cache.is_dir() and stat.S_IMODE(cache.stat().st_mode) == 0o700
    # the module excluded no more: the update's pre-flight passes, and remembers it
    s.write_settings(exclude=[])
    r = s.run("deploy", s.name)
    assert r.returncode == 0, r.stderr
    assert "Pre-flight: the app imports from the package alone" in r.stderr
    assert list(cache.glob("pyc/tree/**/mylib/extra.*.pyc"))   # compiled once, privately
    r = s.run("update", s.name)
    assert r.returncode == 0 and "Pre-flight: this package imported with" in r.stderr


def test_python_starts_early_warmed_up_but_never_with_a_module_the_package_has(make_stage):
    """Python starts before the project is walked and meanwhile imports the standard-library
    modules the last pass of this project imported (listed, privately, in hoist's cache); a
    module the package has itself is never taken from the standard library for it."""
    app = ("import colorsys\n"
           "def app(environ, start_response):\n"
           "    start_response('200 OK', [])\n"
           "    return [getattr(colorsys, 'MARK', 'stdlib').encode()]\n")
    s = make_stage(files={"app.py": app})
    r = s.run("deploy", s.name)
    assert r.returncode == 0, r.stderr
    assert "Pre-flight: the app imports from the package alone" in r.stderr
    cache = pathlib.Path(s.env["HOME"]) / ".cache" / "hoist" / "preflight"
    warm = list(cache.glob("warm-*"))
    assert len(warm) == 1 and stat.S_IMODE(warm[0].stat().st_mode) == 0o600
    names = warm[0].read_text().split()
    assert "colorsys" in names                          # the app's, from the standard library
    assert not [n for n in names if n.startswith("hoist_") or n == "app"]   # never the package's
    assert s.get("/")[2] == b"stdlib"
    # now the package has a colorsys of its own: the app must get it, as in the cloud, though
    # the early Python warmed up with the standard library's
    (s.proj / "colorsys.py").write_text("MARK = 'mine'\n")
    (s.proj / "app.py").write_text(app + "assert colorsys.MARK == 'mine'\n")
    r = s.run("update", s.name)
    assert r.returncode == 0, r.stderr
    assert "Pre-flight: the app imports from the package alone" in r.stderr
    assert "pre-flight: the app raised" not in r.stderr
    assert s.get("/")[2] == b"mine"
    # and a package that shadows the standard library is not warmed up for again
    assert warm[0].read_text() == ""


def test_the_check_is_compiled_once_and_its_file_never_trusted_blindly(make_stage):
    """The pre-flight's own script is imported from hoist's private cache, so Python keeps
    its compiled code (no compile at every start); a file there that is not hoist's script
    is written again before it runs, and compiled code that does not load is not fatal."""
    ok_app = "def app(environ, start_response):\n    start_response('200 OK', [])\n" \
             "    return [b'ok']\n"
    s = make_stage(files={"app.py": ok_app})
    r = s.run("deploy", s.name)
    assert r.returncode == 0, r.stderr
    assert "Pre-flight: the app imports from the package alone" in r.stderr
    code = pathlib.Path(s.env["HOME"]) / ".cache" / "hoist" / "preflight" / "code"
    [script] = code.glob("hoist_preflight_*.py")
    assert stat.S_IMODE(code.stat().st_mode) == 0o700
    assert stat.S_IMODE(script.stat().st_mode) == 0o600
    [pyc] = (code / "__pycache__").glob(script.stem + ".*.pyc")   # compiled once, by Python
    text = script.read_bytes()
    # not hoist's script (a stale or foreign file): written again, and the check still
    # catches a module the package lacks
    script.write_text("def main():\n    print('{\"ok\": true}')\n")
    (s.proj / "app.py").write_text("import not_in_the_package\n" + ok_app)
    r = s.run("update", s.name)
    assert r.returncode == 2, r.stderr
    assert "No module named 'not_in_the_package'" in r.stderr
    assert script.read_bytes() == text
    # compiled code that does not load (its header current, its body garbage): the script
    # runs from its text instead
    pyc.write_bytes(pyc.read_bytes()[:16] + b"\xff" * 64)
    (s.proj / "app.py").write_text("import still_not_in_the_package\n" + ok_app)
    r = s.run("update", s.name)
    assert r.returncode == 2, r.stderr
    assert "No module named 'still_not_in_the_package'" in r.stderr
    assert not pyc.exists()                      # removed: compiled again next time
    (s.proj / "app.py").write_text(ok_app + "# changed\n")
    r = s.run("update", s.name)
    assert r.returncode == 0, r.stderr
    assert "Pre-flight: the app imports from the package alone" in r.stderr
    assert s.get("/")[2] == b"ok"
    assert pyc.exists() and b"\xff" * 64 not in pyc.read_bytes()
