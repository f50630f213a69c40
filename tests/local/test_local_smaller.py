"""Issue 12 item 22, the smaller items, on a real (local) stage: a non-UTF-8
file name, a --zip that is not this stage's hoist package, deploy of a
deployed stage refused before packaging, invoke --raw's two streams,
rollback -n too large, "1 request"."""
import json
import zipfile


def test_smaller_items(make_stage, tmp_path, sparse_zip):
    s = make_stage(settings={"touch": False})   # so the one request below is the only one
    bad = s.proj / b"bad\xffname.py".decode("utf-8", "surrogateescape")
    bad.write_text("X = 1\n")
    r = s.run("deploy", s.name)
    assert r.returncode == 2
    assert "bad\\xffname.py: the file name is not UTF-8" in r.stderr
    assert not s.dir.exists()
    bad.unlink()

    # --zip: not a zip, a zip without the handler, another stage's package: exit 2, nothing made
    (tmp_path / "notzip.zip").write_text("hello")
    with zipfile.ZipFile(tmp_path / "plain.zip", "w") as z:
        z.writestr("app.py", "x = 1\n")
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("hoist_handler.py", "")
        z.writestr("hoist_settings.py", 'FUNCTION_NAME = "someone-else"\n')
    sparse_zip(tmp_path / "huge.zip", 262144000 + 4096, s.function)
    for zf, needle in (("notzip.zip", "not a zip archive"),
                       ("plain.zip", "not a hoist package"),
                       ("other.zip", "was built for function 'someone-else'"),
                       ("huge.zip", "local allows 262144000 bytes unzipped")):
        r = s.run("deploy", s.name, "--zip", tmp_path / zf)
        assert r.returncode == 2 and needle in r.stderr, (zf, r.stderr)
    assert not s.dir.exists()

    r = s.run("deploy", s.name)
    assert r.returncode == 0, r.stderr
    # a deployed stage is refused before anything is packaged (a broken file shows it)
    bad.write_text("X = 1\n")
    r = s.run("deploy", s.name)
    assert r.returncode == 1 and "already deployed at " + s.url in r.stderr
    assert "hoist update dev" in r.stderr and "Packaging" not in r.stderr
    bad.unlink()

    # invoke --raw: the value of a final expression on stdout, what it printed on stderr
    r = s.run("invoke", s.name, "--raw", "print('printed'); 6 * 7")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "42\n" and "printed" in r.stderr

    r = s.run("rollback", s.name, "-n", "99999999999")
    assert r.returncode == 2 and "99999999999 is too large" in r.stderr

    s.get("/one")
    r = s.run("status", s.name)
    assert "1 request, 0 errors, 0 events" in r.stdout, r.stdout
    assert json.loads(s.run("status", s.name, "--json").stdout)["requests"] == 1
