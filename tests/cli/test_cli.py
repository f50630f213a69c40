"""The command line itself: help, version, exit codes, "did you mean"."""
import re


def test_version(run):
    r = run(["--version"])
    assert r.returncode == 0
    assert re.fullmatch(r"hoist \d+\.\d+\.\d+\n", r.stdout)
    assert run(["version"]).stdout == r.stdout


def test_help_lists_every_command_in_the_table(run):
    r = run(["help"])
    assert r.returncode == 0
    for name in ("package", "settings", "completion", "help", "version"):
        assert re.search(rf"^  {name} +\S", r.stdout, re.M), name
    assert run(["--help"]).stdout == r.stdout


def test_command_help(run):
    r = run(["package", "--help"])
    assert r.returncode == 0
    assert r.stdout.startswith("usage: hoist package [stage]")
    assert "--output" in r.stdout
    assert run(["help", "package"]).stdout == r.stdout


def test_no_command_is_usage_error(run):
    r = run([])
    assert r.returncode == 2
    assert r.stdout == ""
    assert "usage: hoist" in r.stderr


def test_unknown_command_suggests_closest(run):
    r = run(["packge"])
    assert r.returncode == 2
    assert r.stdout == ""
    assert "'packge' is not a hoist command" in r.stderr
    assert "Did you mean 'package'?" in r.stderr


def test_unknown_command_far_from_everything(run):
    r = run(["xyzzyplugh"])
    assert r.returncode == 2
    assert "Did you mean" not in r.stderr


def test_unknown_option_suggests_closest(run):
    r = run(["package", "--outptu", "x.zip"])
    assert r.returncode == 2
    assert r.stdout == ""
    assert "unknown option '--outptu'" in r.stderr
    assert "did you mean '--output'?" in r.stderr


def test_unknown_global_option(run):
    r = run(["--jsn", "version"])
    assert r.returncode == 2
    assert "unknown option '--jsn'" in r.stderr


def test_option_missing_value(run):
    r = run(["package", "-o"])
    assert r.returncode == 2
    assert "needs a value" in r.stderr


def test_help_for_unknown_command(run):
    r = run(["help", "nope"])
    assert r.returncode == 2
    assert "no such command 'nope'" in r.stderr


def test_no_color_env_and_flag_keep_stderr_plain(run, tmp_path):
    (tmp_path / "hoist.json").write_text("{")
    for args, env in ((["settings"], {"NO_COLOR": "1"}), (["--no-color", "settings"], {})):
        r = run(args, cwd=tmp_path, env=env)
        assert r.returncode == 2
        assert "\x1b[" not in r.stderr
