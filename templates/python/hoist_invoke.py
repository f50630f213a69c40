"""hoist_invoke -- everything that calls a function instead of the web app.

  invoke(event)    {"command": "mod.func", "kwargs": {...}}, {"raw_command": code},
                   {"manage": "django args"} for `hoist invoke` / `hoist manage`
  timer(payload)   hoist timer payloads and provider timer events, through EVENTS
                   (rules named the way Zappa names them run the function their
                   name ends with, as Zappa's handler does)
  records(event)   S3/SNS/SQS/stream records, through EVENT_SOURCES (by ARN)

Results: {"result": <JSON value, or its repr>, "output": <captured stdout and
stderr>} or {"error": "<Type>: <message>", "traceback": ..., "output": ...}.
Captured output is also written through to the real stdout/stderr.

How a function is called (call_function): func(**kwargs) when kwargs are
configured; else func(event, context) when it takes two or more positional
parameters, func(event) for one, func() for none.

Failures: invoke and timers answer with an error result (the traceback is
logged); a failing record handler re-raises after exception_handler, so
SQS/streams retry, unless exception_handler returned a true value (Zappa).
A function that cannot be found is always an error result, never a crash.
"""

import io
import json
import logging
import sys

log = logging.getLogger("hoist")


class FunctionNotFound(Exception):
    pass


def resolve(name):
    """The object named "package.module.attr" (attribute chains allowed)."""
    import importlib
    parts = str(name).split(".")
    if len(parts) < 2 or not all(parts):
        raise FunctionNotFound("%r is not of the form module.function" % (name,))
    for cut in range(len(parts) - 1, 0, -1):
        modname = ".".join(parts[:cut])
        try:
            obj = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if missing == modname or modname.startswith(missing + "."):
                continue        # try a shorter module name
            raise
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                raise FunctionNotFound("module %r has no attribute %r (looking for %r)"
                                       % (modname, attr, name))
            obj = getattr(obj, attr)
        return obj
    raise FunctionNotFound("no module named %r (looking for %r)" % (parts[0], name))


def _positional_count(func):
    """How many positional arguments func takes (2 = event and context)."""
    import inspect
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return 2
    count = 0
    for p in params:
        if p.kind == p.VAR_POSITIONAL:
            return 2
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


def call_function(func, event, context, kwargs=None):
    if kwargs:
        return func(**kwargs)
    count = _positional_count(func)
    if count >= 2:
        return func(event, context)
    if count == 1:
        return func(event)
    return func()


# ---- captured output ---------------------------------------------------------

class _Tee(io.TextIOBase):
    def __init__(self, buffer, real):
        self._buffer, self._real = buffer, real

    def write(self, text):
        self._buffer.write(text)
        try:
            self._real.write(text)
        except Exception:
            pass
        return len(text)

    def flush(self):
        try:
            self._real.flush()
        except Exception:
            pass

    def isatty(self):
        return False


def jsonable(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def run_captured(call):
    """Run call() with stdout/stderr captured; the result dictionary."""
    buffer = io.StringIO()
    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Tee(buffer, real_out), _Tee(buffer, real_err)
    try:
        result = call()
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt,)):
            raise
        import traceback
        tb = traceback.format_exc()
        sys.stdout, sys.stderr = real_out, real_err
        log.error("%s", tb.rstrip())
        return {"error": "%s: %s" % (type(exc).__name__, exc), "traceback": tb,
                "output": buffer.getvalue()}
    finally:
        sys.stdout, sys.stderr = real_out, real_err
    return {"result": jsonable(result), "output": buffer.getvalue()}


# ---- invoke --------------------------------------------------------------------

def _raw(code):
    """exec the code; the value of a final expression statement is the result."""
    import ast
    tree = ast.parse(code, "<raw_command>", "exec")
    namespace = {"__name__": "__main__"}
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, "<raw_command>", "exec"), namespace)
    if last is not None:
        return eval(compile(last, "<raw_command>", "eval"), namespace)
    return None


def _manage(args):
    import shlex
    import django
    from django.core import management
    django.setup()
    argv = shlex.split(args) if isinstance(args, str) else [str(a) for a in args]
    if not argv:
        raise ValueError("manage: no Django command given")
    return management.call_command(*argv)


def invoke(event, context):
    if "manage" in event:
        return run_captured(lambda: _manage(event["manage"]))
    if "raw_command" in event:
        return run_captured(lambda: _raw(event["raw_command"]))
    name, kwargs = event["command"], event.get("kwargs") or {}
    return run_captured(lambda: call_function(resolve(name), event, context, kwargs))


