"""The handler's own SigV4 (templates/python/hoist_aws.py, standard library
only) against AWS's published test vector and against botocore's signers
(SigV4Auth, S3SigV4Auth) on the requests the handler sends: Lambda Invoke of
a name and of an ARN, SNS Publish, DynamoDB, S3 GetObject of an awkward key."""
import datetime
import sys
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from handler_support import TEMPLATES

sys.path.insert(0, str(TEMPLATES))
import hoist_aws  # noqa: E402

NOW = datetime.datetime(2026, 11, 21, 10, 0, 0, tzinfo=datetime.timezone.utc)
CREDS = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session/token+x==")


def test_published_get_vanilla_vector():
    h = hoist_aws.sign("GET", "https://example.amazonaws.com/", "us-east-1", "service", {}, b"",
                       CREDS[:2] + (None,), now=datetime.datetime(2015, 8, 30, 12, 36, 0))
    assert h["Authorization"].endswith(
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")


def botocore_signature(method, url, region, service, headers, body):
    """What botocore computes for the same request, headers and time."""
    req = AWSRequest(method=method, url=url, headers={k: v for k, v in headers.items()
                                                       if k != "Authorization"}, data=body)
    req.context["timestamp"] = headers["X-Amz-Date"]
    signer = (S3SigV4Auth if service == "s3" else SigV4Auth)(Credentials(*CREDS), service, region)
    cr = signer.canonical_request(req)
    return signer.signature(signer.string_to_sign(req, cr), req)


CASES = [
    ("POST", "https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/demo-dev/invocations",
     "eu-west-1", "lambda", {"X-Amz-Invocation-Type": "Event", "Content-Type": "application/json"},
     b'{"command": "hoist_tasks.route_lambda_task"}'),
    ("POST", "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/"
     "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aother/invocations",
     "us-east-1", "lambda", {"X-Amz-Invocation-Type": "Event"}, b"{}"),
    ("POST", "https://sns.us-east-1.amazonaws.com/", "us-east-1", "sns",
     {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
     b"Action=Publish&Message=%7B%22a%22%3A+1%7D&TargetArn=arn%3Aaws%3Asns&Version=2010-03-31"),
    ("POST", "https://dynamodb.us-east-1.amazonaws.com/", "us-east-1", "dynamodb",
     {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.GetItem"},
     b'{"TableName": "t"}'),
    ("GET", "https://book-configs.s3.us-east-1.amazonaws.com/dir/my%20conf%C3%A9.json",
     "us-east-1", "s3", {}, b""),
    ("GET", "http://127.0.0.1:4566/bucket/key.json?x-id=GetObject", "us-east-1", "s3", {}, b""),
]


@pytest.mark.parametrize("method,url,region,service,headers,body", CASES)
def test_signature_matches_botocore(method, url, region, service, headers, body):
    signed = hoist_aws.sign(method, url, region, service, dict(headers), body, CREDS, now=NOW)
    assert signed["Host"] == urlsplit(url).netloc
    assert signed["X-Amz-Security-Token"] == CREDS[2]
    got = signed["Authorization"].rsplit("Signature=", 1)[1]
    assert got == botocore_signature(method, url, region, service, signed, body)


def test_endpoints_follow_the_sdk_environment(monkeypatch):
    for k in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(k, raising=False)
    assert hoist_aws.endpoint("DynamoDB", "dynamodb", "cn-north-1") == \
        ("https://dynamodb.cn-north-1.amazonaws.com.cn", False)
    assert hoist_aws.s3_url("b", "k/x y", "eu-west-1") == \
        "https://b.s3.eu-west-1.amazonaws.com/k/x%20y"
    assert hoist_aws.s3_url("b.with.dots", "k", "eu-west-1") == \
        "https://s3.eu-west-1.amazonaws.com/b.with.dots/k"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1/")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2")
    assert hoist_aws.endpoint("DynamoDB", "dynamodb", "x") == ("http://127.0.0.1:2", True)
    assert hoist_aws.s3_url("b", "k", "x") == "http://127.0.0.1:1/b/k"
