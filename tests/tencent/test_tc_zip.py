"""deploy/update --zip FILE on Tencent Cloud: a package 'hoist package' built is
sent as is — over SCF's inline limit through COS (the object's size the zip's),
its SHA-256 the code marker, so an update with the same zip, or with a fresh
build of the same project, sends nothing."""
import os

from tc_helpers import fake_requests, state, writes_since

FN = "hoistapp-dev"


def test_zip_through_cos_then_unchanged(run, tc_env, tc_project, tc_fake, tmp_path):
    d = tc_project()
    (d / "blob.bin").write_bytes(os.urandom(8 * 1024 * 1024))     # over the inline limit
    z = tmp_path / "pkg.zip"
    r = run(["package", "dev", "-o", z], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    r = run(["deploy", "dev", "--zip", z], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    puts = [q for q in fake_requests(tc_fake, "cos", "PutObject")
            if not q["params"]["Key"].startswith("hoist-locks/")]
    assert len(puts) == 1 and puts[0]["params"]["Size"] == z.stat().st_size
    assert state(tc_fake)["scf"][FN]["code"]["__bytes__"] == z.stat().st_size
    for args in (["update", "dev", "--zip", z], ["update", "dev"]):
        n0 = len(fake_requests(tc_fake))
        r = run(args, cwd=d, env=tc_env)
        assert r.returncode == 0, r.stderr
        assert "Code unchanged" in r.stderr
        assert writes_since(tc_fake, n0) == [], args