# ---- timers ------------------------------------------------------------------------

def _parse_payload(text):
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text) if isinstance(text, str) and text.strip() else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def timer_payload(shape, event):
    """The hoist_event dictionary carried by a timer event ({} if none)."""
    if shape == "hoist_event":
        return event.get("hoist_event") or {}
    if shape == "aws_schedule":
        resources = event.get("resources") or [""]
        rule = str(resources[0]).rsplit("/", 1)[-1]
        return {"name": rule} if rule else {}
    carried = event.get("payload") if shape == "aliyun_timer" else event.get("Message")
    name = event.get("triggerName") if shape == "aliyun_timer" else event.get("TriggerName")
    inner = _parse_payload(carried)
    if inner and isinstance(inner.get("hoist_event"), dict):
        return inner["hoist_event"]
    return {"name": name} if name else {}


def _lookup(name, events, function_name):
    """EVENTS entry for an event or rule name (rules are "<function>-<name>")."""
    if name in events:
        return events[name]
    prefix = function_name + "-"
    if function_name and name.startswith(prefix) and name[len(prefix):] in events:
        return events[name[len(prefix):]]
    return None


def zappa_rule_function(rule):
    """The function a rule Zappa created runs: what follows its last "-"
    ("<function>-schedulers.set_quote", "<hash>-1-name-mod.func"), when dotted."""
    tail = rule.rsplit("-", 1)[-1]
    return tail if "." in tail and all(tail.split(".")) else None


def timer(payload, event, context, events, function_name):
    name = str(payload.get("name") or "")
    func_name, kwargs = payload.get("function"), payload.get("kwargs")
    if not func_name:
        entry = _lookup(name, events, function_name) if name else None
        if entry is None and zappa_rule_function(name):
            # A rule Zappa made (a stage taken over from Zappa): its function, called
            # with the event as Zappa does (its kwargs are in event["kwargs"]).
            entry = {"function": zappa_rule_function(name), "kwargs": None}
        if entry is None:
            log.error("no function configured for timer %r", name)
            return {"error": "FunctionNotFound: no function is configured for the event %r "
                             "(known: %s)" % (name, ", ".join(sorted(events)) or "none"),
                    "output": ""}
        func_name, kwargs = entry.get("function"), entry.get("kwargs")
    log.info("event %s -> %s", name or "?", func_name)
    return run_captured(lambda: call_function(resolve(func_name), event, context, kwargs))


# ---- records ------------------------------------------------------------------------

def _record_sources(record):
    """ARNs (and bucket names) that identify where a record came from."""
    out = []
    for key in ("eventSourceARN", "eventSourceArn", "EventSubscriptionArn"):
        if record.get(key):
            out.append(record[key])
    sns = record.get("Sns") or {}
    if sns.get("TopicArn"):
        out.append(sns["TopicArn"])
    for store in ("s3", "oss"):
        bucket = (record.get(store) or {}).get("bucket") or {}
        out.extend(v for v in (bucket.get("arn"), bucket.get("name")) if v)
    cos = ((record.get("cos") or {}).get("cosBucket") or {})
    if cos.get("name"):
        out.append(cos["name"])
    return out


def _matches(source, arn):
    return source == arn or source.startswith(arn + ":") or source.startswith(arn + "/") \
        or arn.endswith(":" + source) or arn.endswith(":::" + source)


def records(event, context, sources, exception_handler):
    batch = event.get("Records") if isinstance(event.get("Records"), list) else event.get("events")
    found = _record_sources(batch[0]) if batch and isinstance(batch[0], dict) else []
    func_name = None
    for entry in sources:
        arn = str(entry.get("arn") or "")
        if arn and any(_matches(src, arn) for src in found):
            func_name = entry.get("function")
            break
    if not func_name:
        log.error("no function configured for event source %s", ", ".join(found) or "?")
        return {"error": "FunctionNotFound: no function is configured for the event source %s"
                         % (", ".join(found) or "(unknown)"), "output": ""}
    try:
        func = resolve(func_name)
    except Exception as exc:
        return {"error": "%s: %s" % (type(exc).__name__, exc), "output": ""}
    try:
        return {"result": jsonable(call_function(func, event, context)), "output": ""}
    except Exception as exc:
        log.exception("%s failed", func_name)
        if exception_handler(exc, event, context):
            return {"error": "%s: %s" % (type(exc).__name__, exc), "output": ""}
        raise
