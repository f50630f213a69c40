"""The physical floor for the local gateway: the same WSGI app called through
the same handler (hoist_handler.handler with an API Gateway v1 event) in a
Python loop, no HTTP, no pipes.  Prints: rps p50_ms p99_ms

    python3 inproc.py PACKAGE_DIR SECONDS
"""
import os
import sys
import time

pkg, seconds = sys.argv[1], float(sys.argv[2])
sys.path.insert(0, pkg)
os.chdir(pkg)
import hoist_handler  # noqa: E402

EVENT = {"resource": "/{proxy+}", "path": "/", "httpMethod": "GET",
         "headers": {"Host": "127.0.0.1", "User-Agent": "bench"},
         "multiValueHeaders": {"Host": ["127.0.0.1"], "User-Agent": ["bench"]},
         "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": None, "stageVariables": None,
         "requestContext": {"stage": "bench", "path": "/bench/", "httpMethod": "GET",
                            "requestId": "x", "identity": {"sourceIp": "127.0.0.1"}},
         "body": None, "isBase64Encoded": False}


class Ctx:
    function_name = "bench"
    memory_limit_in_mb = 512
    aws_request_id = "x"

    def get_remaining_time_in_millis(self):
        return 30000


devnull = open(os.devnull, "w")
real_stdout = sys.stdout
sys.stdout = devnull  # the access log line, as the gateway's log pipe would take it
lat = []
end = time.perf_counter() + seconds
while time.perf_counter() < end:
    t = time.perf_counter()
    r = hoist_handler.handler(EVENT, Ctx())
    lat.append(time.perf_counter() - t)
    assert r["statusCode"] == 200
sys.stdout = real_stdout
lat.sort()
n = len(lat)
print("%.0f %.3f %.3f" % (n / seconds, lat[n // 2] * 1e3, lat[min(n - 1, int(n * 0.99))] * 1e3))
