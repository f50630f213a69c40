"""`hoist package` under stress (issue 12 items 2 and 4): an output path that
is the settings file or a file the package reads is refused before anything
is written; SIGINT / SIGTERM / SIGHUP stop it with 130 / 143 / 129 and leave
no temporary file and no partial archive; hoist's own temporary names (also
those an older, killed hoist left) are never packaged."""
import json
import os
import signal
import subprocess
import time
import zipfile

import pytest


def project(tmp_path, big_mib=0, **settings):
    d = tmp_path / "proj"
    d.mkdir()
    (d / "app.py").write_text("def app(environ, start_response):\n    return []\n")
    st = {"provider": "local", "project_name": "safe", "app_function": "app.app",
          "environment_variables": {"API_TOKEN": "s3cr3t"}}
    st.update(settings)
    (d / "hoist.json").write_text(json.dumps({"dev": st}))
    if big_mib:   # incompressible, so deflating it takes a while
        with open(d / "blob.bin", "wb") as f:
            for _ in range(big_mib):
                f.write(os.urandom(1 << 20))
    return d


def leftovers(d):
    return sorted(p.name for p in d.iterdir() if p.name.startswith(".hoist-tmp-")
                  or ".zip." in p.name)


@pytest.mark.parametrize("out", ["app.py", "hoist.json", "notes.txt"])
def test_output_onto_a_file_the_package_reads_is_refused(run, tmp_path, out):
    d = project(tmp_path)
    (d / "notes.txt").write_text("project notes\n")
    before = (d / out).read_bytes()
    r = run(["package", "dev", "-o", out], cwd=d)
    assert r.returncode == 2, r.stderr
    what = "the settings file" if out == "hoist.json" else f"a file the package contains ({out})"
    assert f"the output {out} is {what}; nothing was written" in r.stderr
    assert (d / out).read_bytes() == before
    assert r.stdout == "" and leftovers(d) == []


def test_output_through_another_name_of_a_source_is_refused(run, tmp_path):
    d = project(tmp_path)
    os.link(d / "app.py", tmp_path / "hardlink.zip")      # same file, another name
    r = run(["package", "dev", "-o", tmp_path / "hardlink.zip"], cwd=d)
    assert r.returncode == 2 and "a file the package contains (app.py)" in r.stderr
    assert (d / "app.py").read_text().startswith("def app")


def test_hoist_temporary_names_are_never_packaged(run, tmp_path):
    d = project(tmp_path)
    (d / "safe-dev.zip.Ab3dE9").write_bytes(b"x" * 1000)     # libzip's, from a killed hoist
    (d / ".hoist-tmp-12-state.json").write_text("{}")        # path_write_atomic's
    (d / ".hoist-tmp-Xy12ab").mkdir()
    (d / ".hoist-tmp-Xy12ab" / "safe-dev.zip").write_bytes(b"partial")
    (d / "data.zip.txt").write_text("kept: not a temporary name")
    r = run(["package", "dev"], cwd=d)
    assert r.returncode == 0, r.stderr
    got = zipfile.ZipFile(d / "safe-dev.zip").namelist()
    assert "data.zip.txt" in got and "app.py" in got
    assert not [n for n in got if "hoist-tmp" in n or ".zip.Ab3dE9" in n], got


def interrupt_package(hoist, d, sig):
    env = dict(os.environ, HOME=str(d.parent / "home"), XDG_STATE_HOME=str(d.parent / "state"))
    p = subprocess.Popen([hoist, "package", "dev"], cwd=d, env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while time.time() - t0 < 30:   # writing the archive has begun
        tmps = [t for t in d.iterdir() if t.name.startswith(".hoist-tmp-")]
        if tmps and any(f.stat().st_size > 0 for t in tmps for f in t.iterdir()):
            break
        time.sleep(0.01)
    else:
        raise AssertionError("packaging never started writing")
    t_sig = time.time()
    p.send_signal(sig)
    out, err = p.communicate(timeout=30)
    return p.returncode, out, err, time.time() - t_sig


@pytest.mark.parametrize("sig,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143),
                                        (signal.SIGHUP, 129)])
def test_a_signal_stops_packaging_and_removes_what_it_wrote(hoist, tmp_path, sig, status):
    d = project(tmp_path, big_mib=48)
    (d / "safe-dev.zip").write_bytes(b"the previous archive")
    rc, out, err, took = interrupt_package(hoist, d, sig)
    assert rc == status, err
    assert f"interrupted ({signal.Signals(sig).name})" in err
    assert out == "" and leftovers(d) == []
    assert (d / "safe-dev.zip").read_bytes() == b"the previous archive", "replaced only on success"
    assert took < 10, "it stopped at the next safe point, not at the end"
    if sig == signal.SIGINT:   # the next package is clean and complete
        r = subprocess.run([hoist, "package", "dev"], cwd=d, capture_output=True, text=True,
                           env=dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state")))
        assert r.returncode == 0, r.stderr
        assert sorted(zipfile.ZipFile(d / "safe-dev.zip").namelist())[:2] == ["app.py",
                                                                           "blob.bin"]
