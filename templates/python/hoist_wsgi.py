"""hoist_wsgi -- run a WSGI application (PEP 3333) on one hoist_events.Request.

environ: REQUEST_METHOD, SCRIPT_NAME/PATH_INFO (decoded, latin-1 "bytes as
text" as PEP 3333 requires), QUERY_STRING, SERVER_NAME/PORT from Host and
X-Forwarded-Port, wsgi.url_scheme, REMOTE_ADDR, CONTENT_TYPE/CONTENT_LENGTH,
HTTP_* (repeated headers joined with ",", Cookie with "; "), and the raw
event/context under hoist.event / hoist.context (also serverless.event /
serverless.context, as Zappa names them).
"""

import io
import sys


def _wsgi_str(text):
    return text.encode("utf-8", "surrogateescape").decode("latin-1")


def make_environ(req, event=None, context=None):
    environ = {
        "REQUEST_METHOD": req.method,
        "SCRIPT_NAME": _wsgi_str(req.script),
        "PATH_INFO": _wsgi_str(req.path),
        "QUERY_STRING": req.query,
        "SERVER_NAME": req.host,
        "SERVER_PORT": req.port,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": req.remote,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": req.scheme,
        "wsgi.input": io.BytesIO(req.body),
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "hoist.event": event,
        "hoist.context": context,
        "serverless.event": event,
        "serverless.context": context,
    }
    for name, value in req.headers:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        value = _wsgi_str(value)
        if key in environ:
            value = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
        environ[key] = value
    if req.body or "CONTENT_LENGTH" in environ:
        environ["CONTENT_LENGTH"] = str(len(req.body))
    return environ


def run(app, req, event=None, context=None):
    """Call the app; (status int, [(name, value)], body bytes)."""
    state = {}
    chunks = []

    def start_response(status, headers, exc_info=None):
        if exc_info and state.get("sent"):
            raise exc_info[1].with_traceback(exc_info[2])
        state["status"] = status
        state["headers"] = list(headers)
        return chunks.append

    result = app(make_environ(req, event, context), start_response)
    try:
        for chunk in result:
            if chunk:
                state["sent"] = True
                chunks.append(chunk)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if "status" not in state:
        raise RuntimeError("the WSGI app returned without calling start_response")
    status = int(str(state["status"]).split(" ", 1)[0])
    headers = [(str(k), str(v)) for k, v in state["headers"]]
    return status, headers, b"".join(chunks)
