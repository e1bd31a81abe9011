"""One test (or a small group) per rule of DESIGN.md's order lifecycle, named after the rule.
Every later state is reached by calling the real actions, as the people would."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from atelier.catalog.services import change_policy
from atelier.core import clock
from atelier.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from atelier.notifications.models import Notification
from atelier.orders import access, actions
from atelier.orders.actions import closing
from atelier.orders.models import (
    AccessLink,
    Event,
    FeeRequest,
    Flag,
    Invitation,
    Order,
    OrderFile,
    QCReview,
    RevisionRequest,
    Submission,
)
from atelier.orders.tests.factories import ServiceFactory, UserFactory, doc
from atelier.rewards.models import LedgerEntry
from atelier.rewards.services import balances, release_due

NY = ZoneInfo("America/New_York")
Flow = Order.Flow
S = Order.Status


def notes_to(user, event: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, event=event))


# --- rule 1: assignment ------------------------------------------------------------------------


def test_rule_01_direct_assignment_emails_expert_service_notes_documents_and_link(world):
    # given an order with the customer's notes and an old resume
    order = world.order(
        Flow.WRITER_PORTAL,
        instructions="Highlight the 2024 promotion.",
        attachments=[doc("old-resume.txt", "Casey, PM")],
    )

    # when an agent assigns the expert
    actions.assign_expert(order, actor=world.agent, expert=world.expert)

    # then the order is in progress with that expert, and the expert has everything
    order.refresh_from_db()
    assert (order.status, order.expert) == (S.IN_PROGRESS, world.expert)
    [note] = notes_to(world.expert, "assigned")
    assert note.context["service"] == world.service.name
    assert note.context["instructions"] == "Highlight the 2024 promotion."
    assert note.context["documents"] == ["old-resume.txt"]
    assert note.context["order_url"] == f"http://testserver/orders/{order.pk}/"


def test_rule_01_only_agents_assign_and_only_to_experts(world):
    order = world.order()
    with pytest.raises(NotFound):  # an outsider may not even see it
        actions.assign_expert(order, actor=world.stranger, expert=world.expert)
    with pytest.raises(NotAllowed):
        actions.assign_expert(order, actor=world.customer, expert=world.expert)
    with pytest.raises(InvalidInput):
        actions.assign_expert(order, actor=world.agent, expert=world.customer)
    order.refresh_from_db()
    assert order.status == S.OPEN and order.expert is None


def test_rule_01_booking_only_the_invited_pro_may_accept(world):
    order = world.order(Flow.MARKETPLACE, assignment=Order.Assignment.BOOKING)
    [invitation] = actions.invite_experts(order, actor=world.agent, experts=[world.expert2])

    with pytest.raises(NotFound):
        actions.accept_invitation(invitation, actor=world.expert)
    actions.accept_invitation(invitation, actor=world.expert2)

    order.refresh_from_db()
    assert (order.status, order.expert) == (S.IN_PROGRESS, world.expert2)


def test_rule_01_invitation_carries_the_reward(world):
    order = world.order(Flow.MARKETPLACE, reward_amount=Decimal("80.00"))
    actions.invite_experts(order, actor=world.agent, experts=[world.expert])
    [note] = notes_to(world.expert, "invited")
    assert (note.context["reward"], note.context["currency"]) == ("80.00", "USD")


@pytest.mark.parametrize("assignment", [Order.Assignment.SPEEDY, Order.Assignment.CONTEST])
def test_rule_01_speedy_second_accept_gets_taken_and_loses_access(world, assignment):
    # given a speedy (or contest) offered to two pros
    order = world.order(Flow.MARKETPLACE, assignment=assignment)
    first, second = actions.invite_experts(
        order, actor=world.agent, experts=[world.expert, world.expert2]
    )
    assert access.can_see_order(world.expert2, order)

    # when both accept, one after the other
    actions.accept_invitation(first, actor=world.expert)
    with pytest.raises(Conflict) as taken:
        actions.accept_invitation(second, actor=world.expert2)

    # then the second gets a clear "taken", is told so, and no longer sees the order
    assert taken.value.code == "taken"
    assert "taken" in taken.value.message
    second.refresh_from_db()
    assert second.status == Invitation.Status.TAKEN
    assert not access.can_see_order(world.expert2, order)
    with pytest.raises(NotFound):
        access.get_order_for(world.expert2, order.pk)
    [note] = notes_to(world.expert2, "invitation_taken")
    assert note.order is None  # no details of an order they lost
    assert note.context == {"order_id": order.pk, "service": order.service.name}
    order.refresh_from_db()
    assert order.expert == world.expert
    assert order.invitations.filter(status=Invitation.Status.ACCEPTED).count() == 1


def test_rule_01_agent_assigning_an_invited_pro_accepts_their_invitation(world):
    order = world.order(Flow.MARKETPLACE)
    mine, theirs = actions.invite_experts(
        order, actor=world.agent, experts=[world.expert, world.expert2]
    )

    actions.assign_expert(order, actor=world.agent, expert=world.expert)

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (Invitation.Status.ACCEPTED, Invitation.Status.TAKEN)
    with pytest.raises(Conflict):
        actions.accept_invitation(theirs, actor=world.expert2)


def test_rule_01_declining_and_everyone_declining_reopens_the_order(world):
    order = world.order(Flow.MARKETPLACE)
    first, second = actions.invite_experts(
        order, actor=world.agent, experts=[world.expert, world.expert2]
    )
    actions.decline_invitation(first, actor=world.expert, reason="Busy")
    order.refresh_from_db()
    assert order.status == S.INVITED

    actions.decline_invitation(second, actor=world.expert2)

    order.refresh_from_db()
    assert order.status == S.OPEN
    assert order.flags.filter(kind=Flag.Kind.CONCERN, resolved_at=None).exists()


def test_rule_01_translation_speedy_linked_proofreading_offered_to_those_who_missed_it(world):
    proofreading = world.order(Flow.MARKETPLACE, service=ServiceFactory(slug="proofreading"))
    late = UserFactory(is_expert=True)
    order = world.order(
        Flow.MARKETPLACE, service=ServiceFactory(slug="translation"), linked_order=proofreading
    )
    actions.invite_experts(order, actor=world.agent, experts=[world.expert, world.expert2, late])
    actions.accept_invitation(order.invitations.get(expert=world.expert), actor=world.expert)

    offered = actions.offer_linked_order(order, actor=world.agent)

    assert {i.expert for i in offered} == {world.expert2, late}
    proofreading.refresh_from_db()
    assert proofreading.status == S.INVITED
    with pytest.raises(NotAllowed):
        actions.offer_linked_order(order, actor=world.expert)


# --- rule 2: submissions -----------------------------------------------------------------------


def test_rule_02_submission_has_titled_files_and_notes_draft_then_revision(world):
    order = world.assigned()

    first = actions.submit_work(
        order,
        actor=world.expert,
        notes="Two documents.",
        files=[doc("resume.docx", "R", "Resume"), doc("letter.pdf", "L", "Cover letter")],
    )
    world.revise(order)
    second = world.submit(order, 2)

    assert (first.kind, second.kind) == (Submission.Kind.DRAFT, Submission.Kind.REVISION)
    assert [(f.title, f.name) for f in first.files.all()] == [
        ("Resume", "resume.docx"),
        ("Cover letter", "letter.pdf"),
    ]
    assert first.notes == "Two documents."
    assert all(len(f.sha256) == 64 and f.size == 1 for f in first.files.all())


def test_rule_02_every_file_needs_a_title_and_content(world):
    order = world.assigned()
    with pytest.raises(InvalidInput) as untitled:
        actions.submit_work(order, actor=world.expert, files=[doc("a.txt", "x", "")])
    assert untitled.value.field == "titles"
    with pytest.raises(InvalidInput) as empty:
        actions.submit_work(order, actor=world.expert, files=[doc("a.txt", "", "A")])
    assert empty.value.code == "empty_file"
    with pytest.raises(InvalidInput):
        actions.submit_work(order, actor=world.expert, files=[])
    assert not order.submissions.exists() and not OrderFile.objects.exists()


def test_rule_02_size_limit_is_a_setting(world, settings):
    settings.ATELIER_MAX_UPLOAD_BYTES = 10
    order = world.assigned()
    with pytest.raises(Exception) as too_big:
        actions.submit_work(order, actor=world.expert, files=[doc("a.txt", "x" * 11, "A")])
    assert too_big.value.status == 413
    assert not order.submissions.exists()


def test_rule_02_submissions_are_never_edited_or_deleted(world):
    order = world.assigned()
    submission = world.submit(order)
    submission.notes = "rewritten history"
    with pytest.raises(ValueError, match="never edited"):
        submission.save()
    with pytest.raises(ValueError, match="never deleted"):
        submission.delete()
    with pytest.raises(ValueError, match="never deleted"):
        submission.files.first().delete()
    submission.refresh_from_db()
    assert submission.notes == "Version 1."


def test_rule_02_only_the_assigned_expert_submits(world):
    order = world.assigned()
    with pytest.raises(NotFound):
        actions.submit_work(order, actor=world.expert2, files=[doc(title="A")])
    with pytest.raises(NotAllowed):
        actions.submit_work(order, actor=world.customer, files=[doc(title="A")])


# --- rule 3: QC --------------------------------------------------------------------------------


def test_rule_03_qc_submission_is_invisible_to_the_customer_until_approved(world):
    order = world.assigned(Flow.MARKETPLACE)

    submission = world.submit(order)

    assert order.status == S.IN_QC
    assert submission.delivered_at is None
    assert not access.can_see_submission(world.customer, submission)
    assert not notes_to(world.customer, "delivered")
    for file in submission.files.all():
        with pytest.raises(NotFound):
            access.get_file_for(world.customer, file.pk)

    world.approve(submission)

    assert access.can_see_submission(world.customer, submission)
    assert len(notes_to(world.customer, "delivered")) == 1
    access.get_file_for(world.customer, submission.files.first().pk)


def test_rule_03_qc_revision_emails_the_expert_and_never_reaches_the_customer(world):
    order = world.assigned(Flow.MARKETPLACE)
    submission = world.submit(order)

    with pytest.raises(InvalidInput):  # comments are required to send it back
        actions.review_submission(submission, actor=world.reviewer, decision="revise")
    actions.review_submission(
        submission, actor=world.reviewer, decision="revise", comments="Secret: fix the dates."
    )

    order.refresh_from_db()
    assert order.status == S.IN_PROGRESS
    [note] = notes_to(world.expert, "qc_revision_requested")
    assert note.context["comments"] == "Secret: fix the dates."
    customer_texts = [str(n.context) for n in Notification.objects.filter(recipient=world.customer)]
    assert not any("Secret" in text for text in customer_texts)
    assert not access.can_see_submission(world.customer, submission)


def test_rule_03_only_reviewers_review_and_not_their_own_work(world):
    order = world.assigned(Flow.MARKETPLACE)
    submission = world.submit(order)
    with pytest.raises(NotAllowed):
        actions.review_submission(submission, actor=world.expert, decision="approve")
    with pytest.raises(NotAllowed):
        actions.review_submission(submission, actor=world.customer, decision="approve")
    assert not QCReview.objects.exists()


# --- rule 4: the customer's response and triage ------------------------------------------------


def test_rule_04_customer_completes_or_requests_a_revision_with_files(world):
    order = world.delivered()
    request = actions.request_revision(
        order, actor=world.customer, comments="Shorter, please.", files=[doc("notes.txt", "x")]
    )
    order.refresh_from_db()
    assert order.status == S.REVISION_REQUESTED
    assert request.status == RevisionRequest.Status.OPEN
    assert [f.name for f in request.files.all()] == ["notes.txt"]
    [note] = notes_to(world.expert, "revision_requested")
    assert note.context["comments"] == "Shorter, please."

    world.submit(order, 2)
    actions.complete_order(order, actor=world.customer)
    order.refresh_from_db()
    assert order.status == S.COMPLETED


def test_rule_04_revision_request_needs_comments(world):
    order = world.delivered()
    with pytest.raises(InvalidInput) as error:
        actions.request_revision(order, actor=world.customer, comments="   ")
    assert error.value.field == "comments"
    order.refresh_from_db()
    assert order.status == S.DELIVERED


@pytest.fixture
def triaged_order(world):
    world.service.revision_triage = True
    world.service.save()
    order = world.delivered()
    request = world.revise(order, "Also translate it to Spanish.")
    return order, request


def test_rule_04_triage_in_scope_sends_the_request_to_the_expert(world, triaged_order):
    order, request = triaged_order
    assert request.status == RevisionRequest.Status.PENDING_TRIAGE
    assert not notes_to(world.expert, "revision_requested")
    assert notes_to(world.agent, "revision_requested")
    with pytest.raises(Conflict):  # the expert waits for triage
        world.submit(order, 2)

    actions.triage_revision(request, actor=world.agent, decision="in_scope")

    assert len(notes_to(world.expert, "revision_requested")) == 1
    world.submit(order, 2)
    assert order.status == S.REVISION_SUBMITTED


def test_rule_04_triage_fee_must_be_accepted_before_work_resumes_and_goes_to_expert(
    world, triaged_order
):
    order, request = triaged_order

    actions.triage_revision(
        request, actor=world.agent, decision="fee", fee_amount="25.00", reason="Spanish is new"
    )

    fee = FeeRequest.objects.get(order=order)
    assert fee.status == FeeRequest.Status.QUOTED
    assert notes_to(world.customer, "fee_quoted")[0].context["amount"] == "25.00"
    with pytest.raises(Conflict):
        world.submit(order, 2)

    actions.respond_to_fee(fee, actor=world.customer, accept=True)

    world.submit(order, 2)
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.FEE)
    assert (entry.expert, entry.amount) == (world.expert, Decimal("25.00"))


def test_rule_04_declined_fee_returns_the_customer_to_their_delivery(world, triaged_order):
    order, request = triaged_order
    actions.triage_revision(request, actor=world.agent, decision="fee", fee_amount="25.00")
    actions.respond_to_fee(FeeRequest.objects.get(), actor=world.customer, accept=False)
    order.refresh_from_db()
    assert order.status == S.DELIVERED
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.FEE).exists()


def test_rule_04_triage_rejected_needs_a_reason_and_tells_the_customer(world, triaged_order):
    order, request = triaged_order
    with pytest.raises(InvalidInput):
        actions.triage_revision(request, actor=world.agent, decision="rejected")

    actions.triage_revision(request, actor=world.agent, decision="rejected", reason="Out of scope")

    order.refresh_from_db()
    assert order.status == S.DELIVERED
    assert notes_to(world.customer, "revision_rejected")[0].context["reason"] == "Out of scope"


def test_rule_04_expert_asks_for_a_fee_an_agent_decides_the_customer_accepts(world):
    order = world.delivered()
    with pytest.raises(InvalidInput):
        actions.request_fee(order, actor=world.expert, amount="-5", reason="x")
    fee = actions.request_fee(order, actor=world.expert, amount="30.00", reason="Twice the text")
    assert notes_to(world.agent, "fee_requested")
    with pytest.raises(NotAllowed):
        actions.decide_fee(fee, actor=world.expert, approve=True)

    actions.decide_fee(fee, actor=world.agent, approve=True)
    actions.respond_to_fee(fee, actor=world.customer, accept=True)

    fee.refresh_from_db()
    assert fee.status == FeeRequest.Status.ACCEPTED
    assert LedgerEntry.objects.filter(kind="fee", amount=Decimal("30.00")).count() == 1


# --- rule 5: revision budget -------------------------------------------------------------------


def test_rule_05_requests_beyond_the_allowance_flag_the_order_once(world):
    change_policy(world.service, actor=world.agent, included_revisions=2)
    order = world.delivered()
    for n in range(2, 4):  # two requests, within the allowance
        world.revise(order)
        world.submit(order, n)
    assert not order.flags.filter(kind=Flag.Kind.OVER_BUDGET).exists()

    world.revise(order)  # the third
    world.submit(order, 4)
    world.revise(order)  # the fourth

    flags = order.flags.filter(kind=Flag.Kind.OVER_BUDGET)
    assert flags.count() == 1
    assert notes_to(world.agent, "flag_raised")


def test_rule_05_default_allowance_is_three(db):
    from atelier.catalog.models import Service

    assert Service.objects.create(slug="new", name="New").policy.included_revisions == 3


def test_rule_05_expert_flags_excessive_revisions_at_any_time(world):
    order = world.assigned()
    flag = actions.raise_flag(order, actor=world.expert, kind=Flag.Kind.EXCESSIVE_REVISIONS)
    assert flag.is_open
    with pytest.raises(Conflict):
        actions.raise_flag(order, actor=world.expert, kind=Flag.Kind.EXCESSIVE_REVISIONS)
    with pytest.raises(NotAllowed):
        actions.raise_flag(order, actor=world.customer, kind=Flag.Kind.EXCESSIVE_REVISIONS)


# --- rule 6: delivery time ---------------------------------------------------------------------


def test_rule_06_delivered_at_is_qc_approval_time_and_status_follows_deliveries(world):
    submitted_at = datetime(2026, 3, 2, 10, 0, tzinfo=NY)
    approved_at = datetime(2026, 3, 3, 15, 27, tzinfo=NY)
    order = world.assigned(Flow.MARKETPLACE)
    with clock.frozen_at(submitted_at):
        submission = world.submit(order)
    with clock.frozen_at(approved_at):
        world.approve(submission)

    order.refresh_from_db()
    assert submission.delivered_at == approved_at
    assert order.status == S.DELIVERED

    world.revise(order)
    second = world.submit(order, 2)
    assert order.status == S.IN_QC
    world.approve(second)
    order.refresh_from_db()
    assert order.status == S.REVISION_SUBMITTED


def test_rule_06_without_qc_delivered_at_is_submission_time(world):
    order = world.assigned()
    at = datetime(2026, 3, 3, 15, 27, tzinfo=NY)
    with clock.frozen_at(at):
        submission = world.submit(order)
    assert submission.delivered_at == at
    assert order.status == S.DELIVERED


# --- rule 7: closing eligibility ---------------------------------------------------------------


def test_rule_07_first_delivery_2026_03_03_1527_closable_2026_03_10_1527_new_york(world):
    order = world.assigned(Flow.EXPERT_HUB)
    with clock.frozen_at(datetime(2026, 3, 3, 15, 27, tzinfo=NY)):
        world.deliver(order)
    world.open_latest(order)

    order.refresh_from_db()
    assert order.closable_at == datetime(2026, 3, 10, 15, 27, tzinfo=NY)
    with clock.frozen_at(datetime(2026, 3, 10, 15, 26, tzinfo=NY)):
        info = actions.close_info(order, actor=world.expert)
        assert not info.closable
        assert "Tue 10 Mar 2026, 15:27 EDT" in info.reason
        with pytest.raises(Conflict) as early:
            actions.close_order(order, actor=world.expert, message=info.farewell_template)
        assert early.value.code == "not_yet_closable"
    with clock.frozen_at(datetime(2026, 3, 10, 15, 27, tzinfo=NY)):
        info = actions.close_info(order, actor=world.expert)
        assert info.closable
        actions.close_order(order, actor=world.expert, message=info.farewell_template)
    order.refresh_from_db()
    assert order.status == S.COMPLETED


def test_rule_07_late_revision_moves_the_close_two_days_after_it(world):
    order = world.assigned(Flow.EXPERT_HUB)
    with clock.frozen_at(datetime(2026, 3, 3, 15, 27, tzinfo=NY)):
        world.deliver(order)
    with clock.frozen_at(datetime(2026, 3, 10, 9, 0, tzinfo=NY)):
        world.revise(order)
    with clock.frozen_at(datetime(2026, 3, 11, 8, 15, tzinfo=NY)):
        world.deliver(order, 2)

    order.refresh_from_db()
    assert order.closable_at == datetime(2026, 3, 13, 8, 15, tzinfo=NY)
    info = actions.close_info(order, actor=world.expert)
    assert "2 calendar days after the revision" in info.reason


def test_rule_07_closing_is_for_the_expert_only_where_the_order_allows_it(world):
    order = world.delivered(Flow.WRITER_PORTAL)
    with pytest.raises(NotAllowed):
        actions.close_info(order, actor=world.expert)


# --- rule 8: close with care -------------------------------------------------------------------


@pytest.fixture
def closable(world):
    """An expert-hub order delivered 8 days ago, opened by the customer."""
    order = world.assigned(Flow.EXPERT_HUB)
    with clock.frozen_at(clock.now() - timedelta(days=8)):
        world.deliver(order)
    world.open_latest(order)
    return order


def test_rule_08_unopened_delivery_means_request_close_to_an_agent(world):
    order = world.assigned(Flow.EXPERT_HUB)
    with clock.frozen_at(clock.now() - timedelta(days=8)):
        world.deliver(order)

    info = actions.close_info(order, actor=world.expert)
    assert info.needs_agent and not info.closable
    with pytest.raises(Conflict) as gated:
        actions.close_order(order, actor=world.expert, message=info.farewell_template)
    assert gated.value.code == "needs_agent"

    flag = actions.request_close(order, actor=world.expert)
    assert flag.kind == Flag.Kind.CLOSE_REQUEST
    assert notes_to(world.agent, "flag_raised")
    # an agent may close it
    actions.close_order(order, actor=world.agent, message=info.farewell_template)
    order.refresh_from_db()
    assert order.status == S.COMPLETED
    flag.refresh_from_db()
    assert not flag.is_open


def test_rule_08_open_revision_request_or_concern_gates_the_close(world, closable):
    actions.raise_flag(closable, actor=world.customer, kind=Flag.Kind.CONCERN, note="Hmm")
    assert actions.close_info(closable, actor=world.expert).needs_agent


def test_rule_08_close_lists_the_latest_submissions_files_as_final(world, closable):
    world.revise(closable)
    world.deliver(closable, 2)
    world.open_latest(closable)
    info = actions.close_info(closable, actor=world.expert)
    assert [f.name for f in info.final_documents] == ["resume-v2.txt"]


def test_rule_08_farewell_link_line_must_stay_unchanged(world, closable):
    info = actions.close_info(closable, actor=world.expert)
    [link_line] = [line for line in info.farewell_template.splitlines() if "/link/" in line]
    edited = info.farewell_template.replace(link_line, link_line + "x")

    with pytest.raises(InvalidInput) as refused:
        actions.close_order(closable, actor=world.expert, message=edited)

    assert refused.value.code == "farewell_link_changed"
    closable.refresh_from_db()
    assert closable.status == S.DELIVERED
    assert not AccessLink.objects.exists() and not notes_to(world.customer, "farewell")

    message = "Thank you, Casey!\n\n" + link_line + "\n\nErin"
    actions.close_order(closable, actor=world.expert, message=message)

    closable.refresh_from_db()
    assert closable.status == S.COMPLETED
    [farewell] = notes_to(world.customer, "farewell")
    assert farewell.context["message"] == message
    assert AccessLink.objects.filter(order=closable, user=world.customer).count() == 1


def test_rule_08_closed_and_farewell_are_one_step(world, closable, monkeypatch):
    # when sending the farewell fails, the close is undone with it
    info = actions.close_info(closable, actor=world.expert)
    real_notify = closing.notify

    def failing_notify(event, *args, **kwargs):
        if event == "farewell":
            raise RuntimeError("outbox unavailable")
        return real_notify(event, *args, **kwargs)

    # close_order looks `notify` up in its own module, actions/closing.py
    monkeypatch.setattr(closing, "notify", failing_notify)
    with pytest.raises(RuntimeError):
        actions.close_order(closable, actor=world.expert, message=info.farewell_template)

    closable.refresh_from_db()
    assert closable.status == S.DELIVERED
    assert not closable.events.filter(verb="order.closed").exists()
    assert not AccessLink.objects.exists()


# --- rule 9: the farewell's link --------------------------------------------------------------


def _closed_with_link(world, closable) -> str:
    info = actions.close_info(closable, actor=world.expert)
    actions.close_order(closable, actor=world.expert, message=info.farewell_template)
    [line] = [line for line in info.farewell_template.splitlines() if "/link/" in line]
    return line.rstrip("/").rsplit("/", 1)[-1]


def test_rule_09_link_names_the_order_and_its_customer_and_grants_nothing(world, closable):
    token = _closed_with_link(world, closable)

    link = actions.find_access_link(token)

    assert (link.order, link.user) == (closable, world.customer)
    assert actions.find_access_link(token) == link  # nothing is used up
    with pytest.raises(NotFound):
        actions.find_access_link(token + "x")


def test_rule_09_opening_the_link_signs_nobody_in_and_shows_nothing_of_the_order(
    world, closable, client
):
    token = _closed_with_link(world, closable)
    url = f"/link/{token}/"

    for _ in range(3):  # however often it is opened
        page = client.get(url)
        assert page.status_code == 200
        assert "Your final documents are ready" in page.text
        assert closable.title not in page.text and world.customer.email not in page.text
        assert "resume-v1.txt" not in page.text
        assert "_auth_user_id" not in client.session

    # someone else signed in: a stranger gets a 404, the order's expert their own view of it
    client.force_login(world.stranger)
    assert client.get(url).status_code == 404
    client.force_login(world.expert)
    assert client.get(url).url == f"/orders/{closable.pk}/"

    # the customer, signed in, goes straight to the documents, every time
    client.force_login(world.customer)
    for _ in range(2):
        response = client.get(url)
        assert response.url == f"/orders/{closable.pk}/final/"
    assert client.get(response.url).status_code == 200
    assert client.get("/link/not-a-token/").status_code == 404


def test_rule_09_customer_without_password_gets_a_code_by_email_then_sets_a_password(world, client):
    # given a customer created by an agent, without a password
    newcomer = UserFactory(email="new@example.com", is_customer=True)
    newcomer.set_unusable_password()
    newcomer.save()
    world.customer = newcomer
    order = world.assigned(Flow.EXPERT_HUB)
    with clock.frozen_at(clock.now() - timedelta(days=8)):
        world.deliver(order)
    world.open_latest(order)
    token = _closed_with_link(world, order)
    mail.outbox.clear()

    # when a visitor asks for a code: it goes to the customer's own address, not to the visitor
    response = client.post(f"/link/{token}/code/")
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", message.body, re.MULTILINE).group(1)
    assert "_auth_user_id" not in client.session
    # a wrong code signs nobody in
    code_page = response.url
    client.post(code_page, {"code": "WRONG1"})
    assert "_auth_user_id" not in client.session

    # then the right code signs the customer in and asks for a password, then the documents
    response = client.post(code_page, {"code": code})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == newcomer.pk
    assert response.url.startswith("/accounts/password/set/")
    response = client.post(
        response.url, {"password1": "a-long-secret-42", "password2": "a-long-secret-42"}
    )
    assert response.url == f"/orders/{order.pk}/final/"
    newcomer.refresh_from_db()
    assert newcomer.check_password("a-long-secret-42")
    page = client.get(response.url)
    assert "resume-v1.txt" in page.text
    # and the link keeps working
    assert client.get(f"/link/{token}/").url == f"/orders/{order.pk}/final/"


# --- rule 10: completion locks -----------------------------------------------------------------


def test_rule_10_after_completion_only_an_agent_adds_anything(world):
    order = world.delivered()
    actions.complete_order(order, actor=world.customer)

    attempts = [
        lambda: actions.submit_work(order, actor=world.expert, files=[doc(title="A")]),
        lambda: actions.post_comment(order, actor=world.expert, body="hi"),
        lambda: actions.post_comment(order, actor=world.customer, body="hi"),
        lambda: actions.request_revision(order, actor=world.customer, comments="more"),
        lambda: actions.request_fee(order, actor=world.expert, amount="5", reason="x"),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict) as locked:
            attempt()
        assert locked.value.code == "order_closed"

    actions.post_comment(order, actor=world.agent, body="Noted by an agent.")
    with pytest.raises(InvalidInput):
        actions.reopen_order(order, actor=world.agent, reason="", back_to="customer")
    with pytest.raises(NotAllowed):
        actions.reopen_order(order, actor=world.customer, reason="please", back_to="customer")
    actions.reopen_order(
        order, actor=world.agent, reason="The customer found a typo.", back_to="customer"
    )

    order.refresh_from_db()
    assert order.status == S.DELIVERED
    actions.request_revision(order, actor=world.customer, comments="Fix the typo.")


def test_rule_10_cancelled_from_any_state_before_completion(world):
    for order in (world.order(), world.assigned(), world.delivered()):
        actions.cancel_order(order, actor=world.agent, reason="Duplicate")
        order.refresh_from_db()
        assert order.status == S.CANCELLED
    done = world.delivered()
    actions.complete_order(done, actor=world.customer)
    with pytest.raises(Conflict):
        actions.cancel_order(done, actor=world.agent, reason="late")


# --- rule 11: rewards --------------------------------------------------------------------------


def test_rule_11_qc_reward_earned_at_first_approval_released_thirty_days_later(world):
    order = world.assigned(Flow.MARKETPLACE, reward_amount=Decimal("200.00"))
    approved_at = datetime(2026, 2, 20, 12, 0, tzinfo=NY)
    submission = world.submit(order)
    assert not LedgerEntry.objects.exists()
    with clock.frozen_at(approved_at):
        world.approve(submission)

    [earned] = LedgerEntry.objects.all()
    assert earned.kind == LedgerEntry.Kind.REWARD
    assert earned.release_at == datetime(2026, 3, 22, 12, 0, tzinfo=NY)
    [balance] = balances(world.expert)
    assert (balance.pending, balance.available) == (Decimal("200.00"), Decimal("0"))

    assert release_due(now=datetime(2026, 3, 22, 11, 59, tzinfo=NY)) == 0
    assert release_due(now=datetime(2026, 3, 22, 12, 0, tzinfo=NY)) == 1
    assert release_due(now=datetime(2026, 4, 22, tzinfo=NY)) == 0  # exactly once

    [balance] = balances(world.expert)
    assert (balance.pending, balance.available) == (Decimal("0"), Decimal("200.00"))
    assert notes_to(world.expert, "reward_released")
    # completing later does not earn it again
    actions.complete_order(order, actor=world.customer)
    assert LedgerEntry.objects.filter(kind="reward").count() == 1


def test_rule_11_without_qc_reward_earned_at_completion(world):
    order = world.delivered(reward_amount=Decimal("120.00"))
    assert not LedgerEntry.objects.exists()
    actions.complete_order(order, actor=world.customer)
    actions.reopen_order(order, actor=world.agent, reason="typo", back_to="customer")
    actions.complete_order(order, actor=world.customer)
    assert LedgerEntry.objects.filter(kind="reward", amount=Decimal("120.00")).count() == 1


def test_rule_11_manual_credits_are_separate_entries_and_balances_are_sums(world):
    order = world.delivered(reward_amount=Decimal("100.00"))
    actions.complete_order(order, actor=world.customer)
    for _ in range(2):  # the same form submitted twice
        actions.credit_expert(
            world.expert,
            actor=world.agent,
            amount="15.50",
            currency="usd",
            memo="Bonus",
            key="k1",
            order=order,
        )
    assert order.events.filter(verb="reward.credited").count() == 1
    with pytest.raises(NotAllowed):
        actions.credit_expert(
            world.expert, actor=world.expert, amount="1", currency="USD", memo="me"
        )
    with pytest.raises(InvalidInput):
        actions.credit_expert(world.expert, actor=world.agent, amount=1.5, currency="USD", memo="f")

    assert LedgerEntry.objects.filter(kind="credit").count() == 1
    [balance] = balances(world.expert)
    assert (balance.pending, balance.available) == (Decimal("100.00"), Decimal("15.50"))
    entry = LedgerEntry.objects.first()
    entry.memo = "changed"
    with pytest.raises(ValueError):
        entry.save()


# --- rule 12: every state change has its event and its notifications ---------------------------


def test_rule_12_every_state_change_records_who_what_when_from_to(world):
    order = world.delivered(Flow.MARKETPLACE)
    actions.complete_order(order, actor=world.customer)

    moves = list(order.events.exclude(to_status="").values_list("from_status", "to_status"))
    assert moves == [
        ("", "open"),
        ("open", "invited"),
        ("invited", "in_progress"),
        ("in_progress", "in_qc"),
        ("in_qc", "delivered"),
        ("delivered", "completed"),
    ]
    last = order.events.last()
    assert (last.verb, last.actor) == ("order.completed", world.customer)
    assert last.created_at is not None


def test_rule_12_a_failed_action_leaves_no_event_and_no_notification(world, monkeypatch):
    order = world.delivered()
    events, notes = Event.objects.count(), Notification.objects.count()

    def broken(*args, **kwargs):
        raise RuntimeError("crash after the status change")

    monkeypatch.setattr("atelier.rewards.services.earn_reward", broken)
    with pytest.raises(RuntimeError):
        actions.complete_order(order, actor=world.customer)

    order.refresh_from_db()
    assert order.status == S.DELIVERED
    assert (Event.objects.count(), Notification.objects.count()) == (events, notes)


def test_rule_12_timeline_events_are_append_only(world):
    event = world.order().events.first()
    event.verb = "forged"
    with pytest.raises(ValueError):
        event.save()
