"""Files built byte by byte for the preview and diff tests: minimal .docx packages (and bombs),
a PDF and a PNG, so that no binary fixture hides what a test feeds the code."""

import io
import struct
import zipfile
import zlib
from collections.abc import Sequence
from xml.sax.saxutils import escape

from django.core.files.base import ContentFile

from atelier.orders.actions import Upload

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="png" ContentType="image/png"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NAMESPACES = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    f'xmlns:r="{_REL}" xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:o="urn:schemas-microsoft-com:office:office"'
)


def paragraph(text: str, *, bold: bool = False) -> str:
    props = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return f'<w:p><w:r>{props}<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'


def link(rel_id: str, text: str) -> str:
    return (
        f'<w:p><w:hyperlink r:id="{rel_id}"><w:r><w:t xml:space="preserve">{escape(text)}'
        "</w:t></w:r></w:hyperlink></w:p>"
    )


def picture(rel_id: str) -> str:
    """An image the old (VML) way, which mammoth reads: the shortest OOXML for one."""
    return (
        f'<w:p><w:r><w:pict><v:shape><v:imagedata r:id="{rel_id}" o:title="photo"/>'
        "</v:shape></w:pict></w:r></w:p>"
    )


def document_xml(body: str, *, prolog: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
        f"<w:document {_NAMESPACES}><w:body>{body}</w:body></w:document>"
    )


def docx(
    body: str = "",
    *,
    paragraphs: Sequence[str] = (),
    rels: dict[str, tuple[str, str, bool]] | None = None,
    extra: dict[str, bytes | str] | None = None,
    prolog: str = "",
) -> bytes:
    """A .docx mammoth reads. `rels` maps an id to (type, target, external)."""
    body = body + "".join(paragraph(p) for p in paragraphs)
    relationships = "".join(
        f'<Relationship Id="{rel_id}" Type="{_REL}/{kind}" Target="{escape(target)}"'
        + (' TargetMode="External"' if external else "")
        + "/>"
        for rel_id, (kind, target, external) in (rels or {}).items()
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _PACKAGE_RELS)
        package.writestr("word/document.xml", document_xml(body, prolog=prolog))
        package.writestr(
            "word/_rels/document.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'relationships">{relationships}</Relationships>',
        )
        for name, data in (extra or {}).items():
            package.writestr(name, data)
    return buffer.getvalue()


def zeros_bomb(megabytes: int) -> bytes:
    """A .docx whose document.xml inflates to `megabytes` MB of zeros, written in chunks so
    building it never holds the whole expansion in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _PACKAGE_RELS)
        chunk = b"\0" * 1024**2
        with package.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(chunk)
    return buffer.getvalue()


def lying_bomb(megabytes: int) -> bytes:
    """A .docx whose zip directory claims document.xml inflates to 1 KB when it holds
    `megabytes` MB of zeros: the sizes a bomb check reads are the attacker's to write."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _PACKAGE_RELS)
        package.writestr("word/document.xml", b"\0" * megabytes * 1024**2)
    data = bytearray(buffer.getvalue())
    entry = -1
    for _ in range(3):  # the third central directory entry is document.xml's
        entry = data.index(b"PK\x01\x02", entry + 1)
    data[entry + 24 : entry + 28] = struct.pack("<I", 1024)  # its uncompressed size
    return bytes(data)


def many_members(count: int) -> bytes:
    """A valid .docx carrying `count` tiny extra parts."""
    return docx(
        paragraphs=["Hello."], extra={f"customXml/item{n}.xml": "<a/>" for n in range(count)}
    )


def billion_laughs() -> bytes:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol%s;" % (n - 1 if n > 1 else "")) * 10}">' for n in range(1, 10)
    )
    body = "<w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>"
    return docx(body, prolog=f"<!DOCTYPE w:document [{entities}]>")


def pdf(text: str = "Hello PDF") -> bytes:
    """A one-page PDF with correct cross-reference offsets."""
    stream = f"BT /F1 24 Tf 20 60 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def png() -> bytes:
    """A one-pixel red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def upload(name: str, data: bytes | str, title: str = "") -> Upload:
    """A file to submit; its title is its name unless given (submissions need titles)."""
    raw = data.encode() if isinstance(data, str) else data
    return Upload(ContentFile(raw, name=name), title=title or name)
