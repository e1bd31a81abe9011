"""Previews: .docx bombs refused before anything is inflated, converted documents and Markdown
sanitised, text escaped, the inline endpoint serving only what its bytes prove, and the same
404 as downloads for anyone who may not see the file."""

import io
import tracemalloc
import zipfile
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from atelier.documents import previews, text
from atelier.orders import actions
from atelier.orders.models import Order, OrderFile

from . import samples

pytestmark = pytest.mark.django_db


def deliver(world, *uploads, flow=Order.Flow.WRITER_PORTAL):
    """An order of `flow` with one submission of `uploads` (delivered unless QC applies)."""
    order = world.assigned(flow)
    submission = actions.submit_work(order, actor=world.expert, notes="", files=list(uploads))
    return order, submission


def first_file(submission) -> OrderFile:
    return submission.files.order_by("position").first()


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every element of `html` as a browser's tokenizer sees it: (tag, attributes)."""
    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collector().feed(html)
    return found


def login(client, user):
    client.force_login(user)
    return client


# --- .docx: bombs and limits ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda: samples.zeros_bomb(200), "zip bomb"),
        (lambda: samples.many_members(5000), "too many parts"),
        (lambda: samples.many_members(50_000), "too many parts"),
        (lambda: samples.lying_bomb(50), "could not be read"),
        (samples.billion_laughs, "DTD"),
        (lambda: b"PK\x03\x04 this is not a zip at all", "could not be read"),
    ],
    ids=[
        "200-MB-of-zeros",
        "5000-members",
        "50000-members",
        "sizes-that-lie",
        "billion-laughs",
        "not-a-zip",
    ],
)
def test_hostile_docx_is_refused_without_inflating_it(world, build, reason):
    # given a delivered .docx that would explode if unpacked (or is broken)
    _, submission = deliver(world, samples.upload("cv.docx", build(), "CV"))
    file = first_file(submission)

    # when it is previewed and its text extracted
    tracemalloc.start()
    preview = previews.preview_for(file)
    with pytest.raises(text.NotPreviewable) as refused:
        text.extract_text(file)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    # then both refuse with a reason, in little memory: nothing was expanded (how fast is for
    # bench/, not for a test on a busy machine)
    assert preview.kind == "none" and reason in preview.reason
    assert reason in refused.value.reason
    assert peak < 16 * 1024**2, f"peak {peak:,} bytes"


def test_docx_limits_count_only_what_mammoth_would_parse():
    # given a document whose text parts are bigger than the parse limit, and one whose
    # pictures are (pictures are never read)
    heavy_text = samples.docx(paragraphs=["word " * 4000])
    heavy_picture = samples.docx(paragraphs=["Hi"], extra={"word/media/big.png": b"x" * 40_000})
    limits = text.ZipLimits(xml_bytes=20_000)

    # then only the first is refused
    with pytest.raises(text.NotPreviewable, match="too much text"):
        text.check_docx(zipfile.ZipFile(io.BytesIO(heavy_text)), limits)
    readable = text.check_docx(zipfile.ZipFile(io.BytesIO(heavy_picture)), limits)
    assert "word/media/big.png" not in [member.filename for member in readable]


def test_docx_over_the_size_setting_is_not_read(world, settings):
    settings.ATELIER_PREVIEW_MAX_BYTES = 1000
    _, submission = deliver(world, samples.upload("cv.docx", samples.docx(paragraphs=["x" * 5000])))

    preview = previews.preview_for(first_file(submission))

    assert preview.kind == "none"
    assert "too large to preview" in preview.reason


# --- .docx and Markdown: converted, then sanitised -------------------------------------------


def test_docx_converts_to_html(world):
    body = samples.paragraph("Casey Jones", bold=True) + samples.link("rWeb", "My site")
    data = samples.docx(
        body,
        paragraphs=["Project manager, 10 years.", "Less < more & so on"],
        rels={"rWeb": ("hyperlink", "https://casey.example/", True)},
    )
    _, submission = deliver(world, samples.upload("cv.docx", data, "CV"))

    preview = previews.preview_for(first_file(submission))

    assert preview.kind == "docx"
    assert "<p><strong>Casey Jones</strong></p>" in preview.html
    assert "<p>Project manager, 10 years.</p>" in preview.html
    assert "<p>Less &lt; more &amp; so on</p>" in preview.html
    assert 'href="https://casey.example/"' in preview.html
    assert 'rel="noopener noreferrer nofollow"' in preview.html


