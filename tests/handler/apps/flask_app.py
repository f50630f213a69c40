"""Flask test app for the handler tests: one route per behaviour under test."""
import hashlib
import json

from flask import Flask, Response, redirect, request, url_for

app = Flask(__name__)
app.config["PROPAGATE_EXCEPTIONS"] = True   # let /boom reach the handler


def _json(value, status=200):
    return Response(json.dumps(value, sort_keys=True), status=status,
                    mimetype="application/json")


@app.route("/echo", methods=["GET", "POST", "PUT", "DELETE"])
def echo():
    env = request.environ
    return _json({
        "method": request.method,
        "script_name": env["SCRIPT_NAME"],
        "path_info": env["PATH_INFO"],
        "query_string": env["QUERY_STRING"],
        "args": request.args.to_dict(flat=False),
        "accept": env.get("HTTP_ACCEPT"),
        "remote_addr": request.remote_addr,
        "scheme": env["wsgi.url_scheme"],
        "server": [env["SERVER_NAME"], env["SERVER_PORT"]],
        "url": url_for("echo", _external=True),
    })


@app.route("/json", methods=["POST"])
def post_json():
    return _json({"received": request.get_json(), "content_length": request.content_length})


@app.route("/form", methods=["POST"])
def post_form():
    return _json({"form": request.form.to_dict(flat=False)})


@app.route("/upload", methods=["POST"])
def upload():
    data = request.get_data()
    return _json({"size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                  "type": request.content_type})


PNG = bytes(range(256)) * 4


@app.route("/image.png")
def image():
    return Response(PNG, mimetype="image/png")


@app.route("/custom")
def custom():
    return Response("custom text", mimetype="application/vnd.hoist")


@app.route("/cookies")
def cookies():
    resp = _json({"cookies": request.cookies.to_dict()})
    resp.set_cookie("flavour", "oat")
    resp.set_cookie("colour", "blue", path="/")
    return resp


@app.route("/redirect")
def go():
    return redirect(url_for("echo"))


@app.route("/boom")
def boom():
    return 1 // 0


@app.route("/p/<name>")
def named(name):
    return _json({"name": name, "path_info": request.environ["PATH_INFO"],
                  "script_name": request.environ["SCRIPT_NAME"]})
