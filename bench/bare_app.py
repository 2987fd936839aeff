"""The baseline of bench/applications.py: a bare Flask JSON endpoint, served the same way."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/ping")
def ping():
    return jsonify(status="ok", id=1, state="submitted")
