"""The AWS front door (issue 5) through the hoist CLI against the fake:
REST API v1 by default, HTTP API v2, function URLs, cors, binary_support,
api_key_required, iam_authorization, authorizer; convergence proven from
the requests the fake received; faults; undeploy of whole and half-made
stages."""
import json
import re

from aws_helpers import ACCOUNT, REGION, fake_post, fake_requests, state

FN = "hoistapp-dev"
FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FN}"
INTEG_URI = (f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{FN_ARN}"
             "/invocations")
URL_RE = re.compile(r"^https://([a-z0-9]{10})\.execute-api\.us-east-1\.amazonaws\.com/dev$")
WRITE = re.compile(r"^(Create|Put|Update|Delete|Add|Remove|Tag|Untag)")


def rest_apis(fake_aws):
    return list(state(fake_aws).get("apigateway", {}).get("apis", {}).values())


def http_apis(fake_aws):
    return list(state(fake_aws).get("apigatewayv2", {}).get("apis", {}).values())


def policy(fake_aws):
    fn = state(fake_aws).get("lambda", {}).get(FN)
    return {s["Sid"]: s for s in fn["policy"]} if fn else {}


def methods(api):
    return {(r["path"], m): meth for r in api["resources"].values()
            for m, meth in r["resourceMethods"].items()}


def writes_since(fake_aws, start, services=("apigateway", "apigatewayv2", "lambda")):
    return [(q["service"], q["operation"]) for q in fake_requests(fake_aws)[start:]
            if q["service"] in services and WRITE.match(q["operation"])
            and q["operation"] not in ("UpdateFunctionCode", "UpdateFunctionConfiguration")]


def hoist(run, aws_env, project, *args, env=None):
    return run(list(args), cwd=project, env=dict(aws_env, **(env or {})))


