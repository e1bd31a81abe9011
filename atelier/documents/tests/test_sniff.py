"""The content type comes from the bytes, never from the client: magic numbers first, then
UTF-8 text, then the extension; a name claiming text for bytes that are not is not believed."""

import io
import zipfile

import pytest

from atelier.documents.sniff import HEAD_BYTES, sniff

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, "<xml/>" * 50)
    return buffer.getvalue()


def _odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (PNG, "notes.txt", "image/png"),  # a PNG renamed .txt is still a PNG
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "resume.docx", "application/pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "photo", "image/jpeg"),
        (b"GIF89a\x01\x00", "x.gif", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "x.bin", "image/webp"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "take1", "audio/wav"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "voice.mp3", "audio/mpeg"),
        (b"\xff\xfb\x90\x64\x00", "voice", "audio/mpeg"),
        (b"OggS\x00\x02", "voice.ogg", "audio/ogg"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00", "clip.mov", "video/mp4"),
        (b"\x00\x00\x00\x18ftypM4A \x00\x00", "voice.m4a", "audio/mp4"),
        (
            _zip("[Content_Types].xml", "_rels/.rels", "word/document.xml"),
            "resume.zip",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            _zip("[Content_Types].xml", "xl/workbook.xml"),
            "sheet",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (_odt(), "letter.bin", "application/vnd.oasis.opendocument.text"),
        (_zip("a.txt", "b.txt"), "bundle.docx", "application/zip"),
        ("Résumé — 履歴書\n".encode(), "cv.txt", "text/plain"),
        (b"# Title\n\nSome *words*.\n", "README.md", "text/markdown"),
        (b"a,b\n1,2\n", "data.CSV", "text/csv"),
        (b"<html><script>alert(1)</script></html>", "page.html", "text/plain"),
        (b"\x00\x01\x02\x03binary", "notes.txt", "application/octet-stream"),
        (b"\x00\x01\x02\x03binary", "talk.mp3", "audio/mpeg"),  # unknown bytes: the extension
        (b"\x00\x01\x02\x03binary", "no-extension", "application/octet-stream"),
        (b"\x80\x81 not utf-8 at all", "odd.txt", "application/octet-stream"),
    ],
)
def test_sniff(head, name, expected):
    assert sniff(head[:HEAD_BYTES], name) == expected


def test_text_cut_inside_a_character_at_the_end_of_the_head_is_still_text():
    head = ("a" + "é" * HEAD_BYTES).encode()[:HEAD_BYTES]  # ends in the middle of an "é"
    assert len(head) == HEAD_BYTES and head[-1:] == "é".encode()[:1]

    assert sniff(head, "long.txt") == "text/plain"


def test_a_short_file_with_a_broken_character_is_not_text():
    assert sniff(b"abc" + "é".encode()[:1], "short.txt") == "application/octet-stream"
