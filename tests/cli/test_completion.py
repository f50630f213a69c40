"""`hoist completion bash`, sourced in a real bash, completes commands,
options and the stage names of the settings file in the current directory."""
import json
import shutil
import subprocess

import pytest


def complete(hoist, cwd, words):
    """Source the script in bash and return COMPREPLY for `words` (last = current)."""
    script = subprocess.run([hoist, "completion", "bash"], capture_output=True, text=True,
                            check=True).stdout
    arr = " ".join(f"'{w}'" for w in [hoist] + words)
    prog = (f"{script}\nCOMP_WORDS=({arr}); COMP_CWORD={len(words)}; _hoist; "
            "printf '%s\\n' \"${COMPREPLY[@]}\"")
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", prog], cwd=cwd,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return sorted(x for x in r.stdout.split("\n") if x)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "hoist.json").write_text(json.dumps({
        "dev": {"provider": "local", "app_function": "app.app"},
        "devel": {"extends": "dev"},
        "production": {"extends": "dev"},
    }))
    return tmp_path


def test_bash_is_available():
    assert shutil.which("bash")


def test_completes_command_prefix(hoist, project):
    assert complete(hoist, project, ["dep"]) == ["deploy"]
    assert complete(hoist, project, ["pack"]) == ["package"]
    assert complete(hoist, project, ["in"]) == ["init", "invoke"]
    assert complete(hoist, project, ["ini"]) == ["init"]


def test_completes_stage_names_from_settings(hoist, project):
    assert complete(hoist, project, ["package", "dev"]) == ["dev", "devel"]
    assert complete(hoist, project, ["package", ""]) == ["dev", "devel", "production"]


def test_completes_stage_names_after_global_options(hoist, project):
    assert complete(hoist, project, ["-v", "settings", "pro"]) == ["production"]


def test_completes_stages_from_explicit_settings_file(hoist, project, tmp_path_factory):
    other = tmp_path_factory.mktemp("elsewhere")
    (other / "x.json").write_text(json.dumps({"qa": {"provider": "local",
                                                     "app_function": "app.app"}}))
    assert complete(hoist, project, ["-s", str(other / "x.json"), "package", ""]) == ["qa"]


def test_completes_command_options(hoist, project):
    assert "--output" in complete(hoist, project, ["package", "--o"])
    assert complete(hoist, project, ["init", "--app"]) == ["--app-function"]


def test_completes_provider_names(hoist, project):
    assert complete(hoist, project, ["init", "--provider", "t"]) == ["tencent"]
    assert complete(hoist, project, ["init", "--provider", ""]) == ["aliyun", "aws", "local",
                                                                    "tencent"]


def test_no_settings_file_completes_nothing(hoist, tmp_path):
    assert complete(hoist, tmp_path, ["package", ""]) == []


def test_completion_shells(run):
    for sh in ("bash", "zsh", "fish"):
        r = run(["completion", sh])
        assert r.returncode == 0 and "hoist" in r.stdout
    r = run(["completion", "tcsh"])
    assert r.returncode == 2 and "unknown shell 'tcsh'" in r.stderr


def test_init_takes_no_stage(hoist, project):
    assert complete(hoist, project, ["init", ""]) == []


# ---- issue 12 item 21: every script parses in its shell and completes there ------------

@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_script_parses_in_its_shell(hoist, tmp_path, shell):
    script = tmp_path / f"hoist.{shell}"
    script.write_text(subprocess.run([hoist, "completion", shell], capture_output=True,
                                     text=True, check=True).stdout)
    r = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr


def test_zsh_completes_through_bashcompinit(hoist, project):
    script = subprocess.run([hoist, "completion", "zsh"], capture_output=True, text=True,
                            check=True).stdout
    prog = ("autoload -U compinit && compinit -u -D; "
            f"eval \"$(cat <<'EOS'\n{script}\nEOS\n)\"; "
            f"setopt ksharrays; COMP_WORDS=({hoist} package de); COMP_CWORD=2; _hoist; "
            "print -l -- \"${COMPREPLY[@]}\"")
    r = subprocess.run(["zsh", "-f", "-c", prog], cwd=project, capture_output=True, text=True,
                       timeout=30, env={"HOME": str(project), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    # bashcompinit's compgen leaves matching the typed prefix to zsh's own matcher at TAB,
    # so the function answers every stage the settings file has (asked of hoist itself)
    assert sorted(r.stdout.split()) == ["dev", "devel", "production"]


def test_fish_completes_commands_options_and_stages(hoist, project, tmp_path_factory):
    script = tmp_path_factory.mktemp("fish") / "hoist.fish"
    script.write_text(subprocess.run([hoist, "completion", "fish"], capture_output=True,
                                     text=True, check=True).stdout)
    other = tmp_path_factory.mktemp("elsewhere")
    (other / "x.json").write_text(json.dumps({"qa": {"provider": "local", "app_function": "a.b"}}))

    def complete(line):
        r = subprocess.run(["fish", "--no-config", "-c", f"source {script}; complete -C '{line}'"],
                           cwd=project, capture_output=True, text=True, timeout=30,
                           env={"HOME": str(project), "PATH": "/usr/bin:/bin"})
        assert r.returncode == 0 and not r.stderr, r.stderr
        return sorted(x.split("\t")[0] for x in r.stdout.splitlines())

    assert complete(f"{hoist} dep") == ["deploy"]
    assert complete(f"{hoist} package de") == ["dev", "devel"]
    assert complete(f"{hoist} -s {other}/x.json package ") == ["qa"]
    assert "--output" in complete(f"{hoist} package --o")
    # help texts with apostrophes ("the stage's logs") are quoted right
    assert any("stage's" in x for x in subprocess.run(
        ["fish", "--no-config", "-c", f"source {script}; complete -C '{hoist} t'"],
        capture_output=True, text=True, timeout=30).stdout.splitlines())
