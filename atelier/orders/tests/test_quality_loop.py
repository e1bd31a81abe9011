"""The quality loop in the domain (DESIGN rule 3 and the revision checklists): a revision request
or a QC send-back is a list of points the expert's next round answers one by one; reviewers mark
the service's QC checklist, claim a submission so that two never review the same one, get their
send-back back as rework; agents reassign reviews and decide the expert's appeals."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from atelier.accounts.models import User
from atelier.catalog import checklists
from atelier.catalog.models import Service
from atelier.catalog.services import change_policy, clean_checklist
from atelier.core import clock
from atelier.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from atelier.notifications.models import Notification
from atelier.orders import access, actions, queries, rules
from atelier.orders.actions.common import MAX_ITEM_LENGTH, MAX_ITEMS, clean_items
from atelier.orders.models import Appeal, Event, Order, QCReview, RevisionItem
from atelier.orders.tests.factories import ServiceFactory, UserFactory, World, doc
from atelier.rewards.models import LedgerEntry

S = Order.Status
MARKETPLACE = Order.Flow.MARKETPLACE
CHECKLIST = ["Follows the brief", "No typos", "Dates match"]
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
Mark = rules.Mark


# --- helpers: later states reached through the real actions ----------------------------------


def _qc_order(world: World, checklist=CHECKLIST, *, turnaround_hours: int = 6) -> Order:
    """A marketplace order (QC required) with the expert at work, under a policy with
    `checklist` and a QC turnaround of `turnaround_hours`."""
    service = ServiceFactory(
        policy__qc_checklist=list(checklist), policy__qc_turnaround_hours=turnaround_hours
    )
    return world.assigned(MARKETPLACE, service=service)


def _in_qc(world: World, checklist=CHECKLIST, **policy):
    order = _qc_order(world, checklist, **policy)
    return world.submit(order)


def _card(failed: dict[str, str] | None = None, checklist=CHECKLIST) -> list[Mark]:
    """A scorecard of `checklist`: the points in `failed` fail with their comment, the rest pass."""
    failed = failed or {}
    return [Mark(p, p not in failed, failed.get(p, "")) for p in checklist]


def _send_back(world: World, submission, *, reviewer=None, comment="The summary is missing."):
    review = actions.review_submission(
        submission,
        actor=reviewer or world.reviewer,
        scorecard=_card({"Follows the brief": comment}),
    )
    submission.order.refresh_from_db()
    return review


def _submit(world: World, order: Order, n: int, *, addressed=(), notes=None):
    submission = actions.submit_work(
        order,
        actor=world.expert,
        notes=f"Version {n}.",
        files=[doc(f"resume-v{n}.txt", f"Resume version {n}\n", "Resume")],
        addressed=addressed,
        item_notes=notes,
    )
    order.refresh_from_db()
    return submission


def _reviewer2() -> User:
    return UserFactory(email="reviewer2@example.com", is_reviewer=True)


def _verbs(order: Order, prefix: str = "qc.") -> list[str]:
    return list(
        Event.objects.filter(order=order, verb__startswith=prefix)
        .order_by("pk")
        .values_list("verb", flat=True)
    )


def _state(order: Order) -> dict:
    """Everything an action that is refused must leave as it was."""
    order = Order.objects.get(pk=order.pk)
    return {
        "status": order.status,
        "qc": (order.qc_reviewer_id, order.qc_claimed_until),
        "submissions": order.submissions.count(),
        "files": order.files.count(),
        "reviews": QCReview.objects.filter(submission__order=order).count(),
        "items": list(
            RevisionItem.objects.order_by("pk").values_list(
                "pk", "text", "answered_in", "addressed", "note"
            )
        ),
        "requests": order.revision_requests.count(),
        "appeals": list(order.appeals.values_list("pk", "status")),
        "events": Event.objects.filter(order=order).count(),
        "notifications": Notification.objects.filter(order=order).count(),
        "ledger": LedgerEntry.objects.filter(order=order).count(),
    }


# --- the customer's checklist ------------------------------------------------------------------


def test_given_points_are_the_requests_checklist_and_its_comments(world):
    # given a delivered order
    order = world.delivered()

    # when the customer asks for changes as points, one blank and one with stray spaces
    request = actions.request_revision(
        order, actor=world.customer, items=["  Add my 2024 promotion ", "", "Shorter summary"]
    )

    # then each non-blank point is an item, in order, trimmed, not yet answered
    items = list(request.items.order_by("position"))
    assert [(i.position, i.text) for i in items] == [
        (1, "Add my 2024 promotion"),
        (2, "Shorter summary"),
    ]
    assert all(i.answered_in is None and not i.addressed and i.note == "" for i in items)
    # and the request's comments are the points as a list (what e-mails and old clients read)
    assert request.comments == "- Add my 2024 promotion\n- Shorter summary"
    # and the expert is told each point
    note = Notification.objects.get(event="revision_requested", recipient=world.expert)
    assert note.context["items"] == ["Add my 2024 promotion", "Shorter summary"]


def test_comments_alone_split_into_points_and_are_kept_as_written(world):
    order = world.delivered()
    comments = "Please change:\n- the dates\n  of my last job\n- the title"

    request = actions.request_revision(order, actor=world.customer, comments=comments)

    assert [i.text for i in request.items.order_by("position")] == [
        "Please change:",
        "the dates of my last job",
        "the title",
    ]
    assert request.comments == comments


def test_points_win_over_comments_which_are_kept_beside_them(world):
    order = world.delivered()

    request = actions.request_revision(
        order, actor=world.customer, comments="- one\n- two", items=["Only this"]
    )

    assert [i.text for i in request.items.all()] == ["Only this"]
    assert request.comments == "- one\n- two"


def test_a_request_with_exactly_the_most_points_of_the_longest_text_is_taken(world):
    order = world.delivered()
    texts = [f"{n:02d}" + "x" * (MAX_ITEM_LENGTH - 2) for n in range(MAX_ITEMS)]

    request = actions.request_revision(order, actor=world.customer, items=texts)

    assert request.items.count() == MAX_ITEMS
    assert [i.text for i in request.items.order_by("position")] == texts


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"comments": ""}, "comments"),
        ({"comments": " \n\t\n"}, "comments"),
        ({"items": ["", "   "]}, "items"),
        ({"items": [f"Point {n}" for n in range(MAX_ITEMS + 1)]}, "items"),
        ({"items": ["Fine", "x" * (MAX_ITEM_LENGTH + 1)]}, "items"),
        ({"items": ["Fine", 3]}, "items"),
        ({"comments": "\n".join(f"Point {n}" for n in range(MAX_ITEMS + 1))}, "comments"),
        ({"comments": "- " + "x" * (MAX_ITEM_LENGTH + 1)}, "comments"),
    ],
    ids=[
        "nothing",
        "blank comments",
        "blank points",
        "too many points",
        "a point too long",
        "a point not text",
        "too many lines",
        "a line too long",
    ],
)
def test_a_bad_checklist_is_refused_on_its_field_and_nothing_changes(world, kwargs, field):
    # given a delivered order
    order = world.delivered()
    before = _state(order)

    # when the customer asks with no point, too many or too long a one
    with pytest.raises(InvalidInput) as refused:
        actions.request_revision(order, actor=world.customer, **kwargs)

    # then the field is named and nothing was written
    assert refused.value.field == field
    assert _state(order) == before


def test_clean_items_may_allow_no_points_and_names_the_field_it_read():
    assert clean_items(None, "  ", required=False) == []
    assert clean_items([], "- a\n- b") == ["a", "b"]
    with pytest.raises(InvalidInput) as refused:
        clean_items(None, "")
    assert refused.value.field == "comments"
    with pytest.raises(InvalidInput) as refused:
        clean_items([" "], "ignored when points are given")
    assert refused.value.field == "items"


# --- the expert's next round answers each point ------------------------------------------------


def test_the_next_round_answers_every_open_point_with_its_notes(world):
    # given a delivered order (no QC) and a request of three points
    order = world.delivered()
    actions.request_revision(order, actor=world.customer, items=["Promotion", "Summary", "Title"])
    order.refresh_from_db()
    promotion, summary, title = queries.open_items(order)

    # when the expert submits, addressing two points and explaining the third
    second = _submit(
        world,
        order,
        2,
        addressed=[promotion.pk, title.pk],
        notes={promotion.pk: "  Added under 2024. ", summary.pk: "Kept: it is already short."},
    )

    # then every point has this round's answer, with its note
    answers = {
        i.text: (i.answered_in_id, i.addressed, i.note)
        for i in RevisionItem.objects.filter(request__order=order)
    }
    assert answers == {
        "Promotion": (second.pk, True, "Added under 2024."),
        "Summary": (second.pk, False, "Kept: it is already short."),
        "Title": (second.pk, True, ""),
    }
    # and the delivery reached the customer, so no point is open any more
    assert order.status == S.REVISION_SUBMITTED
    assert queries.open_items(order) == []


def test_a_round_that_marks_nothing_still_answers_every_point_as_not_addressed(world):
    order = world.delivered()
    actions.request_revision(order, actor=world.customer, items=["Promotion", "Summary"])
    order.refresh_from_db()

    second = _submit(world, order, 2)

    items = RevisionItem.objects.filter(request__order=order)
    assert {(i.answered_in_id, i.addressed, i.note) for i in items} == {(second.pk, False, "")}


def test_the_first_round_has_no_points_to_answer(world):
    order = world.assigned()

    assert queries.open_items(order) == []
    with pytest.raises(InvalidInput) as refused:
        _submit(world, order, 1, addressed=[1])
    assert refused.value.field == "addressed"


@pytest.mark.parametrize("how", ["unknown id", "note for an unknown id", "earlier request's point"])
def test_points_that_are_not_open_are_refused_and_nothing_is_written(world, how):
    # given a delivered order revised once (answered) and asked again
    order = world.delivered()
    actions.request_revision(order, actor=world.customer, items=["Old point"])
    order.refresh_from_db()
    _submit(world, order, 2)
    actions.request_revision(order, actor=world.customer, items=["New point"])
    order.refresh_from_db()
    (new,) = queries.open_items(order)
    old = RevisionItem.objects.get(text="Old point")
    before = _state(order)
    addressed, notes = {
        "unknown id": ([new.pk, 999_999], None),
        "note for an unknown id": ([new.pk], {999_999: "Done."}),
        "earlier request's point": ([new.pk, old.pk], None),
    }[how]

    # when the expert marks a point that this round does not answer
    with pytest.raises(InvalidInput) as refused:
        _submit(world, order, 3, addressed=addressed, notes=notes)

    # then it is refused on "addressed" and no submission, file or answer was written
    assert refused.value.field == "addressed"
    assert _state(order) == before


def test_a_note_too_long_is_refused_and_nothing_is_written(world):
    order = world.delivered()
    actions.request_revision(order, actor=world.customer, items=["Promotion"])
    order.refresh_from_db()
    (item,) = queries.open_items(order)
    before = _state(order)

    with pytest.raises(InvalidInput):
        _submit(world, order, 2, notes={item.pk: "x" * 2001})

    assert _state(order) == before


def test_qc_send_back_points_are_answered_by_the_next_round(world):
    # given a first draft QC sent back with a failed point and a comment of two points
    order = _qc_order(world)
    first = world.submit(order)
    actions.review_submission(
        first,
        actor=world.reviewer,
        scorecard=_card({"Dates match": "2019 should be 2020."}),
        comments="- Tighten the summary\n- Bold the headings",
    )
    order.refresh_from_db()
    open_points = queries.open_items(order)
    assert [i.text for i in open_points] == [
        "Dates match: 2019 should be 2020.",
        "Tighten the summary",
        "Bold the headings",
    ]
    dates, summary, _headings = open_points

    # when the expert submits again, answering them
    second = _submit(world, order, 2, addressed=[dates.pk, summary.pk], notes={dates.pk: "Fixed."})

    # then each send-back point carries the answer, and none is open while QC looks again
    answers = [
        (i.answered_in_id, i.addressed, i.note)
        for i in RevisionItem.objects.filter(review__submission=first).order_by("position")
    ]
    assert answers == [(second.pk, True, "Fixed."), (second.pk, True, ""), (second.pk, False, "")]
    assert order.status == S.IN_QC
    assert queries.open_items(order) == []


def test_a_qc_rejected_rounds_answers_are_answered_again_and_the_customer_reads_the_delivered_one(
    world,
):
    # given a delivered QC order and the customer's request of two points
    order = _qc_order(world)
    world.deliver(order)
    actions.request_revision(order, actor=world.customer, items=["Promotion", "Summary"])
    order.refresh_from_db()
    promotion, summary = queries.open_items(order)

    # when the expert's round 2 answers them, and QC sends it back
    second = _submit(world, order, 2, addressed=[promotion.pk], notes={summary.pk: "Left as is."})
    _send_back(world, second, comment="The promotion is in the wrong job.")

    # then the customer's points are open again, before QC's, with round 2's answers on record
    reopened = queries.open_items(order)
    assert [i.text for i in reopened] == [
        "Promotion",
        "Summary",
        "Follows the brief: The promotion is in the wrong job.",
    ]
    assert reopened[0].answered_in_id == second.pk and reopened[0].addressed
    qc_point = reopened[2]
    order.refresh_from_db()
    assert order.status == S.REVISION_REQUESTED

    # when round 3 answers everything and QC approves it
    third = _submit(
        world,
        order,
        3,
        addressed=[promotion.pk, summary.pk, qc_point.pk],
        notes={promotion.pk: "Moved to the 2024 job.", summary.pk: "Shortened."},
    )
    world.approve(third)
    order.refresh_from_db()

    # then what the customer reads is round 3's answer to each of their points
    assert order.status == S.REVISION_SUBMITTED
    request = order.revision_requests.get()
    assert request.status == request.Status.ANSWERED
    customer_sees = [
        (i.text, i.answered_in_id, i.addressed, i.note)
        for i in queries.visible_items(world.customer, order).filter(answered_in=third)
    ]
    assert customer_sees == [
        ("Promotion", third.pk, True, "Moved to the 2024 job."),
        ("Summary", third.pk, True, "Shortened."),
    ]
    # while QC's point is for the expert, QC and agents only
    assert qc_point.pk not in queries.visible_items(world.customer, order).values_list(
        "pk", flat=True
    )
    assert qc_point.pk in queries.visible_items(world.expert, order).values_list("pk", flat=True)
    assert queries.open_items(order) == []


# --- scorecards --------------------------------------------------------------------------------


def test_a_card_with_every_point_passed_approves_and_is_kept_in_checklist_order(world):
    # given a submission in QC
    submission = _in_qc(world)
    order = submission.order

    # when the reviewer passes every point, in another order than the checklist's
    review = actions.review_submission(
        submission, actor=world.reviewer, scorecard=list(reversed(_card()))
    )

    # then the card decides approve, kept in checklist order, and the customer has the delivery
    assert review.decision == QCReview.Decision.APPROVE
    assert [m["point"] for m in review.scorecard] == CHECKLIST
    assert all(m["pass"] for m in review.scorecard)
    assert review.override_reason == ""
    order.refresh_from_db()
    assert order.status == S.DELIVERED
    assert not RevisionItem.objects.exists()
    approved = Event.objects.get(order=order, verb="qc.approved")
    assert "overridden" not in approved.details
    assert LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.REWARD).count() == 1


def test_a_failed_point_sends_the_work_back_with_the_failures_as_points(world):
    # given a submission in QC
    submission = _in_qc(world)
    order = submission.order

    # when the reviewer fails two points (with evidence) and adds a comment
    review = actions.review_submission(
        submission,
        actor=world.reviewer,
        scorecard=_card({"Dates match": " 2019 should be 2020. ", "No typos": "“recieve”"}),
        comments="Also bold the headings.",
    )

    # then the card decides revise; the failed points, in checklist order, then the comment,
    # are the points the expert answers
    assert review.decision == QCReview.Decision.REVISE
    assert [i.text for i in review.items.order_by("position")] == [
        "No typos: “recieve”",
        "Dates match: 2019 should be 2020.",
        "Also bold the headings.",
    ]
    assert review.scorecard == [
        {"point": "Follows the brief", "pass": True, "comment": ""},
        {"point": "No typos", "pass": False, "comment": "“recieve”"},
        {"point": "Dates match", "pass": False, "comment": "2019 should be 2020."},
    ]
    # and the order is back with the expert, who is told each point
    order.refresh_from_db()
    assert order.status == S.IN_PROGRESS
    assert _verbs(order) == ["qc.revision_requested"]
    assert "overridden" not in Event.objects.get(verb="qc.revision_requested").details
    note = Notification.objects.get(event="qc_revision_requested", recipient=world.expert)
    assert note.context["items"] == [i.text for i in review.items.order_by("position")]
    assert not Notification.objects.filter(order=order, recipient=world.customer).exists()


def test_without_comments_a_send_back_lists_its_points_as_its_comments(world):
    submission = _in_qc(world)

    review = _send_back(world, submission, comment="No summary.")

    assert review.comments == "- Follows the brief: No summary."


@pytest.mark.parametrize(
    "card",
    [
        [*_card(), Mark("Not on the list", True)],
        [*_card(), Mark("No typos", True)],
        _card()[:2],
        [],
        _card({"No typos": ""}),
        _card({"No typos": "   "}),
        _card({"No typos": "x" * 2001}),
    ],
    ids=[
        "unknown point",
        "point marked twice",
        "point missing",
        "empty card",
        "failed without comment",
        "failed with a blank comment",
        "comment too long",
    ],
)
def test_a_bad_scorecard_is_refused_and_nothing_changes(world, card):
    # given a submission in QC
    submission = _in_qc(world)
    before = _state(submission.order)

    # when the reviewer hands in a card that does not mark the checklist once, with evidence
    with pytest.raises(InvalidInput) as refused:
        actions.review_submission(submission, actor=world.reviewer, scorecard=card)

    # then it is refused on the scorecard and nothing was written
    assert refused.value.field == "scorecard"
    assert _state(submission.order) == before


def test_a_service_without_a_checklist_takes_no_marks(world):
    # given a submission of a service with no QC checklist
    submission = _in_qc(world, checklist=[])

    # when the reviewer marks a point anyway, then it is not a point of the checklist
    with pytest.raises(InvalidInput) as refused:
        actions.review_submission(
            submission, actor=world.reviewer, scorecard=[Mark("Follows the brief", True)]
        )
    assert refused.value.field == "scorecard"

    # and an empty card decides nothing: the reviewer decides
    with pytest.raises(InvalidInput) as refused:
        actions.review_submission(submission, actor=world.reviewer, scorecard=[])
    assert refused.value.field == "decision"
    review = actions.review_submission(
        submission, actor=world.reviewer, scorecard=[], decision="approve"
    )
    assert review.decision == QCReview.Decision.APPROVE and review.scorecard == []


def test_approving_against_a_failed_point_needs_a_reason(world):
    # given a submission in QC and a card with a failed point
    submission = _in_qc(world)
    order = submission.order
    card = _card({"No typos": "One typo in the footer."})
    before = _state(order)

    # when the reviewer approves anyway without a reason, then it is refused, nothing changes
    for blank in ("", "   "):
        with pytest.raises(InvalidInput) as refused:
            actions.review_submission(
                submission,
                actor=world.reviewer,
                scorecard=card,
                decision="approve",
                override_reason=blank,
            )
        assert refused.value.field == "override_reason"
        assert _state(order) == before

    # when they give one, then it is approved, the reason kept and the override on the timeline
    review = actions.review_submission(
        submission,
        actor=world.reviewer,
        scorecard=card,
        decision="approve",
        override_reason="The customer's footer; not ours to fix.",
    )
    assert review.decision == QCReview.Decision.APPROVE
    assert review.override_reason == "The customer's footer; not ours to fix."
    assert not review.items.exists()
    order.refresh_from_db()
    assert order.status == S.DELIVERED
    assert Event.objects.get(order=order, verb="qc.approved").details["overridden"] is True


def test_sending_back_a_clean_card_needs_a_reason_and_a_point(world):
    # given a submission whose every point passed
    submission = _in_qc(world)
    order = submission.order

    # when the reviewer sends it back with a reason but no point, then a point is asked for
    with pytest.raises(InvalidInput) as refused:
        actions.review_submission(
            submission,
            actor=world.reviewer,
            scorecard=_card(),
            decision="revise",
            override_reason="The layout breaks in print.",
        )
    assert refused.value.field == "comments"

    # when they give points but no reason, then the reason is asked for
    with pytest.raises(InvalidInput) as refused:
        actions.review_submission(
            submission,
            actor=world.reviewer,
            scorecard=_card(),
            decision="revise",
            items=["Fix the print layout"],
        )
    assert refused.value.field == "override_reason"

    # when they give both, then it is sent back with those points, marked as an override
    review = actions.review_submission(
        submission,
        actor=world.reviewer,
        scorecard=_card(),
        decision="revise",
        items=["Fix the print layout"],
        override_reason="The layout breaks in print.",
    )
    assert [i.text for i in review.items.all()] == ["Fix the print layout"]
    assert Event.objects.get(order=order, verb="qc.revision_requested").details["overridden"]


def test_a_decision_that_agrees_with_the_card_keeps_no_override_reason(world):
    submission = _in_qc(world)

    review = actions.review_submission(
        submission,
        actor=world.reviewer,
        scorecard=_card(),
        decision="approve",
        override_reason="Not needed.",
    )

    assert review.override_reason == ""
    assert "overridden" not in Event.objects.get(verb="qc.approved").details


def test_a_review_without_a_card_still_decides_as_before(world):
    # reviews from before checklists (and API clients that send none) decide by themselves
    submission = _in_qc(world)

    with pytest.raises(InvalidInput) as refused:
        actions.review_submission(submission, actor=world.reviewer)
    assert refused.value.field == "decision"
    review = actions.review_submission(
        submission, actor=world.reviewer, decision="revise", comments="Shorter, please."
    )

    assert review.scorecard == []
    assert [i.text for i in review.items.all()] == ["Shorter, please."]


def test_the_reviewer_is_remembered_and_the_claim_spent_after_a_review(world):
    submission = _in_qc(world)
    actions.claim_review(submission, actor=world.reviewer)

    _send_back(world, submission)

    order = Order.objects.get(pk=submission.order_id)
    assert order.qc_reviewer == world.reviewer and order.qc_claimed_until is None


# --- sticky rework -----------------------------------------------------------------------------


def test_a_resubmission_after_a_send_back_is_held_for_the_same_reviewer(world):
    # given a submission reviewer 1 sent back, and a second reviewer
    first = _in_qc(world, turnaround_hours=6)
    order = first.order
    other = _reviewer2()
    _send_back(world, first)

    # when the expert submits the next round
    with clock.frozen_at(T0):
        second = _submit(world, order, 2)

    # then it is reviewer 1's rework for the policy's QC turnaround
    assert order.qc_reviewer == world.reviewer
    assert order.qc_claimed_until == T0 + timedelta(hours=6)
    # and reviewer 2 can neither claim nor review it meanwhile
    with clock.frozen_at(T0 + timedelta(hours=5, minutes=59)):
        with pytest.raises(Conflict) as taken:
            actions.claim_review(second, actor=other)
        assert taken.value.code == "claimed"
        with pytest.raises(Conflict) as taken:
            actions.review_submission(second, actor=other, scorecard=_card())
        assert taken.value.code == "claimed"
    assert not second.reviews.exists()
    # while reviewer 1 reviews it
    with clock.frozen_at(T0 + timedelta(hours=1)):
        world.approve(second)
    assert second.delivered_at == T0 + timedelta(hours=1)


def test_once_the_rework_hold_runs_out_another_reviewer_may_claim_it(world):
    # given a rework held for reviewer 1 until T0 + 6 h
    first = _in_qc(world, turnaround_hours=6)
    order = first.order
    other = _reviewer2()
    _send_back(world, first)
    with clock.frozen_at(T0):
        second = _submit(world, order, 2)

    # when reviewer 2 claims it once the hold has run out
    with clock.frozen_at(T0 + timedelta(hours=6, seconds=1)):
        order = actions.claim_review(second, actor=other)

        # then it is theirs, and they review it
        assert order.qc_reviewer == other
        review = actions.review_submission(second, actor=other, scorecard=_card())
    assert review.reviewer == other
    assert Event.objects.get(order=order, verb="qc.claimed").actor == other


def test_claiming_your_own_rework_never_shortens_its_hold(world, settings):
    # given reviewer 1's rework held for the 6 h turnaround, and 60-minute queue claims
    settings.ATELIER_QC_CLAIM_MINUTES = 60
    first = _in_qc(world, turnaround_hours=6)
    order = first.order
    _send_back(world, first)
    with clock.frozen_at(T0):
        second = _submit(world, order, 2)

    # when they claim it (as from the queue)
    with clock.frozen_at(T0 + timedelta(minutes=10)):
        order = actions.claim_review(second, actor=world.reviewer)

    # then they still hold it until the end of the turnaround
    assert order.qc_claimed_until == T0 + timedelta(hours=6)
    assert Order.objects.get(pk=order.pk).qc_claimed_until == T0 + timedelta(hours=6)


def test_a_rework_goes_to_the_queue_when_its_reviewer_no_longer_reviews(world):
    first = _in_qc(world)
    order = first.order
    _send_back(world, first)
    world.reviewer.is_reviewer = False
    world.reviewer.save()

    _submit(world, order, 2)

    assert order.qc_reviewer is None and order.qc_claimed_until is None


def test_a_revision_the_customer_asked_for_waits_in_the_queue(world):
    # given a delivery QC approved and the customer's request
    order = _qc_order(world)
    world.deliver(order)
    world.revise(order)

    # when the expert submits the revision, then it is no reviewer's rework
    _submit(world, order, 2)

    assert order.status == S.IN_QC
    assert order.qc_reviewer is None and order.qc_claimed_until is None


def test_a_send_back_of_a_revision_round_is_rework_for_its_reviewer(world):
    # given a delivered QC order, the customer's request, and reviewer 2 sending back round 2
    order = _qc_order(world, turnaround_hours=4)
    world.deliver(order)
    world.revise(order)
    other = _reviewer2()
    second = _submit(world, order, 2)
    _send_back(world, second, reviewer=other)

    # when the expert submits round 3
    with clock.frozen_at(T0):
        _submit(world, order, 3)

    # then reviewer 2 holds it, not the reviewer who approved the first delivery
    assert order.qc_reviewer == other
    assert order.qc_claimed_until == T0 + timedelta(hours=4)


# --- claims ------------------------------------------------------------------------------------


def test_a_reviewer_claims_a_submission_for_the_claim_minutes(world, settings):
    # given a submission in QC and claims of 45 minutes
    settings.ATELIER_QC_CLAIM_MINUTES = 45
    submission = _in_qc(world)

    # when a reviewer claims it
    with clock.frozen_at(T0):
        order = actions.claim_review(submission, actor=world.reviewer)

    # then it is theirs for 45 minutes, on the timeline once
    held = (world.reviewer, T0 + timedelta(minutes=45))
    assert (order.qc_reviewer, order.qc_claimed_until) == held
    stored = Order.objects.get(pk=order.pk)
    assert (stored.qc_reviewer, stored.qc_claimed_until) == held
    claimed = Event.objects.get(order=order, verb="qc.claimed")
    assert claimed.actor == world.reviewer and claimed.details["submission"] == 1
    # and the order's status did not move
    assert order.status == S.IN_QC


def test_claiming_again_extends_the_claim_without_a_second_event(world, settings):
    settings.ATELIER_QC_CLAIM_MINUTES = 60
    submission = _in_qc(world)
    with clock.frozen_at(T0):
        actions.claim_review(submission, actor=world.reviewer)

    with clock.frozen_at(T0 + timedelta(minutes=50)):
        order = actions.claim_review(submission, actor=world.reviewer)

    assert order.qc_claimed_until == T0 + timedelta(minutes=110)
    assert _verbs(order) == ["qc.claimed"]


def test_another_reviewer_cannot_claim_or_review_a_held_submission(world):
    submission = _in_qc(world)
    other = _reviewer2()
    with clock.frozen_at(T0):
        actions.claim_review(submission, actor=world.reviewer)
    before = _state(submission.order)

    with clock.frozen_at(T0 + timedelta(minutes=59)):
        with pytest.raises(Conflict) as taken:
            actions.claim_review(submission, actor=other)
        assert taken.value.code == "claimed"
        assert str(world.reviewer) in taken.value.message
        with pytest.raises(Conflict) as taken:
            actions.review_submission(submission, actor=other, decision="approve")
        assert taken.value.code == "claimed"

    assert _state(submission.order) == before


def test_an_expired_claim_is_open_to_another_reviewer(world, settings):
    settings.ATELIER_QC_CLAIM_MINUTES = 60
    submission = _in_qc(world)
    other = _reviewer2()
    with clock.frozen_at(T0):
        actions.claim_review(submission, actor=world.reviewer)

    with clock.frozen_at(T0 + timedelta(minutes=60)):
        order = actions.claim_review(submission, actor=other)

    assert order.qc_reviewer == other
    assert _verbs(order) == ["qc.claimed", "qc.claimed"]


def test_releasing_puts_the_submission_back_in_the_queue(world):
    # given a claimed submission
    submission = _in_qc(world)
    actions.claim_review(submission, actor=world.reviewer)

    # when its reviewer releases it
    order = actions.release_review(submission, actor=world.reviewer)

    # then nobody holds it, on the timeline, and another reviewer may claim it
    stored = Order.objects.get(pk=order.pk)
    assert stored.qc_reviewer is None and stored.qc_claimed_until is None
    assert _verbs(order) == ["qc.claimed", "qc.released"]
    assert actions.claim_review(submission, actor=_reviewer2()).qc_reviewer.email == (
        "reviewer2@example.com"
    )


def test_only_the_holder_releases(world):
    submission = _in_qc(world)
    other = _reviewer2()

    # nobody holds it yet
    with pytest.raises(Conflict) as refused:
        actions.release_review(submission, actor=world.reviewer)
    assert refused.value.code == "not_claimed"

    # someone else holds it
    actions.claim_review(submission, actor=world.reviewer)
    before = _state(submission.order)
    with pytest.raises(Conflict) as refused:
        actions.release_review(submission, actor=other)
    assert refused.value.code == "not_claimed"
    assert _state(submission.order) == before


def test_a_reviewed_or_replaced_submission_cannot_be_claimed(world):
    # given a first submission sent back and its replacement approved
    first = _in_qc(world)
    _send_back(world, first)
    second = _submit(world, first.order, 2)
    world.approve(second)

    # when a reviewer claims or releases either, then it is no longer in QC
    for submission in (first, second):
        for act in (actions.claim_review, actions.release_review):
            with pytest.raises(Conflict) as refused:
                act(submission, actor=world.reviewer)
            assert refused.value.code == "not_in_qc"


def test_a_reviewer_who_is_the_orders_expert_cannot_claim_it(world):
    # given an order whose expert also reviews
    world.expert.is_reviewer = True
    world.expert.save()
    submission = _in_qc(world)

    with pytest.raises(NotAllowed):
        actions.claim_review(submission, actor=world.expert)
    with pytest.raises(NotAllowed):
        actions.review_submission(submission, actor=world.expert, scorecard=_card())


@pytest.mark.parametrize(("who", "error"), [("customer", NotAllowed), ("stranger", NotFound)])
def test_only_reviewers_claim(world, who, error):
    submission = _in_qc(world)

    with pytest.raises(error):
        actions.claim_review(submission, actor=getattr(world, who))

    assert Order.objects.get(pk=submission.order_id).qc_reviewer is None


# --- agents reassign reviews -------------------------------------------------------------------


def test_an_agent_gives_a_held_submission_to_another_reviewer(world):
    # given a submission reviewer 1 holds
    submission = _in_qc(world, turnaround_hours=8)
    other = _reviewer2()
    actions.claim_review(submission, actor=world.reviewer)

    # when an agent gives it to reviewer 2
    with clock.frozen_at(T0):
        order = actions.assign_reviewer(submission, actor=world.agent, reviewer=other)

    # then reviewer 2 holds it for the QC turnaround, and is told
    stored = Order.objects.get(pk=order.pk)
    assert (stored.qc_reviewer, stored.qc_claimed_until) == (other, T0 + timedelta(hours=8))
    reassigned = Event.objects.get(order=order, verb="qc.reassigned")
    assert reassigned.actor == world.agent and reassigned.details["reviewer"] == other.email
    assert Notification.objects.filter(order=order, event="qc_reassigned").count() == 1
    assert Notification.objects.get(order=order, event="qc_reassigned").recipient == other
    # and reviewer 1 cannot review it any more
    with clock.frozen_at(T0 + timedelta(hours=1)), pytest.raises(Conflict) as taken:
        actions.review_submission(submission, actor=world.reviewer, scorecard=_card())
    assert taken.value.code == "claimed"


def test_an_agent_puts_a_held_submission_back_in_the_queue(world):
    submission = _in_qc(world)
    actions.claim_review(submission, actor=world.reviewer)

    order = actions.assign_reviewer(submission, actor=world.agent, reviewer=None)

    stored = Order.objects.get(pk=order.pk)
    assert stored.qc_reviewer is None and stored.qc_claimed_until is None
    assert Event.objects.get(order=order, verb="qc.reassigned").details["reviewer"] is None
    assert not Notification.objects.filter(event="qc_reassigned").exists()
    actions.claim_review(submission, actor=_reviewer2())


@pytest.mark.parametrize("who", ["expert2", "customer", "order's expert", "inactive reviewer"])
def test_a_review_goes_only_to_a_reviewer_who_may_review_the_order(world, who):
    # given a submission in QC
    world.expert.is_reviewer = True
    world.expert.save()
    submission = _in_qc(world)
    reviewer = {
        "expert2": world.expert2,
        "customer": world.customer,
        "order's expert": world.expert,
        "inactive reviewer": UserFactory(is_reviewer=True, is_active=False),
    }[who]
    before = _state(submission.order)

    # when an agent gives it to someone who may not review it
    with pytest.raises(InvalidInput) as refused:
        actions.assign_reviewer(submission, actor=world.agent, reviewer=reviewer)

    # then it is refused on the reviewer, and nothing changes
    assert refused.value.field == "reviewer"
    assert _state(submission.order) == before


@pytest.mark.parametrize("who", ["reviewer", "expert", "customer"])
def test_only_agents_reassign_reviews(world, who):
    submission = _in_qc(world)
    before = _state(submission.order)

    with pytest.raises(NotAllowed):
        actions.assign_reviewer(submission, actor=getattr(world, who), reviewer=world.reviewer)

    assert _state(submission.order) == before


def test_a_reviewed_submission_cannot_be_reassigned(world):
    submission = _in_qc(world)
    world.approve(submission)

    with pytest.raises(Conflict) as refused:
        actions.assign_reviewer(submission, actor=world.agent, reviewer=world.reviewer)

    assert refused.value.code == "not_in_qc"


# --- appeals -----------------------------------------------------------------------------------


def _sent_back(world: World, **policy):
    submission = _in_qc(world, **policy)
    review = _send_back(world, submission)
    return submission, review


def _appeal(world: World, submission, reason="The brief said no summary."):
    appeal = actions.appeal_review(submission, actor=world.expert, reason=reason)
    submission.order.refresh_from_db()
    return appeal


def test_the_expert_appeals_a_send_back_and_agents_are_told(world):
    # given a send-back, and a second agent
    submission, review = _sent_back(world)
    order = submission.order
    agent2 = UserFactory(is_agent=True)
    assert actions.appealable_review(order) == review

    # when the expert appeals it
    appeal = _appeal(world, submission)

    # then the appeal waits for an agent, every agent is told, on the timeline
    assert (appeal.status, appeal.review, appeal.expert) == (
        Appeal.Status.PENDING,
        review,
        world.expert,
    )
    assert appeal.reason == "The brief said no summary."
    told = Notification.objects.filter(order=order, event="appeal_opened")
    assert set(told.values_list("recipient", flat=True)) == {world.agent.pk, agent2.pk}
    assert _verbs(order)[-1] == "qc.appealed"
    # and the order is still with the expert; there is nothing more to appeal
    assert order.status == S.IN_PROGRESS
    assert actions.appealable_review(order) is None


def test_a_submission_qc_did_not_send_back_cannot_be_appealed(world):
    submission = _in_qc(world)
    with pytest.raises(Conflict) as refused:
        _appeal(world, submission)
    assert refused.value.code == "not_sent_back"

    world.approve(submission)
    with pytest.raises(Conflict) as refused:
        _appeal(world, submission)
    assert refused.value.code == "not_sent_back"
    assert not Appeal.objects.exists()


def test_a_send_back_is_appealed_once(world):
    submission, _ = _sent_back(world)
    _appeal(world, submission)
    before = _state(submission.order)

    with pytest.raises(Conflict) as refused:
        _appeal(world, submission, reason="Again.")

    assert refused.value.code == "already_appealed"
    assert _state(submission.order) == before


def test_an_appeal_needs_a_reason(world):
    submission, _ = _sent_back(world)

    with pytest.raises(InvalidInput) as refused:
        _appeal(world, submission, reason="  ")

    assert refused.value.field == "reason"
    assert not Appeal.objects.exists()


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("customer", NotAllowed),
        ("reviewer", NotAllowed),
        ("agent", NotAllowed),
        ("expert2", NotFound),
        ("stranger", NotFound),
    ],
)
def test_only_the_orders_expert_appeals(world, who, error):
    submission, _ = _sent_back(world)

    with pytest.raises(error):
        actions.appeal_review(submission, actor=getattr(world, who), reason="Unfair.")

    assert not Appeal.objects.exists()


def test_an_earlier_rounds_send_back_is_not_appealable_once_a_new_round_is_in(world):
    # given round 1 sent back, unappealed, and round 2 submitted and sent back too
    first, _ = _sent_back(world)
    second = _submit(world, first.order, 2)
    _send_back(world, second)

    # when the expert appeals round 1, then only the latest send-back may be appealed
    with pytest.raises(Conflict) as refused:
        _appeal(world, first)
    assert refused.value.code == "not_appealable"

    # while round 2's send-back may
    assert _appeal(world, second).review.submission == second


def test_resubmitting_withdraws_a_pending_appeal(world):
    # given a pending appeal of round 1's send-back
    first, _ = _sent_back(world)
    appeal = _appeal(world, first)

    # when the expert submits round 2 instead of waiting
    with clock.frozen_at(T0):
        _submit(world, first.order, 2)

    # then the appeal is withdrawn, on the timeline, and cannot be decided any more
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.WITHDRAWN and appeal.decided_at == T0
    withdrawn = Event.objects.get(order=first.order, verb="qc.appeal_withdrawn")
    assert withdrawn.actor == world.expert and withdrawn.details["submission"] == 2
    with pytest.raises(Conflict) as refused:
        actions.decide_appeal(appeal, actor=world.agent, decision="overturn", reason="Late.")
    assert refused.value.code == "appeal_decided"


def test_an_upheld_send_back_stays_with_the_expert_who_may_appeal_the_next_one(world):
    # given an appeal of round 1's send-back
    first, _ = _sent_back(world)
    order = first.order
    appeal = _appeal(world, first)

    # when an agent upholds it
    with clock.frozen_at(T0):
        decided = actions.decide_appeal(
            appeal, actor=world.agent, decision="uphold", reason="The brief asks for a summary."
        )

    # then the send-back stands: the order is with the expert, nothing reached the customer
    assert decided.status == Appeal.Status.UPHELD
    assert (decided.decided_by, decided.decided_at) == (world.agent, T0)
    assert decided.decision_reason == "The brief asks for a summary."
    order.refresh_from_db()
    assert order.status == S.IN_PROGRESS and order.first_delivered_at is None
    first.refresh_from_db()
    assert first.delivered_at is None
    assert not LedgerEntry.objects.filter(order=order).exists()
    assert not Notification.objects.filter(order=order, recipient=world.customer).exists()
    assert _verbs(order)[-1] == "qc.appeal_upheld"
    # and the expert and the reviewer are told
    told = Notification.objects.filter(order=order, event="appeal_decided")
    assert set(told.values_list("recipient", flat=True)) == {world.expert.pk, world.reviewer.pk}
    assert actions.appealable_review(order) is None

    # when round 2 is sent back too, then that send-back may be appealed
    second = _submit(world, order, 2)
    _send_back(world, second)
    assert actions.appealable_review(order) == second.reviews.get()
    assert _appeal(world, second).status == Appeal.Status.PENDING


def test_an_overturned_send_back_is_delivered_as_if_qc_had_approved_it(world):
    # given an appeal of the first draft's send-back
    first, _ = _sent_back(world)
    order = first.order
    appeal = _appeal(world, first)

    # when an agent overturns it
    with clock.frozen_at(T0):
        decided = actions.decide_appeal(
            appeal, actor=world.agent, decision="overturn", reason="The brief said no summary."
        )

    # then the draft is delivered to the customer now, as on a QC approval
    assert decided.status == Appeal.Status.OVERTURNED
    first.refresh_from_db()
    order.refresh_from_db()
    assert first.delivered_at == T0 and order.first_delivered_at == T0
    assert order.status == S.DELIVERED
    assert queries.latest_delivery(order) == first
    assert Notification.objects.get(order=order, event="delivered").recipient == world.customer
    assert Event.objects.filter(order=order, verb="submission.delivered").count() == 1
    # and the reward is earned, once
    rewards = LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.REWARD)
    assert rewards.count() == 1 and rewards.get().amount == order.reward_amount
    # and the expert and the reviewer are told; the timeline says who overturned it
    told = Notification.objects.filter(order=order, event="appeal_decided")
    assert set(told.values_list("recipient", flat=True)) == {world.expert.pk, world.reviewer.pk}
    overturned = Event.objects.get(order=order, verb="qc.appeal_overturned")
    assert overturned.actor == world.agent and overturned.details["submission"] == 1
    # and the send-back's points are no longer open
    assert queries.open_items(order) == []


def test_an_overturned_revision_round_reaches_the_customer_and_earns_no_second_reward(world):
    # given a delivered QC order (reward earned), the customer's request, round 2 sent back
    order = _qc_order(world)
    world.deliver(order)
    actions.request_revision(order, actor=world.customer, items=["Promotion"])
    order.refresh_from_db()
    second = _submit(world, order, 2, addressed=[queries.open_items(order)[0].pk])
    _send_back(world, second)
    appeal = _appeal(world, second)
    order.refresh_from_db()
    assert order.status == S.REVISION_REQUESTED

    # when an agent overturns the send-back
    actions.decide_appeal(appeal, actor=world.agent, decision="overturn", reason="Fine as is.")

    # then the customer has the revision, their request is answered by it
    order.refresh_from_db()
    second.refresh_from_db()
    assert order.status == S.REVISION_SUBMITTED
    assert second.delivered_at is not None
    assert order.revision_requests.get().status == "answered"
    assert RevisionItem.objects.get(text="Promotion").answered_in == second
    assert Notification.objects.filter(order=order, event="delivered").count() == 2
    # and the reward, earned at the first approval, is not earned again
    assert LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.REWARD).count() == 1


def _revision_sent_back(world: World):
    """A delivered QC order whose revision round 2 QC sent back (status revision_requested)."""
    order = _qc_order(world)
    world.deliver(order)
    world.revise(order)
    second = _submit(world, order, 2)
    _send_back(world, second)
    order.refresh_from_db()
    return order, second


@pytest.mark.parametrize("close", ["complete", "cancel"])
def test_a_send_back_of_a_closed_order_cannot_be_appealed(world, close):
    # given round 2 sent back, then the order completed or cancelled by an agent
    order, second = _revision_sent_back(world)
    if close == "complete":
        actions.complete_order(order, actor=world.agent)
    else:
        actions.cancel_order(order, actor=world.agent, reason="The customer left.")
    order.refresh_from_db()
    before = _state(order)

    # then there is nothing to appeal, and an appeal is refused (rule 10)
    assert actions.appealable_review(order) is None
    with pytest.raises(Conflict) as refused:
        _appeal(world, second)
    assert refused.value.code == "order_closed"
    assert _state(order) == before


def test_an_appeal_pending_when_the_order_is_completed_is_never_overturned(world):
    # given a pending appeal of round 2's send-back, and an agent completing the order meanwhile
    order, second = _revision_sent_back(world)
    appeal = _appeal(world, second)
    actions.complete_order(order, actor=world.agent)
    order.refresh_from_db()
    before = _state(order)

    # when an agent overturns the appeal, then it is refused: the order stays completed
    with pytest.raises(Conflict) as refused:
        actions.decide_appeal(appeal, actor=world.agent, decision="overturn", reason="Fine.")
    assert refused.value.code == "invalid_state"
    assert _state(order) == before
    assert Order.objects.get(pk=order.pk).status == S.COMPLETED

    # while upholding it closes the appeal
    upheld = actions.decide_appeal(appeal, actor=world.agent, decision="uphold", reason="Done.")
    assert upheld.status == Appeal.Status.UPHELD
    assert Order.objects.get(pk=order.pk).status == S.COMPLETED


def test_an_appeal_is_decided_once(world):
    first, _ = _sent_back(world)
    appeal = _appeal(world, first)
    actions.decide_appeal(appeal, actor=world.agent, decision="uphold", reason="Stands.")
    before = _state(first.order)

    for decision in ("uphold", "overturn"):
        with pytest.raises(Conflict) as refused:
            actions.decide_appeal(appeal, actor=world.agent, decision=decision, reason="Again.")
        assert refused.value.code == "appeal_decided"

    assert _state(first.order) == before


@pytest.mark.parametrize(
    ("decision", "reason", "field"),
    [("approve", "Fine.", "decision"), ("", "Fine.", "decision"), ("uphold", " ", "reason")],
)
def test_an_appeal_decision_needs_uphold_or_overturn_and_a_reason(world, decision, reason, field):
    first, _ = _sent_back(world)
    appeal = _appeal(world, first)
    before = _state(first.order)

    with pytest.raises(InvalidInput) as refused:
        actions.decide_appeal(appeal, actor=world.agent, decision=decision, reason=reason)

    assert refused.value.field == field
    assert _state(first.order) == before


@pytest.mark.parametrize("who", ["reviewer", "expert", "customer"])
def test_only_agents_decide_appeals(world, who):
    first, _ = _sent_back(world)
    appeal = _appeal(world, first)
    before = _state(first.order)

    with pytest.raises(NotAllowed):
        actions.decide_appeal(appeal, actor=getattr(world, who), decision="overturn", reason="x")

    assert _state(first.order) == before


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("expert", True),
        ("reviewer", True),
        ("agent", True),
        ("customer", False),
        ("expert2", False),
        ("stranger", False),
    ],
)
def test_an_appeal_is_for_the_expert_qc_and_agents_never_the_customer(world, who, sees):
    # given an appeal
    first, _ = _sent_back(world)
    appeal = _appeal(world, first)
    user = getattr(world, who)

    # then those who may read QC's decisions get it; anyone else is told it does not exist
    if sees:
        assert access.get_appeal_for(user, appeal.pk) == appeal
    else:
        with pytest.raises(NotFound):
            access.get_appeal_for(user, appeal.pk)
    # and nobody gets an appeal that does not exist
    with pytest.raises(NotFound):
        access.get_appeal_for(user, appeal.pk + 1000)


def test_the_customer_follows_none_of_qcs_steps(world):
    # given a QC loop with every step: claim, reassign, send-back, appeal, withdrawal, a second
    # send-back appealed and overturned
    first = _in_qc(world)
    order = first.order
    actions.claim_review(first, actor=world.reviewer)
    actions.assign_reviewer(first, actor=world.agent, reviewer=world.reviewer)
    _send_back(world, first)
    _appeal(world, first)
    second = _submit(world, order, 2)
    _send_back(world, second)
    appeal = _appeal(world, second)
    actions.decide_appeal(appeal, actor=world.agent, decision="overturn", reason="Fine.")
    qc_steps = {
        "qc.claimed",
        "qc.reassigned",
        "qc.revision_requested",
        "qc.appealed",
        "qc.appeal_withdrawn",
        "qc.appeal_overturned",
    }

    # then the expert follows each of them, the customer none, only the delivery
    expert_reads = set(access.followed_events(world.expert).values_list("verb", flat=True))
    customer_reads = set(access.followed_events(world.customer).values_list("verb", flat=True))
    assert qc_steps <= expert_reads
    assert not {verb for verb in customer_reads if verb.startswith("qc.")}
    assert "submission.delivered" in customer_reads


def test_the_quality_loops_access_rules(world):
    order = _qc_order(world)

    assert [access.may_appeal(u, order) for u in (world.expert, world.expert2, world.agent)] == [
        True,
        False,
        False,
    ]
    for may in (access.may_decide_appeal, access.may_assign_reviewer):
        assert may(world.agent, order)
        assert not any(may(u, order) for u in (world.reviewer, world.expert, world.customer))
    assert access.may_see_scorecard(world.expert, order)
    assert access.may_see_scorecard(world.reviewer, order)
    assert not access.may_see_scorecard(world.customer, order)


# --- the service's checklist -------------------------------------------------------------------


def test_a_new_service_starts_with_the_checklist_of_its_kind(db):
    made = {
        slug: Service.objects.create(slug=slug, name=slug).policy.qc_checklist
        for slug in ("resume-writing", "legal-translation", "voice-over", "audio-ad")
    }
    assert made == {
        "resume-writing": checklists.WRITING,
        "legal-translation": checklists.TRANSLATION,
        "voice-over": checklists.VOICE_OVER,
        "audio-ad": checklists.VOICE_OVER,
    }


def test_an_agent_edits_a_checklist_and_orders_placed_before_keep_theirs(world):
    # given a QC order under the service's checklist
    order = _qc_order(world)
    submission = world.submit(order)

    # when an agent changes the checklist (blanks dropped, spaces collapsed)
    policy = change_policy(
        order.service, actor=world.agent, qc_checklist=["  Follows   the brief ", "", "Tone"]
    )

    # then the service has the new list, the order keeps the one it was placed under
    assert policy.qc_checklist == ["Follows the brief", "Tone"]
    assert Service.objects.get(pk=order.service_id).policy == policy
    with pytest.raises(InvalidInput):
        actions.review_submission(
            submission, actor=world.reviewer, scorecard=_card(checklist=policy.qc_checklist)
        )
    assert actions.review_submission(submission, actor=world.reviewer, scorecard=_card())


def test_an_unchanged_checklist_is_not_a_new_policy_version(world):
    policy = world.service.policy

    assert change_policy(world.service, actor=world.agent, qc_checklist=[]) == policy


@pytest.mark.parametrize(
    "points",
    [
        ["No typos", "no  TYPOS"],
        ["x" * (checklists.MAX_POINT_LENGTH + 1)],
        [f"Point {n}" for n in range(checklists.MAX_POINTS + 1)],
        ["Fine", None],
    ],
    ids=["twice", "too long", "too many", "not text"],
)
def test_a_bad_checklist_is_refused(world, points):
    with pytest.raises(InvalidInput) as refused:
        clean_checklist(points)
    assert refused.value.field == "qc_checklist"

    policy = world.service.policy
    with pytest.raises(InvalidInput):
        change_policy(world.service, actor=world.agent, qc_checklist=points)
    world.service.refresh_from_db()
    assert world.service.policy == policy


def test_only_agents_change_a_checklist(world):
    with pytest.raises(NotAllowed):
        change_policy(world.service, actor=world.reviewer, qc_checklist=["Tone"])


# --- under real concurrency (PostgreSQL) -------------------------------------------------------

REVIEWERS = 6
ROUNDS = 3
PATIENCE = 60  # seconds; only a hung test waits this long


def _claim_together(submission, reviewers) -> dict[int, str]:
    """Every reviewer claims `submission` at once, each on their own database connection; the
    outcome per reviewer pk: "won", a Conflict's code, or the unexpected error."""
    barrier = threading.Barrier(len(reviewers))
    outcomes: dict[int, str] = {}

    def claim(reviewer) -> None:
        outcome = "never finished"
        try:
            connection.ensure_connection()  # connect before the barrier: the claims collide
            barrier.wait(timeout=PATIENCE)
            actions.claim_review(submission, actor=reviewer)
            outcome = "won"
        except Conflict as exc:
            outcome = exc.code
        except BaseException as exc:
            outcome = repr(exc)
            barrier.abort()  # a thread that cannot race must not leave the others waiting
        finally:
            connection.close()
            outcomes[reviewer.pk] = outcome

    threads = [threading.Thread(target=claim, args=(r,), daemon=True) for r in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=PATIENCE)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_reviewers_claiming_at_once_one_wins():
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent writers need PostgreSQL (SQLite has one writer); CI runs it")
    world = World.build()
    reviewers = [
        world.reviewer,
        *(UserFactory(email=f"qc{n}@example.com", is_reviewer=True) for n in range(REVIEWERS - 1)),
    ]
    for _ in range(ROUNDS):
        # given a submission in QC and several reviewers, each on their own database connection
        submission = _in_qc(world)

        # when they all claim it at the same moment
        outcomes = _claim_together(submission, reviewers)

        # then exactly one holds it, every other one is told it is claimed, and it is claimed once
        assert sorted(outcomes.values()) == ["claimed"] * (REVIEWERS - 1) + ["won"], outcomes
        (winner,) = [pk for pk, outcome in outcomes.items() if outcome == "won"]
        assert Order.objects.get(pk=submission.order_id).qc_reviewer_id == winner
        claimed = Event.objects.filter(order_id=submission.order_id, verb="qc.claimed")
        assert list(claimed.values_list("actor_id", flat=True)) == [winner]