def test_docx_images_scripts_and_javascript_links_are_stripped(world):
    # given a document with an embedded picture, a picture linked from elsewhere, a
    # javascript: link and text that looks like markup
    body = (
        samples.picture("rPic")
        + samples.picture("rRemote")
        + samples.link("rJs", "click me")
        + samples.paragraph('<script>alert("hi")</script>')
    )
    data = samples.docx(
        body,
        rels={
            "rPic": ("image", "media/photo.png", False),
            "rRemote": ("image", "https://tracker.example/pixel.png", True),
            "rJs": ("hyperlink", "javascript:alert(1)", True),
        },
        extra={
            "word/media/photo.png": samples.png(),
            # mammoth would honour a style map shipped in the document: ours is ignored
            "mammoth/style-map": "p => script:fresh",
        },
    )
    _, submission = deliver(world, samples.upload("cv.docx", data))

    html = previews.preview_for(first_file(submission)).html

    assert "<img" not in html and "tracker.example" not in html and "data:" not in html
    assert "javascript" not in html
    assert "<a" in html and "click me" in html  # the text of the link stays
    assert "&lt;script&gt;" in html and "<script" not in html


def test_sanitiser_strips_everything_active_or_external():
    hostile = (
        '<p onclick="steal()" style="color:red" class="x">Hi</p>'
        "<script>alert(1)</script><style>body{display:none}</style>"
        '<iframe src="https://evil.example/"></iframe><object data="x.swf"></object>'
        '<img src="https://evil.example/pixel.png" onerror="steal()">'
        '<svg><script>alert(2)</script></svg><form action="/x"><input name="q"></form>'
        '<a href="javascript:alert(3)">js</a><a href="//evil.example/">protocol-relative</a>'
        '<a href="/orders/1/">relative</a><a href="#note-1">note</a><li id="note-1">n</li>'
        '<a href="https://ok.example/" target="_blank">ok</a>'
    )

    html = previews.sanitize(hostile, id_prefix="file7-")

    for banned in ["onclick", "style", "class=", "script", "iframe", "object", "<img", "svg"]:
        assert banned not in html, banned
    assert "<form" not in html and "<input" not in html
    assert "evil.example" not in html and "javascript" not in html
    assert 'href="/orders/1/"' not in html  # only links that leave the site, or stay in it
    assert '<a href="#file7-note-1"' in html and '<li id="file7-note-1">' in html
    assert '<a href="https://ok.example/" rel="noopener noreferrer nofollow">ok</a>' in html


def test_markdown_renders_without_raw_html_or_external_images(world):
    source = (
        "# Cover letter\n\nDear **Ms Smith**,\n\n"
        "<script>alert(1)</script>\n\n<iframe src='https://evil.example/'></iframe>\n\n"
        '![me](https://evil.example/me.png) <img src="x" onerror="alert(2)">\n\n'
        "[portfolio](https://casey.example/) and [bad](javascript:alert(3))\n\n"
        "| skill | years |\n|---|---|\n| PM | 10 |\n"
    )
    _, submission = deliver(world, samples.upload("letter.md", source))

    preview = previews.preview_for(first_file(submission))

    assert preview.kind == "markdown"
    html = preview.html
    assert "<h1>Cover letter</h1>" in html and "<strong>Ms Smith</strong>" in html
    assert "<td>PM</td>" in html
    assert "&lt;script&gt;" in html and "<script" not in html  # raw HTML shown as text
    assert "<iframe" not in html and "<img" not in html
    # no element loads anything; a refused link stays visible as harmless text
    tags = elements(html)
    assert not [attrs for _, attrs in tags if "src" in attrs]
    assert [attrs["href"] for tag, attrs in tags if tag == "a"] == ["https://casey.example/"]
    assert "[bad](javascript:alert(3))" in html
    assert (
        '<a href="https://casey.example/" rel="noopener noreferrer nofollow">portfolio</a>'
    ) in html


# --- text -----------------------------------------------------------------------------------


