"""The limit of an empty request: a bare Flask app (``GET /api/`` answers a small JSON),
served by the same gunicorn as the service in ``scripts/bench serve``."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/api/")
def root():
    return jsonify({"name": "bare", "links": {"self": "/api/"}})
