"""hoist_handler -- the entry point that runs inside the cloud.

The provider calls ``handler(event, context)``.  This module loads the baked
settings (``hoist_settings``), applies ENVIRONMENT_VARIABLES and LOG_LEVEL at
import, loads the user's app lazily on the first event that needs it, works
out what kind of event arrived and hands it to the right adapter:

  hoist_events  HTTP event shapes  -> Request, and (status, headers, body)
                -> the response dictionary each gateway expects
  hoist_wsgi    Request -> WSGI environ, runs a WSGI app
  hoist_asgi    Request -> ASGI scope, runs an ASGI app (asyncio imported
                only when an ASGI app is used)
  hoist_invoke  invoke/manage commands, timers, S3/SNS/SQS records
  hoist_slim    slim bundle: download + unpack the project at cold start
  hoist_tasks   asynchronous tasks (Zappa's zappa.asynchronous; that import
                path is an alias of it when the archive has no zappa package)
  hoist_aws     the AWS calls made from inside: tasks, remote_env (SigV4)
  hoist_aliyun, hoist_tencent   the same for Alibaba Cloud (ACS3, OSS4) and
                Tencent Cloud (TC3, COS)

Event detection, first match wins (``detect``):

  0. str/bytes events (Alibaba API Gateway, FC timers) are JSON-decoded.
  1. ``hoist_event`` key            -> timer / keep-warm payload
  2. ``command`` / ``raw_command`` / ``manage`` -> invoke (a task payload,
     hoist's or Zappa's command name, runs the task)
     ``type`` TOKEN/REQUEST + ``methodArn``       -> API Gateway Lambda authorizer
                                                   (AUTHORIZER_FUNCTION)
  3. ``version == "2.0"`` + ``rawPath``          -> AWS HTTP API v2 / function URL
  4. ``rawPath`` + ``requestContext.http``        -> Alibaba FC 3.0 HTTP trigger
  5. ``httpMethod`` and
       a. ``requestContext.serviceId``, or        -> Tencent SCF API gateway, or a
          ``queryString`` (no requestContext)        function URL: {body, headers,
                                                     httpMethod, path, queryString}
       b. ``multiValueHeaders`` or requestContext
          with ``resourcePath``/``stage``/``apiId`` -> AWS REST v1 proxy (and local)
       c. ``queryParameters`` / ``pathParameters`` -> Alibaba API Gateway
       d. anything else with httpMethod           -> AWS REST v1 proxy
  6. ``source == "aws.events"``                   -> EventBridge scheduled event
     ``triggerName`` + ``triggerTime``            -> Alibaba FC timer
     ``Type == "Timer"``                          -> Tencent SCF timer
  7. ``Records`` / ``events`` list                -> S3/SNS/SQS/... records
     (an SNS record whose Message is a task payload runs the task)
  8. otherwise an ``{"error": "UnknownEvent: ..."}`` result (never a crash).

Keep-warm: a hoist_event with ``keep_warm: true`` or the name ``keep_warm``,
and provider timers/rules whose name ends in ``-keep_warm``/``-keep-warm``.
They load the app (so the container is really warm for the next request) but
never call it, and answer ``{"result": "warm"}`` even when loading fails.
"""

import json
import logging
import os
import sys
import time

import hoist_settings as S

log = logging.getLogger("hoist")

_app = None          # the loaded application, once
_app_is_asgi = False


def _setting(name, default=None):
    return getattr(S, name, default)


def _configure():
    """Import-time setup: environment variables (provider-set ones win, remote_env
    over those, environment_variables over remote_env, as Zappa), logging, and
    Zappa's import path for tasks."""
    level = getattr(logging, str(_setting("LOG_LEVEL", "INFO")).upper(), logging.INFO)
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="[%(levelname)s] %(name)s: %(message)s")
    root.setLevel(level)
    own = _setting("ENVIRONMENT_VARIABLES") or {}
    for key, value in _remote_env().items():
        if key not in own:
            os.environ[key] = value
    for key, value in own.items():
        os.environ.setdefault(str(key), value if isinstance(value, str) else json.dumps(value))
    if _setting("DJANGO_SETTINGS"):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", _setting("DJANGO_SETTINGS"))
    if not any(isinstance(f, ZappaAlias) for f in sys.meta_path):
        sys.meta_path.append(ZappaAlias())