def test_rest_api_deploy_converges_and_undeploys(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    r = hoist(run, aws_env, d, "deploy", "dev")
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    m = URL_RE.match(url)
    assert m, r.stdout

    apis = rest_apis(fake_aws)
    assert len(apis) == 1
    api = apis[0]
    assert api["id"] == m.group(1) and api["name"] == FN
    assert api["tags"] == {"hoist:stage": FN}
    assert api["binaryMediaTypes"] == ["*/*"]          # binary_support defaults to true
    ms = methods(api)
    assert set(ms) == {("/", "ANY"), ("/{proxy+}", "ANY")}
    for meth in ms.values():
        assert meth["authorizationType"] == "NONE" and meth["apiKeyRequired"] is False
        i = meth["methodIntegration"]
        assert (i["type"], i["httpMethod"], i["uri"]) == ("AWS_PROXY", "POST", INTEG_URI)
    assert len(api["deployments"]) == 1
    assert list(api["stages"]) == ["dev"]
    assert api["stages"]["dev"]["deploymentId"] in api["deployments"]
    pol = policy(fake_aws)
    assert list(pol) == ["hoist-apigw"]
    assert pol["hoist-apigw"]["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert pol["hoist-apigw"]["Condition"]["ArnLike"]["AWS:SourceArn"] == \
        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api['id']}/*/*/*"

    # Unchanged update: the same URL, no write to API Gateway or the permissions.
    start = len(fake_requests(fake_aws))
    r = hoist(run, aws_env, d, "update", "dev")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == url
    assert writes_since(fake_aws, start) == []
    assert len(rest_apis(fake_aws)) == 1 and len(rest_apis(fake_aws)[0]["deployments"]) == 1
    assert list(policy(fake_aws)) == ["hoist-apigw"]

    st = hoist(run, aws_env, d, "--json", "status", "dev")
    assert st.returncode == 0, st.stderr
    doc = json.loads(st.stdout)
    assert doc["url"] == url and doc["api"]["type"] == "REST" and doc["api"]["deployed"] is True

    r = hoist(run, aws_env, d, "undeploy", "dev", "-y")
    assert r.returncode == 0, r.stderr
    assert rest_apis(fake_aws) == []
    assert FN not in state(fake_aws).get("lambda", {})


def test_settings_changes_converge_with_one_deployment(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    assert hoist(run, aws_env, d, "deploy", "dev").returncode == 0
    d = aws_project({"keep_warm": False, "binary_support": False, "iam_authorization": True,
                     "cors": {"allowed_origin": "https://app.example", "allowed_headers": ["X-A"]}})
    start = len(fake_requests(fake_aws))
    r = hoist(run, aws_env, d, "update", "dev")
    assert r.returncode == 0, r.stderr
    api, = rest_apis(fake_aws)
    assert not api.get("binaryMediaTypes")
    ms = methods(api)
    assert {k: v["authorizationType"] for k, v in ms.items()} == {
        ("/", "ANY"): "AWS_IAM", ("/{proxy+}", "ANY"): "AWS_IAM",
        ("/", "OPTIONS"): "NONE", ("/{proxy+}", "OPTIONS"): "NONE"}
    opt = ms[("/{proxy+}", "OPTIONS")]["methodIntegration"]
    assert opt["type"] == "MOCK"
    params = opt["integrationResponses"]["200"]["responseParameters"]
    assert params["method.response.header.Access-Control-Allow-Origin"] == "'https://app.example'"
    assert params["method.response.header.Access-Control-Allow-Headers"] == "'X-A'"
    assert "OPTIONS" in params["method.response.header.Access-Control-Allow-Methods"]
    assert len(api["deployments"]) == 2
    assert [op for _, op in writes_since(fake_aws, start)].count("CreateDeployment") == 1
    assert list(policy(fake_aws)) == ["hoist-apigw"]

    # Again: nothing to do.
    start = len(fake_requests(fake_aws))
    assert hoist(run, aws_env, d, "update", "dev").returncode == 0
    assert writes_since(fake_aws, start) == []

    # cors off again: the OPTIONS methods go, authorization back to NONE.
    d = aws_project({"keep_warm": False})
    assert hoist(run, aws_env, d, "update", "dev").returncode == 0
    api, = rest_apis(fake_aws)
    assert {k: v["authorizationType"] for k, v in methods(api).items()} == {
        ("/", "ANY"): "NONE", ("/{proxy+}", "ANY"): "NONE"}
    assert api["binaryMediaTypes"] == ["*/*"]


def test_api_key_required(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False, "api_key_required": True})
    r = hoist(run, aws_env, d, "-vv", "deploy", "dev")      # HTTP traces too: still no secret
    assert r.returncode == 0, r.stderr
    api, = rest_apis(fake_aws)
    assert all(m["apiKeyRequired"] for m in methods(api).values())
    s = state(fake_aws)["apigateway"]
    key, = s["keys"].values()
    plan, = s["plans"].values()
    assert key["name"] == FN and key["enabled"] is True
    assert plan["name"] == FN and plan["apiStages"] == [{"apiId": api["id"], "stage": "dev"}]
    assert list(plan["keys"]) == [key["id"]]
    # The key id is shown (how to read the value too); the value never is.
    assert key["id"] in r.stderr
    assert key["value"] not in r.stderr + r.stdout

    start = len(fake_requests(fake_aws))
    assert hoist(run, aws_env, d, "update", "dev").returncode == 0
    assert writes_since(fake_aws, start) == []

    # Turned off: methods open again, key and plan removed.
    d = aws_project({"keep_warm": False})
    assert hoist(run, aws_env, d, "update", "dev").returncode == 0
    s = state(fake_aws)["apigateway"]
    assert s["keys"] == {} and s["plans"] == {}
    assert not any(m["apiKeyRequired"] for m in methods(rest_apis(fake_aws)[0]).values())

    d = aws_project({"keep_warm": False, "api_key_required": True})
    assert hoist(run, aws_env, d, "update", "dev").returncode == 0
    assert hoist(run, aws_env, d, "undeploy", "dev", "-y").returncode == 0
    s = state(fake_aws)["apigateway"]
    assert s["apis"] == {} and s["keys"] == {} and s["plans"] == {}


def test_authorizer(run, aws_env, aws_project, fake_aws):
    auth = {"function": "tasks.cleanup", "token_header": "X-Token", "result_ttl": 60,
            "validation_expression": "^Bearer .+$"}
    d = aws_project({"keep_warm": False, "authorizer": auth})
    r = hoist(run, aws_env, d, "deploy", "dev")
    assert r.returncode == 0, r.stderr
    api, = rest_apis(fake_aws)
    z, = api["authorizers"].values()
    assert z["type"] == "TOKEN" and z["identitySource"] == "method.request.header.X-Token"
    assert z["authorizerResultTtlInSeconds"] == 60
    assert z["identityValidationExpression"] == "^Bearer .+$"
    assert z["authorizerUri"] == INTEG_URI
    ms = methods(api)
    assert {(m["authorizationType"], m.get("authorizerId")) for m in ms.values()} == \
        {("CUSTOM", z["id"])}
    pol = policy(fake_aws)
    assert pol["hoist-apigw-authorizer"]["Condition"]["ArnLike"]["AWS:SourceArn"] == \
        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api['id']}/authorizers/{z['id']}"

    start = len(fake_requests(fake_aws))
    assert hoist(run, aws_env, d, "update", "dev").returncode == 0
    assert writes_since(fake_aws, start) == []

    auth["result_ttl"] = 0
    d = aws_project({"keep_warm": False, "authorizer": auth})
    assert hoist(run, aws_env, d, "update", "dev").returncode == 0
    z2, = rest_apis(fake_aws)[0]["authorizers"].values()
    assert z2["id"] == z["id"] and z2["authorizerResultTtlInSeconds"] == 0

    # Removed from the settings: methods open, authorizer and its permission gone.
    d = aws_project({"keep_warm": False})
    assert hoist(run, aws_env, d, "update", "dev").returncode == 0
    api, = rest_apis(fake_aws)
    assert api["authorizers"] == {}
    assert {m["authorizationType"] for m in methods(api).values()} == {"NONE"}
    assert list(policy(fake_aws)) == ["hoist-apigw"]


def test_http_api_v2(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False, "apigateway_version": "v2", "cors": True})
    r = hoist(run, aws_env, d, "deploy", "dev")
    assert r.returncode == 0, r.stderr
    m = URL_RE.match(r.stdout.strip())
    assert m, r.stdout
    assert rest_apis(fake_aws) == []
    api, = http_apis(fake_aws)
    assert api["ApiId"] == m.group(1) and api["Name"] == FN and api["ProtocolType"] == "HTTP"
    assert api["Tags"] == {"hoist:stage": FN}
    assert api["CorsConfiguration"]["AllowOrigins"] == ["*"]
    integ, = api["integrations"].values()
    assert (integ["IntegrationType"], integ["IntegrationUri"], integ["PayloadFormatVersion"]) == \
        ("AWS_PROXY", FN_ARN, "2.0")
    route, = api["routes"].values()
    assert route["RouteKey"] == "$default"
    assert route["Target"] == "integrations/" + integ["IntegrationId"]
    assert route["AuthorizationType"] == "NONE"
    assert api["stages"]["dev"]["AutoDeploy"] is True
    pol = policy(fake_aws)
    assert list(pol) == ["hoist-apigw-v2"]
    assert pol["hoist-apigw-v2"]["Condition"]["ArnLike"]["AWS:SourceArn"] == \
        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api['ApiId']}/*"

    start = len(fake_requests(fake_aws))
    r = hoist(run, aws_env, d, "update", "dev")
    assert r.returncode == 0 and URL_RE.match(r.stdout.strip())
    assert writes_since(fake_aws, start) == []

    # iam_authorization, no cors
    d = aws_project({"keep_warm": False, "apigateway_version": "v2", "iam_authorization": True})
    assert hoist(run, aws_env, d, "update", "dev").returncode == 0
    api, = http_apis(fake_aws)
    assert "CorsConfiguration" not in api
    assert [r["AuthorizationType"] for r in api["routes"].values()] == ["AWS_IAM"]

    # Back to v1: the HTTP API and its permission go, one REST API comes.
    d = aws_project({"keep_warm": False})
    assert hoist(run, aws_env, d, "update", "dev").returncode == 0
    assert http_apis(fake_aws) == [] and len(rest_apis(fake_aws)) == 1
    assert list(policy(fake_aws)) == ["hoist-apigw"]
    assert hoist(run, aws_env, d, "undeploy", "dev", "-y").returncode == 0
    assert rest_apis(fake_aws) == [] and http_apis(fake_aws) == []


def test_v2_refuses_api_keys(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False, "apigateway_version": "v2", "api_key_required": True})
    r = hoist(run, aws_env, d, "deploy", "dev")
    assert r.returncode != 0
    assert "api_key_required" in r.stderr and "v1" in r.stderr
    assert http_apis(fake_aws) == []


def test_function_url(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False, "apigateway_enabled": False,
                     "function_url_enabled": True, "cors": True})
    r = hoist(run, aws_env, d, "deploy", "dev")
    assert r.returncode == 0, r.stderr
    cfg = state(fake_aws)["lambda"][FN]["url"]
    assert r.stdout.strip() == cfg["FunctionUrl"]
    assert cfg["AuthType"] == "NONE"
    assert cfg["Cors"]["AllowOrigins"] == ["*"] and cfg["Cors"]["AllowMethods"] == ["*"]
    assert rest_apis(fake_aws) == [] and http_apis(fake_aws) == []
    pol = policy(fake_aws)
    assert set(pol) == {"hoist-function-url", "hoist-function-url-invoke"}
    assert pol["hoist-function-url"]["Action"] == "lambda:InvokeFunctionUrl"
    assert pol["hoist-function-url-invoke"]["Action"] == "lambda:InvokeFunction"
    adds = [q["params"] for q in fake_requests(fake_aws, "lambda", "AddPermission")]
    assert {"FunctionUrlAuthType": "NONE"}.items() <= adds[0].items()
    assert adds[1].get("InvokedViaFunctionUrl") is True

    start = len(fake_requests(fake_aws))
    r = hoist(run, aws_env, d, "update", "dev")
    assert r.returncode == 0 and r.stdout.strip() == cfg["FunctionUrl"]
    assert writes_since(fake_aws, start) == []

    d = aws_project({"keep_warm": False, "apigateway_enabled": False,
                     "function_url_enabled": True, "iam_authorization": True})
    assert hoist(run, aws_env, d, "update", "dev").returncode == 0
    cfg = state(fake_aws)["lambda"][FN]["url"]
    assert cfg["AuthType"] == "AWS_IAM"
    assert policy(fake_aws) == {}

    assert hoist(run, aws_env, d, "undeploy", "dev", "-y").returncode == 0
    assert FN not in state(fake_aws)["lambda"]


def test_put_integration_faults(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False})
    env = {"HOIST_HTTP_MAX_ATTEMPTS": "3"}
    fake_post(fake_aws, "/__fake/faults", {"operation": "PutIntegration", "kind": "500", "count": 1})
    r = hoist(run, aws_env, d, "deploy", "dev", env=env)
    assert r.returncode == 0, r.stderr
    assert len(rest_apis(fake_aws)) == 1
    assert hoist(run, aws_env, d, "undeploy", "dev", "-y").returncode == 0

    # Failing on every attempt: exit 1 naming the call; the re-run finishes with one API.
    fake_post(fake_aws, "/__fake/faults", {"operation": "PutIntegration", "kind": "500", "count": 3})
    r = hoist(run, aws_env, d, "deploy", "dev", env=env)
    assert r.returncode == 1
    assert "PutIntegration" in r.stderr and "ServiceException" in r.stderr
    assert r.stdout == ""
    assert len(rest_apis(fake_aws)) == 1 and rest_apis(fake_aws)[0]["stages"] == {}
    r = hoist(run, aws_env, d, "deploy", "dev", env=env)
    assert r.returncode == 0, r.stderr
    api, = rest_apis(fake_aws)
    assert URL_RE.match(r.stdout.strip()).group(1) == api["id"]
    assert len(api["deployments"]) == 1 and list(api["stages"]) == ["dev"]
    assert list(policy(fake_aws)) == ["hoist-apigw"]


def test_undeploy_half_deployed_stage(run, aws_env, aws_project, fake_aws):
    d = aws_project({"keep_warm": False, "api_key_required": True})
    fake_post(fake_aws, "/__fake/faults", {"operation": "CreateDeployment", "kind": "500",
                                           "count": 3})
    r = hoist(run, aws_env, d, "deploy", "dev", env={"HOIST_HTTP_MAX_ATTEMPTS": "3"})
    assert r.returncode == 1 and "CreateDeployment" in r.stderr
    assert len(rest_apis(fake_aws)) == 1
    r = hoist(run, aws_env, d, "undeploy", "dev", "-y")
    assert r.returncode == 0, r.stderr
    s = state(fake_aws)
    assert s["apigateway"]["apis"] == {} and FN not in s.get("lambda", {})


def test_duplicate_apis_are_reported_not_multiplied(run, aws_env, aws_project, fake_aws, boto):
    ag = boto("apigateway")
    ids = [ag.create_rest_api(name=FN, tags={"hoist:stage": FN})["id"] for _ in range(2)]
    ag.create_rest_api(name=FN)            # same name, not ours: left alone
    d = aws_project({"keep_warm": False})
    r = hoist(run, aws_env, d, "deploy", "dev")
    assert r.returncode == 1
    assert all(i in r.stderr for i in ids) and "undeploy" in r.stderr
    assert len(rest_apis(fake_aws)) == 3
    assert hoist(run, aws_env, d, "undeploy", "dev", "-y").returncode == 0
    left, = rest_apis(fake_aws)
    assert left["id"] not in ids
