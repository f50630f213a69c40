"""`hoist settings`: loading, extends, defaults and every kind of settings error.

Each bad input must exit 2, print nothing on stdout and say what is wrong on
stderr; warnings (unknown keys) exit 0.
"""
import json
import textwrap

import pytest


def project(tmp_path, text, name="hoist.json", dirname="shopfront"):
    d = tmp_path / dirname
    d.mkdir(exist_ok=True)
    (d / name).write_text(textwrap.dedent(text))
    return d


def settings_ok(run, cwd, *args):
    r = run(["settings", *args], cwd=cwd)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), r


def settings_bad(run, cwd, *args):
    r = run(["settings", *args], cwd=cwd)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""
    assert "error:" in r.stderr
    return r.stderr


ZAPPA = """\
{
    "base": {
        "app_function": "shop.app.app",
        "aws_region": "eu-west-1",
        "profile_name": "default",
        "project_name": "shopfront",
        "runtime": "python3.11",
        "s3_bucket": "zappa-shopfront-deploys",
        "exclude": ["*.gz", "*.rar", "node_modules"],
        "keep_warm": false,
        "environment_variables": {"SHOP_MODE": "base", "LOG_FORMAT": "json"},
        "cors": true,
        "binary_support": false,
        "delete_local_zip": true,
        "log_level": "WARNING",
        "tags": {"team": "web", "cost-center": "42"},
        "lambda_description": "Shop front"
    },
    "dev": {
        "extends": "base",
        "memory_size": 1024,
        "timeout_seconds": 60,
        "debug": true,
        "environment_variables": {"SHOP_MODE": "dev"},
        "events": [
            {"function": "shop.tasks.nightly_report", "expression": "cron(0 2 * * ? *)"},
            {"function": "shop.tasks.poll", "expressions": ["rate(5 minutes)", "rate(1 hour)"],
             "name": "poller", "enabled": true, "kwargs": {"limit": 10}},
            {"function": "shop.tasks.on_upload",
             "event_source": {"arn": "arn:aws:s3:::shop-uploads", "events": ["s3:ObjectCreated:*"]}}
        ],
        "vpc_config": {"SubnetIds": ["subnet-1a2b", "subnet-3c4d"], "SecurityGroupIds": ["sg-9f8e"]},
        "xray_tracing": true,
        "slim_handler": true,
        "domain": "dev.shop.example.com",
        "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
        "route53_enabled": true,
        "num_retained_versions": 5,
        "layers": ["arn:aws:lambda:eu-west-1:123456789012:layer:deps:3"],
        "architecture": "arm64",
        "ephemeral_storage": 1024
    },
    "prod": {
        "extends": "dev",
        "memory_size": 2048,
        "keep_warm": true,
        "keep_warm_expression": "rate(3 minutes)",
        "debug": false,
        "api_key_required": true
    }
}
"""


