"""What the order page shows of a file without downloading it.

Images and PDFs are shown by the browser from `GET /files/<pk>/inline/`, served only when their
first bytes say they are what their name says (`inline_type`). Plain text is shown escaped;
Markdown and .docx are converted to HTML here, then sanitised with an allow-list: no scripts,
styles, frames, event attributes or images, and links only to http(s) and mailto, so a preview
never runs anything and never loads anything from elsewhere.
"""

from dataclasses import dataclass

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from . import text as texts
from .storage import StoredFile
from .text import NotPreviewable

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})
PDF_SUFFIX = ".pdf"
# The most of a text or Markdown file shown, and of the HTML a .docx converts to; what is
# longer is cut, with a note, so that a page stays a page.
MAX_SOURCE_CHARS = 500_000
MAX_HTML_CHARS = 2_000_000

_TAGS = {
    *("p", "br", "hr", "blockquote", "pre", "code", "h1", "h2", "h3", "h4", "h5", "h6"),
    *("strong", "b", "em", "i", "u", "s", "del", "ins", "sub", "sup", "small", "mark"),
    *("ul", "ol", "li", "dl", "dt", "dd"),
    *("table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"),
    "a",
}
_ATTRIBUTES = {
    "a": {"href", "id"},  # mammoth's footnote and bookmark anchors
    "li": {"id"},
    "ol": {"start"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


@dataclass(frozen=True)
class Preview:
    kind: str  # "image", "pdf", "text", "markdown", "docx", or "none" when nothing is shown
    html: SafeString | None = None  # markdown and docx: sanitised HTML
    text: str = ""  # text: shown escaped in a <pre>
    reason: str = ""  # kind "none": why there is nothing to show
    note: str = ""  # said beside a preview: only the beginning shown, encoding guessed


def preview_kind(name: str) -> str | None:
    """The kind of preview a file of this name gets, None if none (decided by name alone, so
    pages can offer the button without reading the file)."""
    suffix = texts.suffix(name)
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix == PDF_SUFFIX:
        return "pdf"
    if suffix in texts.MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix in texts.TEXT_SUFFIXES:
        return "text"
    if suffix == texts.DOCX_SUFFIX:
        return "docx"
    return None


def inline_type(name: str, head: bytes) -> str | None:
    """The Content-Type to serve a file inline with, from its first bytes, or None when it is
    not an image or a PDF (whatever its name or the type its uploader claimed)."""
    kind = preview_kind(name)
    if kind == "pdf":
        return "application/pdf" if b"%PDF-" in head[:1024] else None
    if kind != "image":
        return None
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def sanitize(html: str, *, id_prefix: str) -> SafeString:
    """Untrusted HTML made safe to put in our pages. Ids get `id_prefix` (so a document cannot
    reuse one of the page's), in-document links follow them, other relative links go."""

    def relative(url: str) -> str | None:
        return f"#{id_prefix}{url[1:]}" if url.startswith("#") and len(url) > 1 else None

    clean = nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags={"script", "style", "template", "iframe", "object", "svg", "math"},
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        url_relative=relative,
        id_prefix=id_prefix,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # nh3 output, allow-list above


def _cut(source: str, limit: int) -> tuple[str, str]:
    if len(source) <= limit:
        return source, ""
    return source[:limit], "The file is long: only its beginning is shown. Download it to read all."


def preview_for(file: StoredFile) -> Preview:
    """The preview of `file`, or kind "none" with the reason there is none."""
    kind = preview_kind(file.name)
    if kind in {"image", "pdf"}:
        return Preview(kind)
    if kind is None:
        return Preview("none", reason="There is no preview for this kind of file. Download it.")
    prefix = f"file{file.pk}-"
    try:
        if kind == "docx":
            html, note = _cut(texts.docx_html(file), MAX_HTML_CHARS)
            return Preview(kind, html=sanitize(html, id_prefix=prefix), note=note)
        decoded = texts.read_text(file)
    except NotPreviewable as refused:
        return Preview("none", reason=refused.reason)
    source, note = _cut(decoded.text, MAX_SOURCE_CHARS)
    if decoded.encoding == "Windows-1252":
        note = " ".join([note, "This file is not UTF-8; it was read as Windows-1252."]).strip()
    if kind == "markdown":
        return Preview(kind, html=sanitize(_MARKDOWN.render(source), id_prefix=prefix), note=note)
    return Preview(kind, text=source, note=note)
