"""`hoist init`: app detection (Flask, Django, FastAPI/Starlette), -y with flags,
never overwriting a settings file without asking, never waiting for a
terminal that is not there, and a questionnaire answered through a pty."""
import json
import os
import pty
import select
import subprocess
import time

import pytest

# No region or provider hints from the machine running the tests.
CLEAN = {"AWS_REGION": None, "AWS_DEFAULT_REGION": None, "NO_COLOR": None}


def write(d, rel, text):
    p = d / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def init(run, d, *args):
    return run(["init", "-y", *args], cwd=d, env=CLEAN)


def stage(d, name="dev"):
    return json.loads((d / "hoist.json").read_text())[name]


@pytest.fixture
def proj(tmp_path):
    d = tmp_path / "My Shop"
    d.mkdir()
    return d


def test_detects_flask_app_and_writes_settings_hoist_accepts(run, proj):
    write(proj, "app.py", "from flask import Flask\n\napp = Flask(__name__)\n")
    r = init(run, proj)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hoist.json\n"
    assert "Flask app (app.py:3) -> app.app" in r.stderr
    assert "hoist deploy dev" in r.stderr
    assert "--provider local" in r.stderr          # the default is aws: hint at local
    assert stage(proj) == {"provider": "aws", "project_name": "my-shop",
                           "app_function": "app.app", "aws_region": "us-east-1"}
    assert (proj / "hoist.json").read_text().startswith('{\n    "dev": {\n        "provider"')
    s = run(["settings", "dev"], cwd=proj)
    assert s.returncode == 0, s.stderr
    assert json.loads(s.stdout)["app_function"] == "app.app"
    assert s.stderr == ""


def test_flask_app_in_a_package_subdirectory(run, proj):
    write(proj, "web/__init__.py", "")
    write(proj, "web/api/server.py",
          "import flask\nimport os\n\napplication = flask.Flask('x')\n"
          "def make():\n    inner = flask.Flask('y')\n")
    r = init(run, proj, "--provider", "local")
    assert r.returncode == 0, r.stderr
    assert stage(proj) == {"provider": "local", "project_name": "my-shop",
                           "app_function": "web.api.server.application"}
    assert "Found Flask app (web/api/server.py:4)" in r.stderr
    assert "--provider local'" not in r.stderr     # no hint when the provider was chosen


def test_search_skips_virtualenvs_vendored_hidden_and_deep_directories(run, proj):
    flask_app = "from flask import Flask\napp = Flask(__name__)\n"
    write(proj, "env/pyvenv.cfg", "home = /usr/bin\n")
    write(proj, "env/lib/tool.py", flask_app)
    write(proj, "node_modules/x/y.py", flask_app)
    write(proj, ".hidden/y.py", flask_app)
    write(proj, "__pycache__/y.py", flask_app)
    write(proj, "a/b/c/d/deep.py", flask_app)          # 4 directories down
    write(proj, "my-scripts/y.py", flask_app)          # not importable
    write(proj, "notes.py", "# app = Flask(__name__)\n    app = Flask(__name__)\n")
    r = init(run, proj)
    assert r.returncode == 2
    assert "no Flask, Django, FastAPI or Starlette app found" in r.stderr
    write(proj, "a/b/c/ok.py", flask_app)              # 3 down is searched
    r = init(run, proj)
    assert r.returncode == 0, r.stderr
    assert stage(proj)["app_function"] == "a.b.c.ok.app"


def test_detects_django_project_from_manage_py(run, proj):
    write(proj, "manage.py",
          "#!/usr/bin/env python\nimport os\nimport sys\n\ndef main():\n"
          "    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n")
    write(proj, "mysite/__init__.py", "")
    write(proj, "mysite/settings.py", "SECRET_KEY = 'x'\n")
    r = init(run, proj, "--provider", "local", "--stage", "prod")
    assert r.returncode == 0, r.stderr
    assert "Django settings (manage.py) -> mysite.settings" in r.stderr
    st = stage(proj, "prod")
    assert st["django_settings"] == "mysite.settings" and "app_function" not in st
    assert run(["settings", "prod"], cwd=proj).returncode == 0


