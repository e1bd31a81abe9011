"""Revision diffs: changed words marked inside changed lines, long unchanged runs folded,
files paired by title then name, and the page shown to exactly those who may see both
submissions (never the customer while one of them is in QC)."""

import pytest
from django.urls import reverse

from atelier.documents import diff
from atelier.documents.diff import Row, Segment
from atelier.orders import actions
from atelier.orders.models import Order

from . import samples

pytestmark = pytest.mark.django_db

RESUME_V1 = "Casey Jones\nProject manager at Acme\nLed a team of five\nLondon\n"
RESUME_V2 = "Casey Jones\nSenior Project manager at Acme\nLed a team of twelve\nLondon\n"


def submit(world, order, *uploads):
    submission = actions.submit_work(order, actor=world.expert, notes="", files=list(uploads))
    order.refresh_from_db()
    return submission


def two_revisions(world, first, second, *, flow=Order.Flow.WRITER_PORTAL):
    """An order with submission #1 of `first` delivered and #2 of `second` submitted after a
    revision request (delivered too, unless QC applies)."""
    order = world.assigned(flow)
    one = submit(world, order, *first)
    if order.qc_required:
        world.approve(one)
    world.revise(order)
    two = submit(world, order, *second)
    return order, one, two


def diff_url(order, number=2):
    return reverse("submission-diff", args=[order.pk, number])


def segments(row: Row) -> list[tuple[str, bool]]:
    return [(segment.text, segment.changed) for segment in row.segments]


# --- text -------------------------------------------------------------------------------------


def test_changed_words_are_marked_inside_changed_lines():
    rows = diff.diff_text(RESUME_V1, RESUME_V2)

    assert [(row.kind, row.old_number, row.new_number) for row in rows] == [
        ("same", 1, 1),
        ("removed", 2, None),
        ("added", None, 2),
        ("removed", 3, None),
        ("added", None, 3),
        ("same", 4, 4),
    ]
    assert segments(rows[2]) == [("Senior ", True), ("Project manager at Acme", False)]
    assert segments(rows[3]) == [("Led a team of ", False), ("five", True)]
    assert segments(rows[4]) == [("Led a team of ", False), ("twelve", True)]


def test_neighbouring_changed_words_read_as_one_change():
    removed, added = diff.diff_text("I like red apples a lot", "I like green pears a lot")

    assert segments(removed) == [("I like ", False), ("red apples", True), (" a lot", False)]
    assert segments(added) == [("I like ", False), ("green pears", True), (" a lot", False)]


def test_unrelated_lines_are_shown_removed_and_added_whole():
    rows = diff.diff_text("Objective: growth\n", "References on request\n")

    assert rows == [
        Row("removed", 1, None, (Segment("Objective: growth"),)),
        Row("added", None, 1, (Segment("References on request"),)),
    ]


def test_long_unchanged_runs_are_folded_with_their_length():
    old = [f"line {n}" for n in range(1, 101)]
    new = list(old)
    new[49] = "line fifty"

    rows = diff.diff_text("\n".join(old), "\n".join(new))

    kinds = [row.kind if row.kind != "skipped" else f"skipped {row.skipped}" for row in rows]
    context = ["same"] * 3
    assert kinds == ["skipped 46", *context, "removed", "added", *context, "skipped 47"]
    assert (rows[1].old_number, rows[-2].new_number) == (47, 53)


def test_identical_texts_have_no_rows():
    assert diff.diff_text(RESUME_V1, RESUME_V1) == []


# --- pairing files ------------------------------------------------------------------------------


def test_files_pair_by_title_ignoring_case_then_by_name(world):
    # given #1 with a CV, a cover letter and notes, and #2 with the CV renamed (same title in
    # other case), the cover letter retitled (same name), notes dropped and a new sample
    _, one, two = two_revisions(
        world,
        [
            samples.upload("cv-v1.txt", "a", "CV"),
            samples.upload("letter.txt", "b", "Letter"),
            samples.upload("notes.txt", "c", "Notes"),
        ],
        [
            samples.upload("cv-v2.txt", "a2", "cv"),
            samples.upload("letter.txt", "b2", "Cover letter"),
            samples.upload("sample.txt", "d", "Sample"),
        ],
    )

    pairs = diff.pair_files(one.files.all(), two.files.all())

    named = [(p.old.name if p.old else None, p.new.name if p.new else None) for p in pairs]
    assert named == [
        ("cv-v1.txt", "cv-v2.txt"),
        ("letter.txt", "letter.txt"),
        (None, "sample.txt"),
        ("notes.txt", None),
    ]


# --- the page ---------------------------------------------------------------------------------


def test_diff_page_shows_changed_words_between_two_txt_revisions(client, world):
    order, _, _ = two_revisions(
        world,
        [samples.upload("resume-v1.txt", RESUME_V1, "Resume")],
        [samples.upload("resume-v2.txt", RESUME_V2, "Resume")],
    )
    client.force_login(world.customer)

    response = client.get(diff_url(order))

    assert response.status_code == 200
    html = response.content.decode()
    assert "What changed from Draft #1 to Revision #2" in html
    assert "<del>five</del>" in html and "<ins>twelve</ins>" in html
    assert "<ins>Senior </ins>Project manager at Acme" in html


