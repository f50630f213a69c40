"""A stage deployed the way Zappa deploys it (zappa/core.py, zappa/cli.py),
built in the fake AWS with botocore, call for call:

  IAM     <function>-ZappaLambdaExecutionRole, Zappa's assume policy
          (apigateway, lambda, events) and its "zappa-permissions" policy
  Lambda  <function>, handler "handler.lambda_handler" (a stand-in for
          Zappa's handler that answers every request "served by zappa"),
          published
  rules   one per schedule, named get_scheduled_event_name's way
          ("<function>-<module.function>", the SHA-1 of the function name
          when too long), with Zappa's InputTransformer target and one
          AddPermission per rule (random statement id); keep_warm's rule
          "<function>-zappa-keep-warm-handler.keep_warm_callback"
  API     a CloudFormation stack named <function>, tagged ZappaProject, from
          the template Zappa's troposphere code writes (RestApi "Api", ANY0 on
          "/", ResourceAnyPathSlashed "{proxy+}" with ANY1; AWS_PROXY
          integrations that API Gateway calls with the role's credentials),
          uploaded to S3 and passed as TemplateURL; then CreateDeployment to
          the stage and UpdateStage of its method settings
  domain  (optional) CreateDomainName + a base path mapping to the stage
"""
import hashlib
import io
import json
import random
import string
import time
import zipfile

from aws_helpers import ACCOUNT, REGION

ZAPPA_HANDLER = '''import json


def lambda_handler(event, context):
    """Stands in for Zappa's handler.py: every HTTP request is answered."""
    if event.get("httpMethod"):
        return {"statusCode": 200, "headers": {"Content-Type": "text/plain"},
                "body": "served by zappa"}
    return {"zappa": True}
'''

ASSUME = {"Version": "2012-10-17", "Statement": [{
    "Sid": "", "Effect": "Allow", "Action": "sts:AssumeRole",
    "Principal": {"Service": ["apigateway.amazonaws.com", "lambda.amazonaws.com",
                              "events.amazonaws.com"]}}]}
ATTACH = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["logs:*"], "Resource": "arn:aws:logs:*:*:*"},
    {"Effect": "Allow", "Action": ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"],
     "Resource": ["*"]},
    {"Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:aws:s3:::*"},
    {"Effect": "Allow", "Action": ["sns:*"], "Resource": "arn:aws:sns:*:*:*"},
    {"Effect": "Allow", "Action": ["dynamodb:*"], "Resource": "arn:aws:dynamodb:*:*:*"}]}


def event_name(lambda_name, name):
    return "{prefix:.{width}}-{postfix}".format(prefix=lambda_name, width=max(0, 63 - len(name)),
                                                postfix=name)[:64]


def scheduled_event_name(event, function, lambda_name, index=0):
    """zappa.core.Zappa.get_scheduled_event_name."""
    name = event.get("name", function)
    if name != function:
        name = "{}-{}".format(name, function)
    if index:
        name = "{}-{}".format(index, name)
    ev = event_name(lambda_name, name)
    if len(ev) >= 64:
        ev = event_name(hashlib.sha1(lambda_name.encode()).hexdigest(), name)
    return ev


def template(lambda_name, lambda_arn, role_arn, region=REGION):
    """What create_stack_template + to_json produce for a v1 REST API."""
    uri = (f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{lambda_arn}"
           "/invocations")

    def method(title, resource):
        return {"Type": "AWS::ApiGateway::Method", "Properties": {
            "ApiKeyRequired": False, "AuthorizationType": "NONE", "HttpMethod": "ANY",
            "Integration": {"CacheKeyParameters": [], "CacheNamespace": "none",
                            "Credentials": role_arn, "IntegrationHttpMethod": "POST",
                            "IntegrationResponses": [], "PassthroughBehavior": "NEVER",
                            "Type": "AWS_PROXY", "Uri": uri},
            "MethodResponses": [], "ResourceId": resource, "RestApiId": {"Ref": "Api"}}}

    return {"Description": "Automatically generated with Zappa", "Resources": {
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {
            "Description": "Created automatically by Zappa.", "Name": lambda_name}},
        "ANY0": method("ANY0", {"Fn::GetAtt": ["Api", "RootResourceId"]}),
        "ResourceAnyPathSlashed": {"Type": "AWS::ApiGateway::Resource", "Properties": {
            "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "PathPart": "{proxy+}",
            "RestApiId": {"Ref": "Api"}}},
        "ANY1": method("ANY1", {"Ref": "ResourceAnyPathSlashed"})}}


def _sid():
    return "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(8))


