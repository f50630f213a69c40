"""Hello-world WSGI app for the local gateway benchmark."""


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, world!\n"]
