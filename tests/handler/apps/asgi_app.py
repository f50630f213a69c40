"""A tiny hand-written ASGI app with the same routes as flask_app (no packages)."""
import hashlib
import json
from urllib.parse import parse_qs

started = []


async def _body(receive):
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send, status, body, ctype, extra=()):
    headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
    headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _json(value):
    return json.dumps(value, sort_keys=True).encode()


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                scope["state"]["db"] = "connected"
                started.append(True)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    assert scope["type"] == "http"
    root, path = scope["root_path"], scope["path"][len(scope["root_path"]):]
    headers = {}
    for k, v in scope["headers"]:            # repeats arrive separately: join them
        name = k.decode()
        headers[name] = headers[name] + "," + v.decode() if name in headers else v.decode()
    body = await _body(receive)
    if path == "/echo":
        qs = scope["query_string"].decode()
        await _send(send, 200, _json({
            "method": scope["method"], "root_path": root, "path": path,
            "query_string": qs, "args": parse_qs(qs), "accept": headers.get("accept"),
            "client": scope["client"][0], "scheme": scope["scheme"],
            "server": list(scope["server"]), "state": scope["state"].get("db"),
        }), "application/json")
    elif path == "/json":
        await _send(send, 200, _json({"received": json.loads(body)}), "application/json")
    elif path == "/form":
        await _send(send, 200, _json({"form": parse_qs(body.decode())}), "application/json")
    elif path == "/upload":
        await _send(send, 200, _json({"size": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                                      "type": headers.get("content-type")}), "application/json")
    elif path == "/image.png":
        await _send(send, 200, bytes(range(256)) * 4, "image/png")
    elif path == "/cookies":
        await _send(send, 200, _json({"cookie": headers.get("cookie")}), "application/json",
                    [(b"set-cookie", b"flavour=oat; Path=/"), (b"set-cookie", b"colour=blue; Path=/")])
    elif path == "/redirect":
        await _send(send, 302, b"", "text/plain", [(b"location", (root + "/echo").encode())])
    elif path == "/boom":
        raise ZeroDivisionError("division by zero")
    else:
        await _send(send, 404, b"not found", "text/plain")
