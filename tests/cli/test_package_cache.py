"""The package cache (core/pkg_cache.c): every archive — cold, warm, after
one changed file, after a changed setting, with a cache that is damaged,
tampered with or from elsewhere — is byte for byte the archive a build
without the cache makes; `--no-cache` neither reads nor writes it; an
unchanged tree is recognised from a stat walk (-v says so)."""
import glob
import hashlib
import json
import os
import pathlib
import re
import shutil


def sha(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def project(tmp_path, **extra):
    d = tmp_path / "proj"
    (d / "pkg" / "sub").mkdir(parents=True, exist_ok=True)
    (d / "app.py").write_text("def app(environ, start_response):\n    return [b'hi']\n")
    for i in range(40):
        (d / "pkg" / f"m{i}.py").write_text(f"X = {i}\n" + "# filler line\n" * (i * 20))
        (d / "pkg" / "sub" / f"data{i}.json").write_text(json.dumps({"n": i, "v": [i] * i}))
    (d / "pkg" / "logo.png").write_bytes(os.urandom(3000))       # stored, not deflated
    (d / "pkg" / "empty.py").write_text("")
    (d / "pkg" / "odd name 100%.txt").write_text("escaped in the index\n")
    (d / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (d / "run.sh").chmod(0o755)
    stage = {"provider": "local", "project_name": "cachetest", "app_function": "app.app"}
    stage.update(extra)
    (d / "hoist.json").write_text(json.dumps({"dev": stage, "prod": stage}))
    return d


def package(run, d, out, *args, stage="dev", env=None):
    r = run(["-v", "package", stage, "-o", out, *args], cwd=d, env=env)
    assert r.returncode == 0, r.stderr
    return r.stderr


def cold(run, d, tmp_path, name="cold.zip"):
    """The reference: a build that neither reads nor writes the cache."""
    out = tmp_path / name
    package(run, d, out, "--no-cache")
    return sha(out)


def cache_dirs(tmp_path):
    return sorted(glob.glob(str(tmp_path / "home" / ".cache" / "hoist" / "*")))


def test_cached_builds_are_the_cold_build(run, tmp_path):
    d = project(tmp_path)
    out = tmp_path / "out.zip"
    ref = cold(run, d, tmp_path)
    assert cache_dirs(tmp_path) == []                     # --no-cache wrote nothing

    err = package(run, d, out)                            # fills the cache
    assert sha(out) == ref
    (cdir,) = cache_dirs(tmp_path)
    assert os.stat(cdir).st_mode & 0o777 == 0o700
    assert os.stat(os.path.join(cdir, "package.zip")).st_mode & 0o777 == 0o600

    err = package(run, d, out)                            # warm: a stat walk, the same zip
    assert sha(out) == ref
    m = re.search(r"package cache: (\d+) of (\d+) files unchanged, the same archive", err)
    assert m and m[1] == m[2], err
    n = int(m[2])

    # one changed file (same size, mtime put back: only ctime tells)
    f = d / "pkg" / "m7.py"
    st = f.stat()
    f.write_text(f.read_text().replace("X = 7", "X = 8"))
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    err = package(run, d, out)
    assert f"{n - 1} of {n} files unchanged\n" in err, err
    assert sha(out) == cold(run, d, tmp_path)

    # a new file, a removed one, a mode change, a changed setting (generated hoist_settings.py)
    (d / "pkg" / "new.py").write_text("NEW = 1\n")
    (d / "pkg" / "m3.py").unlink()
    (d / "pkg" / "m5.py").chmod(0o755)
    cfg = json.loads((d / "hoist.json").read_text())
    cfg["dev"]["environment_variables"] = {"A": "b"}
    (d / "hoist.json").write_text(json.dumps(cfg))
    package(run, d, out)
    assert sha(out) == cold(run, d, tmp_path)
    assert "same archive" in package(run, d, out)         # and warm again


def test_damaged_or_foreign_cache_is_rebuilt(run, tmp_path):
    d = project(tmp_path)
    out = tmp_path / "out.zip"
    ref = cold(run, d, tmp_path)
    package(run, d, out)
    (cdir,) = cache_dirs(tmp_path)
    index, czip = os.path.join(cdir, "index"), os.path.join(cdir, "package.zip")

    # garbage index
    pathlib.Path(index).write_text("hoist-pkgcache 999 nonsense\n")
    err = package(run, d, out)
    assert "not used" in err and sha(out) == ref
    assert "same archive" in package(run, d, out)         # rebuilt, and trusted again

    # a truncated index line
    lines = pathlib.Path(index).read_text().splitlines(keepends=True)
    pathlib.Path(index).write_text("".join(lines[:-1]) + lines[-1][:5])
    err = package(run, d, out)
    assert "its index is damaged" in err and sha(out) == ref

    # the cached zip's bytes changed behind its back (size and mtime kept)
    (d / "pkg" / "m1.py").write_text((d / "pkg" / "m1.py").read_text() + "# edit\n")
    ref = cold(run, d, tmp_path)
    package(run, d, out)
    st = os.stat(czip)
    with open(czip, "r+b") as z:
        z.seek(200)
        z.write(b"\0" * 64)
    os.utime(czip, ns=(st.st_atime_ns, st.st_mtime_ns))
    (d / "pkg" / "m2.py").write_text((d / "pkg" / "m2.py").read_text() + "# edit\n")
    ref = cold(run, d, tmp_path)
    err = package(run, d, out)
    assert "its zip is missing or was changed" in err and sha(out) == ref

    # another stage's cache copied over this one's: not this zip, rebuilt
    prod = tmp_path / "prod.zip"
    package(run, d, prod, stage="prod")
    pdir = [c for c in cache_dirs(tmp_path) if c != cdir][0]
    shutil.rmtree(cdir)
    shutil.copytree(pdir, cdir)
    err = package(run, d, out)
    assert "not used" in err and sha(out) == ref

    # a cache from another hoist (or zlib, libzip, libdeflate) is not used
    lines = pathlib.Path(index).read_text().splitlines(keepends=True)
    assert re.fullmatch(r"hoist-pkgcache 2 \S+ zlib \S+ libzip \S+ libdeflate \S+\n", lines[0])
    good = lines[0]
    lines[0] = good.replace("hoist-pkgcache 2 ", "hoist-pkgcache 2 0.0.0-other ")
    pathlib.Path(index).write_text("".join(lines))
    err = package(run, d, out)
    assert "made by another version" in err and sha(out) == ref

    # nor one made when zlib compressed every file (format 1, no libdeflate):
    # its entries' bytes are not what this hoist's cold build gives
    lines = pathlib.Path(index).read_text().splitlines(keepends=True)
    assert lines[0] == good
    lines[0] = re.sub(r" libdeflate \S+", "", good.replace("hoist-pkgcache 2 ", "hoist-pkgcache 1 "))
    pathlib.Path(index).write_text("".join(lines))
    err = package(run, d, out)
    assert "made by another version" in err and sha(out) == ref


def test_no_cache_leaves_the_cache_alone(run, tmp_path):
    d = project(tmp_path)
    out = tmp_path / "out.zip"
    package(run, d, out)
    (cdir,) = cache_dirs(tmp_path)
    before = {n: os.stat(os.path.join(cdir, n)).st_mtime_ns for n in os.listdir(cdir)}
    (d / "pkg" / "m1.py").write_text("X = 'changed'\n")
    err = package(run, d, out, "--no-cache")
    assert "package cache" not in err
    after = {n: os.stat(os.path.join(cdir, n)).st_mtime_ns for n in os.listdir(cdir)}
    assert before == after


def test_the_same_package_again_leaves_its_output_as_it_is(run, tmp_path):
    """Nothing changed and the output is still the file hoist renamed into place
    (the stat the cache recorded then): it is not written again — its inode,
    mtime and ctime stay.  An output written to since (even with its mtime put
    back), replaced, or of a changed tree is written afresh."""
    d = project(tmp_path)
    out = tmp_path / "out.zip"
    ref = cold(run, d, tmp_path)
    package(run, d, out)

    def ident():
        st = out.stat()
        return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns

    before = ident()
    err = package(run, d, out)
    assert "is this package already: left as it is" in err, err
    assert ident() == before and sha(out) == ref
    assert not list(tmp_path.glob(".hoist-tmp*"))

    data = bytearray(out.read_bytes())            # written to; size and mtime kept
    data[100] ^= 0xFF
    out.write_bytes(bytes(data))
    os.utime(out, ns=(before[2], before[2]))
    err = package(run, d, out)
    assert "left as it is" not in err and sha(out) == ref

    other = tmp_path / "other.zip"                # replaced by another file
    other.write_bytes(out.read_bytes())
    os.replace(other, out)
    err = package(run, d, out)
    assert "left as it is" not in err and sha(out) == ref
    assert "left as it is" in package(run, d, out)

    package(run, d, out, "--no-cache")            # --no-cache writes it, always
    assert "left as it is" not in package(run, d, out)

    (d / "app.py").write_text((d / "app.py").read_text() + "# changed\n")
    err = package(run, d, out)
    assert "left as it is" not in err and sha(out) == cold(run, d, tmp_path, "cold2.zip")
