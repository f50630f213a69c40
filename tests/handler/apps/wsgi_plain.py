"""A dependency-free WSGI app (for the isolated-interpreter and packaging tests)."""


def app(environ, start_response):
    body = "%s %s%s?%s from %s" % (environ["REQUEST_METHOD"], environ["SCRIPT_NAME"],
                                   environ["PATH_INFO"], environ["QUERY_STRING"],
                                   environ["REMOTE_ADDR"])
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode()]


def job(event, context):
    print("job ran")
    return {"got": sorted(event)}
