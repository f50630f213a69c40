"""`hoist package` ships the handler: the archive carries templates/python
byte-for-byte plus a generated hoist_settings.py, and the packaged copy (not
the source tree) answers events in an isolated interpreter."""
import json
import subprocess
import sys
import zipfile

from handler_support import APPS, TEMPLATES, build

DRIVER = '''
import json, sys
sys.path[:] = [sys.argv[1]] + [p for p in sys.path if "python3" in p and "site-packages" not in p]
import hoist_handler, hoist_settings
assert hoist_handler.__file__.startswith(sys.argv[1]), hoist_handler.__file__
out = {"http": hoist_handler.handler(json.loads(sys.argv[2]), None),
       "invoke": hoist_handler.handler({"command": "app.job"}, None),
       "settings": [hoist_settings.STAGE, hoist_settings.PROJECT_NAME, hoist_settings.FUNCTION_NAME,
                    hoist_settings.APP_FUNCTION, hoist_settings.ENVIRONMENT_VARIABLES],
       "env": __import__("os").environ.get("GREETING")}
print("RESULT " + json.dumps(out))
'''


def test_packaged_handler_answers(run, tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    (tmp_path / "site-packages").mkdir()
    (project / "app.py").write_bytes((APPS / "wsgi_plain.py").read_bytes())
    (project / "hoist.json").write_text(json.dumps({"dev": {
        "provider": "local", "app_function": "app.app", "project_name": "pkgtest",
        "site_packages": str(tmp_path / "site-packages"),
        "environment_variables": {"GREETING": "packaged"}}}))
    out = tmp_path / "out.zip"
    proc = run(["package", "dev", "-o", out], cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out)

    unpacked = tmp_path / "unzipped"
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        z.extractall(unpacked)
    shipped = sorted(p.name for p in TEMPLATES.glob("*.py"))
    assert "hoist_handler.py" in shipped and "README.md" not in names
    for name in shipped:
        assert name in names
        assert (unpacked / name).read_bytes() == (TEMPLATES / name).read_bytes(), name
    assert {"app.py", "hoist_settings.py"} <= names

    event = build("aws_v1", "GET", "/hello", query=[("q", "1")],
                  headers=[("Host", "127.0.0.1:8000"), ("X-Forwarded-Proto", "http")])
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", DRIVER, str(unpacked),
                           json.dumps(event)], capture_output=True, text=True, timeout=60,
                          cwd=str(tmp_path), env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    got = json.loads([l for l in lines if l.startswith("RESULT ")][0][7:])
    body = "GET /hello?q=1 from 203.0.113.7"
    assert got["http"] == {"statusCode": 200, "headers": {"Content-Type": "text/plain"},
                           "multiValueHeaders": {"Content-Type": ["text/plain"]},
                           "body": body, "isBase64Encoded": False}
    assert got["invoke"] == {"result": {"got": ["command"]}, "output": "job ran\n"}
    assert got["settings"] == ["dev", "pkgtest", "pkgtest-dev", "app.app", {"GREETING": "packaged"}]
    assert got["env"] == "packaged"
    assert any(l.startswith('203.0.113.7 - - [') and '"GET /hello?q=1 HTTP/1.1" 200 %d ' % len(body)
               in l for l in lines)
