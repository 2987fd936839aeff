"""Liveness and readiness, and the local assets of the docs page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from app.access import public_endpoint
from app.extensions import db

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
@public_endpoint
def healthz():
    """Alive: the process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
@public_endpoint
def readyz():
    """Ready: the database (and Redis, when configured) answer; 503 otherwise."""
    checks = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        checks["database"] = "unreachable"
    if current_app.config["REDIS_URL"]:
        from jobs import redis_connection

        try:
            redis_connection().ping()
            checks["redis"] = "ok"
        except Exception:  # noqa: BLE001 - any failure means not ready
            checks["redis"] = "unreachable"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not_ready", checks=checks), 200 if ready else 503


@bp.get("/api/docs/assets/<path:filename>")
@public_endpoint
def docs_assets(filename):
    """Swagger UI's scripts and styles, served from the swagger-ui-bundle package (no CDN)."""
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
