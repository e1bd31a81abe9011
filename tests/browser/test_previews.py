"""The customer reads deliveries in the page: a Markdown preview, a PDF in Chromium's viewer,
and what changed between two revisions, with the strict CSP and no console errors."""

import re

from playwright.sync_api import Frame, Page, expect

from atelier.documents.tests import samples
from atelier.orders import actions

PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"  # Chromium's built-in


def letter(greeting: str) -> str:
    return f"# Cover letter\n\n{greeting}\n\nI led **twelve** projects.\n"


def pdf_viewer(page: Page, inline_url: str) -> Frame:
    """The frame of Chromium's PDF viewer, once the inline PDF is loaded in our iframe."""
    for _ in range(50):
        urls = [frame.url for frame in page.frames]
        if any(url.endswith(inline_url) for url in urls):
            viewer = next((f for f in page.frames if f.url.startswith(PDF_VIEWER)), None)
            if viewer is not None:
                return viewer
        page.wait_for_timeout(100)
    raise AssertionError(f"Chromium's PDF viewer never opened {inline_url}: {urls}")


def test_customer_previews_a_markdown_and_a_pdf_delivery_then_reads_the_diff(people, world):
    # given a delivered draft and a delivered revision of a Markdown letter, with a PDF
    order = world.assigned()
    actions.submit_work(
        order,
        actor=world.expert,
        notes="",
        files=[samples.upload("letter-v1.md", letter("Dear Sir,"), "Letter")],
    )
    world.revise(order)
    revision = actions.submit_work(
        order,
        actor=world.expert,
        notes="",
        files=[
            samples.upload("letter-v2.md", letter("Dear Ms Smith,"), "Letter"),
            samples.upload("portfolio.pdf", samples.pdf("Casey's portfolio"), "Portfolio"),
        ],
    )
    pdf = revision.files.get(name="portfolio.pdf")
    page = people.login(world.customer.email)
    page.goto(f"/orders/{order.pk}/")
    latest = page.locator("#submission-2")

    # when she previews the letter: rendered Markdown, in place
    latest.get_by_role("listitem").filter(has_text="letter-v2.md").get_by_role(
        "link", name="Preview"
    ).click()
    preview = latest.locator(".preview-doc")
    expect(preview.get_by_role("heading", name="Cover letter")).to_be_visible()
    expect(preview.locator("strong")).to_have_text("twelve")
    assert page.url.endswith(f"/orders/{order.pk}/")  # no navigation: htmx swapped it in

    # and the PDF: Chromium's viewer shows it inside the sandboxed inline response
    latest.get_by_role("listitem").filter(has_text="portfolio.pdf").get_by_role(
        "link", name="Preview"
    ).click()
    expect(latest.locator("iframe.preview-pdf")).to_be_visible()
    viewer = pdf_viewer(page, f"/files/{pdf.pk}/inline/")
    # the viewer's toolbar (its own markup, in shadow DOM) counts the pages PDFium parsed
    expect(viewer.locator("#pagelength")).to_have_text("1")
    expect(viewer.locator("#title")).to_have_text("portfolio.pdf")

    # then she opens what changed since the draft
    latest.get_by_role("link", name="What changed since #1").click()
    expect(
        page.get_by_role("heading", name="What changed from Draft #1 to Revision #2")
    ).to_be_visible()
    expect(page.locator("tr.diff-removed del")).to_have_text("Sir")
    expect(page.locator("tr.diff-added ins")).to_have_text("Ms Smith")
    expect(page.get_by_text(re.compile("No text to compare"))).to_have_count(0)
    expect(page.get_by_text("New in #2.")).to_be_visible()  # the PDF was not in the draft
