"""The reviewer's pages (DESIGN rule 3): the QC queue, oldest first, and the review page where a
submission is approved or sent back with required comments that the customer never sees."""

from datetime import UTC, datetime

import pytest

from atelier.core import clock
from atelier.orders import actions
from atelier.orders.models import Order, QCReview
from atelier.orders.tests.factories import doc

MARKETPLACE = Order.Flow.MARKETPLACE
SECRET = "The summary repeats the headline word for word"


def _in_qc(world, title: str, *, at: datetime | None = None):
    order = world.assigned(MARKETPLACE, title=title)
    if at is None:
        return world.submit(order)
    with clock.frozen_at(at):
        return world.submit(order)


def test_queue_lists_waiting_submissions_oldest_first(world, client):
    # given three orders in QC, submitted in a different order than they were created
    _in_qc(world, "Submitted second", at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    _in_qc(world, "Submitted third", at=datetime(2026, 3, 3, 9, tzinfo=UTC))
    _in_qc(world, "Submitted first", at=datetime(2026, 3, 1, 9, tzinfo=UTC))
    client.force_login(world.reviewer)

    # when the reviewer opens the queue
    page = client.get("/qc/").text

    # then the oldest submission comes first, with its facts and the zone named
    first, second, third = (
        page.index(t) for t in ("Submitted first", "Submitted second", "Submitted third")
    )
    assert first < second < third
    assert "Sun 1 Mar 2026, 04:00 EST" in page
    assert "Draft #1" in page
    assert "1 file" in page


def test_queue_shows_only_submissions_waiting_for_review(world, client):
    # given a waiting submission, an approved one, one sent back and an order without QC
    waiting = _in_qc(world, "Waiting for QC")
    world.approve(_in_qc(world, "Approved already"))
    sent_back = _in_qc(world, "Sent back to the expert")
    actions.review_submission(
        sent_back, actor=world.reviewer, decision=QCReview.Decision.REVISE, comments="Fix it"
    )
    world.submit(world.assigned(Order.Flow.WRITER_PORTAL, title="No QC here"))
    client.force_login(world.reviewer)

    # when the reviewer opens the queue
    page = client.get("/qc/").text

    # then only the waiting one is listed, linking to its review page
    assert "Waiting for QC" in page
    assert f'href="/qc/{waiting.pk}/"' in page
    for title in ("Approved already", "Sent back to the expert", "No QC here"):
        assert title not in page


def test_queue_shows_the_latest_revision_waiting(world, client):
    # given an order whose revision waits for QC after a delivered draft
    order = world.delivered(MARKETPLACE, title="Revised resume")
    world.revise(order)
    revision = world.submit(order, 2)
    client.force_login(world.reviewer)

    page = client.get("/qc/").text

    assert f'href="/qc/{revision.pk}/"' in page
    assert "Revision #2" in page


def test_queue_is_empty_with_a_clear_message(world, client):
    client.force_login(world.reviewer)
    assert "Nothing is waiting for review" in client.get("/qc/").text


def test_queue_query_count_does_not_grow_with_its_length(
    world, client, django_assert_max_num_queries
):
    for n in range(6):
        _in_qc(world, f"Order {n}")
    client.force_login(world.reviewer)
    with django_assert_max_num_queries(6):
        response = client.get("/qc/")
    assert response.text.count('href="/qc/') >= 6


@pytest.mark.parametrize(
    ("who", "status"),
    [("customer", 404), ("expert", 403), ("expert2", 404), ("agent", 403), ("stranger", 404)],
)
def test_queue_and_review_page_are_refused_to_non_reviewers(world, client, who, status):
    # given a draft in QC: its expert and agents see it, the others (customer too) do not
    submission = _in_qc(world, "Private work")
    client.force_login(getattr(world, who))

    # then the queue does not exist for them; the review page is forbidden to those who see the
    # submission (as in the API) and does not exist for the others
    assert client.get("/qc/").status_code == 404
    assert client.get(f"/qc/{submission.pk}/").status_code == status
    response = client.post(f"/qc/{submission.pk}/", {"decision": "approve"})
    assert response.status_code == status
    assert not QCReview.objects.exists()


def test_anonymous_visitor_is_sent_to_log_in(world, client):
    submission = _in_qc(world, "Private work")
    assert client.get("/qc/").status_code == 302
    assert client.get(f"/qc/{submission.pk}/").status_code == 302


def test_reviewer_gets_not_found_for_an_order_without_qc(world, client):
    order = world.assigned(Order.Flow.WRITER_PORTAL)
    submission = world.submit(order)
    client.force_login(world.reviewer)
    assert client.get(f"/qc/{submission.pk}/").status_code == 404
    assert client.post(f"/qc/{submission.pk}/", {"decision": "approve"}).status_code == 404


def test_review_page_shows_instructions_documents_files_and_history(world, client):
    # given an order with a customer document, a draft sent back by QC and a revision waiting
    order = world.assigned(
        MARKETPLACE,
        title="Resume for a PM role",
        instructions="Highlight the product launches.",
        attachments=[doc("old-resume.txt", "Old resume\n")],
    )
    draft = world.submit(order, 1)
    actions.review_submission(
        draft, actor=world.reviewer, decision="revise", comments="Add the 2024 launch."
    )
    revision = world.submit(order, 2)
    client.force_login(world.reviewer)

    # when the reviewer opens the revision's review page
    page = client.get(f"/qc/{revision.pk}/").text

    # then everything needed to judge it is there, files downloadable
    assert "Highlight the product launches." in page
    assert "old-resume.txt" in page
    assert "Version 2." in page
    for f in revision.files.all():
        assert f'href="/files/{f.pk}/"' in page
    assert "Draft #1" in page and "Add the 2024 launch." in page
    assert "Approve" in page and "Send back to the expert" in page


def test_reviewer_approves_through_the_page(world, client):
    # given a submission waiting for QC
    submission = _in_qc(world, "Resume for a PM role")
    client.force_login(world.reviewer)

    # when the reviewer approves it
    response = client.post(f"/qc/{submission.pk}/", {"decision": "approve"}, follow=True)

    # then it is delivered, and the reviewer is back at the queue with a message
    assert response.redirect_chain[-1][0] == "/qc/"
    assert "Approved" in response.text
    submission.order.refresh_from_db()
    assert submission.order.status == Order.Status.DELIVERED
    assert submission.reviews.get().decision == QCReview.Decision.APPROVE


def test_reviewer_requests_a_revision_with_comments(world, client):
    submission = _in_qc(world, "Resume for a PM role")
    client.force_login(world.reviewer)

    response = client.post(
        f"/qc/{submission.pk}/", {"decision": "revise", "comments": SECRET}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/qc/"
    assert "Sent back" in response.text
    submission.order.refresh_from_db()
    assert submission.order.status == Order.Status.IN_PROGRESS
    review = submission.reviews.get()
    assert (review.decision, review.comments) == (QCReview.Decision.REVISE, SECRET)


def test_revision_without_comments_shows_the_error_beside_the_field(world, client):
    # given a submission waiting for QC
    submission = _in_qc(world, "Resume for a PM role")
    client.force_login(world.reviewer)

    # when the reviewer asks for a revision without saying what to change
    response = client.post(f"/qc/{submission.pk}/", {"decision": "revise", "comments": "  "})

    # then the page says so beside the comments, and nothing changed
    assert response.status_code == 200
    assert 'id="id_comments_error"' in response.text
    assert "Say what should change: at least one point." in response.text
    assert 'aria-invalid="true"' in response.text
    submission.order.refresh_from_db()
    assert submission.order.status == Order.Status.IN_QC
    assert not QCReview.objects.exists()


def test_approving_a_reviewed_submission_shows_the_engines_message(world, client):
    # given a submission approved meanwhile by another reviewer (a stale page)
    submission = _in_qc(world, "Resume for a PM role")
    world.approve(submission)
    client.force_login(world.reviewer)

    # when the page's approve form is sent again
    response = client.post(f"/qc/{submission.pk}/", {"decision": "approve"})

    # then the engine's refusal is shown and nothing more happened
    assert response.status_code == 200
    assert "This submission has been reviewed already" in response.text
    assert "This submission was reviewed" in response.text
    assert submission.reviews.count() == 1


def test_an_older_submission_cannot_be_reviewed(world, client):
    order = world.delivered(MARKETPLACE)
    first = order.submissions.get()
    world.revise(order)
    world.submit(order, 2)
    client.force_login(world.reviewer)

    response = client.post(f"/qc/{first.pk}/", {"decision": "approve"})

    assert "a newer one replaced it" in response.text
    order.refresh_from_db()
    assert order.status == Order.Status.IN_QC


def test_reviewer_does_not_review_their_own_work(world, client):
    # given a reviewer who is also the order's expert
    world.expert.is_reviewer = True
    world.expert.save()
    submission = _in_qc(world, "My own work")
    client.force_login(world.expert)

    assert "My own work" not in client.get("/qc/").text
    assert client.get(f"/qc/{submission.pk}/").status_code == 403
    assert client.post(f"/qc/{submission.pk}/", {"decision": "approve"}).status_code == 403
    assert not QCReview.objects.exists()


def test_customer_never_sees_qc_comments(world, client):
    # given a draft sent back by QC with comments, then a revision approved
    order = world.assigned(MARKETPLACE, title="Resume for a PM role")
    draft = world.submit(order, 1)
    client.force_login(world.reviewer)
    client.post(f"/qc/{draft.pk}/", {"decision": "revise", "comments": SECRET})
    world.approve(world.submit(order, 2))

    # when the customer reads the order page and the inbox
    client.force_login(world.customer)
    order_page = client.get(f"/orders/{order.pk}/")
    inbox = client.get("/inbox/")

    # then the comments are nowhere, while the expert has them
    assert order_page.status_code == 200 and inbox.status_code == 200
    assert SECRET not in order_page.text
    assert SECRET not in inbox.text
    client.force_login(world.expert)
    assert SECRET in client.get("/inbox/").text
