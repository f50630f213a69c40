"""deploy / update on the fake Alibaba Cloud: the function with every
configured field, one version, the stage's alias, the HTTP trigger whose URL
runs the packaged handler; an unchanged update writes and uploads nothing;
a code change uploads once."""
import json

from ali_helpers import ACCOUNT, REGION, actions_since, http, requests, state

READS = ("Get", "List", "Describe")


def deploy(run, proj, env, stage="dev"):
    r = run(["deploy", stage], cwd=proj, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_deploy_creates_function_version_alias_trigger(run, ali_project, ali_env, fake_aliyun):
    proj = ali_project({"memory_size": 256, "timeout_seconds": 20,
                        "environment_variables": {"GREETING": "hi"},
                        "tags": {"team": "web"}, "lambda_description": "the shop"})
    url = deploy(run, proj, ali_env)
    assert url.startswith("https://hoistapp-dev-") and url.endswith(f".{REGION}.fcapp.run")
    fc = state(fake_aliyun)["fc"]["functions"]
    assert list(fc) == ["hoistapp-dev"]
    f = fc["hoistapp-dev"]
    cfg = f["config"]
    assert cfg["runtime"] == "python3.12" and cfg["handler"] == "hoist_handler.handler"
    assert cfg["memorySize"] == 256 and cfg["timeout"] == 20
    assert cfg["environmentVariables"] == {"GREETING": "hi"}
    assert cfg["description"] == "the shop"
    assert cfg["role"] == f"acs:ram::{ACCOUNT}:role/aliyunserviceroleforfc"
    assert cfg["logConfig"]["project"] == f"hoist-{ACCOUNT}-{REGION}"
    assert cfg["logConfig"]["logstore"] == "hoistapp-dev"
    assert f["tags"] == {"team": "web"}
    assert list(f["versions"]) == ["1"]
    assert f["aliases"]["dev"]["versionId"] == "1"
    assert list(f["triggers"]) == ["hoist-http"]
    trig = f["triggers"]["hoist-http"]
    assert trig["qualifier"] == "dev"
    assert json.loads(trig["triggerConfig"])["authType"] == "anonymous"
    status, _, body = http(fake_aliyun, url + "/")
    assert status == 200 and body == b"hello from hoist on aliyun"
    status, _, body = http(fake_aliyun, url + "/echo?a=1&b=two", method="POST", body=b"payload")
    assert status == 200
    assert json.loads(body) == {"method": "POST", "path": "/echo", "args": {"a": "1", "b": "two"},
                                "body": "payload"}


def test_update_without_change_writes_nothing(run, ali_project, ali_env, fake_aliyun):
    proj = ali_project()
    deploy(run, proj, ali_env)
    n0 = len(requests(fake_aliyun))
    r = run(["update", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    acts = actions_since(fake_aliyun, n0)
    assert acts and all(a.startswith(READS) for a in acts), acts
    assert "Code unchanged" in r.stderr


def test_code_change_uploads_once_and_publishes(run, ali_project, ali_env, fake_aliyun):
    proj = ali_project()
    url = deploy(run, proj, ali_env)
    (proj / "app.py").write_text((proj / "app.py").read_text().replace(
        "hello from hoist on aliyun", "hello again"))
    n0 = len(requests(fake_aliyun))
    r = run(["update", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == url
    writes = [a for a in actions_since(fake_aliyun, n0) if not a.startswith(READS)]
    assert writes == ["UpdateFunction", "PublishFunctionVersion", "UpdateAlias"], writes
    ups = [q for q in requests(fake_aliyun, "fc", "UpdateFunction")]
    assert ups[-1]["params"]["body"]["code"]["zipFile"]
    f = state(fake_aliyun)["fc"]["functions"]["hoistapp-dev"]
    assert f["aliases"]["dev"]["versionId"] == "2"
    assert http(fake_aliyun, url + "/")[2] == b"hello again"
