"""API Gateway Lambda authorizer events reach the `authorizer.function`
and its policy comes back untouched (not an HTTP response)."""
import pytest

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/GET/items"


def test_token_authorizer_allows_and_denies(load_handler):
    h = load_handler(AUTHORIZER_FUNCTION="jobs.authorize")
    ok = h.handler({"type": "TOKEN", "authorizationToken": "letmein", "methodArn": ARN}, None)
    assert ok == {"principalId": "user-1",
                  "policyDocument": {"Version": "2012-10-17", "Statement": [
                      {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": ARN}]},
                  "context": {"type": "TOKEN"}}
    no = h.handler({"type": "TOKEN", "authorizationToken": "nope", "methodArn": ARN}, None)
    assert no["policyDocument"]["Statement"][0]["Effect"] == "Deny"


def test_request_authorizer_is_not_mistaken_for_http(load_handler):
    h = load_handler(AUTHORIZER_FUNCTION="jobs.authorize")
    event = {"type": "REQUEST", "methodArn": ARN, "resource": "/items", "path": "/items",
             "httpMethod": "GET", "headers": {"Authorization": "letmein"},
             "requestContext": {"stage": "dev", "resourcePath": "/items"}}
    out = h.handler(event, None)
    assert out["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert out["context"] == {"type": "REQUEST"}


def test_authorizer_event_without_function_is_an_error(load_handler):
    h = load_handler()
    with pytest.raises(RuntimeError, match="names no function"):
        h.handler({"type": "TOKEN", "authorizationToken": "x", "methodArn": ARN}, None)
