"""Uploaded files: checked by their bytes (not their names or declared types) and their size,
then stored under a name we generate. What a file is for is the caller's business."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

from flask import current_app

from app.errors import Problem, ValidationFailed
from app.files.storage import storage
from app.i18n import N_
from app.input import filename_problem

# The first bytes of each accepted type; the declared type and the file name are not trusted.
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
FILE_TYPES = tuple(content_type for _, content_type, _ in SIGNATURES)
EXTENSIONS = {"jpeg": "jpg", "jpe": "jpg", "pdf": "pdf", "png": "png", "jpg": "jpg"}


class UnsupportedFile(Problem):
    status = 415
    code = "unsupported_file_type"


# Why `accept_file` answers 422, for the views that take a file to describe.
REFUSED_FILE = (
    "empty file; a name with folders (`/`, `\\`, `..`), control characters or "
    "direction controls (U+202A-202E, U+2066-2069, LRM, RLM, ALM)"
)

# The problems `accept_file` refuses a file with, for the views that take one to declare
# (`@problems`); each view adds its own 409s and names its own fields in its 422.
UPLOAD_PROBLEMS: dict[int, tuple[tuple[str, str], ...]] = {
    413: (
        ("file_too_large", "larger than DOCUMENT_MAX_BYTES"),
        ("payload_too_large", "the request itself is over twice DOCUMENT_MAX_BYTES"),
    ),
    415: (
        ("unsupported_file_type", "the bytes are not a PDF, JPEG or PNG"),
        ("file_type_mismatch", "the name claims another type than the bytes hold"),
    ),
    422: (("validation_failed", f"{REFUSED_FILE}; or no file"),),
}


def sniff(content: bytes) -> tuple[str, str] | None:
    for signature, content_type, extension in SIGNATURES:
        if content.startswith(signature):
            return content_type, extension
    return None


def clean_filename(name: str | None) -> str:
    """Only the last part of what the client called the file, without control characters."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")
    return name[:200] or "document"


@dataclass(frozen=True)
class StoredFile:
    key: str
    filename: str
    content_type: str
    size: int
    sha256: str

    def columns(self) -> dict[str, object]:
        """The values of `app.models.StoredFileColumns` for this file."""
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "storage_key": self.key,
        }


def accept_file(filename: str | None, content: bytes) -> StoredFile:
    """Check an uploaded file by its bytes (PDF, JPEG, PNG), its name (as the client sent it,
    `app.input.client_filename`) and its size, and store it under a name we generate.
    Refusals: 422 (empty; a name with folders, controls or direction controls), 413, 415."""
    if filename and (problem := filename_problem(filename)):
        raise ValidationFailed({"file": [problem]})
    if not content:
        raise ValidationFailed({"file": [N_("The file is empty.")]})
    if len(content) > current_app.config["DOCUMENT_MAX_BYTES"]:
        raise Problem(
            code="file_too_large", status=413, detail=N_("The file is larger than the limit.")
        )
    found = sniff(content)
    if found is None:
        raise UnsupportedFile(detail=N_("Upload a PDF, JPEG or PNG file."))
    content_type, extension = found
    claimed = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if claimed and EXTENSIONS.get(claimed, claimed) != extension:
        raise UnsupportedFile(
            code="file_type_mismatch",
            detail=N_("The file's name does not match what the file contains."),
        )
    key = f"{uuid.uuid4().hex}.{extension}"
    storage().save(key, content)
    return StoredFile(
        key,
        clean_filename(filename),
        content_type,
        len(content),
        hashlib.sha256(content).hexdigest(),
    )