def test_django_settings_assigned_by_subscript(run, proj):
    write(proj, "manage.py", 'import os\nos.environ["DJANGO_SETTINGS_MODULE"] = "shop.conf.dev"\n')
    r = init(run, proj, "--provider", "local")
    assert r.returncode == 0, r.stderr
    assert stage(proj)["django_settings"] == "shop.conf.dev"


@pytest.mark.parametrize("src,framework", [
    ("from fastapi import FastAPI\n\napi = FastAPI(title='t')\n", "FastAPI"),
    ("from starlette.applications import Starlette\napi: Starlette = Starlette(routes=[])\n",
     "Starlette"),
])
def test_detects_asgi_app(run, proj, src, framework):
    write(proj, "service/main.py", src)
    r = init(run, proj, "--provider", "local")
    assert r.returncode == 0, r.stderr
    assert f"Found {framework} app (service/main.py" in r.stderr
    st = stage(proj)
    assert st["app_function"] == "service.main.api" and st["app_type"] == "asgi"
    s = run(["settings"], cwd=proj)
    assert s.returncode == 0 and json.loads(s.stdout)["app_type"] == "asgi"


def test_several_apps_take_the_first_and_say_so(run, proj):
    write(proj, "zeta.py", "from flask import Flask\nweb = Flask(__name__)\n")
    write(proj, "alpha/server.py", "from flask import Flask\napp = Flask(__name__)\n")
    write(proj, "beta.py", "from fastapi import FastAPI\nasgi = FastAPI()\n")
    r = init(run, proj, "--provider", "local")
    assert r.returncode == 0, r.stderr
    st = stage(proj)                    # shallowest first, then by path
    assert st["app_function"] == "beta.asgi" and st["app_type"] == "asgi"
    assert "found 3 apps; using the first: FastAPI app (beta.py:2)" in r.stderr
    assert "also found: Flask app (zeta.py:2) -> zeta.web" in r.stderr
    assert "also found: Flask app (alpha/server.py:2) -> alpha.server.app" in r.stderr


def test_no_app_found_asks_for_app_function(run, proj):
    write(proj, "util.py", "def f():\n    return 1\n")
    r = init(run, proj)
    assert r.returncode == 2
    assert "--app-function" in r.stderr and r.stdout == ""
    assert not (proj / "hoist.json").exists()
    r = init(run, proj, "--app-function", "util.f", "--provider", "local")
    assert r.returncode == 0, r.stderr
    assert stage(proj)["app_function"] == "util.f"


def test_flags_fill_every_key(run, proj):
    r = init(run, proj, "--provider", "tencent", "--region", "ap-shanghai", "--stage",
             "staging", "--project-name", "shop", "--app-function", "shop.wsgi.application")
    assert r.returncode == 0, r.stderr
    assert stage(proj, "staging") == {"provider": "tencent", "project_name": "shop",
                                      "app_function": "shop.wsgi.application",
                                      "region": "ap-shanghai"}
    s = run(["settings", "staging"], cwd=proj)
    assert s.returncode == 0, s.stderr
    assert json.loads(s.stdout)["region"] == "ap-shanghai"


def test_aws_region_from_the_environment(run, proj):
    r = run(["init", "-y", "--app-function", "app.app"], cwd=proj,
            env={"AWS_REGION": "eu-west-3", "AWS_DEFAULT_REGION": None})
    assert r.returncode == 0, r.stderr
    assert stage(proj)["aws_region"] == "eu-west-3"


@pytest.mark.parametrize("args,msg", [
    (["--provider", "gcp"], "--provider 'gcp'"),
    (["--provider", "local", "--region", "us-east-1"], "local provider has no region"),
    (["--app-function", "app"], "--app-function 'app'"),
    (["--stage", "a b"], "--stage 'a b'"),
    (["--project-name", "x" * 61], "--project-name"),
    (["--project-name", "---"], "--project-name"),
    (["--django-settings", "my-site.settings"], "--django-settings"),
    (["dev"], "use --stage dev"),
])
def test_bad_flags_are_usage_errors(run, proj, args, msg):
    r = init(run, proj, "--app-function", "app.app", *args)   # a later flag wins
    assert r.returncode == 2
    assert msg in r.stderr
    assert not (proj / "hoist.json").exists()


