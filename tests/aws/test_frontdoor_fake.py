"""The fake's API Gateway (tests/fakecloud/svc_apigateway.py) driven by
botocore: the behaviours hoist's front door relies on, as AWS documents them."""
import re

import pytest
from botocore.exceptions import ClientError

from aws_helpers import ACCOUNT, REGION

URI = (f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
       f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f/invocations")


def test_rest_api_ids_paging_and_deployment_rules(boto):
    ag = boto("apigateway")
    ids = [ag.create_rest_api(name=f"api{i}")["id"] for i in range(3)]
    assert all(re.fullmatch(r"[a-z0-9]{10}", i) for i in ids)
    page = ag.get_rest_apis(limit=2)
    assert len(page["items"]) == 2 and page["position"]
    rest = ag.get_rest_apis(limit=2, position=page["position"])
    assert [a["id"] for a in page["items"] + rest["items"]] == ids and "position" not in rest

    api = ids[0]
    root, = ag.get_resources(restApiId=api)["items"]
    assert root["path"] == "/"
    with pytest.raises(ClientError, match="doesn't contain any methods"):
        ag.create_deployment(restApiId=api, stageName="dev")
    proxy = ag.create_resource(restApiId=api, parentId=root["id"], pathPart="{proxy+}")
    assert proxy["path"] == "/{proxy+}" and proxy["parentId"] == root["id"]
    ag.put_method(restApiId=api, resourceId=proxy["id"], httpMethod="ANY", authorizationType="NONE")
    with pytest.raises(ClientError) as e:
        ag.put_method(restApiId=api, resourceId=proxy["id"], httpMethod="ANY",
                      authorizationType="NONE")
    assert e.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError, match="No integration defined for method"):
        ag.create_deployment(restApiId=api, stageName="dev")
    ag.put_integration(restApiId=api, resourceId=proxy["id"], httpMethod="ANY", type="AWS_PROXY",
                       integrationHttpMethod="POST", uri=URI)
    d = ag.create_deployment(restApiId=api, stageName="dev", stageDescription="x")
    stage = ag.get_stage(restApiId=api, stageName="dev")
    assert stage["deploymentId"] == d["id"] and stage["description"] == "x"
    embedded = ag.get_resources(restApiId=api, embed=["methods"])["items"]
    meth = next(r for r in embedded if r["path"] == "/{proxy+}")["resourceMethods"]["ANY"]
    assert meth["methodIntegration"]["uri"] == URI

    # Usage plans need an existing stage; a REST API in a plan cannot be deleted.
    with pytest.raises(ClientError, match="API Stage not found"):
        ag.create_usage_plan(name="p", apiStages=[{"apiId": api, "stage": "nope"}])
    plan = ag.create_usage_plan(name="p", apiStages=[{"apiId": api, "stage": "dev"}])
    key = ag.create_api_key(name="k", enabled=True)
    ag.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert "value" not in ag.get_api_keys(nameQuery="k")["items"][0]
    with pytest.raises(ClientError, match="usage plan"):
        ag.delete_rest_api(restApiId=api)
    ag.update_usage_plan(usagePlanId=plan["id"], patchOperations=[
        {"op": "remove", "path": "/apiStages", "value": f"{api}:dev"}])
    ag.delete_rest_api(restApiId=api)


def test_http_api_v2_wire_names(boto):
    v2 = boto("apigatewayv2")
    api = v2.create_api(Name="h", ProtocolType="HTTP", CorsConfiguration={"AllowOrigins": ["*"]})
    assert api["ApiEndpoint"] == f"https://{api['ApiId']}.execute-api.{REGION}.amazonaws.com"
    with pytest.raises(ClientError, match="PayloadFormatVersion"):
        v2.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY",
                              IntegrationUri=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f")
    i = v2.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY",
                              IntegrationUri=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f",
                              PayloadFormatVersion="2.0")
    with pytest.raises(ClientError, match="Invalid target"):
        v2.create_route(ApiId=api["ApiId"], RouteKey="$default", Target="integrations/nope")
    v2.create_route(ApiId=api["ApiId"], RouteKey="$default", Target="integrations/" + i["IntegrationId"])
    v2.create_stage(ApiId=api["ApiId"], StageName="dev", AutoDeploy=True)
    assert v2.get_stage(ApiId=api["ApiId"], StageName="dev")["AutoDeploy"] is True
    assert v2.get_apis()["Items"][0]["CorsConfiguration"] == {"AllowOrigins": ["*"]}
    v2.delete_api(ApiId=api["ApiId"])
    assert v2.get_apis()["Items"] == []
