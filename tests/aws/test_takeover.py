"""Taking over a stage Zappa deployed (issue 13): the fake AWS holds the
stage as Zappa builds it (zappa_layout.py: function with Zappa's handler and
role, CloudFormation stack with the REST API, Zappa-named rules with one
permission each, a custom domain mapped to the stage).  `hoist update`:

- keeps the REST API, so the URL and the domain's base path mapping stay;
- serves every request while it works (a client keeps calling the URL all
  through the update: each answer is 200, from Zappa's code or hoist's);
- replaces Zappa's rules (and their permissions) with hoist's, printing
  Zappa's Scheduled/Unscheduled lines;
- leaves the function on hoist's handler, role and clean package, and a
  second update has nothing to write;
`hoist deploy` refuses such a stage; `hoist undeploy` removes everything,
the stack Zappa left included."""
import json
import threading
import time
import urllib.error
import urllib.request

from aws_helpers import ACCOUNT, REGION, fake_post, fake_requests, state
import zappa_layout

FN = "hoistapp-dev"
HOLD = 3.0      # seconds the new code runs under the old handler name

APP = '''def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"served by hoist"]
'''
TASKS = '''def cleanup(event=None, context=None):
    return "cleaned"
'''


def get(fake_aws, url, path="/"):
    host = url.split("/")[2]
    req = urllib.request.Request(fake_aws.url + "/dev" + path, headers={"Host": host})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class Client(threading.Thread):
    """Calls the stage's URL over and over until stopped."""

    def __init__(self, fake_aws, url):
        super().__init__(daemon=True)
        self.fake_aws, self.url, self.answers, self.stop = fake_aws, url, [], False
        self.timed = []

    def run(self):
        while not self.stop:
            t0 = time.time()
            status, body = get(self.fake_aws, self.url, "/hello")
            self.answers.append((status, body))
            self.timed.append((t0, time.time(), body))


def zappa_stage(boto):
    return zappa_layout.deploy(boto, FN, "dev",
                               events=[{"function": "tasks.cleanup",
                                        "expression": "rate(5 minutes)"}],
                               domain="api.example.com")


