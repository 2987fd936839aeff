"""Where uploaded and generated files live: behind a small interface, a local folder by default.

Files are stored under names we generate, outside any static folder; the original file name is
kept only as data.
"""

from __future__ import annotations

import os
import tempfile
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


def storage() -> Storage:
    folder = current_app.config.get("DOCUMENT_STORAGE_PATH") or str(INSTANCE / "documents")
    return LocalStorage(Path(folder))
