"""hoist request on the local provider: the request reaches the stage's
gateway with the method, path, query, headers and body given; the app's
status decides the exit status; a stage that is not deployed or not running
is an error, not a hang."""
import json

from local_support import Stage


def test_local_request(hoist, tmp_path):
    s = Stage(hoist, tmp_path)
    try:
        r = s.run("request", "dev", "/hello?a=1")
        assert r.returncode == 1 and "not deployed" in r.stderr.lower()
        assert s.run("deploy", "dev").returncode == 0
        r = s.run("request", "dev", "/hello?a=1")
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        assert got["path"] == "/hello" and got["query"] == "a=1" and got["method"] == "GET"

        r = s.run("request", "PUT", "/things", "-d", "@-", "-H", "X-Extra: 1", input="from stdin")
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        assert got["method"] == "PUT" and got["body"] == "from stdin"

        r = s.run("-v", "request", "dev", "/x")
        assert r.returncode == 0 and "HTTP 200" in r.stderr and "X-Version: v1" in r.stderr

        r = s.run("request", "dev", "/crash")
        assert r.returncode == 1 and "answered HTTP 502" in r.stderr

        r = s.run("request", "dev", "/", "--app-code")
        assert r.returncode == 2 and "--app-code" in r.stderr
    finally:
        s.cleanup()