def test_diff_page_compares_docx_revisions_matched_by_title(client, world):
    def cv(*paragraphs):
        return samples.docx(paragraphs=["Casey Jones", *paragraphs])

    order, _, _ = two_revisions(
        world,
        [samples.upload("casey-cv.docx", cv("Speaks French", "Likes <chess>"), "Curriculum")],
        [
            samples.upload(
                "CV final.docx", cv("Speaks French and German", "Likes <chess>"), "CURRICULUM"
            )
        ],
    )
    client.force_login(world.expert)

    html = client.get(diff_url(order)).content.decode()

    assert "casey-cv.docx → CV final.docx" in html
    assert "Speaks French<ins> and German</ins>" in html
    assert "1 unchanged line" not in html  # too short to fold
    assert "Likes &lt;chess&gt;" in html  # the documents' text is escaped


def test_diff_page_lists_added_removed_unchanged_and_files_without_text(client, world):
    order, _, _ = two_revisions(
        world,
        [
            samples.upload("brief.pdf", samples.pdf("one"), "Brief"),
            samples.upload("old.txt", "gone", "Old notes"),
            samples.upload("same.txt", "kept", "Kept"),
        ],
        [
            samples.upload("brief.pdf", samples.pdf("two"), "Brief"),
            samples.upload("same.txt", "kept", "Kept"),
            samples.upload("new.md", "# new", "New notes"),
        ],
    )
    client.force_login(world.agent)

    files = client.get(diff_url(order)).context["files"]

    assert [(f.label, f.status) for f in files] == [
        ("Brief", "no_text"),
        ("Kept", "unchanged"),
        ("New notes", "added"),
        ("Old notes", "removed"),
    ]
    html = client.get(diff_url(order)).content.decode()
    assert "No text to compare (a PDF, an image or another kind)." in html


def test_strangers_get_404(client, world):
    # given a writer-portal order (no QC) with two deliveries
    order, _, _ = two_revisions(
        world, [samples.upload("a.txt", "one")], [samples.upload("a.txt", "two")]
    )

    # then a stranger, another expert and a reviewer (no QC here) get 404, like the parties'
    # 200 shows the page exists
    for outsider in (world.stranger, world.expert2, world.reviewer):
        client.force_login(outsider)
        assert client.get(diff_url(order)).status_code == 404
    client.force_login(world.customer)
    assert client.get(diff_url(order)).status_code == 200


def test_diff_of_missing_submissions_is_404(client, world):
    order, _, _ = two_revisions(
        world, [samples.upload("a.txt", "one")], [samples.upload("a.txt", "two")]
    )
    client.force_login(world.agent)

    assert client.get(diff_url(order, 1)).status_code == 404  # nothing before #1
    assert client.get(diff_url(order, 3)).status_code == 404
    assert client.get(diff_url(order, 2)).status_code == 200


def test_customer_cannot_see_a_diff_involving_a_submission_in_qc(client, world):
    # given a QC order: #1 approved and delivered, #2 waiting for QC
    order, _, two = two_revisions(
        world,
        [samples.upload("a.txt", "secret one")],
        [samples.upload("a.txt", "secret two")],
        flow=Order.Flow.MARKETPLACE,
    )

    # then the customer gets 404 and no link; the reviewer, the expert and agents see it
    client.force_login(world.customer)
    assert client.get(diff_url(order)).status_code == 404
    assert diff_url(order) not in client.get(reverse("order-detail", args=[order.pk])).text
    for person in (world.reviewer, world.expert, world.agent):
        client.force_login(person)
        assert client.get(diff_url(order)).status_code == 200

    # and once QC approves #2, the customer too, linked from the order page
    world.approve(two)
    client.force_login(world.customer)
    assert client.get(diff_url(order)).status_code == 200
    assert diff_url(order) in client.get(reverse("order-detail", args=[order.pk])).text


def test_customer_gets_no_diff_against_a_draft_qc_sent_back(client, world):
    # given #1 sent back by QC (never delivered) and #2 approved
    order = world.assigned(Order.Flow.MARKETPLACE)
    one = submit(world, order, samples.upload("a.txt", "rough"))
    actions.review_submission(one, actor=world.reviewer, decision="revise", comments="Redo it.")
    two = submit(world, order, samples.upload("a.txt", "polished"))
    world.approve(two)

    client.force_login(world.customer)
    page = client.get(reverse("order-detail", args=[order.pk])).text

    assert diff_url(order) not in page
    assert client.get(diff_url(order)).status_code == 404


def test_review_page_links_to_the_diff(client, world):
    order, _, two = two_revisions(
        world,
        [samples.upload("a.txt", "one")],
        [samples.upload("a.txt", "two")],
        flow=Order.Flow.MARKETPLACE,
    )
    client.force_login(world.reviewer)

    page = client.get(reverse("qc-review", args=[two.pk])).text

    assert f'href="{diff_url(order)}"' in page
    assert client.get(diff_url(order)).status_code == 200


def test_opening_the_diff_counts_as_opening_the_delivery(client, world):
    order, _, two = two_revisions(
        world, [samples.upload("a.txt", "one")], [samples.upload("a.txt", "two")]
    )
    client.force_login(world.customer)

    client.get(diff_url(order))

    two.refresh_from_db()
    assert two.customer_opened_at is not None
