"""Event-shape details: detection, mount points (stage, base_path), cookies,
encodings and the exact dictionaries each gateway receives."""
import json

import pytest

from handler_support import build, load_event


def flask(load_handler, **settings):
    return load_handler(APP_FUNCTION="flask_app.app", **settings)


def body_of(response):
    return json.loads(response["body"])


@pytest.mark.parametrize("name,shape", [
    ("aws_v1", "aws_v1"), ("aws_v2", "aws_v2"), ("aws_function_url", "aws_v2"),
    ("aliyun_fc", "aliyun_fc"), ("aliyun_apigw", "aliyun_apigw"), ("tencent", "tencent"),
    ("tencent_function_url", "tencent"), ("aws_schedule", "aws_schedule"), ("aliyun_timer", "aliyun_timer"),
    ("tencent_timer", "tencent_timer"), ("s3_put", "records"), ("sns", "records"),
    ("sqs", "records"),
])
def test_detection_of_every_saved_event(load_handler, name, shape):
    handler = load_handler(APP_FUNCTION="wsgi_plain.app")
    assert handler.detect(load_event(name)) == shape


def test_detection_of_hoist_payloads(load_handler):
    handler = load_handler(APP_FUNCTION="wsgi_plain.app")
    assert handler.detect({"hoist_event": {"name": "keep_warm", "keep_warm": True}}) == "hoist_event"
    assert handler.detect({"command": "a.b"}) == "invoke"
    assert handler.detect({"raw_command": "1"}) == "invoke"
    assert handler.detect({"manage": "check"}) == "invoke"
    assert handler.detect({"something": "else"}) is None
    assert handler.detect([1, 2]) is None


def test_stage_prefix_in_path_is_stripped(load_handler):
    """execute-api URL: path may arrive with or without /<stage>; SCRIPT_NAME=/dev either way."""
    handler = flask(load_handler)
    for path in ("/dev/p/x", "/p/x"):
        event = build("aws_v1", "GET", path)
        assert body_of(handler.handler(event, None)) == {
            "name": "x", "path_info": "/p/x", "script_name": "/dev"}


def test_custom_domain_has_no_stage_prefix_and_strips_base_path(load_handler):
    event = build("aws_v1", "GET", "/api/p/x", headers=[("Host", "api.example.com")])
    handler = flask(load_handler, BASE_PATH="api", DOMAIN="api.example.com")
    assert body_of(handler.handler(event, None)) == {
        "name": "x", "path_info": "/p/x", "script_name": "/api"}
    handler = flask(load_handler, DOMAIN="api.example.com")       # no base_path
    assert body_of(handler.handler(build("aws_v1", "GET", "/p/x",
                                         headers=[("Host", "api.example.com")]), None)) == {
        "name": "x", "path_info": "/p/x", "script_name": ""}


def test_base_path_leading_slash_and_root(load_handler):
    handler = flask(load_handler, BASE_PATH="/api/")
    event = build("aliyun_fc", "GET", "/api/echo")
    got = body_of(handler.handler(event, None))
    assert (got["script_name"], got["path_info"]) == ("/api", "/echo")
    assert got["url"] == "https://my-func-hoist-dev-abcdefghij.cn-hangzhou.fcapp.run/api/echo"


def test_base_path_only_strips_whole_segments(load_handler):
    handler = flask(load_handler, BASE_PATH="api")
    got = handler.handler(build("tencent", "GET", "/apix/p/x",
                                headers=[("Host", "www.example.com")]), None)
    assert got["statusCode"] == 404


def test_console_test_event_without_host(load_handler):
    event = build("aws_v1", "GET", "/p/x")
    del event["multiValueHeaders"]["Host"], event["headers"]["Host"]
    assert body_of(flask(load_handler).handler(event, None))["script_name"] == "/dev"
    assert body_of(flask(load_handler, DOMAIN="example.com").handler(event, None))[
        "script_name"] == ""


def test_http_api_named_stage(load_handler):
    event = build("aws_v2", "GET", "/prod/p/x")
    event["requestContext"]["stage"] = "prod"
    assert body_of(flask(load_handler).handler(event, None)) == {
        "name": "x", "path_info": "/p/x", "script_name": "/prod"}