def deploy(boto, lambda_name, stage, events=(), keep_warm=True, domain=None, bucket="zappa-bkt"):
    """Build the Zappa stage; returns {"url", "api_id", "role_arn", "rules"}."""
    iam, lam, events_c = boto("iam"), boto("lambda"), boto("events")
    s3, cf, ag = boto("s3"), boto("cloudformation"), boto("apigateway")
    role = f"{lambda_name}-ZappaLambdaExecutionRole"
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(ASSUME))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="zappa-permissions",
                        PolicyDocument=json.dumps(ATTACH))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", ZAPPA_HANDLER)
    for _ in range(5):   # the fake refuses a brand-new role once (IAM propagation)
        try:
            fn = lam.create_function(FunctionName=lambda_name, Runtime="python3.12", Role=role_arn,
                                     Handler="handler.lambda_handler",
                                     Code={"ZipFile": buf.getvalue()}, Publish=True,
                                     Description="Zappa Deployment", Timeout=30, MemorySize=512)
            break
        except lam.exceptions.InvalidParameterValueException:
            time.sleep(0.05)
    arn = fn["FunctionArn"]
    while lam.get_function_configuration(FunctionName=lambda_name)["State"] != "Active":
        time.sleep(0.05)

    # schedule_events
    events = list(events)
    if keep_warm:
        events.append({"name": "zappa-keep-warm", "function": "handler.keep_warm_callback",
                       "expression": "rate(4 minutes)",
                       "description": f"Zappa Keep Warm - {lambda_name}"})
    rules = []
    for ev in events:
        for index, expr in enumerate(ev.get("expressions") or [ev["expression"]]):
            name = scheduled_event_name(ev, ev["function"], lambda_name, index)
            rule = events_c.put_rule(Name=name, ScheduleExpression=expr, State="ENABLED",
                                     Description=ev.get("description", ev["function"]),
                                     RoleArn=role_arn)
            lam.add_permission(FunctionName=lambda_name, StatementId=_sid(),
                               Action="lambda:InvokeFunction", Principal="events.amazonaws.com",
                               SourceArn=rule["RuleArn"], SourceAccount=ACCOUNT)
            events_c.put_targets(Rule=name, Targets=[{
                "Id": "Id" + "".join(random.choice(string.digits) for _ in range(12)), "Arn": arn,
                "InputTransformer": {
                    "InputPathsMap": {k: "$." + k for k in ("time", "detail-type", "source",
                                                            "account", "region", "detail",
                                                            "version", "resources", "id")},
                    "InputTemplate": ('{"time": <time>, "detail-type": <detail-type>, '
                                      '"source": <source>,"account": <account>, '
                                      '"region": <region>,"detail": <detail>, '
                                      '"version": <version>,"resources": <resources>,'
                                      '"id": <id>,"kwargs": %s}' % json.dumps(ev.get("kwargs", {})))}}])
            rules.append(name)

    # create_stack_template + update_stack
    s3.create_bucket(Bucket=bucket)
    key = f"{lambda_name}-template-{int(time.time())}.json"
    s3.put_object(Bucket=bucket, Key=key,
                  Body=json.dumps(template(lambda_name, arn, role_arn), separators=(",", ":")))
    cf.create_stack(StackName=lambda_name, Capabilities=[],
                    TemplateURL=f"https://s3.amazonaws.com/{bucket}/{key}",
                    Tags=[{"Key": "ZappaProject", "Value": lambda_name}])
    while cf.describe_stacks(StackName=lambda_name)["Stacks"][0]["StackStatus"] != "CREATE_COMPLETE":
        time.sleep(0.05)
    s3.delete_object(Bucket=bucket, Key=key)
    api_id = cf.describe_stack_resource(StackName=lambda_name,
                                        LogicalResourceId="Api")["StackResourceDetail"]["PhysicalResourceId"]

    # deploy_api_gateway
    ag.create_deployment(restApiId=api_id, stageName=stage, stageDescription="", description="",
                         cacheClusterEnabled=False, cacheClusterSize="0.5", variables={})
    ag.update_stage(restApiId=api_id, stageName=stage, patchOperations=[
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "OFF"},
        {"op": "replace", "path": "/*/*/logging/dataTrace", "value": "false"},
        {"op": "replace", "path": "/*/*/metrics/enabled", "value": "false"},
        {"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": "300"},
        {"op": "replace", "path": "/*/*/caching/dataEncrypted", "value": "false"}])
    if domain:   # zappa certify with an ACM certificate_arn
        ag.create_domain_name(domainName=domain, certificateArn=domain_cert(boto, domain))
        ag.create_base_path_mapping(domainName=domain, basePath="", restApiId=api_id, stage=stage)
    return {"url": f"https://{api_id}.execute-api.{REGION}.amazonaws.com/{stage}",
            "api_id": api_id, "role_arn": role_arn, "rules": rules}


def domain_cert(boto, domain):
    """An ISSUED ACM certificate for the domain (imported, as the fake issues those)."""
    from pebble_support import self_signed_pem
    cert, key = self_signed_pem(domain, days=90)
    acm = boto("acm", region="us-east-1")
    return acm.import_certificate(
        Certificate=cert, PrivateKey=key)["CertificateArn"]
