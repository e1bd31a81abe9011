"""What a file really is, from its first bytes: the client's Content-Type is never trusted.

`sniff(head, name)` looks at the first few KiB of a file (the upload handler keeps them as the
bytes stream in) for a known signature, then for UTF-8 text, and only then falls back to the
type the file name's extension suggests; a name that claims text for bytes that are not text
gets application/octet-stream, so a renamed executable is never served as text/plain.
"""

import mimetypes

HEAD_BYTES = 8 * 1024  # enough for the signatures below and an OOXML package's first names
OCTET_STREAM = "application/octet-stream"

# (offset, signature, type): checked in order, first match wins.
_SIGNATURES: list[tuple[int, bytes, str]] = [
    (0, b"%PDF-", "application/pdf"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"OggS", "audio/ogg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"{\\rtf", "application/rtf"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
]
_OOXML = [
    (b"word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (b"xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (b"ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
]
_TEXT_BY_EXTENSION = {".md": "text/markdown", ".markdown": "text/markdown", ".csv": "text/csv"}


def sniff(head: bytes, name: str) -> str:
    """The content type of a file that starts with `head` and is called `name`."""
    found = _by_signature(head, name)
    if found:
        return found
    extension = _extension(name)
    if head and _is_text(head):
        return _TEXT_BY_EXTENSION.get(extension, "text/plain")
    guessed = mimetypes.guess_type(f"file{extension}")[0] if extension else None
    if not guessed or guessed.startswith("text/"):
        return OCTET_STREAM
    return guessed


def _extension(name: str) -> str:
    stem, dot, extension = (name or "").rpartition(".")
    return f".{extension.lower()}" if dot and stem else ""


def _by_signature(head: bytes, name: str) -> str | None:
    for offset, signature, content_type in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in {b"M4A ", b"M4B "}:
            return "audio/mp4"
        if brand == b"qt  ":
            return "video/quicktime"
        return "video/mp4"
    if len(head) >= 2 and head[0] == 0xFF and head[1] in {0xFB, 0xF3, 0xF2, 0xFA}:
        return "audio/mpeg"  # an MPEG audio frame without an ID3 tag
    if head[:4] in {b"PK\x03\x04", b"PK\x05\x06"}:
        return _zip_kind(head, name)
    return None


def _zip_kind(head: bytes, name: str) -> str:
    """A zip, or an Office Open XML package (a zip whose first member names say which)."""
    name_length = int.from_bytes(head[26:28], "little")
    if head[30 : 30 + name_length] == b"mimetype":
        # OpenDocument and EPUB: the first member, stored uncompressed, names the type.
        start = 30 + name_length + int.from_bytes(head[28:30], "little")
        size = int.from_bytes(head[18:22], "little")
        declared = head[start : start + min(size, 100)].decode("ascii", "replace")
        if declared.startswith("application/") and declared.isprintable():
            return declared
    if b"[Content_Types].xml" in head:
        for marker, content_type in _OOXML:
            if marker in head:
                return content_type
        # The part names were not among the first bytes: believe a matching extension.
        guessed = mimetypes.guess_type(f"file{_extension(name)}")[0] or ""
        if guessed.startswith("application/vnd.openxmlformats"):
            return guessed
    return "application/zip"


def _is_text(head: bytes) -> bool:
    """UTF-8 without control characters other than tab, newlines and form feed. The head may
    end inside a multi-byte character, so a few undecodable trailing bytes are allowed."""
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3 or len(head) < HEAD_BYTES:
            return False
        text = head[: error.start].decode("utf-8")
    return not any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text)
