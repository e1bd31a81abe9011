"""The quality loop in the pages: the customer's revision checklist, the expert answering it
point by point and appealing a send-back, the reviewer's scorecard, claims and rework."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from atelier.core import clock
from atelier.notifications.models import Notification
from atelier.orders import actions, rules
from atelier.orders.models import Appeal, Event, Order, QCReview, RevisionItem
from atelier.orders.tests.factories import ServiceFactory, UserFactory

MARKETPLACE = Order.Flow.MARKETPLACE
CHECKLIST = ["Follows the brief", "No typos"]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _in_qc(world):
    service = ServiceFactory(slug="proofreading", policy__qc_checklist=CHECKLIST)
    return world.submit(world.assigned(MARKETPLACE, service=service))


def _send_back(world, submission, comment="The summary is missing."):
    return actions.review_submission(
        submission,
        actor=world.reviewer,
        scorecard=[
            rules.Mark("Follows the brief", False, comment),
            rules.Mark("No typos", True, ""),
        ],
    )


def _resubmit(client, order, **data):
    return client.post(
        f"/orders/{order.pk}/submissions/",
        {"files": SimpleUploadedFile("v2.txt", b"Version 2\n"), "titles": "Resume", **data},
    )


# --- the customer's checklist ------------------------------------------------------------------


def test_revision_request_offers_one_box_per_point(world):
    order = world.delivered()

    page = _client(world.customer).get(f"/orders/{order.pk}/").text

    assert page.count('name="items"') == 3
    assert "Add another point" in page and "js/points.js" in page


def test_each_box_is_a_point_and_a_pasted_list_splits(world):
    # given a delivered order
    order = world.delivered()

    # when the customer fills two boxes, the second with a pasted list, and leaves one blank
    response = _client(world.customer).post(
        f"/orders/{order.pk}/revision/",
        {"items": ["Add my 2024 promotion.", "- Shorter summary\n- Fix the dates", ""]},
    )

    # then the request has three points, in order
    assert response.status_code == 302
    request = order.revision_requests.get()
    assert [i.text for i in request.items.all()] == [
        "Add my 2024 promotion.",
        "Shorter summary",
        "Fix the dates",
    ]
    # and the expert's e-mail lists them
    notification = Notification.objects.get(event="revision_requested", recipient=world.expert)
    assert notification.context["items"] == [i.text for i in request.items.all()]


def test_too_many_points_are_refused_beside_the_field_and_nothing_changes(world):
    order = world.delivered()

    response = _client(world.customer).post(
        f"/orders/{order.pk}/revision/", {"items": [f"Point {n}" for n in range(31)]}
    )

    assert response.status_code == 400
    assert 'id="id_items_errors"' in response.text and "At most 30 points" in response.text
    assert 'value="Point 30"' in response.text or ">Point 30</textarea>" in response.text
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED and not RevisionItem.objects.exists()


def test_the_expert_answers_each_point_and_the_customer_sees_what_was_done(world):
    # given a revision request of two points
    order = world.delivered()
    actions.request_revision(
        order, actor=world.customer, items=["Add the promotion", "Shorter summary"]
    )
    first, second = RevisionItem.objects.order_by("position")
    expert = _client(world.expert)

    # when the expert opens the submit page, then each point is there to tick
    page = expert.get(f"/orders/{order.pk}/submissions/").text
    assert f'name="addressed" value="{first.pk}"' in page
    assert f'name="note-{second.pk}"' in page

    # when they submit, addressing the first with a note, not the second
    response = _resubmit(
        expert,
        order,
        addressed=[first.pk],
        **{f"note-{first.pk}": "Added under 2024.", f"note-{second.pk}": "Kept: it is short."},
    )

    # then each point has the round's answer
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.addressed and first.note == "Added under 2024."
    assert not second.addressed and second.note == "Kept: it is short."
    # and the customer reads it point by point on the order page
    page = _client(world.customer).get(f"/orders/{order.pk}/").text
    assert "✓ Addressed" in page and "✗ Not addressed" in page
    assert "Added under 2024." in page and "Kept: it is short." in page


def test_a_point_that_is_not_open_is_refused_and_nothing_is_submitted(world):
    order = world.delivered()
    actions.request_revision(order, actor=world.customer, items=["Add the promotion"])
    submissions = order.submissions.count()

    response = _resubmit(_client(world.expert), order, addressed=["999999"])

    assert response.status_code == 400
    assert "Mark only the points of the revision request" in response.text
    assert order.submissions.count() == submissions
    assert not RevisionItem.objects.filter(answered_in__isnull=False).exists()


def test_a_point_id_that_is_not_a_number_is_refused(world):
    order = world.delivered()
    actions.request_revision(order, actor=world.customer, items=["Add the promotion"])

    response = _resubmit(_client(world.expert), order, addressed=["first"])

    assert response.status_code == 400
    assert "Tick only the points shown." in response.text


# --- QC: the scorecard -------------------------------------------------------------------------


def test_review_page_shows_the_checklist_to_mark(world):
    submission = _in_qc(world)

    page = _client(world.reviewer).get(f"/qc/{submission.pk}/").text

    assert "QC checklist of" in page
    assert "Follows the brief" in page and "No typos" in page
    assert page.count('value="fail"') == 2


def _card(*, brief="pass", typos="pass", **extra) -> dict:
    return {
        "point-0": brief,
        "comment-0": extra.pop("brief_comment", ""),
        "point-1": typos,
        "comment-1": "",
        **extra,
    }


def test_all_points_passed_approves(world):
    submission = _in_qc(world)

    response = _client(world.reviewer).post(
        f"/qc/{submission.pk}/", _card(decision="approve"), follow=True
    )

    assert "Approved" in response.text
    review = submission.reviews.get()
    assert review.decision == QCReview.Decision.APPROVE
    assert [m["pass"] for m in review.scorecard] == [True, True]


def test_a_failed_point_needs_evidence_and_nothing_changes(world):
    submission = _in_qc(world)

    response = _client(world.reviewer).post(
        f"/qc/{submission.pk}/", _card(brief="fail", decision="revise")
    )

    assert response.status_code == 200
    assert "a failed point needs a comment as evidence" in response.text
    assert not QCReview.objects.exists()
    assert Order.objects.get(pk=submission.order_id).status == Order.Status.IN_QC


def test_approving_against_a_failed_point_needs_a_reason(world):
    submission = _in_qc(world)
    reviewer = _client(world.reviewer)
    card = _card(brief="fail", brief_comment="No summary.", decision="approve")

    # when the reviewer approves despite the failed point, without a reason
    response = reviewer.post(f"/qc/{submission.pk}/", card)

    # then it is refused beside the reason field
    assert response.status_code == 200
    assert 'id="id_override_reason_error"' in response.text
    assert not QCReview.objects.exists()

    # when they say why
    reviewer.post(f"/qc/{submission.pk}/", card | {"override_reason": "The brief waived it."})

    # then it is approved, the override on record
    review = submission.reviews.get()
    assert review.decision == QCReview.Decision.APPROVE
    assert review.override_reason == "The brief waived it."
    assert Event.objects.get(verb="qc.approved").details.get("overridden") is True


def test_the_send_back_reaches_the_expert_with_the_card_and_never_the_customer(world):
    # given a submission sent back on the card, plus a point of the reviewer's own
    submission = _in_qc(world)
    _client(world.reviewer).post(
        f"/qc/{submission.pk}/",
        _card(
            brief="fail",
            brief_comment="The summary is missing.",
            comments="Use the customer's job title",
            decision="revise",
        ),
    )
    order = Order.objects.get(pk=submission.order_id)

    # then the expert's work tab shows the card and each point, with an appeal form
    work = _client(world.expert).get(f"/orders/{order.pk}/?tab=work").text
    assert "QC scorecard" in work and "The summary is missing." in work
    assert "Use the customer&#x27;s job title" in work
    assert "Appeal this send-back" in work
    # and the submit page asks about each point
    submit = _client(world.expert).get(f"/orders/{order.pk}/submissions/").text
    assert "Follows the brief: The summary is missing." in submit

    # when the expert answers and QC approves the next round
    items = list(RevisionItem.objects.filter(review__submission=submission))
    response = _resubmit(_client(world.expert), order, addressed=[i.pk for i in items])
    assert response.status_code == 302, response.text
    world.approve(order.submissions.order_by("-number").first())

    # then the customer sees the delivery, but neither the card nor QC's points
    page = _client(world.customer).get(f"/orders/{order.pk}/").text
    assert "Version 2" in page or "v2.txt" in page
    assert "The summary is missing." not in page
    assert "QC scorecard" not in page and "job title" not in page


# --- claims and sticky rework ------------------------------------------------------------------


def test_claim_from_the_queue_keeps_other_reviewers_out(world):
    # given a submission in QC and two reviewers
    submission = _in_qc(world)
    other = UserFactory(email="reviewer2@example.com", is_reviewer=True)

    # when the first claims it from the queue
    response = _client(world.reviewer).post(f"/qc/{submission.pk}/claim/", follow=True)

    # then it is theirs, at the top of their queue
    assert "It is yours to review until" in response.text
    mine = _client(world.reviewer).get("/qc/").text
    assert "Claimed by you" in mine
    # and the other reviewer sees who holds it, and cannot review it
    theirs = _client(other).get("/qc/").text
    assert "Held by another reviewer" in theirs and str(world.reviewer) in theirs
    response = _client(other).post(f"/qc/{submission.pk}/", _card(decision="approve"))
    assert "is reviewing this submission" in response.text
    assert not QCReview.objects.exists()


def test_release_puts_it_back_in_the_queue(world):
    submission = _in_qc(world)
    reviewer = _client(world.reviewer)
    reviewer.post(f"/qc/{submission.pk}/claim/")

    response = reviewer.post(f"/qc/{submission.pk}/claim/", {"release": "1"}, follow=True)

    assert "is back in the queue" in response.text
    order = Order.objects.get(pk=submission.order_id)
    assert order.qc_reviewer is None and order.qc_claimed_until is None
    assert "Waiting for a reviewer" in reviewer.get("/qc/").text


def test_an_abandoned_claim_runs_out(world):
    submission = _in_qc(world)
    other = UserFactory(email="reviewer2@example.com", is_reviewer=True)
    _client(world.reviewer).post(f"/qc/{submission.pk}/claim/")

    with clock.frozen_at(clock.now() + timedelta(hours=2)):
        response = _client(other).post(f"/qc/{submission.pk}/claim/", follow=True)

    assert "It is yours to review until" in response.text
    assert Order.objects.get(pk=submission.order_id).qc_reviewer == other


def test_a_send_back_returns_to_the_same_reviewer_as_their_rework(world):
    # given a submission the reviewer sent back, and a second reviewer
    submission = _in_qc(world)
    other = UserFactory(email="reviewer2@example.com", is_reviewer=True)
    _send_back(world, submission)

    # when the expert submits the next round
    world.submit(submission.order, 2)

    # then it is the first reviewer's rework, first in their queue
    assert "Your rework" in _client(world.reviewer).get("/qc/").text
    assert "Held by another reviewer" in _client(other).get("/qc/").text


# --- appeals -----------------------------------------------------------------------------------


def test_the_expert_appeals_a_send_back_once(world):
    # given a send-back
    submission = _in_qc(world)
    _send_back(world, submission)
    order = submission.order
    expert = _client(world.expert)

    # when the expert appeals with a reason
    response = expert.post(f"/orders/{order.pk}/appeal/", {"reason": "The brief said no summary."})

    # then it is with the agents
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.status == Appeal.Status.PENDING and appeal.review.submission == submission
    assert Notification.objects.filter(event="appeal_opened", recipient=world.agent).exists()

    # when they try a second time, then it is refused and nothing changes
    response = expert.post(f"/orders/{order.pk}/appeal/", {"reason": "Again."})
    assert response.status_code == 400
    assert "no send-back to appeal" in response.text
    assert Appeal.objects.count() == 1


def test_an_appeal_needs_a_reason(world):
    submission = _in_qc(world)
    _send_back(world, submission)

    response = _client(world.expert).post(f"/orders/{submission.order_id}/appeal/", {"reason": ""})

    assert response.status_code == 400
    assert 'id="work-appeal-errors"' in response.text
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("who", ["customer", "reviewer", "expert2"])
def test_only_the_expert_appeals(world, who):
    submission = _in_qc(world)
    _send_back(world, submission)

    response = _client(getattr(world, who)).post(
        f"/orders/{submission.order_id}/appeal/", {"reason": "Unfair."}
    )

    assert response.status_code in (403, 404)
    assert not Appeal.objects.exists()
