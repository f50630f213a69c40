"""The --json contract (hoist(1), JSON OUTPUT) for the commands that need no
deployed stage: exactly one document on stdout, errors included as
{"error": {"exit_status", "message"}}, the exit status unchanged."""
import json

import pytest


def one_doc(r):
    assert r.stdout.strip(), r.stderr
    return json.loads(r.stdout)   # refuses a second document


def error_doc(r, status):
    assert r.returncode == status, (r.stdout, r.stderr)
    doc = one_doc(r)
    assert set(doc) == {"error"}
    assert doc["error"]["exit_status"] == status and doc["error"]["message"]
    assert "error:" in r.stderr   # and still said on stderr for a human
    return doc["error"]["message"]


def test_version(run):
    assert one_doc(run(["version", "--json"]))["version"]
    assert one_doc(run(["--json", "--version"])) == one_doc(run(["version", "--json"]))


def test_help(run):
    doc = one_doc(run(["help", "--json"]))
    names = [c["name"] for c in doc["commands"]]
    assert "deploy" in names and "tail" in names and "--json" in doc["global_options"]
    doc = one_doc(run(["package", "--help", "--json"]))
    assert doc["name"] == "package"
    assert {"name": "output", "short": "o", "argument": "FILE",
            "help": doc["options"][0]["help"]} == doc["options"][0]
    assert one_doc(run(["--json", "--help"]))["commands"]


def test_completion(run, tmp_path):
    doc = one_doc(run(["completion", "bash", "--json"]))
    assert doc["shell"] == "bash" and "complete -o default -F _hoist hoist" in doc["script"]
    (tmp_path / "hoist.json").write_text('{"dev": {"app_function": "a.b"}, "qa": {"extends": "dev"}}')
    assert one_doc(run(["completion", "--stages", "--json"], cwd=tmp_path)) == \
        {"stages": ["dev", "qa"]}


@pytest.mark.parametrize("args", [
    ["--json", "packge"],                 # unknown command
    ["--jsn", "version", "--json"],       # unknown global option
    ["package", "--bogus", "--json"],     # unknown command option
    ["--json", "rollback", "-n", "x"],    # bad value
    ["--json"],                           # no command at all
    ["settings", "--json"],               # no settings file
])
def test_usage_errors_are_documents(run, tmp_path, args):
    error_doc(run(args, cwd=tmp_path), 2)


def test_settings_error_and_unknown_stage(run, tmp_path):
    (tmp_path / "hoist.json").write_text('{"dev": {"app_function": "a.b", "memory_size": "x"}}')
    assert "memory_size" in error_doc(run(["settings", "dev", "--json"], cwd=tmp_path), 2)
    assert "no stage 'prod'" in error_doc(run(["status", "prod", "--json"], cwd=tmp_path), 2)
    # --all: a settings problem in any stage is one {"error"} before anything runs
    assert "memory_size" in error_doc(run(["package", "--all", "--json"], cwd=tmp_path), 2)


def test_settings_all_is_one_array(run, tmp_path):
    (tmp_path / "hoist.json").write_text(
        '{"dev": {"app_function": "a.b"}, "qa": {"extends": "dev", "memory_size": 1024}}')
    for args in (["settings", "--all"], ["settings", "--all", "--json"]):
        doc = one_doc(run(args, cwd=tmp_path))
        assert [x["stage"] for x in doc] == ["dev", "qa"]
        assert doc[1]["settings"]["memory_size"] == 1024


def test_init(run, tmp_path):
    r = run(["init", "-y", "--provider", "local", "--app-function", "app.app", "--json"],
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = one_doc(r)
    assert doc["stage"] == "dev" and doc["settings"]["provider"] == "local"