def _remote_env():
    """remote_env: the JSON object of strings at s3://, oss://, cos:// or a local path.

    Read with the function's own credentials at cold start; a failure is
    logged and the function starts without it (as Zappa), since deploy has
    checked the object exists."""
    where = _setting("REMOTE_ENV")
    if not where:
        return {}
    try:
        scheme, _, rest = where.partition("://")
        if not rest:
            with open(where, "rb") as f:
                data = f.read()
        else:
            bucket, _, key = rest.partition("/")
            if scheme == "s3":
                import hoist_aws
                data = hoist_aws.s3_get(bucket, key)
            elif scheme == "oss":
                import hoist_aliyun
                data = hoist_aliyun.oss_get(bucket, key)
            elif scheme == "cos":
                import hoist_tencent
                data = hoist_tencent.cos_get(bucket, key)
            else:
                raise ValueError("remote_env: unknown scheme %s://" % scheme)
        doc = json.loads(data.decode("utf-8"))
        if not isinstance(doc, dict):
            raise ValueError("remote_env %s is not a JSON object" % where)
        return dict((str(k), v if isinstance(v, str) else json.dumps(v)) for k, v in doc.items())
    except Exception as exc:
        log.error("could not load remote_env %s: %s", where, exc)
        return {}


class ZappaAlias(object):
    """A meta path finder, last on sys.meta_path: when the archive has no `zappa`
    package, `zappa.asynchronous` (and `zappa.async`, reachable through
    importlib) are hoist_tasks, inside an empty `zappa` package."""

    NAMES = ("zappa", "zappa.asynchronous", "zappa.async")

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.NAMES:
            return None
        import importlib.machinery
        return importlib.machinery.ModuleSpec(fullname, self, is_package=fullname == "zappa")

    def create_module(self, spec):
        if spec.name == "zappa":
            return None
        import hoist_tasks
        return hoist_tasks

    def exec_module(self, module):
        if module.__name__ == "zappa":
            module.__path__ = []


current_context = None   # the context of the event being handled (hoist_tasks reads it)

_configure()


# ---- loading the application ----------------------------------------------

def _is_coroutine_callable(obj):
    """True for async def functions and objects with an async __call__ (ASGI)."""
    for candidate in (obj, getattr(type(obj), "__call__", None)):
        func = getattr(candidate, "__func__", candidate)
        code = getattr(func, "__code__", None)
        if code is not None and code.co_flags & 0x80:   # CO_COROUTINE
            return True
    return False


def load_app():
    """Import the user's app once per container (after the slim bundle, if any)."""
    global _app, _app_is_asgi
    if _app is not None:
        return _app
    if _setting("SLIM_BUNDLE"):
        import hoist_slim
        hoist_slim.ensure(_setting("SLIM_BUNDLE"))
    app_type = _setting("APP_TYPE") or "auto"
    target = _setting("APP_FUNCTION")
    if target:
        import hoist_invoke
        app = hoist_invoke.resolve(target)
    elif _setting("DJANGO_SETTINGS"):
        if app_type == "asgi":
            from django.core.asgi import get_asgi_application
            app = get_asgi_application()
        else:
            from django.core.wsgi import get_wsgi_application
            app = get_wsgi_application()
    else:
        raise RuntimeError("hoist_settings has neither APP_FUNCTION nor DJANGO_SETTINGS")
    if app_type == "auto":
        _app_is_asgi = _is_coroutine_callable(app)
    else:
        _app_is_asgi = app_type == "asgi"
    _app = app
    return app


# ---- event detection --------------------------------------------------------

