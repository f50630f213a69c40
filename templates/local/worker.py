"""worker.py — one persistent worker of hoist's local gateway.

Not shipped in packages: the gateway writes it into the stage directory and
runs it as `<python> -I -S worker.py` with the unpacked package as the
current directory, which becomes sys.path[0] — so, as in the cloud, only
what the package holds is importable.

Protocol, on dedicated descriptors so the app's own prints (fd 1 and 2, read
by the gateway into the stage log) never mix with it: frames of a 4-byte
big-endian length and a UTF-8 JSON document, requests on fd 3, answers on
fd 4.

  first answer   {"ready": true} or {"ready": false, "error": ..., "traceback": ...}
  request        {"id": ..., "event": {...}, "deadline_ms": ..., "function_name": ...,
                  "memory_mb": ..., "version": ...}
  answer         {"ok": true, "result": ..., "max_rss_kb": ...}
                 {"ok": false, "error": ..., "traceback": ..., "max_rss_kb": ...}
"""
import json
import os
import resource
import struct
import sys
import time
import traceback


def read_exact(f, n):
    buf = b""
    while len(buf) < n:
        chunk = f.read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_frame(f):
    head = read_exact(f, 4)
    if head is None:
        return None
    (n,) = struct.unpack(">I", head)
    body = read_exact(f, n)
    if body is None:
        return None
    return json.loads(body.decode("utf-8"))


def write_raw_frame(f, text):
    data = text.encode("utf-8")
    f.write(struct.pack(">I", len(data)) + data)
    f.flush()


def write_frame(f, obj):
    write_raw_frame(f, json.dumps(obj, default=repr))


class Context:
    """What a Lambda handler's context offers."""

    def __init__(self, req):
        self.function_name = req.get("function_name", "")
        self.function_version = str(req.get("version", "$LATEST"))
        self.memory_limit_in_mb = int(req.get("memory_mb", 512))
        self.aws_request_id = req.get("id", "")
        self.request_id = self.aws_request_id
        self.invoked_function_arn = "arn:hoist:local:127.0.0.1:function:" + self.function_name
        self.log_group_name = "/hoist/local/" + self.function_name
        self.log_stream_name = "worker-%d" % os.getpid()
        self.identity = None
        self.client_context = None
        self._deadline_ms = int(req.get("deadline_ms", 0))

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def flush_output():
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except Exception:
            pass


def max_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main():
    rin = os.fdopen(3, "rb", buffering=0)
    wout = os.fdopen(4, "wb", buffering=0)
    here = os.getcwd()
    if sys.path[:1] != [here]:
        sys.path.insert(0, here)
    try:
        sys.stdout.reconfigure(line_buffering=True)
        sys.stderr.reconfigure(line_buffering=True)
    except Exception:
        pass
    try:
        import hoist_handler
        handler = hoist_handler.handler
        # Warm start: import the app now, so an import error is the deploy's answer.
        import hoist_settings
        if getattr(hoist_settings, "APP_FUNCTION", None) or \
                getattr(hoist_settings, "DJANGO_SETTINGS", None):
            load = getattr(hoist_handler, "load_app", None)
            if load:
                load()
    except BaseException as exc:  # the import error is the deploy's answer
        tb = traceback.format_exc()
        sys.stderr.write(tb)
        flush_output()
        write_frame(wout, {"ready": False, "error": "%s: %s" % (type(exc).__name__, exc),
                           "traceback": tb})
        return 1
    flush_output()
    write_frame(wout, {"ready": True, "pid": os.getpid()})
    while True:
        req = read_frame(rin)
        if req is None:
            return 0
        try:
            result = handler(req.get("event"), Context(req))
            flush_output()
            payload = json.dumps(result, default=repr)
            limit = req.get("max_response_bytes")
            if limit and len(payload.encode("utf-8")) > limit:
                # Lambda's own refusal of an answer over its synchronous limit
                msg = ("Response payload size exceeded maximum allowed payload size "
                       "(%d bytes)." % limit)
                sys.stderr.write("Function.ResponseSizeTooLarge: %s\n" % msg)
                flush_output()
                write_frame(wout, {"ok": False, "error": "Function.ResponseSizeTooLarge: " + msg,
                                   "errorType": "Function.ResponseSizeTooLarge",
                                   "max_rss_kb": max_rss_kb()})
                continue
            write_raw_frame(wout, '{"ok": true, "result": %s, "max_rss_kb": %d}'
                            % (payload, max_rss_kb()))
        except BaseException as exc:
            tb = traceback.format_exc()
            sys.stderr.write(tb)
            flush_output()
            write_frame(wout, {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc),
                               "traceback": tb, "max_rss_kb": max_rss_kb()})
            if isinstance(exc, (SystemExit, KeyboardInterrupt)):
                return 1


if __name__ == "__main__":
    sys.exit(main())