def test_percent_encoded_path_is_decoded_once(load_handler):
    handler = flask(load_handler)
    got = body_of(handler.handler(build("aws_v2", "GET", "/p/caf%C3%A9%2520"), None))
    # PEP 3333: PATH_INFO carries the UTF-8 bytes as latin-1 text
    assert got == {"name": "caf\u00e9%20", "path_info": "/p/caf\u00c3\u00a9%20",
                   "script_name": ""}


def test_multi_value_query_aws(load_handler):
    handler = flask(load_handler)
    for name in ("aws_v1", "aws_v2"):
        event = build(name, "GET", "/echo", query=[("a", "1"), ("a", "2"), ("c", "&=")])
        assert body_of(handler.handler(event, None))["args"] == {"a": ["1", "2"], "c": ["&="]}


def test_tencent_list_query_values(load_handler):
    event = build("tencent", "GET", "/echo", query=[("a", "1"), ("a", "2")])
    assert event["queryString"] == {"a": ["1", "2"]}
    assert body_of(flask(load_handler).handler(event, None))["args"] == {"a": ["1", "2"]}


def test_tencent_function_url_event_keeps_its_query(load_handler):
    """Tencent's documented function-URL event for an event function (doc 583/96099):
    {body, headers, httpMethod, path, queryString}, no requestContext.  It is not an
    AWS v1 event: the query string and the client address reach the app."""
    sample = load_event("tencent_function_url")
    handler = flask(load_handler)
    got = handler.handler(dict(sample, path="/echo"), None)
    assert sorted(got) == ["body", "headers", "isBase64Encoded", "statusCode"]
    echo = body_of(got)
    assert echo["args"] == {"a": ["1"], "b": ["2"]} and echo["query_string"] == "a=1&b=2"
    assert echo["method"] == "POST" and echo["path_info"] == "/echo"
    assert echo["remote_addr"] == "111.206.96.145"
    got = handler.handler(dict(sample, path="/json", headers=dict(
        sample["headers"], **{"content-type": "application/json"})), None)
    assert body_of(got)["received"] == {"test": "hello world"}
    event = dict(sample, httpMethod="GET", path="/echo", queryString={"x": "1"}, body="")
    assert body_of(handler.handler(event, None))["args"] == {"x": ["1"]}


COOKIE_IN = [("Cookie", "session=abc; theme=dark")]
SET = ["flavour=oat; Path=/", "colour=blue; Path=/"]


def test_cookies_aws_v1(load_handler):
    got = flask(load_handler).handler(build("aws_v1", "GET", "/cookies", headers=COOKIE_IN), None)
    body = '{"cookies": {"session": "abc", "theme": "dark"}}'
    assert got == {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "Content-Length": str(len(body))},
        "multiValueHeaders": {"Content-Type": ["application/json"],
                              "Content-Length": [str(len(body))], "Set-Cookie": SET},
        "body": body, "isBase64Encoded": False}


@pytest.mark.parametrize("name", ["aws_v2", "aws_function_url"])
def test_cookies_aws_v2(load_handler, name):
    event = build(name, "GET", "/cookies", headers=COOKIE_IN)
    assert event["cookies"] == ["session=abc", "theme=dark"]
    got = flask(load_handler).handler(event, None)
    body = '{"cookies": {"session": "abc", "theme": "dark"}}'
    assert got == {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "Content-Length": str(len(body))},
        "cookies": SET, "body": body, "isBase64Encoded": False}


def test_cookies_alibaba_api_gateway_exact_shape(load_handler):
    got = flask(load_handler).handler(build("aliyun_apigw", "GET", "/cookies", headers=COOKIE_IN),
                                      None)
    body = '{"cookies": {"session": "abc", "theme": "dark"}}'
    assert list(got) == ["isBase64Encoded", "statusCode", "headers", "body"]
    assert got == {
        "isBase64Encoded": False, "statusCode": 200,
        "headers": {"Content-Type": "application/json", "Content-Length": str(len(body)),
                    "Set-Cookie": SET[0], "set-Cookie": SET[1]},
        "body": body}


