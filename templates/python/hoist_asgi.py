"""hoist_asgi -- run an ASGI 3 application on one hoist_events.Request.

One event loop per container, kept between requests.  On the first request
the lifespan protocol is started (lifespan.startup; an app that raises on the
lifespan scope simply does not support it) and its task stays alive for the
life of the container; the lifespan ``state`` dict is shared (shallow-copied)
into every request scope.  Scope "path" is the full decoded path including
root_path (SCRIPT_NAME), as current ASGI servers send it.
"""

import asyncio
import atexit

_loop = None
_lifespan = None      # {"state": {}, "task": Task} once started


def _get_loop():
    global _loop
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
    return _loop


async def _start_lifespan(app):
    state = {}
    to_app = asyncio.Queue()
    done = asyncio.get_running_loop().create_future()

    async def receive():
        return await to_app.get()

    async def send(message):
        kind = message.get("type", "")
        if kind.startswith("lifespan.startup") and not done.done():
            done.set_result(message)

    async def main():
        try:
            await app({"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"},
                       "state": state}, receive, send)
        except Exception as exc:
            if not done.done():
                done.set_result({"type": "unsupported", "error": exc})
        if not done.done():       # returned without answering: no lifespan support
            done.set_result({"type": "unsupported"})

    await to_app.put({"type": "lifespan.startup"})
    task = asyncio.ensure_future(main())
    message = await done
    if message["type"] == "lifespan.startup.failed":
        raise RuntimeError("ASGI lifespan startup failed: %s" % message.get("message", ""))
    return {"state": state, "task": task, "queue": to_app}


def _shutdown():
    """At interpreter exit: lifespan.shutdown, so the app can clean up."""
    if _lifespan is None or _lifespan["task"].done() or _loop.is_closed():
        return
    _lifespan["queue"].put_nowait({"type": "lifespan.shutdown"})
    try:
        _loop.run_until_complete(asyncio.wait_for(_lifespan["task"], 5))
    except Exception:
        pass


async def _request(app, req, event, context, state):
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": req.method,
        "scheme": req.scheme,
        "path": req.script + req.path,
        "raw_path": (req.script + req.path).encode("utf-8", "surrogateescape"),
        "root_path": req.script,
        "query_string": req.query.encode("latin-1"),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1", "replace"))
                    for k, v in req.headers],
        "client": (req.remote, 0),
        "server": (req.host, int(req.port) if req.port.isdigit() else 80),
        "state": dict(state),
        "hoist.event": event,
        "hoist.context": context,
    }
    answer = {"status": None, "headers": [], "body": []}
    finished = asyncio.Event()
    pending = [{"type": "http.request", "body": req.body, "more_body": False}]

    async def receive():
        if pending:
            return pending.pop()
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        kind = message.get("type")
        if kind == "http.response.start":
            answer["status"] = int(message["status"])
            answer["headers"] = [(k.decode("latin-1"), v.decode("latin-1"))
                                 for k, v in message.get("headers", [])]
        elif kind == "http.response.body":
            answer["body"].append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                finished.set()

    try:
        await app(scope, receive, send)
    finally:
        finished.set()
    if answer["status"] is None:
        raise RuntimeError("the ASGI app returned without sending http.response.start")
    return answer["status"], answer["headers"], b"".join(answer["body"])


def run(app, req, event=None, context=None):
    """Call the app; (status int, [(name, value)], body bytes)."""
    global _lifespan
    loop = _get_loop()
    asyncio.set_event_loop(loop)
    if _lifespan is None:
        _lifespan = loop.run_until_complete(_start_lifespan(app))
        atexit.register(_shutdown)
    return loop.run_until_complete(_request(app, req, event, context, _lifespan["state"]))
