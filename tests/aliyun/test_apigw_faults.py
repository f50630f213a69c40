"""Faults on the API Gateway front door (the fake's injected throttling, 500s and
connection resets on the calls that create something): deploy survives them by
retry — a create whose answer was lost is looked up by name before it is sent
again — and ends with exactly one group, API, app, plugin and role; a fault that
does not go away ends with exit 1 and a clear message, and the re-run converges
without a duplicate."""
from ali_helpers import fault, http

from apigw_helpers import cloudapi, deploy, gw_example  # noqa: F401  (fixture)
from ali_helpers import state


def one_of_each(fake):
    ca = cloudapi(fake)
    assert len(ca["groups"]) == 1 and len(ca["apis"]) == 1
    assert len(ca["apps"]) == 1 and len(ca["plugins"]) == 1
    assert len(state(fake)["ram"]["roles"]) == 1 and len(state(fake)["ram"]["policies"]) == 1
    [api] = ca["apis"].values()
    assert list(api["deployed"]) == ["RELEASE"]


def test_transient_faults_are_survived(run, gw_example, ali_env, fake_aliyun):
    proj = gw_example(api_key_required=True, cors=True)
    for action in ("CreateApiGroup", "CreateApi", "CreateApp", "CreatePlugin", "CreateRole"):
        fault(fake_aliyun, action, "reset")
    fault(fake_aliyun, "DeployApi", "throttle")
    fault(fake_aliyun, "SetAppsAuthorities", "500")
    fault(fake_aliyun, "DescribeApis", "throttle")
    url = deploy(run, proj, ali_env)
    one_of_each(fake_aliyun)
    r = run(["request", "dev", "/"], cwd=proj, env=ali_env)
    assert r.returncode == 0 and r.stdout == "Hello from hoist!\n", r.stderr
    assert http(fake_aliyun, url + "/")[0] == 401


def test_lasting_fault_fails_and_rerun_converges(run, gw_example, ali_env, fake_aliyun):
    proj = gw_example(api_key_required=True, cors=True)
    fault(fake_aliyun, "DeployApi", "500", count=-1)
    r = run(["deploy", "dev"], cwd=proj, env=ali_env, timeout=120)
    assert r.returncode == 1
    assert "DeployApi" in r.stderr and "InternalError" in r.stderr
    assert "hoist deploy dev" in r.stderr
    admin_reset_faults(fake_aliyun)
    url = deploy(run, proj, ali_env)
    one_of_each(fake_aliyun)
    r = run(["request", "dev", "/"], cwd=proj, env=ali_env)
    assert r.returncode == 0, r.stderr
    assert url.endswith(".alicloudapi.com")


def admin_reset_faults(fake):
    with fake.lock:
        fake.faults = []