def test_zappa_settings_load_unchanged(run, tmp_path):
    cwd = project(tmp_path, ZAPPA, name="zappa_settings.json")
    out, r = settings_ok(run, cwd, "prod")
    assert r.stderr == ""
    # own keys, inherited keys (two levels), child replaces objects
    assert out["memory_size"] == 2048
    assert out["timeout_seconds"] == 60
    assert out["s3_bucket"] == "zappa-shopfront-deploys"
    assert out["environment_variables"] == {"SHOP_MODE": "dev"}
    assert out["vpc_config"]["SubnetIds"] == ["subnet-1a2b", "subnet-3c4d"]
    assert [e["function"] for e in out["events"]] == [
        "shop.tasks.nightly_report", "shop.tasks.poll", "shop.tasks.on_upload"]
    assert out["keep_warm_expression"] == "rate(3 minutes)"
    assert out["region"] == "eu-west-1" and out["aws_region"] == "eu-west-1"
    assert out["provider"] == "aws"
    assert "extends" not in out
    # defaults fill what the file leaves out
    assert out["apigateway_enabled"] is True
    assert out["apigateway_version"] == "v1"
    assert out["app_type"] == "auto"
    # stdout is exactly the pretty, sorted JSON
    assert r.stdout == json.dumps(out, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_hoist_json_preferred_and_defaults(run, tmp_path):
    cwd = project(tmp_path, '{"dev": {"app_function": "app.app"}}', dirname="My_Very Long Project")
    (cwd / "zappa_settings.json").write_text('{"other": {"app_function": "x.y"}}')
    out, _ = settings_ok(run, cwd)   # one stage: name may be omitted
    assert out["project_name"] == "my-very-long-pr"   # slug, 15 chars
    assert out["memory_size"] == 512
    assert out["timeout_seconds"] == 30
    assert out["keep_warm"] is True
    assert out["keep_warm_expression"] == "rate(4 minutes)"
    assert out["runtime"] == "python3.12"
    assert out["architecture"] == "x86_64"
    assert out["binary_support"] is True
    assert out["log_level"] == "INFO"
    assert out["debug"] is False
    assert out["ephemeral_storage"] == 512
    assert out["manage_roles"] is True
    assert "region" not in out    # aws: left to the environment / profile
    assert "local_concurrency" not in out


def test_settings_file_option_and_all(run, tmp_path):
    cwd = project(tmp_path, """\
        {"dev": {"app_function": "app.app", "provider": "local", "local_port": 8123},
         "cn": {"app_function": "app.app", "provider": "aliyun"},
         "gz": {"app_function": "app.app", "provider": "tencent"}}
        """, name="other.json")
    r = run(["-s", "other.json", "settings", "--all"], cwd=cwd)
    assert r.returncode == 0, r.stderr
    # --all: one array, an element per stage in file order (hoist(1), JSON output)
    out = {x["stage"]: x["settings"] for x in json.loads(r.stdout)}
    assert [x["stage"] for x in json.loads(r.stdout)] == ["dev", "cn", "gz"]
    assert out["dev"]["local_concurrency"] == 2
    assert out["dev"]["local_port"] == 8123
    assert "region" not in out["cn"]   # aliyun: ALIBABA_CLOUD_REGION_ID or the CLI profile decide
    assert "region" not in out["gz"]   # tencent: TENCENTCLOUD_REGION, else ap-guangzhou
    assert out["gz"]["function_url_enabled"] is True
    assert out["gz"]["apigateway_enabled"] is False


def test_no_settings_file(run, tmp_path):
    err = settings_bad(run, tmp_path)
    assert "hoist.json" in err and "zappa_settings.json" in err


def test_malformed_json_shows_line_and_column(run, tmp_path):
    cwd = project(tmp_path, '{\n  "dev": {\n    "app_function": "app.app",\n  }\n}\n')
    err = settings_bad(run, cwd, "dev")
    assert "hoist.json:4:3:" in err


def test_unknown_stage_lists_stages(run, tmp_path):
    cwd = project(tmp_path, '{"dev": {"app_function": "a.b"}, "prod": {"app_function": "a.b"}}')
    err = settings_bad(run, cwd, "staging")
    assert "no stage 'staging'" in err
    assert "dev, prod" in err


def test_omitted_stage_with_several_lists_them(run, tmp_path):
    cwd = project(tmp_path, '{"dev": {"app_function": "a.b"}, "prod": {"app_function": "a.b"}}')
    err = settings_bad(run, cwd)
    assert "dev, prod" in err


def test_circular_extends(run, tmp_path):
    cwd = project(tmp_path, """\
        {"dev": {"extends": "base", "app_function": "a.b"},
         "base": {"extends": "dev"}}""")
    err = settings_bad(run, cwd, "dev")
    assert "circular extends: dev -> base -> dev" in err


def test_unknown_parent(run, tmp_path):
    cwd = project(tmp_path, '{"dev": {"extends": "bsae", "app_function": "a.b"}, "base": {}}')
    err = settings_bad(run, cwd, "dev")
    assert "'bsae'" in err and "did you mean 'base'" in err


def test_wrong_type(run, tmp_path):
    cwd = project(tmp_path, '{"dev": {"app_function": "a.b", "memory_size": "1024"}}')
    err = settings_bad(run, cwd, "dev")
    assert "stage 'dev': memory_size: expected an integer, got a string" in err


def test_environment_variable_must_be_string(run, tmp_path):
    cwd = project(tmp_path, '{"dev": {"app_function": "a.b", "environment_variables": {"PORT": 8000}}}')
    err = settings_bad(run, cwd, "dev")
    assert "environment_variables.PORT: expected a string, got an integer 8000" in err


def test_out_of_range(run, tmp_path):
    cwd = project(tmp_path, '{"dev": {"app_function": "a.b", "memory_size": 99999}}')
    err = settings_bad(run, cwd, "dev")
    assert "hoist.json:1:33: stage 'dev': memory_size: 99999 is out of range 128–10240 for aws" in err


def test_per_provider_range_and_step(run, tmp_path):
    cwd = project(tmp_path, '{"cn": {"provider": "aliyun", "app_function": "a.b", "memory_size": 200},'
                            ' "aws": {"app_function": "a.b", "timeout_seconds": 3600}}')
    assert "multiple of 64 for aliyun" in settings_bad(run, cwd, "cn")
    assert "timeout_seconds: 3600 is out of range 1–900 for aws" in settings_bad(run, cwd, "aws")


@pytest.mark.parametrize("expr,needle", [
    ("cron(0 12 * * * *)", "day-of-month and day-of-week cannot both be '*'"),
    ("rate(5 minute)", "plural"),
    ("cron(61 * ? * * *)", "61"),
    ("every 5 minutes", "not a schedule expression"),
])
def test_bad_schedule_expression(run, tmp_path, expr, needle):
    cwd = project(tmp_path, json.dumps({"dev": {"app_function": "a.b", "events": [
        {"function": "tasks.run", "expression": expr}]}}))
    err = settings_bad(run, cwd, "dev")
    assert "events[0].expression" in err
    assert needle in err


def test_bad_keep_warm_expression(run, tmp_path):
    cwd = project(tmp_path, '{"dev": {"app_function": "a.b", "keep_warm_expression": "rate(0 minutes)"}}')
    assert "keep_warm_expression" in settings_bad(run, cwd, "dev")


def test_schedule_not_expressible_on_tencent(run, tmp_path):
    cwd = project(tmp_path, json.dumps({"gz": {"provider": "tencent", "app_function": "a.b", "events": [
        {"function": "tasks.run", "expression": "rate(7 minutes)"}]}}))
    assert "cannot run on tencent" in settings_bad(run, cwd, "gz")


def test_missing_app_function(run, tmp_path):
    cwd = project(tmp_path, '{"dev": {"memory_size": 256}}')
    assert "missing app_function" in settings_bad(run, cwd, "dev")


def test_django_settings_instead_of_app_function(run, tmp_path):
    cwd = project(tmp_path, '{"dev": {"django_settings": "mysite.settings"}}')
    out, _ = settings_ok(run, cwd, "dev")
    assert out["django_settings"] == "mysite.settings"


def test_event_without_function(run, tmp_path):
    cwd = project(tmp_path, '{"dev": {"app_function": "a.b", "events": [{"expression": "rate(1 day)"}]}}')
    assert "events[0]: missing 'function'" in settings_bad(run, cwd, "dev")


def test_unknown_key_warns(run, tmp_path):
    cwd = project(tmp_path, '{"dev": {"app_function": "a.b", "memroy_size": 1024}}')
    out, r = settings_ok(run, cwd, "dev")
    assert "unknown key 'memroy_size' in stage 'dev' (did you mean 'memory_size'?)" in r.stderr
    assert "warning" in r.stderr
    assert out["memory_size"] == 512


def test_key_not_honoured_by_provider(run, tmp_path):
    cwd = project(tmp_path, '{"gz": {"provider": "tencent", "app_function": "a.b", "slim_handler": true}}')
    err = settings_bad(run, cwd, "gz")
    assert "slim_handler is not supported by the tencent provider" in err


def test_tencent_api_gateway_retired(run, tmp_path):
    cwd = project(tmp_path, '{"gz": {"provider": "tencent", "app_function": "a.b", "apigateway_enabled": true}}')
    err = settings_bad(run, cwd, "gz")
    assert "API Gateway product was retired" in err and "function_url_enabled" in err


def test_local_port_on_aws(run, tmp_path):
    cwd = project(tmp_path, '{"dev": {"app_function": "a.b", "local_port": 8080}}')
    assert "local_port is not supported by the aws provider" in settings_bad(run, cwd, "dev")


def test_false_or_null_is_never_unhonoured(run, tmp_path):
    # a local stage may inherit AWS-only keys as long as it turns them off
    cwd = project(tmp_path, ZAPPA, name="zappa_settings.json")
    data = json.loads((cwd / "zappa_settings.json").read_text())
    data["local"] = {"extends": "dev", "provider": "local", "xray_tracing": False,
                     "slim_handler": None, "vpc_config": None, "domain": None,
                     "certificate_arn": None, "route53_enabled": False, "layers": [],
                     "s3_bucket": None, "profile_name": None, "aws_region": None, "tags": None,
                     "events": [e for e in data["dev"]["events"] if "event_source" not in e],
                     "cors": False, "ephemeral_storage": None, "architecture": "x86_64",
                     "num_retained_versions": None, "lambda_description": None}
    (cwd / "zappa_settings.json").write_text(json.dumps(data))
    out, _ = settings_ok(run, cwd, "local")
    assert out["provider"] == "local"
    assert "vpc_config" not in out and "s3_bucket" not in out
    # ...but a set value is an error
    data["local"]["xray_tracing"] = True
    (cwd / "zappa_settings.json").write_text(json.dumps(data))
    assert "xray_tracing is not supported by the local provider" in settings_bad(run, cwd, "local")


def test_explicit_project_name_is_not_cut(run, tmp_path):
    # issue 12 item 10: only the default name is cut to 15; an explicit one is kept
    # (Zappa's own example uses "dev_event_zappa_test_flask_app")
    cwd = project(tmp_path, json.dumps({"dev": {"app_function": "a.b",
                                                "project_name": "dev_event_zappa_test_flask_app"}}))
    out, _ = settings_ok(run, cwd, "dev")
    assert out["project_name"] == "dev_event_zappa_test_flask_app"
    (tmp_path / "ok").mkdir()
    cwd = project(tmp_path / "ok", json.dumps({"dev": {"app_function": "a.b",
                                                       "project_name": "My Project_Name"}}))
    out, _ = settings_ok(run, cwd, "dev")
    assert out["project_name"] == "My Project_Name"
    # ...only the function name must stay within the provider's limit
    (tmp_path / "long").mkdir()
    cwd = project(tmp_path / "long", json.dumps({"dev": {"app_function": "a.b",
                                                         "project_name": "p" * 61}}))
    assert "function name" in settings_bad(run, cwd, "dev") and "64" in settings_bad(run, cwd)
    cwd = project(tmp_path / "long", json.dumps({"dev": {"app_function": "a.b", "project_name": "p" * 57,
                                                         "provider": "tencent"}}))
    assert "tencent allows 60" in settings_bad(run, cwd, "dev")


def test_function_name_limit(run, tmp_path):
    cwd = project(tmp_path, json.dumps({"dev": {"app_function": "a.b", "project_name": "p"},
                                        "s" * 64: {"extends": "dev"}}))
    assert "function name" in settings_bad(run, cwd, "s" * 64)


def test_bad_domain_and_vpc(run, tmp_path):
    cwd = project(tmp_path, json.dumps({
        "a": {"app_function": "a.b", "domain": "not a host"},
        "b": {"app_function": "a.b", "vpc_config": {"SubnetIds": "subnet-1"}}}))
    assert "domain: 'not a host' is not a host name" in settings_bad(run, cwd, "a")
    assert "vpc_config.SubnetIds: expected an array" in settings_bad(run, cwd, "b")


def test_bad_stage_name_and_non_object_stage(run, tmp_path):
    cwd = project(tmp_path, '{"dev stage": {"app_function": "a.b"}}')
    assert "stage name 'dev stage' is not valid" in settings_bad(run, cwd)
    cwd = project(tmp_path, '{"dev": ["app.app"]}', dirname="p2")
    assert "stage 'dev' must be a JSON object" in settings_bad(run, cwd)


def test_all_warns_once_per_key(run, tmp_path):
    cwd = project(tmp_path, """\
        {"base": {"app_function": "a.b", "memroy_size": 1},
         "dev": {"extends": "base"}, "prod": {"extends": "base"}}""")
    r = run(["settings", "--all"], cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("unknown key 'memroy_size' in stage 'base'") == 1
    assert [x["stage"] for x in json.loads(r.stdout)] == ["base", "dev", "prod"]


def test_stage_and_all_together_is_usage_error(run, tmp_path):
    cwd = project(tmp_path, '{"dev": {"app_function": "a.b"}}')
    assert "not both" in settings_bad(run, cwd, "dev", "--all")


def test_false_is_only_benign_where_it_is_what_the_provider_does(run, tmp_path):
    # touch: false asks for nothing on aliyun (it never warms), true would be ignored
    cwd = project(tmp_path, json.dumps({
        "a": {"provider": "aliyun", "app_function": "a.b", "touch": False},
        "b": {"provider": "aliyun", "app_function": "a.b", "touch": True},
        "c": {"provider": "local", "app_function": "a.b", "delete_local_zip": False},
        "d": {"provider": "local", "app_function": "a.b", "delete_local_zip": True}}))
    settings_ok(run, cwd, "a")
    assert "touch" in settings_bad(run, cwd, "b")
    assert "delete_local_zip" in settings_bad(run, cwd, "c")
    settings_ok(run, cwd, "d")


# ---- issue 12 item 22: what editors and typos leave in a settings file --------------

def test_bom_and_comments_are_named(run, tmp_path):
    d = project(tmp_path, "")
    (d / "hoist.json").write_bytes(b'\xef\xbb\xbf{"dev": {"app_function": "a.b"}}')
    assert "hoist.json:1:1: the file starts with a UTF-8 byte order mark (BOM)" in \
        settings_bad(run, d, "dev")
    (d / "hoist.json").write_text('{\n  "dev": {\n    // the app\n    "app_function": "a.b"\n  }\n}\n')
    assert "hoist.json:3:5: a '//' comment: JSON has no comments" in settings_bad(run, d, "dev")
    (d / "hoist.json").write_text('{"dev": {/* x */ "app_function": "a.b"}}')
    assert "hoist.json:1:10: a '/*' comment" in settings_bad(run, d, "dev")
    # a "//" inside a string is no comment
    (d / "hoist.json").write_text('{"dev": {"app_function": "a.b", "touch_path": "//x"}}')
    out, _ = settings_ok(run, d, "dev")
    assert out["touch_path"] == "//x"


def test_duplicate_keys_and_stages_warn(run, tmp_path):
    d = project(tmp_path, '{"dev": {"app_function": "a.b", "memory_size": 256,\n'
                          '         "memory_size": 1024},\n "dev": {"app_function": "c.d"}}')
    r = run(["settings", "dev"], cwd=d)
    assert r.returncode == 0, r.stderr
    assert "hoist.json:2:10: duplicate key 'memory_size' in stage 'dev'; the last one is used" \
        in r.stderr
    assert "hoist.json:3:2: stage 'dev' is defined twice; the last one is used" in r.stderr
    assert json.loads(r.stdout)["app_function"] == "c.d"


def test_settings_option_given_a_directory(run, tmp_path):
    d = project(tmp_path, '{"dev": {"app_function": "a.b"}}')
    r = run(["-s", str(d), "settings"], cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert f"{d} is a directory; -s takes the settings file" in r.stderr


def test_stage_name_starting_with_a_dash(run, tmp_path):
    d = project(tmp_path, '{"-x": {"app_function": "a.b"}, "ok": {"app_function": "a.b"}}')
    err = settings_bad(run, d, "ok")
    assert "stage name '-x' is not valid" in err and "not starting with '-'" in err
