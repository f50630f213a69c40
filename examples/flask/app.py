"""A tiny Flask app that hoist deploys in its demo and tests."""
from flask import Flask, jsonify, redirect, request, url_for

app = Flask(__name__)


@app.route("/")
def index():
    return "Hello from hoist!\n"


@app.route("/echo", methods=["POST"])
def echo():
    return jsonify(
        body=request.get_data(as_text=True),
        json=request.get_json(silent=True),
        query=request.args.to_dict(flat=False),
    )


@app.route("/bytes", methods=["POST"])
def bytes_back():
    """The request body back as it came: binary both ways."""
    return app.response_class(request.get_data(), mimetype="application/octet-stream")


@app.route("/go")
def go():
    """A redirect to the home page, wherever the app is mounted."""
    return redirect(url_for("index"))
