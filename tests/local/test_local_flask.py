"""examples/flask on the local provider: the demo's app, packaged with its
vendored Flask, deployed, answering GET and POST, its timer firing."""
import json
import shutil

from local_support import Stage, wait_for


def test_flask_example_end_to_end(hoist, tmp_path, root, flask_site_packages):
    proj = tmp_path / "proj"
    shutil.copytree(root / "examples" / "flask", proj,
                    ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    s = Stage(hoist, tmp_path, proj=proj)
    settings = json.loads((proj / "hoist.json").read_text())["dev"]
    settings.update({"local_port": s.port, "python": "/usr/bin/python3",
                     "site_packages": str(flask_site_packages),
                     "events": [{"function": "tasks.heartbeat",
                                 "expression": "rate(1 minute)"}]})
    (proj / "hoist.json").write_text(json.dumps({"dev": settings}))
    s.settings = settings
    try:
        r = s.run("deploy", "dev")
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == s.url
        code, _, body = s.get("/")
        assert code == 200 and body == b"Hello from hoist!\n"
        code, _, body = s.get("/echo?q=1", data=b'{"k": [1, 2]}',
                              headers={"Content-Type": "application/json"})
        assert code == 200
        j = json.loads(body)
        assert j["json"] == {"k": [1, 2]} and j["query"] == {"q": ["1"]}
        code, _, _ = s.get("/nope")
        assert code == 404
        assert wait_for(lambda: "heartbeat at" in s.run("tail", "dev", "--no-follow").stdout,
                        10)
        tail = s.run("tail", "dev", "--no-follow", "--http").stdout
        assert '"POST /dev/echo?q=1 HTTP/1.1" 200' in tail
        assert '"GET /dev/nope HTTP/1.1" 404' in tail
    finally:
        s.cleanup()
    assert not s.dir.exists()
    assert not s.sanitizer_reports(), s.sanitizer_reports()
