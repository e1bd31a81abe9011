"""Reading what a stored file says, safely: plain text and Markdown decoded, .docx through
mammoth after its zip has been checked against bombs.

Everything here reads through the storage in chunks (`storage.read_chunks`), so it works the
same on local disk and S3, and refuses with a reason a person can read (`NotPreviewable`)
rather than converting something that would take too long or too much memory.
"""

import io
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

import mammoth
from django.conf import settings

from .storage import StoredFile, read_chunks

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
DOCX_SUFFIX = ".docx"

# What mammoth never needs from a .docx: we drop images, never open embedded objects or fonts, so
# these members are left out of the copy mammoth reads and their bytes are never inflated.
_UNREAD_FOLDERS = ("word/media/", "word/embeddings/", "word/fonts/", "docProps/thumbnail")
# OOXML never declares a DTD; a DOCTYPE can only be there to define entities (billion laughs).
_DOCTYPES = tuple("<!DOCTYPE".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))


class NotPreviewable(Exception):
    """The file is of a readable kind but is refused: too large, a zip bomb, or broken."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ZipLimits:
    """What a .docx may expand to before mammoth sees it. mammoth builds a DOM of the XML
    (measured: some 30 times the XML's size in memory, and a second of CPU per MB), hence the
    small `xml_bytes`; the other bounds refuse bombs without inflating a single byte."""

    members: int = 2000  # a real document has a few dozen parts
    directory_bytes: int = 512 * 1024  # the zip's table of contents, parsed before all else
    total_bytes: int = 50 * 1024**2  # everything, as declared in the zip's directory
    xml_bytes: int = 4 * 1024**2  # the parts mammoth parses
    ratio: int = 100  # deflated XML is 5-20:1; a run of zeros is 1000:1
    ratio_floor: int = 1024**2  # small parts may compress as well as they like


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # "UTF-8", "UTF-16" or "Windows-1252": the preview says when it guessed


def suffix(name: str) -> str:
    return PurePosixPath(name.lower()).suffix


def max_preview_bytes() -> int:
    return settings.ATELIER_PREVIEW_MAX_BYTES


@contextmanager
def open_bounded(file: StoredFile, limit: int | None = None) -> Iterator[BinaryIO]:
    """The file's bytes as a seekable file, refused past `limit` bytes. The stored size is
    checked first, then the bytes actually read, so a wrong `size` cannot let more through."""
    limit = max_preview_bytes() if limit is None else limit
    too_large = NotPreviewable(
        f"This file is too large to preview (over {limit // 1024**2} MB). Download it instead."
    )
    if file.size > limit:
        raise too_large
    # Spooled: small files stay in memory, larger ones go to a temporary file, never kept.
    with tempfile.SpooledTemporaryFile(max_size=2 * 1024**2) as copy:
        with closing(read_chunks(file.file.storage, file.file.name, 256 * 1024)) as chunks:
            copied = 0
            for chunk in chunks:
                copied += len(chunk)
                if copied > limit:
                    raise too_large
                copy.write(chunk)
        copy.seek(0)
        yield copy


def read_text(file: StoredFile) -> DecodedText:
    """A .txt or .md file's text. UTF-8 (a BOM is dropped), or UTF-16 when it starts with a
    BOM; anything else is read as Windows-1252, what older Windows editors write, so every
    byte shows as something and nothing is refused for its encoding. NUL bytes mean binary."""
    with open_bounded(file) as stream:
        data = stream.read()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return DecodedText(data.decode("utf-16"), "UTF-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise NotPreviewable("This file does not look like text. Download it instead.")
    try:
        return DecodedText(data.decode("utf-8-sig"), "UTF-8")
    except UnicodeDecodeError:
        return DecodedText(data.decode("cp1252", errors="replace"), "Windows-1252")


def check_docx(archive: zipfile.ZipFile, limits: ZipLimits | None = None) -> list[zipfile.ZipInfo]:
    """Refuse a .docx whose zip directory promises too much, before inflating anything.
    Returns the members mammoth may read. Declared sizes can be trusted as upper bounds when
    members are read a piece at a time (`_inflate`): `zipfile` then stops at the declared size
    and fails the CRC of a member that holds more."""
    limits = limits or ZipLimits()
    members = archive.infolist()
    if len(members) > limits.members:
        raise NotPreviewable(
            f"This document has too many parts to preview ({len(members):,}). Download it instead."
        )
    total = 0
    readable = []
    for member in members:
        if member.flag_bits & 0x1:
            raise NotPreviewable("This document is encrypted and cannot be previewed.")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise NotPreviewable("This document is packed in an unusual way and is not previewed.")
        total += member.file_size
        if member.file_size > limits.ratio_floor and member.file_size > limits.ratio * max(
            member.compress_size, 1
        ):
            raise NotPreviewable(
                "This document expands to far more than its size (a zip bomb?) and is not "
                "previewed."
            )
        if not member.is_dir() and not member.filename.startswith(_UNREAD_FOLDERS):
            readable.append(member)
    if total > limits.total_bytes:
        raise NotPreviewable("This document is too large to preview once unpacked.")
    if sum(member.file_size for member in readable) > limits.xml_bytes:
        raise NotPreviewable("This document has too much text to preview. Download it instead.")
    return readable


def _check_directory(stream: BinaryIO, limits: ZipLimits) -> None:
    """Refuse a zip whose table of contents is too long before `zipfile` parses it: parsing
    costs hundreds of bytes of memory per entry, and a 20 MB file can list 200,000 of them.
    The size comes from zipfile's own reading of the end record (zip64 included), so the
    bound is on exactly what ZipFile() would go on to read."""
    end = zipfile._EndRecData(stream)
    if end is not None and end[zipfile._ECD_SIZE] > limits.directory_bytes:
        raise NotPreviewable("This document has too many parts to preview. Download it instead.")
    stream.seek(0)


def _inflate(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """A member's bytes, inflated a piece at a time. Not `archive.read()`: asked for
    everything at once, zipfile inflates all the compressed bytes in one go before cutting the
    result to the declared size, so a member that lies about its size would still explode."""
    pieces = []
    with archive.open(member) as stream:
        while piece := stream.read(64 * 1024):
            pieces.append(piece)
    return b"".join(pieces)


def _docx_for_mammoth(stream: BinaryIO, limits: ZipLimits | None = None) -> io.BytesIO:
    """A copy of the .docx holding only the parts mammoth reads (checked, at most
    `limits.xml_bytes`), so what mammoth parses is bounded by construction: a main document
    hidden among the images, an embedded object or a picture is simply not there."""
    limits = limits or ZipLimits()
    try:
        _check_directory(stream, limits)
        with zipfile.ZipFile(stream) as archive:
            readable = check_docx(archive, limits)
            copy = io.BytesIO()
            with zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as slim:
                for member in readable:
                    data = _inflate(archive, member)
                    if any(doctype in data for doctype in _DOCTYPES):
                        raise NotPreviewable("This document contains a DTD and is not previewed.")
                    slim.writestr(member.filename, data)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        # BadZipFile is also a failed CRC; zlib.error a corrupt deflate stream.
        raise NotPreviewable("This document could not be read (it is not a valid .docx).") from (
            error
        )
    copy.seek(0)
    return copy


def _no_images(image) -> list:
    # Images are dropped, never opened: no decoding of untrusted pictures, no data: URIs.
    return []


def docx_html(file: StoredFile, *, id_prefix: str = "") -> str:
    """The .docx as unsanitised HTML from mammoth (the caller sanitises it)."""
    with open_bounded(file) as stream:
        slim = _docx_for_mammoth(stream)
    try:
        result = mammoth.convert_to_html(
            slim,
            convert_image=_no_images,
            include_embedded_style_map=False,
            external_file_access=False,
            id_prefix=id_prefix,
        )
    except Exception as error:  # mammoth raises many kinds on broken input: all mean "broken"
        raise NotPreviewable("This document could not be read.") from error
    return result.value


def docx_text(file: StoredFile) -> str:
    """The .docx's text, one paragraph a line."""
    with open_bounded(file) as stream:
        slim = _docx_for_mammoth(stream)
    try:
        text = mammoth.extract_raw_text(slim).value
    except Exception as error:  # as above
        raise NotPreviewable("This document could not be read.") from error
    # mammoth ends every paragraph with a blank line; a diff reads better without them.
    return re.sub(r"\n{2,}", "\n", text).strip("\n")


def extract_text(file: StoredFile) -> str | None:
    """The text of a .txt, .md or .docx file, None for any other kind of file.
    Raises NotPreviewable when the file is refused (too large, a bomb, unreadable)."""
    kind = suffix(file.name)
    if kind in TEXT_SUFFIXES:
        return read_text(file).text
    if kind == DOCX_SUFFIX:
        return docx_text(file)
    return None
