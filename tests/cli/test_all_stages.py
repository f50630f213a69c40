"""--all runs the stages side by side (--jobs N): a failing stage does not
stop the others, the exit status is the worst, each stage's lines are
grouped under "== <stage> ==" off a terminal and prefixed with its name on
one, and --json is one array in file order either way."""
import json
import os
import re

from pty_run import run_on_pty

STAGES = ("dev", "staging", "prod", "qa")


def project(tmp_path, broken="prod"):
    d = tmp_path / "proj"
    d.mkdir()
    (d / "app.py").write_text("def app(environ, start_response):\n    return [b'hi']\n")
    (d / "site").mkdir()
    stages = {n: {"provider": "local", "project_name": "allp", "app_function": "app.app",
                  "site_packages": str(d / "site")} for n in STAGES}
    if broken:   # valid settings, fails while packaging
        stages[broken]["include"] = [str(tmp_path / "missing.txt")]
    (d / "hoist.json").write_text(json.dumps(stages))
    (tmp_path / "out").mkdir()
    return d


def blocks(stderr):
    """{stage: its lines} from the grouped output; also the order the blocks came in."""
    out, order, cur = {}, [], None
    for line in stderr.splitlines():
        m = re.fullmatch(r"== (\S+) ==", line)
        if m:
            cur = m[1]
            order.append(cur)
            out[cur] = []
        elif cur:
            out[cur].append(line)
    return out, order


def test_all_in_parallel_keeps_going_and_groups(run, tmp_path):
    d = project(tmp_path)
    r = run(["package", "--all", "--jobs", "4", "-o", tmp_path / "out"], cwd=d)
    assert r.returncode == 2, r.stderr           # the worst: prod's include is a usage error
    got, order = blocks(r.stderr)
    assert sorted(order) == sorted(STAGES)
    assert any("include" in line and line.startswith("error:") for line in got["prod"])
    for n in ("dev", "staging", "qa"):
        assert any(line.startswith("Packaged ") for line in got[n]), got[n]
        assert (tmp_path / "out" / f"allp-{n}.zip").is_file()
    assert r.stderr.rstrip().endswith("error: 1 of 4 stages failed: prod")
    # stdout: the results in file order
    assert r.stdout.split() == [str(tmp_path / "out" / f"allp-{n}.zip")
                                for n in ("dev", "staging", "qa")]


def test_all_json_is_one_array_in_file_order(run, tmp_path):
    d = project(tmp_path)
    for jobs in ("1", "3"):
        r = run(["--json", "-j", jobs, "package", "--all", "-o", tmp_path / "out"], cwd=d)
        assert r.returncode == 2, r.stderr
        doc = json.loads(r.stdout)
        assert [e["stage"] for e in doc] == list(STAGES)
        assert doc[2]["error"]["exit_status"] == 2 and "include" in doc[2]["error"]["message"]
        assert all(e.get("sha256") for i, e in enumerate(doc) if i != 2)


def test_all_prefixes_lines_on_a_terminal(hoist, tmp_path):
    d = project(tmp_path, broken=None)
    p, text = run_on_pty([hoist, "package", "--all", "-o", str(tmp_path / "out")], d,
                         dict(os.environ, HOME=str(tmp_path)))
    assert p.returncode == 0
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    lines = [x for x in text.splitlines() if x.strip()]
    assert lines and all(re.match(r"(dev|staging|prod|qa) *\| ", x) for x in lines), lines
    for n in STAGES:
        assert any(re.match(rf"{n} *\| (\[ *\d+\.\d\ds\] )?Packaged ", x) for x in lines), lines


def test_jobs_is_checked(run, tmp_path):
    d = project(tmp_path, broken=None)
    for bad in ("0", "x", "-3"):
        r = run(["--jobs", bad, "package", "--all"], cwd=d)
        assert r.returncode == 2 and "--jobs needs a number of stages" in r.stderr, r.stderr
