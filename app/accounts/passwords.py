"""Password hashing with Argon2id (memory-hard)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


@cache
def _hasher(memory_kib: int) -> PasswordHasher:
    return PasswordHasher(memory_cost=memory_kib)


def hasher() -> PasswordHasher:
    return _hasher(current_app.config["PASSWORD_HASH_MEMORY_KIB"])


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches. With no hash (unknown user) a dummy hash is still
    checked, so that the answer takes as long whether or not the account exists."""
    try:
        return (
            hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


def _dummy_hash() -> str:
    return _dummy(current_app.config["PASSWORD_HASH_MEMORY_KIB"])


@cache
def _dummy(memory_kib: int) -> str:
    return _hasher(memory_kib).hash("not a real password")
