"""hoist_http -- one HTTP request to a cloud endpoint, standard library only.

send(override, real_host, method, target, headers, body): the request goes to
`override` (an endpoint-override URL: scheme, host and port) when given,
else to https://<real_host>; either way its Host header is `real_host` and
the target and headers are as signed, so an override changes only where the
request goes (SPEC §5).  Answers (status, headers, body).
"""

import http.client
from urllib.parse import urlsplit

TIMEOUT = 10


def send(override, real_host, method, target, headers, body, timeout=TIMEOUT):
    scheme, netloc = "https", real_host
    if override:
        parts = urlsplit(override)
        scheme, netloc = parts.scheme or "https", parts.netloc
    conn = (http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection)(
        netloc, timeout=timeout)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        if not any(k.lower() == "host" for k in headers):
            conn.putheader("Host", real_host)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()
