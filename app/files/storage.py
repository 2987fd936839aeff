"""Where uploaded and generated files live: behind a small interface, a local folder by default.

Files are stored under names we generate, outside any static folder; the original file name is
kept only as data.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from pathlib import Path
from typing import Protocol

from flask import current_app

from app.config import INSTANCE


class Storage(Protocol):
    def save(self, key: str, content: bytes) -> None:
        """Store `content` under `key` (a name we generated), replacing nothing: keys are unique."""

    def load(self, key: str) -> bytes:
        """The content stored under `key`; FileNotFoundError if there is none."""


class LocalStorage:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise ValueError("invalid storage key")
        return self.folder / key[:2] / key

    def save(self, key: str, content: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)  # a reader never sees half a file

    def load(self, key: str) -> bytes:
        return self._path(key).read_bytes()


def keep_generated(prefix: str, content: bytes, extension: str = "pdf") -> tuple[str, str]:
    """Store a document we generated under a new name; returns (storage key, SHA-256)."""
    key = f"{prefix}-{uuid.uuid4().hex}.{extension}"
    storage().save(key, content)
    return key, hashlib.sha256(content).hexdigest()


def storage() -> Storage:
    folder = current_app.config.get("DOCUMENT_STORAGE_PATH") or str(INSTANCE / "documents")
    return LocalStorage(Path(folder))
