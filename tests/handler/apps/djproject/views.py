"""Views mirroring tests/handler/apps/flask_app.py."""
import hashlib
import json

from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse

PNG = bytes(range(256)) * 4


def _json(value, status=200):
    return HttpResponse(json.dumps(value, sort_keys=True), status=status,
                        content_type="application/json")


def echo(request):
    meta = request.META
    return _json({
        "method": request.method,
        "script_name": meta["SCRIPT_NAME"],
        "path_info": meta["PATH_INFO"],
        "query_string": meta["QUERY_STRING"],
        "args": dict(request.GET.lists()),
        "accept": meta.get("HTTP_ACCEPT"),
        "remote_addr": meta["REMOTE_ADDR"],
        "scheme": request.scheme,
        "server": [meta["SERVER_NAME"], meta["SERVER_PORT"]],
        "url": request.build_absolute_uri(reverse("echo")),
    })


def post_json(request):
    return _json({"received": json.loads(request.body),
                  "content_length": int(request.META["CONTENT_LENGTH"])})


def post_form(request):
    return _json({"form": dict(request.POST.lists())})


def upload(request):
    data = request.body
    return _json({"size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                  "type": request.content_type})


def image(request):
    return HttpResponse(PNG, content_type="image/png")


def cookies(request):
    resp = _json({"cookies": request.COOKIES})
    resp.set_cookie("flavour", "oat")
    resp.set_cookie("colour", "blue", path="/")
    return resp


def go(request):
    return HttpResponseRedirect(reverse("echo"))


def boom(request):
    return 1 // 0
