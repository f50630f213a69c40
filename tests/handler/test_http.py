"""HTTP through the handler: a Flask, a Django and a hand-written ASGI app driven
by every provider's saved event shape, asserting the exact response dicts."""
import base64
import hashlib
import json
import re

import pytest

from handler_support import SHAPES, build, expect

APPS = {
    "flask": dict(APP_FUNCTION="flask_app.app"),
    "django": dict(DJANGO_SETTINGS="djproject.settings"),
    "asgi": dict(APP_FUNCTION="asgi_app.app"),
}
PNG = bytes(range(256)) * 4
ACCESS = re.compile(r'^\S+ \S+ \S+ \[[^\]]+\] "[A-Z]+ [^"]*" [0-9]{3} ')


def headers_for(app, ctype, body):
    """What each test app sends with a response of this type and body."""
    if app == "flask":
        return [("Content-Type", ctype), ("Content-Length", str(len(body)))]
    if app == "django":
        return [("Content-Type", ctype)]
    return [("content-type", ctype), ("content-length", str(len(body)))]


def dumps(value):
    return json.dumps(value, sort_keys=True)


@pytest.fixture(params=sorted(APPS))
def app(request):
    return request.param


@pytest.fixture(params=sorted(SHAPES))
def provider(request):
    return request.param


def call(load_handler, app, event, **settings):
    handler = load_handler(**dict(APPS[app], **settings))
    return handler.handler(event, None)


def test_get_with_query_and_multi_value_headers(load_handler, app, provider, capsys):
    s = SHAPES[provider]
    event = build(provider, "GET", "/echo", query=[("a", "1"), ("b", "x y")],
                  headers=[("Accept", "text/html"), ("Accept", "application/json")])
    got = call(load_handler, app, event)
    qs = "a=1&b=x%20y" if s["shape"] == "aws_v2" else "a=1&b=x+y"
    args = {"a": ["1"], "b": ["x y"]}
    if app == "asgi":
        body = dumps({"accept": "text/html,application/json", "args": args,
                      "client": s["remote"], "method": "GET", "path": "/echo",
                      "query_string": qs, "root_path": s["script"], "scheme": s["scheme"],
                      "server": [s["host"], int(s["port"])], "state": "connected"})
    else:
        body = dumps({"accept": "text/html,application/json", "args": args, "method": "GET",
                      "path_info": "/echo", "query_string": qs, "remote_addr": s["remote"],
                      "scheme": s["scheme"], "script_name": s["script"],
                      "server": [s["host"], s["port"]],
                      "url": "%s://%s%s/echo" % (s["scheme"], s["host"], s["script"])})
    assert got == expect(s["shape"], 200, headers_for(app, "application/json", body), body)
    lines = [l for l in capsys.readouterr().out.splitlines() if ACCESS.match(l)]
    assert len(lines) == 1
    assert lines[0].startswith(s["remote"] + " - - [")
    assert ('"GET %s/echo?%s HTTP/1.1" 200 %d "-" "curl/8.4.0" '
            % (s["script"], qs, len(body))) in lines[0]


def test_post_json(load_handler, app, provider):
    s = SHAPES[provider]
    sent = b'{"name": "hoist", "n": [1, 2], "text": "\\u00e9t\\u00e9"}'
    event = build(provider, "POST", "/json", headers=[("Content-Type", "application/json")],
                  body=sent)
    got = call(load_handler, app, event)
    received = {"n": [1, 2], "name": "hoist", "text": "\u00e9t\u00e9"}
    if app == "asgi":
        body = dumps({"received": received})
    else:
        body = dumps({"content_length": len(sent), "received": received})
    assert got == expect(s["shape"], 200, headers_for(app, "application/json", body), body)


def test_form_post(load_handler, app, provider):
    s = SHAPES[provider]
    event = build(provider, "POST", "/form",
                  headers=[("Content-Type", "application/x-www-form-urlencoded")],
                  body=b"a=1&a=2&msg=hello+w%C3%B6rld")
    got = call(load_handler, app, event)
    body = dumps({"form": {"a": ["1", "2"], "msg": ["hello w\u00f6rld"]}})
    assert got == expect(s["shape"], 200, headers_for(app, "application/json", body), body)