def test_existing_settings_file_is_not_overwritten(run, proj):
    write(proj, "app.py", "from flask import Flask\napp = Flask(__name__)\n")
    old = '{"prod": {"provider": "local", "app_function": "old.app"}}'
    (proj / "hoist.json").write_text(old)
    r = init(run, proj)
    assert r.returncode == 2
    assert "hoist.json already exists; nothing was changed" in r.stderr
    assert "--force" in r.stderr and r.stdout == ""
    assert (proj / "hoist.json").read_text() == old
    r = init(run, proj, "--force", "--provider", "local")
    assert r.returncode == 0, r.stderr
    assert json.loads((proj / "hoist.json").read_text()) == {
        "dev": {"provider": "local", "project_name": "my-shop", "app_function": "app.app"}}


def test_zappa_settings_is_used_as_is(run, proj):
    zappa = '{"dev": {"app_function": "app.app", "aws_region": "us-east-1"}}'
    write(proj, "zappa_settings.json", zappa)
    write(proj, "app.py", "from flask import Flask\napp = Flask(__name__)\n")
    r = init(run, proj)
    assert r.returncode == 2
    assert "zappa_settings.json exists and hoist uses it as it is" in r.stderr
    assert not (proj / "hoist.json").exists()
    r = init(run, proj, "--force", "--provider", "local")
    assert r.returncode == 0, r.stderr
    assert stage(proj)["provider"] == "local"
    assert (proj / "zappa_settings.json").read_text() == zappa


def test_settings_option_names_the_file_and_project_dir(run, proj, tmp_path):
    sub = proj / "backend"
    write(sub, "srv.py", "from flask import Flask\napp = Flask(__name__)\n")
    r = run(["-s", "backend/stages.json", "init", "-y", "--provider", "local"], cwd=proj,
            env=CLEAN)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "backend/stages.json\n"
    assert "hoist -s backend/stages.json deploy dev" in r.stderr
    st = json.loads((sub / "stages.json").read_text())["dev"]
    assert st["app_function"] == "srv.app" and st["project_name"] == "backend"
    assert run(["-s", "backend/stages.json", "settings"], cwd=proj).returncode == 0


def test_json_output(run, proj):
    r = init(run, proj, "--json", "--provider", "local", "--app-function", "app.app")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["path"] == "hoist.json" and out["stage"] == "dev"
    assert out["settings"] == stage(proj)


def test_no_terminal_and_no_yes_refuses_without_waiting(hoist, proj):
    write(proj, "app.py", "from flask import Flask\napp = Flask(__name__)\n")
    # stdin is a pipe that stays open: a prompt would hang until the timeout
    p = subprocess.Popen([hoist, "init"], cwd=proj, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=20)
    finally:
        p.kill()
        p.wait()
    assert p.returncode == 2
    assert "stdin is not a terminal" in err and "-y" in err
    assert out == ""
    assert not (proj / "hoist.json").exists()


# ---- the questionnaire on a terminal -----------------------------------------

