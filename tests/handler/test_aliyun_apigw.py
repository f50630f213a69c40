"""The Alibaba Cloud API Gateway event, checked against the documents once more
(issue 11): the FC event backend's {path, httpMethod, headers, queryParameters,
pathParameters, body, isBase64Encoded} — a repeated query parameter as the list
the gateway's parameter rules give (?a=1&a=2 -> a: ["1", "2"]), or as one value;
isBase64Encoded as a boolean or the documented "true"/"false"; binary bodies
both ways — and the answer the gateway needs: exactly {isBase64Encoded,
statusCode, headers, body} (anything else makes it answer 503), base64 only
for a binary body (binary_support), a redirect relative to where the app is
mounted (base_path on a bound domain)."""
import base64
import hashlib
import json

from handler_support import load_event


def handler(load_handler, **settings):
    return load_handler(APP_FUNCTION="flask_app.app", PROVIDER="aliyun", **settings)


def event(path="/echo", method="GET", query=None, body=b"", binary=False, headers=None,
          flag=None):
    ev = load_event("aliyun_apigw")
    ev.update(path=path, httpMethod=method, queryParameters=query or {})
    ev["headers"].update(headers or {})
    if binary:
        ev["body"], ev["isBase64Encoded"] = base64.b64encode(body).decode(), True
    else:
        ev["body"], ev["isBase64Encoded"] = body.decode(), False
    if flag is not None:
        ev["isBase64Encoded"] = flag
    return json.dumps(ev).encode()        # FC hands the gateway's event over as bytes


def test_answer_has_exactly_the_gateway_shape(load_handler):
    got = handler(load_handler).handler(event(), None)
    assert list(got) == ["isBase64Encoded", "statusCode", "headers", "body"]
    assert got["statusCode"] == 200 and got["isBase64Encoded"] is False
    assert isinstance(got["headers"], dict) and isinstance(got["body"], str)


def test_repeated_query_parameters_as_lists_and_single_values(load_handler):
    got = handler(load_handler).handler(event(query={"a": ["1", "2"], "b": "x y", "c": ""}),
                                        None)
    body = json.loads(got["body"])
    assert body["args"] == {"a": ["1", "2"], "b": ["x y"], "c": [""]}
    assert body["query_string"] == "a=1&a=2&b=x+y&c="


def test_binary_body_both_ways(load_handler):
    blob = bytes(range(256))
    h = handler(load_handler)
    for flag in (True, "true"):
        got = h.handler(event("/upload", "POST", body=blob, binary=True, flag=flag,
                              headers={"Content-Type": "application/octet-stream"}), None)
        assert json.loads(got["body"])["sha256"] == hashlib.sha256(blob).hexdigest()
    got = h.handler(event("/image.png"), None)
    assert got["isBase64Encoded"] is True
    assert base64.b64decode(got["body"]) == bytes(range(256)) * 4
    got = h.handler(event("/upload", "POST", body=b"plain", flag="false",
                          headers={"Content-Type": "text/plain"}), None)
    assert json.loads(got["body"])["size"] == 5


def test_binary_support_off_answers_text(load_handler):
    got = handler(load_handler, BINARY_SUPPORT=False).handler(event("/image.png"), None)
    assert got["isBase64Encoded"] is False and isinstance(got["body"], str)


def test_redirect_keeps_the_base_path_of_a_bound_domain(load_handler):
    h = handler(load_handler, BASE_PATH="api", DOMAIN="api.example.com")
    got = h.handler(event("/api/redirect", headers={"Host": "api.example.com"}), None)
    assert got["statusCode"] == 302
    assert got["headers"]["Location"] in ("/api/echo", "https://api.example.com/api/echo")
    got = handler(load_handler).handler(event("/redirect"), None)
    assert got["headers"]["Location"] in ("/echo", "https://" + json.loads(
        event().decode())["headers"]["Host"] + "/echo")