def test_text_with_html_in_it_is_shown_escaped(client, world):
    _, submission = deliver(
        world, samples.upload("notes.txt", '<script>alert("x")</script>\n<b>bold?</b>\n')
    )
    file = first_file(submission)

    response = login(client, world.customer).get(reverse("file-preview", args=[file.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold?&lt;/b&gt;" in page
    assert '<script>alert("x")' not in page


def test_text_that_is_not_utf8_is_read_as_windows_1252_and_says_so(world):
    _, submission = deliver(world, samples.upload("notes.txt", "Café résumé".encode("cp1252")))

    preview = previews.preview_for(first_file(submission))

    assert preview.kind == "text" and preview.text == "Café résumé"
    assert "Windows-1252" in preview.note


def test_binary_named_txt_is_not_shown(world):
    _, submission = deliver(world, samples.upload("notes.txt", b"\x00\x01\x02binary"))

    preview = previews.preview_for(first_file(submission))

    assert preview.kind == "none" and "does not look like text" in preview.reason


# --- pages and the inline endpoint ------------------------------------------------------------


def test_preview_is_a_fragment_for_htmx_and_a_page_without(client, world):
    _, submission = deliver(world, samples.upload("notes.md", "# Hello\n", "Notes"))
    url = reverse("file-preview", args=[first_file(submission).pk])
    login(client, world.customer)

    fragment = client.get(url, headers={"HX-Request": "true"})
    page = client.get(url)

    assert "<h1>Hello</h1>" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    assert "<html" in page.content.decode() and "<h1>Hello</h1>" in page.content.decode()
    assert fragment["Vary"] and "HX-Request" in fragment["Vary"]


def test_order_page_offers_previews_for_previewable_files_only(client, world):
    order, submission = deliver(
        world,
        samples.upload("notes.md", "# Hi\n", "Notes"),
        samples.upload("archive.zip", b"PK\x05\x06" + b"\0" * 18, "Archive"),
    )
    notes, archive = submission.files.order_by("position")

    page = login(client, world.customer).get(reverse("order-detail", args=[order.pk]))

    html = page.content.decode()
    assert f'hx-get="{reverse("file-preview", args=[notes.pk])}"' in html
    assert reverse("file-preview", args=[archive.pk]) not in html


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("photo.png", samples.png(), "image/png"),
        ("portfolio.pdf", samples.pdf(), "application/pdf"),
    ],
)
def test_inline_serves_images_and_pdfs_sandboxed(client, world, name, data, content_type):
    _, submission = deliver(world, samples.upload(name, data))
    url = reverse("file-inline", args=[first_file(submission).pk])

    response = login(client, world.customer).get(url)

    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert "frame-ancestors 'self'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.txt", "plain words"),
        ("page.html", "<html><script>alert(1)</script></html>"),
        ("drawing.svg", '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("photo.png", "<html><script>alert(1)</script></html>"),  # a name that lies
        ("report.pdf", "<html>not a pdf</html>"),
    ],
)
def test_inline_refuses_anything_but_real_images_and_pdfs(client, world, name, data):
    _, submission = deliver(world, samples.upload(name, data))

    response = login(client, world.customer).get(
        reverse("file-inline", args=[first_file(submission).pk])
    )

    assert response.status_code == 404


def test_strangers_get_404_for_preview_and_inline(client, world):
    _, submission = deliver(world, samples.upload("photo.png", samples.png()))
    file = first_file(submission)
    login(client, world.stranger)

    assert client.get(reverse("file-preview", args=[file.pk])).status_code == 404
    assert client.get(reverse("file-inline", args=[file.pk])).status_code == 404
    assert client.get(reverse("file-preview", args=[file.pk + 1000])).status_code == 404


def test_customer_cannot_preview_a_delivery_still_in_qc(client, world):
    # given a submission waiting for QC
    _, submission = deliver(
        world, samples.upload("photo.png", samples.png()), flow=Order.Flow.MARKETPLACE
    )
    file = first_file(submission)
    urls = [reverse("file-preview", args=[file.pk]), reverse("file-inline", args=[file.pk])]

    # then the customer gets 404 and the reviewer and the expert see it
    assert [login(client, world.customer).get(url).status_code for url in urls] == [404, 404]
    assert [login(client, world.reviewer).get(url).status_code for url in urls] == [200, 200]
    assert [login(client, world.expert).get(url).status_code for url in urls] == [200, 200]

    # and once approved, the customer too
    world.approve(submission)
    assert [login(client, world.customer).get(url).status_code for url in urls] == [200, 200]


def test_previewing_a_delivery_counts_as_opening_it(client, world):
    _, submission = deliver(world, samples.upload("notes.md", "# Hi\n"))

    login(client, world.customer).get(reverse("file-preview", args=[first_file(submission).pk]))

    submission.refresh_from_db()
    assert submission.customer_opened_at is not None
