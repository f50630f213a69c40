"""A tiny Flask app that hoist deploys in its demo and tests."""
from flask import Flask, jsonify, request

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