def test_update_takes_over_a_zappa_stage(run, aws_env, aws_project, fake_aws, boto):
    z = zappa_stage(boto)
    url = z["url"]
    assert get(fake_aws, url) == (200, "served by zappa")
    rules0 = set(boto("events").list_rule_names_by_target(
        TargetArn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FN}")["RuleNames"])
    assert rules0 == {f"{FN}-tasks.cleanup", f"{FN}-zappa-keep-warm-handler.keep_warm_callback"}

    d = aws_project({"events": [{"function": "tasks.cleanup", "expression": "rate(5 minutes)"}],
                     "domain": "api.example.com"})
    (d / "app.py").write_text(APP)
    (d / "tasks.py").write_text(TASKS)

    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 1 and "deployed by Zappa" in r.stderr and "hoist update dev" in r.stderr
    r = run(["--json", "status", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["deployed_by"] == "zappa" and st["url"] == url
    assert "'hoist update dev' takes it over" in r.stderr

    # Between the new code and the new configuration the function still names
    # Zappa's handler: hold that moment open, clients keep calling.
    fake_post(fake_aws, "/__fake/faults", {"operation": "UpdateFunctionConfiguration",
                                           "kind": "slow", "count": 1, "delay": HOLD})
    client = Client(fake_aws, url)
    client.start()
    while not client.answers:
        time.sleep(0.01)
    r = run(["update", "dev"], cwd=d, env=aws_env, timeout=180)
    time.sleep(0.3)
    client.stop = True
    client.join()
    assert r.returncode == 0, r.stderr
    assert url in r.stdout
    assert f"REST API {z['api_id']}" in r.stderr and "URL and domain stay" in r.stderr
    assert f"Unscheduled {FN}-tasks.cleanup." in r.stderr
    assert f"Unscheduled {FN}-zappa-keep-warm-handler.keep_warm_callback." in r.stderr
    assert f"Scheduled {FN}-keep_warm with expression rate(4 minutes)!" in r.stderr

    # served throughout: every answer a 200, Zappa's first, hoist's at the end
    statuses = {s for s, _ in client.answers}
    assert statuses == {200}, [a for a in client.answers if a[0] != 200][:3]
    bodies = [b for _, b in client.answers]
    assert bodies[0] == "served by zappa" and bodies[-1] == "served by hoist"
    # requests made while the configuration still named Zappa's handler: answered
    # by hoist's code through the hand-over module
    ufc = fake_requests(fake_aws, "lambda", "UpdateFunctionConfiguration")[0]
    held = [b for t0, t1, b in client.timed if t0 >= ufc["time"] and t1 <= ufc["time"] + HOLD]
    assert held and set(held) == {"served by hoist"}, client.timed
    assert get(fake_aws, url) == (200, "served by hoist")
    r = run(["--json", "status", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0 and "deployed_by" not in json.loads(r.stdout), r.stdout

    # the API, its URL and the domain stayed; the integration is hoist's now
    s = state(fake_aws)
    apis = s["apigateway"]["apis"]
    assert list(apis) == [z["api_id"]]
    assert apis[z["api_id"]]["tags"]["hoist:stage"] == FN
    for res in apis[z["api_id"]]["resources"].values():
        for m in res["resourceMethods"].values():
            assert "credentials" not in m["methodIntegration"]
    maps = boto("apigateway").get_base_path_mappings(domainName="api.example.com")["items"]
    assert [(m["restApiId"], m["stage"]) for m in maps] == [(z["api_id"], "dev")]

    # rules converged, Zappa's permissions gone with its rules
    rules = set(boto("events").list_rule_names_by_target(
        TargetArn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FN}")["RuleNames"])
    assert rules == {f"{FN}-tasks-cleanup", f"{FN}-keep_warm"}
    policy = json.loads(boto("lambda").get_policy(FunctionName=FN)["Policy"])
    sources = [st.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn", "")
               for st in policy["Statement"]]
    assert not [x for x in sources if ":rule/" in x and not x.endswith(f"rule/{FN}-*")]

    # the function: hoist's handler and role, the clean package
    cfg = boto("lambda").get_function_configuration(FunctionName=FN)
    assert cfg["Handler"] == "hoist_handler.handler"
    assert cfg["Role"].endswith(f"{FN}-HoistLambdaExecutionRole")
    code = s["lambda"][FN]["code"]
    assert code["__bytes__"] > 0
    ops = [q["operation"] for q in fake_requests(fake_aws, "lambda")]
    assert ops.count("UpdateFunctionCode") == 2      # with the hand-over module, then clean

    # a second update writes nothing
    n0 = len(fake_requests(fake_aws))
    r = run(["update", "dev"], cwd=d, env=aws_env, timeout=120)
    assert r.returncode == 0, r.stderr
    writes = [q["operation"] for q in fake_requests(fake_aws)[n0:]
              if q["operation"].startswith(("Create", "Put", "Update", "Delete", "Tag",
                                            "Add", "Remove", "Publish"))]
    assert writes == []

    # undeploy removes the stage, Zappa's stack included
    r = run(["undeploy", "dev", "-y"], cwd=d, env=aws_env, timeout=180)
    assert r.returncode == 0, r.stderr
    assert f"Deleting CloudFormation stack {FN}" in r.stderr
    s = state(fake_aws)
    assert not s["apigateway"]["apis"] and FN not in s.get("lambda", {})
    cf = boto("cloudformation")
    try:
        cf.describe_stacks(StackName=FN)
        raise AssertionError("the stack is still there")
    except cf.exceptions.ClientError as e:
        assert "does not exist" in str(e)
    assert not boto("events").list_rule_names_by_target(
        TargetArn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FN}")["RuleNames"]


def test_undeploy_without_cloudformation_permission(run, aws_env, aws_project, fake_aws):
    """Credentials that may not read CloudFormation still undeploy a hoist stage."""
    d = aws_project({"keep_warm": False})
    (d / "app.py").write_text(APP)
    r = run(["deploy", "dev"], cwd=d, env=aws_env)
    assert r.returncode == 0, r.stderr
    fake_post(fake_aws, "/__fake/faults", {"operation": "DescribeStacks", "kind": "denied",
                                           "count": -1})
    r = run(["undeploy", "dev", "-y"], cwd=d, env=aws_env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "cannot look for a CloudFormation stack" in r.stderr
    assert FN not in state(fake_aws).get("lambda", {})