@pytest.mark.parametrize("name", ["aliyun_fc", "tencent"])
def test_cookies_fc_and_tencent(load_handler, name):
    got = flask(load_handler).handler(build(name, "GET", "/cookies", headers=COOKIE_IN), None)
    body = '{"cookies": {"session": "abc", "theme": "dark"}}'
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body)),
               "Set-Cookie": SET[0], "set-Cookie": SET[1]}
    if name == "aliyun_fc":
        assert got == {"statusCode": 200, "headers": headers, "isBase64Encoded": False,
                       "body": body}
    else:
        assert got == {"isBase64Encoded": False, "statusCode": 200, "headers": headers,
                       "body": body}


def test_alibaba_string_base64_flag_and_str_event(load_handler):
    event = json.loads(build("aliyun_apigw", "POST", "/upload", body=b"\x00\x01",
                             headers=[("Content-Type", "application/octet-stream")],
                             binary=True))
    event["isBase64Encoded"] = "true"
    got = flask(load_handler).handler(json.dumps(event), None)      # str, not bytes
    assert body_of(got)["size"] == 2


def test_scheme_defaults(load_handler):
    handler = flask(load_handler)
    for name, scheme in (("aws_v1", "https"), ("tencent", "http")):
        event = build(name, "GET", "/echo")
        if name == "aws_v1":
            del event["multiValueHeaders"]["X-Forwarded-Proto"]
            del event["multiValueHeaders"]["X-Forwarded-Port"]
        else:
            del event["headers"]["X-Forwarded-Proto"]
        got = body_of(handler.handler(event, None))
        assert got["scheme"] == scheme
        assert got["server"][1] == ("443" if scheme == "https" else "80")


def test_host_with_port_and_forwarded_for(load_handler):
    event = build("aliyun_apigw", "GET", "/echo",
                  headers=[("Host", "127.0.0.1:8123"), ("X-Forwarded-Proto", "http"),
                           ("X-Forwarded-For", "192.0.2.1, 10.0.0.1")])
    got = body_of(flask(load_handler).handler(event, None))
    assert got["server"] == ["127.0.0.1", "8123"]
    assert got["remote_addr"] == "192.0.2.1"
    assert got["url"] == "http://127.0.0.1:8123/echo"


def test_keep_warm_does_not_run_the_app(load_handler, capsys):
    handler = flask(load_handler)
    got = handler.handler({"hoist_event": {"name": "keep_warm", "keep_warm": True}}, None)
    assert got == {"result": "warm"}
    assert capsys.readouterr().out == ""           # no request, so no access-log line


def test_keep_warm_answers_even_if_the_app_cannot_load(load_handler):
    handler = load_handler(APP_FUNCTION="nosuchmodule.app")
    assert handler.handler({"hoist_event": {"name": "keep_warm", "keep_warm": True}}, None) == \
        {"result": "warm"}


def test_eventbridge_keep_warm_rule(load_handler):
    handler = flask(load_handler)
    event = load_event("aws_schedule")
    event["resources"] = ["arn:aws:events:us-east-1:123456789012:rule/demo-dev-keep_warm"]
    assert handler.handler(event, None) == {"result": "warm"}


def test_explicit_asgi_app_type(load_handler):
    handler = load_handler(APP_FUNCTION="asgi_app.app", APP_TYPE="asgi")
    got = handler.handler(build("aws_v2", "GET", "/echo"), None)
    assert got["statusCode"] == 200 and body_of(got)["state"] == "connected"


def test_unknown_app_is_a_500_not_a_crash(load_handler):
    handler = load_handler(APP_FUNCTION="nosuchmodule.app", DEBUG=True)
    got = handler.handler(build("aws_v1", "GET", "/echo"), None)
    assert got["statusCode"] == 500
    assert body_of(got)["error"] == \
        "FunctionNotFound: no module named 'nosuchmodule' (looking for 'nosuchmodule.app')"


def test_a_front_door_that_stripped_the_stage_mounts_the_app_there(load_handler):
    # issue 12 item 16: the local gateway at http://127.0.0.1:PORT/dev sends what the
    # execute-api host does: requestContext.path "/dev/p/x", path "/p/x"
    event = build("aws_v1", "GET", "/p/x", headers=[("Host", "127.0.0.1:8123")])
    event["requestContext"]["path"] = "/dev/p/x"
    got = body_of(flask(load_handler).handler(event, None))
    assert (got["script_name"], got["path_info"]) == ("/dev", "/p/x")
