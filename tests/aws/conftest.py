"""Shared fixtures for the AWS provider's tests (tests/aws/): a project
directory with an examples-style Flask app, the environment that points
hoist at the fake AWS, and botocore clients on the fake for setting up and
inspecting state.

"""
import json
import os

import pytest

os.environ.setdefault("HOIST_FAKE_SETTLE", "0.05")

from aws_helpers import ACCOUNT, AKID, REGION, SECRET  # noqa: E402

APP = '''# A WSGI app with no dependencies: the package holds all it needs, as the
# pre-flight import (hoist deploy) checks.
def app(environ, start_response):
    if environ.get("PATH_INFO", "/") in ("", "/"):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [b"hello from hoist"]
    start_response("404 NOT FOUND", [("Content-Type", "text/html; charset=utf-8")])
    return [b"<h1>Not Found</h1>"]
'''

TASKS = '''def cleanup(event=None, context=None):
    print("cleanup ran")
    return "cleaned"


def report(**kwargs):
    return kwargs
'''


@pytest.fixture
def aws_env(fake_aws, tmp_path):
    """Environment for hoist against the fake (pass as run(..., env=aws_env))."""
    return {
        "AWS_ENDPOINT_URL": fake_aws.url,
        "AWS_ACCESS_KEY_ID": AKID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_SESSION_TOKEN": None,
        "AWS_PROFILE": None,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "HOIST_HTTP_BACKOFF_MS": "1",
    }


@pytest.fixture
def aws_project(project_files):
    """write(stage_settings: dict, stage="dev") -> project dir with hoist.json, app.py, tasks.py."""
    return project_files(
        {"provider": "aws", "project_name": "hoistapp", "app_function": "app.app",
         "aws_region": REGION, "runtime": "python3.12",
         "touch": False},   # test_settings_keys.py covers touch; saves an Invoke per deploy
        {"app.py": APP, "tasks.py": TASKS})


@pytest.fixture
def boto(fake_aws):
    """boto(service) -> a botocore client on the fake (signed with the test keys)."""
    import botocore.session
    sess = botocore.session.get_session()

    def client(service, region=REGION):
        return sess.create_client(service, region_name=region, endpoint_url=fake_aws.url,
                                  aws_access_key_id=AKID, aws_secret_access_key=SECRET)
    return client


@pytest.fixture
def lambda_function(boto):
    """make(name) -> ARN: a function created directly in the fake (before hoist deploy works)."""
    import io
    import zipfile

    def make(name="hoistapp-dev"):
        iam = boto("iam")
        role = f"{name}-HoistLambdaExecutionRole"
        try:
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {"Service": "lambda.amazonaws.com"}}]}))
        except iam.exceptions.EntityAlreadyExistsException:
            pass
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("hoist_handler.py", "def handler(event, context):\n    return event\n")
        lam = boto("lambda")
        for _ in range(2):   # the fake refuses a brand-new role once (IAM propagation)
            try:
                fn = lam.create_function(
                    FunctionName=name, Runtime="python3.12", Role=f"arn:aws:iam::{ACCOUNT}:role/{role}",
                    Handler="hoist_handler.handler", Code={"ZipFile": buf.getvalue()})
                break
            except lam.exceptions.InvalidParameterValueException:
                continue
        return fn["FunctionArn"]
    return make
