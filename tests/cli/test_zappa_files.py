"""Zappa's own settings files (tests/cli/zappa/, see its README for origin and
licence) load with hoist, or are refused key by key — every refusal named,
all of them in one run (issue 12 items 10-13)."""
import json
import re
import shutil

import pytest

PROBLEM = re.compile(r"^\s*(\S+?)(?::\d+:\d+)?: stage '([^']+)': ([a-z_0-9]+)\b", re.M)


def refusals(stderr):
    """{(stage, key)} named by the problem lines of one run."""
    return {(m.group(2), m.group(3)) for m in PROBLEM.finditer(stderr)
            if not re.match(r"\d+$", m.group(3))}


@pytest.fixture
def zappa_dir(tmp_path, root):
    def make(fixture, name="zappa_settings.json", edit=None):
        d = tmp_path / "proj"
        d.mkdir(exist_ok=True)
        data = json.loads((root / "tests/cli/zappa" / fixture).read_text())
        if edit:
            edit(data)
        (d / name).write_text(json.dumps(data, indent=4))
        return d, data
    return make


def base_stage(data):
    # the reference's "extends": "stage_name" is a placeholder: give it the (empty) stage
    data["stage_name"] = {}


@pytest.mark.parametrize("name", ["zappa_settings.json", "zappa_settings.yml"])
def test_full_reference_loads_or_is_refused_key_by_key(run, zappa_dir, name):
    d, data = zappa_dir("reference_zappa_settings.json", name, base_stage)
    r = run(["settings", "dev"], cwd=d)
    assert r.returncode == 2 and r.stdout == ""
    refused = {k for s, k in refusals(r.stderr)}
    count = int(re.search(r"stage 'dev': (\d+) problems", r.stderr).group(1))
    assert count == len(refused) and count >= 10, r.stderr
    # every problem names a key of the file, with its line:column
    assert refused <= set(data["dev"]), refused - set(data["dev"])
    assert re.search(rf"{name}:\d+:\d+: stage 'dev': websocket_handler_module: ", r.stderr)
    # what is not refused loads, unchanged in meaning
    for k in refused:
        del data["dev"][k]
    (d / name).write_text(json.dumps(data, indent=4))
    r = run(["settings", "dev"], cwd=d)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    kept = {k for k, v in data["dev"].items() if v is not None and k != "extends"}
    assert kept <= set(out), kept - set(out)
    assert out["runtime"] == "python3.14" and out["ephemeral_storage"] == 512
    assert out["project_name"] == "MyProject"
    assert out["efs_config"] == [{"Arn": data["dev"]["efs_config"][0]["Arn"],
                                  "LocalMountPath": "/mnt/data"}]
    assert {"efs_config", "ephemeral_storage", "http_methods"} & refused == set()


def test_example_settings_all_stages_in_one_run(run, zappa_dir):
    d, data = zappa_dir("example_zappa_settings.json")
    r = run(["settings", "--all"], cwd=d)
    assert r.returncode == 2 and r.stdout == ""
    got = refusals(r.stderr)
    assert {s for s, _ in got} == {"dev_event", "dev_api", "prod"}
    # the explicit 30-character project names are accepted (item 10)
    assert "project_name" not in {k for _, k in got}
    for stage, key in got:
        if key != "missing":
            del data[stage][key]
    # dev_event is a non-web Lambda (lambda_handler, refused): it has no app to serve
    del data["dev_event"]
    (d / "zappa_settings.json").write_text(json.dumps(data))
    r = run(["settings", "--all"], cwd=d)
    assert r.returncode == 0, r.stderr
    out = {x["stage"]: x["settings"] for x in json.loads(r.stdout)}
    assert out["dev_api"]["project_name"] == "dev_api_zappa_test_flask_app"
    assert out["prod"]["authorizer"] == {"function": "authmodule.lambda_handler"}


def test_refusals_come_all_at_once(run, tmp_path):
    # issue 12 item 13: three bad keys, three problems, one run
    (tmp_path / "hoist.json").write_text(json.dumps({"dev": {
        "app_function": "app.app", "memory_size": "big", "timeout_seconds": 5000,
        "cognito": {"user_pool": "x"}, "events": [{"function": "t.a", "expression": "bad"},
                                                   {"function": "t.b", "expression": "rate(0 days)"}]}}))
    r = run(["settings"], cwd=tmp_path)
    assert r.returncode == 2
    assert "stage 'dev': 5 problems" in r.stderr
    for needle in ("memory_size:", "timeout_seconds: 5000", "cognito:", "events[0].expression",
                   "events[1].expression"):
        assert needle in r.stderr, needle


def test_toml_is_refused_by_name(run, tmp_path, root):
    (tmp_path / "zappa_settings.toml").write_text('[dev]\napp_function = "app.app"\n')
    r = run(["settings"], cwd=tmp_path)
    assert r.returncode == 2
    assert "zappa_settings.toml: TOML settings are not supported" in r.stderr
    shutil.copy(tmp_path / "zappa_settings.toml", tmp_path / "other.toml")
    r = run(["-s", "other.toml", "settings"], cwd=tmp_path)
    assert r.returncode == 2 and "other.toml: TOML" in r.stderr