class Terminal:
    """hoist running on a pty: expect() text, send() a line."""

    def __init__(self, hoist, args, cwd, tmp_path):
        env = dict(os.environ, HOME=str(tmp_path / "home"), NO_COLOR="1")
        env.pop("AWS_REGION", None)
        env.pop("AWS_DEFAULT_REGION", None)
        master, slave = pty.openpty()
        self.p = subprocess.Popen([hoist, *args], cwd=cwd, env=env, stdin=slave,
                                  stdout=slave, stderr=slave, start_new_session=True)
        os.close(slave)
        self.fd, self.buf, self.seen = master, b"", ""

    def _read(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([self.fd], [], [], left)
        if not r:
            return None
        try:
            return os.read(self.fd, 4096)
        except OSError:
            return b""

    def expect(self, text, timeout=20):
        deadline = time.monotonic() + timeout
        while text.encode() not in self.buf:
            chunk = self._read(deadline)
            assert chunk, f"waiting for {text!r}; the terminal shows:\n{self.buf.decode()}"
            self.buf += chunk
        i = self.buf.index(text.encode()) + len(text)
        self.seen += self.buf[:i].decode()
        self.buf = self.buf[i:]

    def send(self, line):
        os.write(self.fd, (line + "\n").encode())

    def finish(self, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            chunk = self._read(deadline)
            if not chunk:
                break
            self.buf += chunk
        self.seen += self.buf.decode()
        try:
            return self.p.wait(timeout=5)
        finally:
            if self.p.poll() is None:
                self.p.kill()
                self.p.wait()
            os.close(self.fd)


def test_questionnaire_on_a_terminal(hoist, proj, tmp_path):
    write(proj, "app.py", "from flask import Flask\napp = Flask(__name__)\n")
    write(proj, "api/main.py", "from fastapi import FastAPI\nfast = FastAPI()\n")
    t = Terminal(hoist, ["init"], proj, tmp_path)
    t.expect("Stage name [dev]: ")
    t.send("prod")
    t.expect("Provider [aws]: ")
    t.send("gcp")                                  # not a provider: asked again
    t.expect("'gcp' will not do")
    t.expect("Provider [aws]: ")
    t.send("aliyun")
    t.expect("Region [cn-hangzhou]: ")
    t.send("cn-shanghai")
    t.expect("Project name [my-shop]: ")
    t.send("")
    t.expect("1) Flask app (app.py:2) -> app.app")
    t.expect("2) FastAPI app (api/main.py:2) -> api.main.fast")
    t.expect("Which one? A number, or another app as module.attribute [1]: ")
    t.send("2")
    t.expect('"app_type": "asgi"')
    t.expect("Write this to hoist.json? [Y/n] ")
    t.send("")
    assert t.finish() == 0, t.seen
    assert "hoist deploy prod" in t.seen
    assert stage(proj, "prod") == {"provider": "aliyun", "project_name": "my-shop",
                                   "app_function": "api.main.fast", "app_type": "asgi",
                                   "region": "cn-shanghai"}


def test_questionnaire_without_a_detected_app(hoist, proj, tmp_path):
    t = Terminal(hoist, ["init", "--provider", "local", "--stage", "qa"], proj, tmp_path)
    t.expect("Stage name [qa]: ")
    t.send("")
    t.expect("Provider [local]: ")
    t.send("")
    t.expect("Project name [my-shop]: ")              # local: no region question
    t.send("")
    t.expect("No Flask, Django, FastAPI or Starlette app was found")
    t.expect("(module.attribute, e.g. app.app; empty for Django): ")
    t.send("")
    t.expect("Django settings module (e.g. mysite.settings): ")
    t.send("shop.settings")
    t.expect("Write this to hoist.json? [Y/n] ")
    t.send("y")
    assert t.finish() == 0, t.seen
    assert stage(proj, "qa") == {"provider": "local", "project_name": "my-shop",
                                 "django_settings": "shop.settings"}


def test_questionnaire_asks_before_overwriting(hoist, proj, tmp_path):
    old = '{"dev": {"provider": "local", "app_function": "old.app"}}'
    (proj / "hoist.json").write_text(old)
    t = Terminal(hoist, ["init"], proj, tmp_path)
    t.expect("hoist.json already exists. Overwrite it? [y/N] ")
    t.send("")
    assert t.finish() == 1, t.seen
    assert "not confirmed; hoist.json was not changed" in t.seen
    assert (proj / "hoist.json").read_text() == old

    t = Terminal(hoist, ["init", "--app-function", "new.app", "--provider", "local"], proj,
                 tmp_path)
    t.expect("Overwrite it? [y/N] ")
    t.send("y")
    for q in ("Stage name [dev]: ", "Provider [local]: ", "Project name [my-shop]: "):
        t.expect(q)
        t.send("")
    t.expect("Write this to hoist.json? [Y/n] ")
    t.send("y")
    assert t.finish() == 0, t.seen
    assert stage(proj)["app_function"] == "new.app"


def test_questionnaire_end_of_input_writes_nothing(hoist, proj, tmp_path):
    t = Terminal(hoist, ["init"], proj, tmp_path)
    t.expect("Stage name [dev]: ")
    os.write(t.fd, b"\x04")                           # Ctrl-D
    assert t.finish() == 2, t.seen
    assert "no answer (end of input); nothing was changed" in t.seen
    assert not (proj / "hoist.json").exists()
