"""`make install PREFIX=… DESTDIR=…` puts the binary, the man pages and the
bash completion where Debian (and man/bash-completion) look for them."""
import os
import subprocess


def test_make_install_layout(hoist, root, tmp_path):
    build = os.path.relpath(os.path.dirname(hoist), root)
    dest = tmp_path / "dest"
    r = subprocess.run(["make", "-s", "install", f"BUILD={build}", f"DESTDIR={dest}",
                        "PREFIX=/usr"], cwd=root, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    usr = dest / "usr"
    files = sorted(str(p.relative_to(usr)) for p in usr.rglob("*") if p.is_file())
    assert files == ["bin/hoist", "share/bash-completion/completions/hoist",
                     "share/man/man1/hoist.1", "share/man/man5/hoist-settings.5",
                     "share/man/man7/hoist-local.7"]
    assert os.access(usr / "bin/hoist", os.X_OK)
    v = subprocess.run([usr / "bin/hoist", "--version"], capture_output=True, text=True)
    assert v.stdout.startswith("hoist ")
    comp = (usr / "share/bash-completion/completions/hoist").read_text()
    assert "complete -o default -F _hoist hoist" in comp
    for page in ("man1/hoist.1", "man5/hoist-settings.5", "man7/hoist-local.7"):
        m = subprocess.run(["man", "-l", "--warnings", usr / "share/man" / page],
                           capture_output=True, text=True, env=dict(os.environ, MANWIDTH="80"))
        assert m.returncode == 0 and m.stdout.strip(), page
        assert "warning" not in m.stderr, m.stderr
