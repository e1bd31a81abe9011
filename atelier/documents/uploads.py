"""Uploads as they arrive: streamed to a temporary file, never held whole in memory, measured,
hashed and sniffed on the way, and refused as soon as one passes the size limit.

Django's multipart parser hands every chunk of a file to the handlers in FILE_UPLOAD_HANDLERS;
ours is the only one, so every upload, small or large, is a `StreamedUpload` on disk under
FILE_UPLOAD_TEMP_DIR (same filesystem as the media root, so storing it locally is a link, not a
copy) that already knows its size, SHA-256 and sniffed content type. `inspect_upload` then turns
any file given to an action into the facts we keep, without reading it again.
"""

import hashlib
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat

from atelier.core.errors import InvalidInput, TooLarge

from .sniff import HEAD_BYTES, sniff

_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10))}
_RESERVED |= {f"LPT{i}" for i in range(1, 10)}
# Room for the form's other fields and the multipart headers beside the files themselves.
FORM_OVERHEAD = 1024 * 1024
TEMP_PREFIX, TEMP_SUFFIX = "upload-", ".part"  # what the sweep may remove from the temp dir


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


def describe_limit(limit: int) -> str:
    return f"{filesizeformat(limit)} ({limit:,} bytes)".replace("\xa0", " ")


# --- refusals while the request is parsed -------------------------------------------------------
# They are also MultiPartParserErrors, so that Django marks the request's POST and FILES as
# unreadable (nothing is parsed twice); the API turns them into its JSON error like any
# DomainError, and UploadRefusalMiddleware into a page for the web forms.


class UploadTooLarge(TooLarge, MultiPartParserError):
    pass


class TooManyUploads(InvalidInput, MultiPartParserError):
    pass


def too_large(name: str, limit: int) -> TooLarge:
    return UploadTooLarge(
        f"“{sanitize_filename(name)}” is larger than the limit of {describe_limit(limit)}; "
        "nothing was stored.",
        field="files",
    )


class StreamedUpload(TemporaryUploadedFile):
    """An upload written to a temporary file by `StreamingUploadHandler`, with what was learnt
    while it streamed: `sha256` and `sniffed_type` (and `size`)."""

    def __init__(self, name: str, charset: str | None, content_type_extra: dict | None):
        directory = Path(settings.FILE_UPLOAD_TEMP_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        # The suffix is ours, never the client's; the sweep recognises leftovers by it. The
        # file lives as long as the request (Django closes, and so removes, it at the end).
        file = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=directory
        )
        # The client's Content-Type is not kept: what the bytes are is sniffed.
        UploadedFile.__init__(self, file, name, None, 0, charset, content_type_extra)
        self.sha256 = ""
        self.sniffed_type = ""


class StreamingUploadHandler(TemporaryFileUploadHandler):
    """The one upload handler (settings.FILE_UPLOAD_HANDLERS)."""

    chunk_size = 1024 * 1024  # fewer, larger writes than Django's 64 KiB; memory stays small
    count = 0  # files begun in this request

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # A body that cannot fit is refused before a byte of it is read.
        limit = settings.ATELIER_MAX_UPLOAD_BYTES
        allowance = limit * settings.ATELIER_MAX_UPLOAD_FILES + FORM_OVERHEAD
        if content_length and content_length > allowance:
            raise UploadTooLarge(
                f"The upload is larger than the limit of {describe_limit(limit)} per file "
                f"(at most {settings.ATELIER_MAX_UPLOAD_FILES} files at once); "
                "nothing was stored.",
                field="files",
            )

    def new_file(self, field_name, file_name, content_type, content_length, *args, **kwargs):
        self.count += 1
        if self.count > settings.ATELIER_MAX_UPLOAD_FILES:
            raise TooManyUploads(
                f"Send at most {settings.ATELIER_MAX_UPLOAD_FILES} files at once.",
                code="too_many_files",
                field="files",
            )
        # FileUploadHandler's bookkeeping, not TemporaryFileUploadHandler's file: ours follows.
        super(TemporaryFileUploadHandler, self).new_file(
            field_name, file_name, content_type, content_length, *args, **kwargs
        )
        self.limit = settings.ATELIER_MAX_UPLOAD_BYTES
        if content_length is not None and content_length > self.limit:
            raise too_large(file_name, self.limit)  # the part says its size (rare)
        self.file = StreamedUpload(self.file_name, self.charset, self.content_type_extra)
        self.digest = hashlib.sha256()
        self.head = b""
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.file.close()  # a NamedTemporaryFile: closing removes it
            raise too_large(self.file_name, self.limit)
        if len(self.head) < HEAD_BYTES:
            self.head += raw_data[: HEAD_BYTES - len(self.head)]
        self.digest.update(raw_data)
        self.file.write(raw_data)

    def file_complete(self, file_size):
        upload = self.file
        upload.flush()
        upload.seek(0)
        upload.size = file_size
        upload.sha256 = self.digest.hexdigest()
        upload.sniffed_type = sniff(self.head, sanitize_filename(self.file_name))
        return upload


# --- the facts we keep ----------------------------------------------------------------------


@dataclass(frozen=True)
class FileFacts:
    name: str
    size: int
    sha256: str
    content_type: str


def inspect_upload(upload: File) -> FileFacts:
    """The facts of a file given to an action; refuse empty and oversized files. An upload
    that came through StreamingUploadHandler carries them; any other file (a ContentFile from
    the demo or a test) is read once, in chunks."""
    name = sanitize_filename(upload.name or "")
    limit = settings.ATELIER_MAX_UPLOAD_BYTES
    if getattr(upload, "sha256", ""):
        size, sha256, content_type = upload.size, upload.sha256, upload.sniffed_type
    else:
        digest, size, head = hashlib.sha256(), 0, b""
        upload.seek(0)
        for chunk in upload.chunks():
            digest.update(chunk)
            size += len(chunk)
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
            if size > limit:
                break
        upload.seek(0)
        sha256, content_type = digest.hexdigest(), sniff(head, name)
    if size > limit:
        raise too_large(name, limit)
    if size == 0:
        raise InvalidInput(f"“{name}” is empty.", code="empty_file", field="files")
    return FileFacts(name=name, size=size, sha256=sha256, content_type=content_type)