def detect(event):
    """Name the shape of an event (see the module docstring), or None."""
    if not isinstance(event, dict):
        return None
    if "hoist_event" in event:
        return "hoist_event"
    if "command" in event or "raw_command" in event or "manage" in event:
        return "invoke"
    if event.get("type") in ("TOKEN", "REQUEST") and "methodArn" in event:
        return "authorizer"
    ctx = event.get("requestContext")
    ctx = ctx if isinstance(ctx, dict) else {}
    if "rawPath" in event:
        if str(event.get("version")) == "2.0":
            return "aws_v2"
        if isinstance(ctx.get("http"), dict):
            return "aliyun_fc"
        return "aws_v2"
    if "httpMethod" in event:
        if "serviceId" in ctx or ("queryString" in event and "requestContext" not in event):
            return "tencent"
        if "multiValueHeaders" in event or "resourcePath" in ctx or "stage" in ctx or "apiId" in ctx:
            return "aws_v1"
        if "queryParameters" in event or "pathParameters" in event:
            return "aliyun_apigw"
        return "aws_v1"
    if event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event":
        return "aws_schedule"
    if "triggerName" in event and "triggerTime" in event:
        return "aliyun_timer"
    if event.get("Type") == "Timer" and "TriggerName" in event:
        return "tencent_timer"
    if isinstance(event.get("Records"), list) or isinstance(event.get("events"), list):
        return "records"
    return None


def _decode_event(event):
    if isinstance(event, (bytes, bytearray)):
        event = bytes(event).decode("utf-8")
    if isinstance(event, str):
        event = json.loads(event) if event.strip() else {}
    return event


# ---- the entry point ---------------------------------------------------------

def handler(event, context):
    """What the provider calls: adapt the event, run the app or function."""
    try:
        event = _decode_event(event)
    except ValueError as exc:
        return {"error": "UnknownEvent: the event is not JSON (%s)" % exc}
    global current_context
    current_context = context
    shape = detect(event)
    if shape is None:
        keys = ", ".join(sorted(event)) if isinstance(event, dict) else type(event).__name__
        log.error("unrecognised event (keys: %s)", keys)
        return {"error": "UnknownEvent: hoist does not recognise this event (keys: %s)" % keys}
    if shape in ("aws_v1", "aws_v2", "aliyun_fc", "aliyun_apigw", "tencent"):
        return handle_http(shape, event, context)
    import hoist_invoke
    if shape == "authorizer":
        return _authorize(event, context)
    if shape == "invoke":
        _try_load_app()
        task = _task_message(event)
        if task is not None:
            return _run_task(task, event, context)
        return hoist_invoke.invoke(event, context)
    if shape == "records":
        _try_load_app()
        task = _task_message(event)
        if task is not None:
            return _run_task(task, event, context)
        return hoist_invoke.records(event, context, _setting("EVENT_SOURCES") or [],
            _handle_exception)
    payload = hoist_invoke.timer_payload(shape, event)
    name = str(payload.get("name") or "").replace("-", "_")
    if payload.get("keep_warm") or name == "keep_warm" or name.endswith("_keep_warm") \
            or name.endswith("handler.keep_warm_callback"):
        return _keep_warm()
    _try_load_app()
    return hoist_invoke.timer(payload, event, context, _setting("EVENTS") or {},
        _setting("FUNCTION_NAME") or "")


def _authorize(event, context):
    """An API Gateway Lambda authorizer event: the authorizer function's policy, as is.

    Raising (or a missing function) makes API Gateway answer 500, so failures
    are logged and re-raised rather than turned into an allow/deny document.
    """
    import hoist_invoke
    name = _setting("AUTHORIZER_FUNCTION")
    if not name:
        raise RuntimeError("authorizer event received but the stage's authorizer "
                           "setting names no function")
    _try_load_app()
    return hoist_invoke.resolve(name)(event, context)


def _try_load_app():
    """Load the app for its side effects (slim bundle path, Django setup); never fatal."""
    try:
        load_app()
    except Exception:   # the function called may not need the app
        log.exception("could not load the app")


