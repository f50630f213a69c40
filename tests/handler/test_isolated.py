"""The handler needs nothing but the standard library: run it in `python3 -I -S`
(no site-packages, no environment) with only templates/python and a settings
directory on sys.path, on every Python 3.9-3.13 found here."""
import glob
import json
import os
import re
import subprocess

import pytest

from handler_support import DEFAULTS, TEMPLATES, build, settings_source


def interpreters():
    found = {"/usr/bin/python3"}
    for exe in glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3")):
        if re.search(r"/3\.(9|1[0-3])\.[0-9]+/", exe):
            found.add(exe)
    return sorted(found)


ASGI_APP = '''
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        return
    message = await receive()
    body = ("%s %s%s %s" % (scope["method"], scope["root_path"], scope["path"][len(scope["root_path"]):],
                            message["body"].decode())).encode()
    await send({"type": "http.response.start", "status": 201,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})
'''

DRIVER = '''
import json, os, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import hoist_handler
event = json.loads(sys.argv[3])
out = {"http": hoist_handler.handler(event, None),
       "timer": hoist_handler.handler({"hoist_event": {"name": "t", "function": "app.job"}}, None),
       "bad": hoist_handler.handler({"command": "app.nope"}, None)["error"]}
stdlib = os.path.dirname(os.__file__)
allowed = (stdlib, sys.argv[1], sys.argv[2])
out["foreign"] = sorted(n for n, m in list(sys.modules.items())
                        if getattr(m, "__file__", None) and not m.__file__.startswith(allowed))
out["flags"] = [sys.flags.isolated, sys.flags.no_site]
print("RESULT " + json.dumps(out))
'''

WSGI_APP = '''
def app(environ, start_response):
    body = "%s %s%s %s" % (environ["REQUEST_METHOD"], environ["SCRIPT_NAME"],
                           environ["PATH_INFO"], environ["wsgi.input"].read().decode())
    start_response("201 Created", [("Content-Type", "text/plain")])
    return [body.encode()]
'''

JOB = '''
def job():
    print("job ran")
    return [1, 2]
'''


@pytest.mark.parametrize("python", interpreters())
@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
def test_handler_runs_with_only_the_standard_library(tmp_path, python, kind):
    (tmp_path / "hoist_settings.py").write_text(settings_source(dict(DEFAULTS, APP_FUNCTION="app.app")))
    (tmp_path / "app.py").write_text((WSGI_APP if kind == "wsgi" else ASGI_APP) + JOB)
    event = build("aws_v1", "POST", "/things", headers=[("Content-Type", "text/plain")],
                  body=b"payload")
    proc = subprocess.run([python, "-I", "-S", "-c", DRIVER, str(TEMPLATES), str(tmp_path),
                           json.dumps(event)], capture_output=True, text=True, timeout=60,
                          cwd=str(tmp_path), env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    out = json.loads([l for l in lines if l.startswith("RESULT ")][0][7:])
    headers = [("Content-Type", "text/plain")] if kind == "wsgi" else [("content-type", "text/plain")]
    name = headers[0][0]
    assert out["http"] == {"statusCode": 201, "headers": {name: "text/plain"},
                           "multiValueHeaders": {name: ["text/plain"]},
                           "body": "POST /dev/things payload", "isBase64Encoded": False}
    assert out["timer"] == {"result": [1, 2], "output": "job ran\n"}
    assert out["bad"] == "FunctionNotFound: module 'app' has no attribute 'nope' (looking for 'app.nope')"
    assert out["foreign"] == []
    assert out["flags"] == [1, 1]
    assert any('"POST /dev/things HTTP/1.1" 201 24 ' in l for l in lines)


def test_sources_parse_as_python_3_9():
    import ast
    files = sorted(TEMPLATES.glob("*.py"))
    assert [f.name for f in files if not f.name.startswith("hoist_")] == []
    for f in files:
        ast.parse(f.read_text(), str(f), feature_version=(3, 9))
