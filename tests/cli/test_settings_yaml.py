"""zappa_settings.yml / .yaml (issue 12 item 14): read with libyaml, every
value meaning what Zappa's own loader (PyYAML's safe_load, the judge here)
makes of it; errors at file:line:column; settings errors point at the key."""
import json
import textwrap

import yaml

TRICKY = """\
base: &base
  app_function: shop.app.app
  aws_region: eu-west-1
  keep_warm: no                  # PyYAML: a boolean
  environment_variables:
    MODE: "yes"                  # quoted: a string
    COUNT: '010'
dev:
  <<: *base
  memory_size: 1_024
  timeout_seconds: 0x3c
  events:
    - function: shop.tasks.nightly
      expression: cron(0 2 * * ? *)
      kwargs:
        flags: [yes, No, on, OFF, true, ~, null, 'off']
        numbers: [010, 0b101, -0x1F, 1_000, 3.25, -.5, 6.02e+23, 1e3, 0]
        text: [12:30, 2024-01-02, "0x10", .inf, 1.2.3, 'a # not a comment']
        empty:
        nested: {a: 1, b: [x, {c: on}]}
"""


def test_values_mean_what_pyyaml_says(run, tmp_path):
    (tmp_path / "zappa_settings.yml").write_text(TRICKY)
    r = run(["settings", "dev"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    want = yaml.safe_load(TRICKY)["dev"]
    assert out["keep_warm"] is want["keep_warm"] is False
    assert out["memory_size"] == want["memory_size"] == 1024
    assert out["timeout_seconds"] == want["timeout_seconds"] == 60
    assert out["environment_variables"] == want["environment_variables"]
    got = out["events"][0]["kwargs"]
    exp = want["events"][0]["kwargs"]
    assert got["flags"] == exp["flags"]
    assert got["numbers"] == exp["numbers"]
    assert got["nested"] == exp["nested"] and got["empty"] is exp["empty"] is None
    # PyYAML turns 12:30 into 750 (sexagesimal), 2024-01-02 into a date and .inf into a
    # float JSON cannot hold: hoist keeps those three as text (no setting takes them)
    assert got["text"] == ["12:30", "2024-01-02", "0x10", ".inf", "1.2.3", "a # not a comment"]
    assert [got["text"][i] == exp["text"][i] for i in (2, 4, 5)] == [True] * 3


def test_yml_is_found_like_zappa_and_yaml_too(run, tmp_path):
    (tmp_path / "zappa_settings.yaml").write_text("dev:\n  app_function: app.app\n")
    r = run(["settings"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["app_function"] == "app.app"
    # hoist.json still comes first
    (tmp_path / "hoist.json").write_text('{"other": {"app_function": "x.y"}}')
    assert json.loads(run(["settings"], cwd=tmp_path).stdout)["app_function"] == "x.y"


def test_syntax_error_has_line_and_column(run, tmp_path):
    (tmp_path / "zappa_settings.yml").write_text(textwrap.dedent("""\
        dev:
          app_function: app.app
          events: [a, b
          memory_size: 512
        """))
    r = run(["settings"], cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert "zappa_settings.yml:4:" in r.stderr


def test_settings_errors_point_at_the_key_and_duplicates_warn(run, tmp_path):
    (tmp_path / "zappa_settings.yml").write_text(textwrap.dedent("""\
        dev:
          app_function: app.app
          memory_size: lots
          memory_size: 99999
          ephemeral_storage: {Size: 1}
        """))
    r = run(["settings"], cwd=tmp_path)
    assert r.returncode == 2
    assert "zappa_settings.yml:4:3: key 'memory_size' in stage 'dev' is defined twice" in r.stderr
    assert "zappa_settings.yml:4:3: stage 'dev': memory_size: 99999 is out of range" in r.stderr
    assert "zappa_settings.yml:5:3: stage 'dev': ephemeral_storage: 1 is out of range" in r.stderr


def test_not_a_mapping_and_second_document(run, tmp_path):
    (tmp_path / "zappa_settings.yml").write_text("- dev\n- prod\n")
    r = run(["settings"], cwd=tmp_path)
    assert r.returncode == 2 and "must be a mapping of stages" in r.stderr
    (tmp_path / "zappa_settings.yml").write_text("dev:\n  app_function: a.b\n---\nx: 1\n")
    r = run(["settings"], cwd=tmp_path)
    assert r.returncode == 2 and "zappa_settings.yml:3: a second YAML document" in r.stderr