_TASK_LAMBDA = ("hoist_tasks.route_lambda_task", "zappa.asynchronous.route_lambda_task",
                "zappa.async.route_lambda_task")
_TASK_SNS = ("hoist_tasks.route_sns_task", "zappa.asynchronous.route_sns_task",
             "zappa.async.route_sns_task")


def _task_message(event):
    """The task payload an event carries (direct, or SNS-wrapped), else None."""
    if event.get("command") in _TASK_LAMBDA:
        return event
    records = event.get("Records")
    sns = records[0].get("Sns") if isinstance(records, list) and records and \
        isinstance(records[0], dict) else None
    if isinstance(sns, dict):
        try:
            message = json.loads(sns.get("Message") or "")
        except ValueError:
            return None
        if isinstance(message, dict) and message.get("command") in _TASK_SNS:
            return message
    return None


def _run_task(message, event, context):
    """An asynchronous task: run it; a failure goes to exception_handler and is
    re-raised (so the provider retries it and, at last, its dead-letter target
    gets it) unless exception_handler returned a true value."""
    import hoist_invoke
    import hoist_tasks
    path = message.get("task_path")
    log.info("task %s (response id %s)", path, message.get("response_id"))
    try:
        result = hoist_tasks.run_message(message)
    except Exception as exc:
        log.exception("task %s failed", path)
        if _handle_exception(exc, event, context):
            return {"error": "%s: %s" % (type(exc).__name__, exc)}
        raise
    return {"result": hoist_invoke.jsonable(result)}


def _keep_warm():
    _try_load_app()
    return {"result": "warm"}


def _handle_exception(exc, event, context):
    """Call the user's exception_handler; its return value (or None on failure)."""
    name = _setting("EXCEPTION_HANDLER")
    if not name:
        return None
    try:
        import hoist_invoke
        return hoist_invoke.resolve(name)(exc, event, context)
    except Exception:
        log.exception("exception_handler %s failed", name)
        return None


# ---- HTTP ---------------------------------------------------------------------

def handle_http(shape, event, context):
    import hoist_events
    started = time.monotonic()
    req = hoist_events.parse(shape, event, S)
    try:
        app = load_app()
        if _app_is_asgi:
            import hoist_asgi
            status, headers, body = hoist_asgi.run(app, req, event, context)
        else:
            import hoist_wsgi
            status, headers, body = hoist_wsgi.run(app, req, event, context)
    except Exception as exc:
        status, headers, body = _error_response(exc, event, context)
    _access_log(req, status, headers, len(body), started)
    return hoist_events.respond(shape, status, headers, body, S)


def _error_response(exc, event, context):
    import traceback
    log.error("unhandled exception\n%s", traceback.format_exc().rstrip())
    _handle_exception(exc, event, context)
    content = {"message": "An uncaught exception happened while servicing this request. "
        "You can investigate this with the `hoist tail` command."}
    if _setting("DEBUG"):
        content["error"] = "%s: %s" % (type(exc).__name__, exc)
        content["traceback"] = traceback.format_exc()
    body = json.dumps(content, indent=2).encode("utf-8")
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    return 500, headers, body


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _quoted(value):
    return (value or "-").replace("\\", "\\\\").replace('"', '\\"')


def _access_log(req, status, headers, size, started):
    """One Apache combined line (plus duration) per HTTP request, on stdout."""
    t = time.gmtime()
    stamp = "%02d/%s/%04d:%02d:%02d:%02d +0000" % (t.tm_mday, _MONTHS[t.tm_mon - 1],
        t.tm_year, t.tm_hour, t.tm_min, t.tm_sec)
    target = req.client_target()
    line = '%s - - [%s] "%s %s HTTP/1.1" %d %s "%s" "%s" %dms' % (
        req.remote or "-", stamp, req.method, _quoted(target), status,
        size if size else "-", _quoted(req.header("referer")),
        _quoted(req.header("user-agent")), int((time.monotonic() - started) * 1000))
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