def test_binary_upload(load_handler, app, provider):
    s = SHAPES[provider]
    data = bytes(range(256)) * 3 + b"\xff\xfe"
    event = build(provider, "POST", "/upload",
                  headers=[("Content-Type", "application/octet-stream")], body=data, binary=True)
    got = call(load_handler, app, event)
    body = dumps({"sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                  "type": "application/octet-stream"})
    assert got == expect(s["shape"], 200, headers_for(app, "application/json", body), body)


def test_binary_download(load_handler, app, provider):
    s = SHAPES[provider]
    got = call(load_handler, app, build(provider, "GET", "/image.png"))
    headers = headers_for(app, "image/png", PNG)
    assert got == expect(s["shape"], 200, headers, base64.b64encode(PNG).decode(), True)


def test_binary_download_without_binary_support_is_still_not_mangled(load_handler, provider):
    """binary_support off: text types stay text, so this only changes non-decodable bodies."""
    s = SHAPES[provider]
    got = call(load_handler, "flask", build(provider, "GET", "/custom"), BINARY_SUPPORT=False)
    body = "custom text"
    assert got == expect(s["shape"], 200, headers_for("flask", "application/vnd.hoist", body),
                         body)


def test_additional_text_mimetypes(load_handler):
    event = build("aws_v1", "GET", "/custom")
    plain = call(load_handler, "flask", event)
    assert plain["isBase64Encoded"] is True
    assert base64.b64decode(plain["body"]) == b"custom text"
    text = call(load_handler, "flask", event, ADDITIONAL_TEXT_MIMETYPES=["application/vnd.hoist"])
    assert text == expect("aws_v1", 200, headers_for("flask", "application/vnd.hoist", "custom text"),
                          "custom text")


def test_redirect_keeps_the_mount_point(load_handler, app, provider):
    s = SHAPES[provider]
    got = call(load_handler, app, build(provider, "GET", "/redirect"))
    location = s["script"] + "/echo"
    if app == "flask":
        from werkzeug.utils import redirect
        body = redirect(location).get_data(as_text=True)
        headers = [("Content-Type", "text/html; charset=utf-8"),
                   ("Content-Length", str(len(body))), ("Location", location)]
    elif app == "django":
        body = ""
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Location", location)]
    else:
        body = ""
        headers = [("content-type", "text/plain"), ("content-length", "0"),
                   ("location", location)]
    assert got == expect(s["shape"], 302, headers, body)


def test_not_found(load_handler, app, provider):
    s = SHAPES[provider]
    got = call(load_handler, app, build(provider, "GET", "/nope"))
    if app == "flask":
        from werkzeug.exceptions import NotFound
        body = NotFound().get_body()
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
    elif app == "django":
        body = ("\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n"
                "</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found "
                "on this server.</p>\n</body>\n</html>\n")
        headers = [("Content-Type", "text/html")]
    else:
        body = "not found"
        headers = headers_for(app, "text/plain", body)
    assert got == expect(s["shape"], 404, headers, body)


GENERIC = {"message": "An uncaught exception happened while servicing this request. "
                      "You can investigate this with the `hoist tail` command."}


def test_500_without_debug_is_generic(load_handler, app, provider, capsys, caplog):
    s = SHAPES[provider]
    got = call(load_handler, app, build(provider, "GET", "/boom"))
    body = json.dumps(GENERIC, indent=2)
    assert got == expect(s["shape"], 500, [("Content-Type", "application/json"),
                                            ("Content-Length", str(len(body)))], body)
    assert "ZeroDivisionError" in caplog.text          # the traceback reaches the logs
    lines = [l for l in capsys.readouterr().out.splitlines() if ACCESS.match(l)]
    assert len(lines) == 1 and '"GET %s/boom HTTP/1.1" 500 ' % s["script"] in lines[0]


def test_500_with_debug_carries_the_traceback(load_handler, app, provider):
    s = SHAPES[provider]
    got = call(load_handler, app, build(provider, "GET", "/boom"), DEBUG=True)
    text = got["body"]
    content = json.loads(text)
    assert content["message"] == GENERIC["message"]
    assert content["error"] in ("ZeroDivisionError: integer division or modulo by zero",
                                "ZeroDivisionError: division by zero")
    assert content["traceback"].startswith("Traceback (most recent call last):")
    assert content["traceback"].rstrip().endswith(content["error"])
    source = {"flask": "flask_app.py", "django": "views.py", "asgi": "asgi_app.py"}[app]
    assert source in content["traceback"]
    assert got == expect(s["shape"], 500, [("Content-Type", "application/json"),
                                            ("Content-Length", str(len(text)))], text)


def test_exception_handler_is_called(load_handler, provider):
    handler = load_handler(APP_FUNCTION="flask_app.app", EXCEPTION_HANDLER="jobs.handle_exception")
    import jobs
    del jobs.calls[:]
    got = handler.handler(build(provider, "GET", "/boom"), None)
    assert got["statusCode"] == 500
    assert len(jobs.calls) == 1
    assert jobs.calls[0][:2] == ("exception_handler", "ZeroDivisionError")


def test_flask_own_500_is_passed_through(load_handler):
    """An app that turns its errors into responses is not second-guessed."""
    import flask_app
    flask_app.app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        got = call(load_handler, "flask", build("aws_v1", "GET", "/boom"))
    finally:
        flask_app.app.config["PROPAGATE_EXCEPTIONS"] = True
    from werkzeug.exceptions import InternalServerError
    body = InternalServerError().get_body()
    assert got == expect("aws_v1", 500, [("Content-Type", "text/html; charset=utf-8"),
                                         ("Content-Length", str(len(body)))], body)
