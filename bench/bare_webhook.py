"""The baseline of bench/webhooks.py: a bare Flask endpoint taking the same POST body (read whole,
as the webhook view reads it), served by the same gunicorn set-up."""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/ping")
def ping():
    return jsonify(status="ok")


@app.post("/api/v1/payments/<string:gateway>/webhook")
def webhook(gateway):
    request.get_data()
    return jsonify(received=True)
