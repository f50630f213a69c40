"""touch / touch_path on the local provider: one GET of <url><touch_path>
after each deploy and update (what the gateway's access log shows); a
failing touch is a warning, never a failed deploy."""


def http_lines(stage):
    r = stage.run("tail", stage.name, "--no-follow", "--http")
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()


def test_touch_gets_touch_path_after_deploy_and_update(make_stage):
    s = make_stage(settings={"touch_path": "/warmup"})
    r = s.run("-v", "deploy", s.name)
    assert r.returncode == 0, r.stderr
    assert "touch: GET %s/warmup answered HTTP 200" % s.url in r.stderr
    assert sum('"GET /dev/warmup HTTP/1.1" 200' in l for l in http_lines(s)) == 1
    s.write_settings(touch=False)
    r = s.run("update", s.name)
    assert r.returncode == 0, r.stderr
    assert sum("/warmup" in l for l in http_lines(s)) == 1      # no touch this time
    s.write_settings(touch=True, touch_path="/boom")
    r = s.run("update", s.name)
    assert r.returncode == 0, r.stderr
    assert '"GET /dev/boom HTTP/1.1"' in "\n".join(http_lines(s))
