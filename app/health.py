"""Liveness and readiness, and the local assets of the docs page.

`/readyz` answers 503 only when the database is unreachable: without it nothing works. Redis,
the payment gateway, the SMTP server and the SMS gateway down leave the web tier serving (jobs
and notices wait in their tables for the relays), so the answer stays 200 with
`status: "degraded"` and names each check that failed. The checks of services outside (gateway,
SMTP, SMS) are a TCP connection with a short time-out, kept for `EXTERNAL_CHECKS_TTL` seconds
per process, so a load balancer polling every second does not poll Stripe every second.
"""

from __future__ import annotations

import smtplib
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from app import uow
from app.access import public_endpoint
from app.extensions import db

bp = Blueprint("ops", __name__)

CHECK_TIMEOUT = 1.0  # seconds per check of a service outside
EXTERNAL_CHECKS_TTL = 5.0  # seconds a result of those checks is kept
_cache: dict[tuple, tuple[float, dict[str, str]]] = {}
_cache_lock = threading.Lock()


@bp.get("/healthz")
@public_endpoint
def healthz():
    """Alive: the process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
@public_endpoint
def readyz():
    """Ready: 200 `ready`, 200 `degraded` (a check other than the database failed), or 503
    `not_ready` (the database is unreachable); `checks` names each with `ok` or `unreachable`."""
    checks = {"database": _database()}
    if current_app.config["REDIS_URL"]:
        checks["redis"] = _redis()
    checks.update(external_checks(current_app.config))
    if checks["database"] != "ok":
        response = jsonify(status="not_ready", checks=checks)
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "degraded", checks=checks)


def _database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return "ok"
    except sa.exc.SQLAlchemyError:
        try:
            uow.rollback()
        except sa.exc.SQLAlchemyError:
            db.session.close()
        return "unreachable"


def _redis() -> str:
    from redis import Redis

    try:
        Redis.from_url(
            current_app.config["REDIS_URL"],
            socket_timeout=CHECK_TIMEOUT,
            socket_connect_timeout=CHECK_TIMEOUT,
        ).ping()
        return "ok"
    except Exception:  # noqa: BLE001 - any failure means unreachable
        return "unreachable"


def _endpoints(config) -> dict[str, tuple[str, int, str]]:
    """The services outside that this configuration uses: name -> (host, port, protocol)."""
    found = {}
    gateway = urlsplit(config["STRIPE_API_BASE"])
    if gateway.hostname:
        default = 443 if gateway.scheme == "https" else 80
        found["gateway"] = (gateway.hostname, gateway.port or default, "tcp")
    if config["SMTP_HOST"]:
        found["smtp"] = (config["SMTP_HOST"], int(config["SMTP_PORT"]), "smtp")
    if config["SMS_BACKEND"] == "http" and config["SMS_GATEWAY_URL"]:
        sms = urlsplit(config["SMS_GATEWAY_URL"])
        found["sms"] = (
            sms.hostname or "",
            sms.port or (443 if sms.scheme == "https" else 80),
            "tcp",
        )
    return found


def _reachable(host: str, port: int, protocol: str) -> str:
    try:
        if protocol == "smtp":  # the server's greeting, then QUIT: it sends nothing
            with smtplib.SMTP(host, port, timeout=CHECK_TIMEOUT) as smtp:
                smtp.noop()
        else:
            socket.create_connection((host, port), timeout=CHECK_TIMEOUT).close()
        return "ok"
    except (OSError, smtplib.SMTPException):
        return "unreachable"


def external_checks(config) -> dict[str, str]:
    """The gateway, SMTP and SMS checks, run side by side, each result kept a few seconds."""
    endpoints = _endpoints(config)
    key = tuple(sorted(endpoints.items()))
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(key)
        if cached and now - cached[0] < EXTERNAL_CHECKS_TTL:
            return cached[1]
    if not endpoints:
        return {}
    with ThreadPoolExecutor(max_workers=len(endpoints)) as pool:
        futures = {name: pool.submit(_reachable, *where) for name, where in endpoints.items()}
        results = {name: future.result() for name, future in futures.items()}
    with _cache_lock:
        _cache[key] = (time.monotonic(), results)
    return results


@bp.get("/api/docs/assets/<path:filename>")
@public_endpoint
def docs_assets(filename):
    """Swagger UI's scripts and styles, served from the swagger-ui-bundle package (no CDN)."""
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
