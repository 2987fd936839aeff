"""Bearer access tokens (short-lived JWT, HS256) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

import jwt
from flask import current_app

from app.timeutil import real_utcnow  # sign-in: never the frozen test clock

ALGORITHM = "HS256"


def issue_access_token(user_id: int, session_id: uuid.UUID, now: datetime | None = None) -> str:
    now = now or real_utcnow()
    ttl = timedelta(seconds=current_app.config["ACCESS_TOKEN_TTL"])
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "iat": now,
        "exp": now + ttl,
        "typ": "access",
    }
    return jwt.encode(claims, current_app.config["SECRET_KEY"], algorithm=ALGORITHM)


def read_access_token(token: str) -> tuple[int, uuid.UUID] | None:
    """(user id, session id) of a valid, unexpired access token; None otherwise."""
    try:
        claims = jwt.decode(
            token,
            current_app.config["SECRET_KEY"],
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub", "sid"]},
        )
        if claims.get("typ") != "access":
            return None
        return int(claims["sub"]), uuid.UUID(claims["sid"])
    except (jwt.PyJWTError, ValueError):
        return None


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
