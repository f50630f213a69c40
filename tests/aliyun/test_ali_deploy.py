"""deploy / update on the fake Alibaba Cloud: examples/flask, the function
with every configured field, one version, the stage's alias, the HTTP trigger whose URL
runs the packaged handler; an unchanged update writes and uploads nothing;
a code change uploads once."""
import json
import shutil

import pytest

from ali_helpers import writes_since, ACCOUNT, REGION, actions_since, http, requests, state

READS = ("Get", "List", "Describe")
LAYER = f"acs:fc:{REGION}:{ACCOUNT}:layers/deps/versions/3"
DLQ = f"acs:mns:{REGION}:{ACCOUNT}:/queues/flaskdemo-dlq/messages"


def deploy(run, proj, env, stage="dev"):
    r = run(["deploy", stage], cwd=proj, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.fixture
def flask_example(tmp_path, root, flask_site_packages):
    """examples/flask copied into tmp, with a hoist.json for an aliyun stage dev."""
    d = tmp_path / "flask"
    shutil.copytree(root / "examples" / "flask", d,
                    ignore=shutil.ignore_patterns(".venv", "__pycache__", "*.zip"))
    s = {"provider": "aliyun", "project_name": "flaskdemo", "app_function": "app.app",
         "region": REGION, "runtime": "python3.12", "site_packages": str(flask_site_packages),
         "memory_size": 1024, "timeout_seconds": 45,
         "environment_variables": {"GREETING": "hi", "MODE": "test"},
         "vpc_config": {"VpcId": "vpc-1", "SubnetIds": ["vsw-2", "vsw-1"],
                        "SecurityGroupIds": ["sg-1"]},
         "layers": [LAYER], "dead_letter_arn": DLQ, "tags": {"team": "web"},
         "lambda_description": "the demo", "keep_warm": False,
         "events": [{"function": "tasks.heartbeat", "expression": "rate(5 minutes)"}]}
    (d / "hoist.json").write_text(json.dumps({"dev": s}, indent=2))
    return d


def test_deploy_examples_flask(run, flask_example, ali_env, fake_aliyun):
    url = deploy(run, flask_example, ali_env)
    assert url.startswith("https://flaskdemo-dev-") and url.endswith(f".{REGION}.fcapp.run")
    fc = state(fake_aliyun)["fc"]["functions"]
    assert list(fc) == ["flaskdemo-dev"]
    f = fc["flaskdemo-dev"]
    cfg = f["config"]
    assert cfg["runtime"] == "python3.12" and cfg["handler"] == "hoist_handler.handler"
    assert cfg["memorySize"] == 1024 and cfg["timeout"] == 45
    assert cfg["environmentVariables"] == {"GREETING": "hi", "MODE": "test"}
    assert cfg["description"] == "the demo"
    assert cfg["role"] == f"acs:ram::{ACCOUNT}:role/aliyunserviceroleforfc"
    assert cfg["logConfig"] == {"project": f"hoist-{ACCOUNT}-{REGION}", "logstore": "flaskdemo-dev",
                                "enableRequestMetrics": True, "enableInstanceMetrics": False,
                                "logBeginRule": "DefaultRegex"}
    assert cfg["vpcConfig"] == {"vpcId": "vpc-1", "vSwitchIds": ["vsw-2", "vsw-1"],
                                "securityGroupId": "sg-1"}
    assert [l["arn"] for l in cfg["layers"]] == [LAYER]
    assert cfg["instanceConcurrency"] == 1
    assert f["tags"] == {"team": "web"}
    assert list(f["versions"]) == ["1"]
    assert f["aliases"]["dev"]["versionId"] == "1"
    assert f["async"]["dev"]["destinationConfig"] == {"onFailure": {"destination": DLQ}}
    assert sorted(f["triggers"]) == ["hoist-http", "hoist-tasks-heartbeat"]
    trig = f["triggers"]["hoist-http"]
    assert trig["qualifier"] == "dev" and trig["triggerType"] == "http"
    assert json.loads(trig["triggerConfig"])["authType"] == "anonymous"
    status, _, body = http(fake_aliyun, url + "/")
    assert status == 200 and body == b"Hello from hoist!\n"
    status, _, body = http(fake_aliyun, url + "/echo?a=1&b=two", method="POST", body=b'{"x": 1}',
                           headers={"Content-Type": "application/json"})
    assert status == 200
    assert json.loads(body) == {"body": '{"x": 1}', "json": {"x": 1},
                                "query": {"a": ["1"], "b": ["two"]}}
    # FC's HTTP trigger joins a repeated parameter's values with commas (its event
    # has no raw query string): the app sees the one value FC gives
    status, _, body = http(fake_aliyun, url + "/echo?a=1&a=2&b=two", method="POST", body=b"{}",
                           headers={"Content-Type": "application/json"})
    assert status == 200 and json.loads(body)["query"] == {"a": ["1,2"], "b": ["two"]}
    r = run(["deploy", "dev"], cwd=flask_example, env=ali_env)
    assert r.returncode == 1 and "did you mean 'hoist update dev'" in r.stderr


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
    writes = writes_since(fake_aliyun, n0)
    assert writes == ["UpdateFunction", "PublishFunctionVersion", "UpdateAlias"], writes
    ups = [q for q in requests(fake_aliyun, "fc", "UpdateFunction")]
    assert ups[-1]["params"]["body"]["code"]["zipFile"]
    f = state(fake_aliyun)["fc"]["functions"]["hoistapp-dev"]
    assert f["aliases"]["dev"]["versionId"] == "2"
    assert http(fake_aliyun, url + "/")[2] == b"hello again"
