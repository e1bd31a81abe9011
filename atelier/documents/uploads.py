"""Turning an uploaded file into stored bytes and the facts we keep about it."""

import hashlib
import mimetypes
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File

from atelier.core.errors import InvalidInput, TooLarge

_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10))}
_RESERVED |= {f"LPT{i}" for i in range(1, 10)}


def sanitize_filename(name: str) -> str:
    """A display name safe to put in a header or a zip: no path parts, no control characters,
    no reserved device names; Unicode letters kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip(" .")
    stem = name.split(".")[0].upper()
    if stem in _RESERVED:
        name = f"_{name}"
    if len(name) > 200:
        base, dot, ext = name.rpartition(".")
        name = f"{base[: 200 - len(ext) - 1]}.{ext}" if dot and len(ext) <= 20 else name[:200]
    return name or "file"


@dataclass(frozen=True)
class FileFacts:
    name: str
    size: int
    sha256: str
    content_type: str


def inspect_upload(upload: File) -> FileFacts:
    """Read the upload once in chunks for its size and hash; refuse empty files."""
    digest = hashlib.sha256()
    size = 0
    name = sanitize_filename(upload.name or "")
    limit = settings.ATELIER_MAX_UPLOAD_BYTES
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"“{name}” is larger than the limit of {limit:,} bytes.", field="files")
    upload.seek(0)
    if size == 0:
        raise InvalidInput(f"“{name}” is empty.", code="empty_file", field="files")
    content_type = (
        getattr(upload, "content_type", None)
        or mimetypes.guess_type(name)[0]
        or "application/octet-stream"
    )
    return FileFacts(name=name, size=size, sha256=digest.hexdigest(), content_type=content_type)
