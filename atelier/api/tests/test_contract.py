"""The request and response shapes DESIGN.md promises integrations ("Public API": fields named
there may not change), each exercised through a real request and checked against the database."""

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from atelier.core import clock
from atelier.notifications.models import Notification
from atelier.orders import actions
from atelier.orders.models import FeeRequest, Invitation, Order, RevisionRequest
from atelier.orders.tests.factories import ServiceFactory

from .apiclient import error_of, snapshot

Flow = Order.Flow
ORDER_FIELDS = {"id", "status", "assignment", "qc_required", "expert_may_close", "expert"}
ORDER_FIELDS |= {"created_at", "closable_at", "reward", "due_at"}


def iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- orders -------------------------------------------------------------------------------------


def test_an_agent_creates_an_order_with_every_field_of_the_contract(api, world):
    # given an agent and a customer the platform has never seen
    due = (clock.now() + timedelta(days=5)).replace(microsecond=0)

    # when the agent creates an order for them with every field
    status, order = api.as_(world.agent).post(
        "/orders",
        {
            "service": "resume-writing",
            "customer": "new.customer@example.com",
            "title": "A resume for a nurse",
            "instructions": "Two pages.",
            "assignment": "contest",
            "qc_required": True,
            "expert_may_close": True,
            "reward": {"amount": "120.00", "currency": "USD"},
            "due_at": due.isoformat(),
        },
    )

    # then the order is made as asked and returned in the contract's shape
    assert status == 201
    assert set(order) >= ORDER_FIELDS
    assert order["status"] == "open"
    assert (order["assignment"], order["qc_required"], order["expert_may_close"]) == (
        "contest",
        True,
        True,
    )
    assert order["expert"] is None and order["closable_at"] is None
    assert order["reward"] == {"amount": "120.00", "currency": "USD"}
    assert order["customer"] == "new.customer@example.com"
    assert iso(order["due_at"]) == due
    assert abs(iso(order["created_at"]) - clock.now()) < timedelta(minutes=1)
    stored = Order.objects.get(pk=order["id"])
    assert (stored.reward_amount, stored.customer.email) == (
        Decimal("120.00"),
        "new.customer@example.com",
    )
    assert not stored.customer.has_usable_password()  # they sign in with an e-mailed code


def test_a_customer_orders_for_themselves_and_gets_the_services_flow_and_reward(api, world):
    # given a marketplace service paying its pros 80 EUR
    ServiceFactory(
        slug="translation", flow=Flow.MARKETPLACE, reward_amount="80.00", reward_currency="EUR"
    )

    # when a customer orders it naming only what customers name
    status, order = api.as_(world.customer).post(
        "/orders", {"service": "translation", "title": "Translate my letter", "due_at": None}
    )

    # then the service decided the flow and the reward
    assert status == 201
    assert order["customer"] == "customer@example.com"
    assert (order["assignment"], order["qc_required"], order["expert_may_close"]) == (
        "speedy",
        True,
        False,
    )
    stored = Order.objects.get(pk=order["id"])
    assert (stored.reward_amount, stored.reward_currency) == (Decimal("80.00"), "EUR")
    # and the expert's pay is not the customer's to read
    assert order["reward"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer", "someone.else@example.com"),
        ("assignment", "direct"),
        ("qc_required", False),
        ("expert_may_close", True),
        ("reward", {"amount": "500.00", "currency": "USD"}),
    ],
)
def test_a_customer_sending_an_agent_only_field_is_refused_naming_it(api, world, field, value):
    # given a customer
    before = snapshot()

    # when they send a field only agents set
    status, body = api.as_(world.customer).post(
        "/orders", {"service": "resume-writing", "title": "A CV", field: value}
    )

    # then it is refused, the field named, and no order is made
    assert status == 403
    error = error_of(body)
    assert (error["code"], error["field"]) == ("agent_only", field)
    assert snapshot() == before


def test_a_customer_may_name_themselves_as_the_customer(api, world):
    status, order = api.as_(world.customer).post(
        "/orders",
        {"service": "resume-writing", "title": "A CV", "customer": "Customer@Example.com"},
    )

    assert status == 201 and order["customer"] == "customer@example.com"


def test_closable_at_is_shown_to_the_orders_parties_only(api, world):
    # given an expert-hub order delivered on 3 March 2026, 15:27 in New York
    order = world.assigned(Flow.EXPERT_HUB, qc_required=True)
    submission = world.submit(order)
    with clock.frozen_at(datetime.fromisoformat("2026-03-03T20:27:00+00:00")):
        world.approve(submission)

    # then its parties read the moment it becomes closable; QC, not a party, does not
    for person in (world.customer, world.expert, world.agent):
        status, body = api.as_(person).get(f"/orders/{order.pk}")
        assert status == 200
        assert iso(body["closable_at"]) == datetime.fromisoformat("2026-03-10T19:27:00+00:00")
    status, body = api.as_(world.reviewer).get(f"/orders/{order.pk}")
    assert status == 200 and body["closable_at"] is None


# --- assignment and invitations -----------------------------------------------------------------


def test_assign_names_the_expert_by_email_and_the_order_shows_them(api, world):
    order = world.order()

    status, body = api.as_(world.agent).post(
        f"/orders/{order.pk}/assign", {"expert": "expert@example.com"}
    )

    assert status == 200
    assert (body["status"], body["expert"]) == ("in_progress", "expert@example.com")
    order.refresh_from_db()
    assert order.expert == world.expert


def test_invitations_carry_the_order_their_status_and_the_reward(api, world):
    # given an open marketplace order paying 120.00 USD
    order = world.order(Flow.MARKETPLACE)

    # when an agent invites two pros
    status, invitations = api.as_(world.agent).post(
        f"/orders/{order.pk}/invitations",
        {"experts": ["expert@example.com", "expert2@example.com"]},
    )

    # then each pro has a pending invitation showing the reward
    assert status == 201
    assert [i["expert"] for i in invitations] == ["expert@example.com", "expert2@example.com"]
    for invitation in invitations:
        assert {"id", "order", "status", "reward"} <= set(invitation)
        assert invitation["order"] == order.pk and invitation["status"] == "pending"
        assert invitation["reward"] == {"amount": "120.00", "currency": "USD"}
    status, mine = api.as_(world.expert2).get("/invitations")
    assert [i["id"] for i in mine["items"]] == [invitations[1]["id"]]


def test_speedy_first_accept_wins_and_the_second_gets_409_taken_and_loses_the_order(api, world):
    # given a speedy order offered to two pros
    order = world.order(Flow.MARKETPLACE)
    actions.invite_experts(order, actor=world.agent, experts=[world.expert, world.expert2])
    mine = order.invitations.get(expert=world.expert).pk
    theirs = order.invitations.get(expert=world.expert2).pk

    # when both accept, the expert first
    first = api.as_(world.expert).post(f"/invitations/{mine}/accept")
    second = api.as_(world.expert2).post(f"/invitations/{theirs}/accept")

    # then the first has the order, the second hears it was taken and can no longer open it
    assert first[0] == 200 and first[1]["expert"] == "expert@example.com"
    assert second[0] == 409 and error_of(second[1])["code"] == "taken"
    order.refresh_from_db()
    assert order.expert == world.expert
    assert Invitation.objects.get(pk=theirs).status == Invitation.Status.TAKEN
    assert api.as_(world.expert2).get(f"/orders/{order.pk}")[0] == 404
    # a double click by the winner is harmless
    assert api.as_(world.expert).post(f"/invitations/{mine}/accept")[0] == 200


def test_declining_answers_the_invitation(api, world):
    order = world.order(Flow.MARKETPLACE)
    actions.invite_experts(order, actor=world.agent, experts=[world.expert, world.expert2])
    invitation = order.invitations.get(expert=world.expert2)

    status, body = api.as_(world.expert2).post(
        f"/invitations/{invitation.pk}/decline", {"reason": "Busy."}
    )

    assert status == 200 and body["status"] == "declined"
    assert api.as_(world.expert2).post(f"/invitations/{invitation.pk}/accept")[0] == 409


# --- submissions, QC, the customer's response ---------------------------------------------------


def test_a_submission_holds_titled_files_and_notes_and_waits_in_qc(api, world):
    # given a marketplace order the expert took
    order = world.assigned(Flow.MARKETPLACE)
    resume, letter = b"Resume v1\n", b"\x00\xffcover letter bytes"

    # when the expert delivers two titled files with notes
    status, submission = api.as_(world.expert).post(
        f"/orders/{order.pk}/submissions",
        files={"files": [("resume.txt", resume), ("letter.bin", letter)]},
        data={"titles": ["Resume", "Cover letter"], "notes": "First draft."},
    )

    # then it is a draft waiting in QC, its files described as the contract says
    assert status == 201
    assert submission["kind"] == "draft" and submission["delivered_at"] is None
    assert submission["notes"] == "First draft."
    assert [
        {k: f[k] for k in ("title", "name", "size", "sha256")} for f in submission["files"]
    ] == [
        {
            "title": "Resume",
            "name": "resume.txt",
            "size": len(resume),
            "sha256": hashlib.sha256(resume).hexdigest(),
        },
        {
            "title": "Cover letter",
            "name": "letter.bin",
            "size": len(letter),
            "sha256": hashlib.sha256(letter).hexdigest(),
        },
    ]
    assert all(isinstance(f["id"], int) for f in submission["files"])
    order.refresh_from_db()
    assert order.status == Order.Status.IN_QC
    assert api.as_(world.customer).get(f"/orders/{order.pk}/submissions") == (200, [])


def test_qc_approval_delivers_and_later_submissions_are_revisions(api, world):
    # given a draft in QC
    order = world.assigned(Flow.MARKETPLACE)
    draft = world.submit(order)

    # when the reviewer approves it
    status, body = api.as_(world.reviewer).post(
        f"/submissions/{draft.pk}/review", {"decision": "approve", "comments": "Good."}
    )

    # then the customer can see it, delivered at the approval
    assert status == 201 and body["delivered_at"] is not None
    status, seen = api.as_(world.customer).get(f"/orders/{order.pk}/submissions")
    assert [s["id"] for s in seen] == [draft.pk]
    # and after a revision request the next submission is a revision
    world.revise(order)
    status, second = api.as_(world.expert).post(
        f"/orders/{order.pk}/submissions",
        files={"files": [("resume.txt", b"Resume v2\n")]},
        data={"titles": ["Resume"]},
    )
    assert status == 201 and second["kind"] == "revision" and second["delivered_at"] is None


def test_without_qc_a_submission_is_delivered_at_once(api, world):
    order = world.assigned(Flow.WRITER_PORTAL)

    status, submission = api.as_(world.expert).post(
        f"/orders/{order.pk}/submissions",
        files={"files": [("resume.txt", b"Resume\n")]},
        data={"titles": ["Resume"]},
    )

    assert status == 201
    assert abs(iso(submission["delivered_at"]) - clock.now()) < timedelta(minutes=1)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED


def test_qc_sends_work_back_with_comments_the_customer_never_reads(api, world):
    # given a draft in QC
    order = world.assigned(Flow.MARKETPLACE)
    draft = world.submit(order)

    # when the reviewer sends it back with comments
    status, body = api.as_(world.reviewer).post(
        f"/submissions/{draft.pk}/review",
        {"decision": "revise", "comments": "Spelling on page 2, QC-ONLY-REMARK."},
    )

    # then the expert reads the comments and works again
    assert status == 201
    assert body["reviews"][0]["comments"] == "Spelling on page 2, QC-ONLY-REMARK."
    order.refresh_from_db()
    assert order.status == Order.Status.IN_PROGRESS
    status, mine = api.as_(world.expert).get(f"/submissions/{draft.pk}")
    assert mine["reviews"][0]["decision"] == "revise"
    # and once a later version is approved, nothing the customer can read carries them
    approved = world.submit(order, 2)
    world.approve(approved)
    client = api.as_(world.customer)
    for path in (
        f"/orders/{order.pk}",
        f"/orders/{order.pk}/submissions",
        f"/submissions/{approved.pk}",
        f"/orders/{order.pk}/events",
        f"/orders/{order.pk}/comments",
        "/orders",
    ):
        response = client.call("GET", path)
        assert response.status_code == 200, path
        assert "QC-ONLY-REMARK" not in response.text, path
    assert client.get(f"/submissions/{approved.pk}")[1]["reviews"] == []


def test_a_review_needs_a_known_decision_and_comments_to_send_back(api, world):
    order = world.assigned(Flow.MARKETPLACE)
    draft = world.submit(order)
    reviewer = api.as_(world.reviewer)

    unknown = reviewer.post(f"/submissions/{draft.pk}/review", {"decision": "maybe"})
    silent = reviewer.post(f"/submissions/{draft.pk}/review", {"decision": "revise"})

    assert unknown[0] == 400 and error_of(unknown[1])["field"] == "decision"
    assert silent[0] == 400 and error_of(silent[1])["field"] == "comments"
    order.refresh_from_db()
    assert order.status == Order.Status.IN_QC and not draft.reviews.exists()


def test_a_revision_request_carries_comments_and_files(api, world):
    order = world.delivered(Flow.WRITER_PORTAL)

    status, request = api.as_(world.customer).post(
        f"/orders/{order.pk}/revision-requests",
        data={"comments": "Add my promotion."},
        files={"files": [("promotion.txt", b"Promoted in May.\n")]},
    )

    assert status == 201
    assert request["comments"] == "Add my promotion." and request["status"] == "open"
    assert [(f["name"], f["size"]) for f in request["files"]] == [("promotion.txt", 17)]
    order.refresh_from_db()
    assert order.status == Order.Status.REVISION_REQUESTED


@pytest.fixture
def awaiting_triage(world):
    world.service.revision_triage = True
    world.service.save()
    order = world.delivered(Flow.WRITER_PORTAL)
    return order, world.revise(order, "Also translate it to Spanish.")


def test_triage_with_a_fee_quotes_the_customer(api, world, awaiting_triage):
    order, request = awaiting_triage

    status, body = api.as_(world.agent).post(
        f"/revision-requests/{request.pk}/triage",
        {
            "decision": "fee",
            "fee": {"amount": "30.00", "currency": "USD"},
            "reason": "Translation is a new service.",
        },
    )

    assert status == 200
    assert (body["triage"], body["status"]) == ("fee", "awaiting_fee")
    status, fees = api.as_(world.customer).get(f"/orders/{order.pk}/fee-requests")
    assert [(f["amount"], f["currency"], f["status"]) for f in fees] == [("30.00", "USD", "quoted")]
    assert FeeRequest.objects.get().revision_request_id == request.pk


def test_triage_in_scope_sends_the_request_to_the_expert(api, world, awaiting_triage):
    _order, request = awaiting_triage

    status, body = api.as_(world.agent).post(
        f"/revision-requests/{request.pk}/triage",
        {"decision": "in_scope", "fee": None, "reason": ""},
    )

    assert status == 200 and body["status"] == "open"
    again = api.as_(world.agent).post(
        f"/revision-requests/{request.pk}/triage", {"decision": "in_scope"}
    )
    assert again[0] == 409 and error_of(again[1])["code"] == "not_pending_triage"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"decision": "rejected", "fee": None, "reason": ""}, "reason"),
        ({"decision": "fee", "fee": None, "reason": "More work."}, "fee"),
        ({"decision": "fee", "fee": {"amount": "-3", "currency": "USD"}}, "fee.amount"),
        ({"decision": "postpone"}, "decision"),
    ],
)
def test_triage_refuses_incomplete_decisions_naming_the_field(
    api, world, awaiting_triage, payload, field
):
    _order, request = awaiting_triage

    status, body = api.as_(world.agent).post(f"/revision-requests/{request.pk}/triage", payload)

    assert status == 400 and error_of(body)["field"] == field
    request.refresh_from_db()
    assert request.status == RevisionRequest.Status.PENDING_TRIAGE


# --- closing (expert hub) -----------------------------------------------------------------------


def test_close_tells_when_and_why_and_shows_the_final_documents_and_farewell(api, world):
    # given an expert-hub order first delivered on 3 March 2026 at 15:27 in New York
    order = world.assigned(Flow.EXPERT_HUB)
    with clock.frozen_at(datetime.fromisoformat("2026-03-03T20:27:00+00:00")):
        submission = world.deliver(order)

    # when its expert asks on 9 March
    with clock.frozen_at(datetime.fromisoformat("2026-03-09T12:00:00+00:00")):
        status, info = api.as_(world.expert).get(f"/orders/{order.pk}/close")

    # then they read the exact moment and the reason, the documents and the farewell draft
    assert status == 200
    assert {"closable", "closable_at", "reason", "needs_agent", "final_documents"} <= set(info)
    assert info["closable"] is False
    assert iso(info["closable_at"]) == datetime.fromisoformat("2026-03-10T19:27:00+00:00")
    assert "7" in info["reason"] and "2026" in info["reason"]
    assert info["needs_agent"] is True  # the customer has not opened the delivery
    assert [f["id"] for f in info["final_documents"]] == [submission.files.get().pk]
    assert "\nYour documents: http://testserver/link/" in info["farewell_template"]


@pytest.fixture
def closable(world):
    """An expert-hub order delivered eight days ago and opened by the customer."""
    order = world.assigned(Flow.EXPERT_HUB)
    with clock.frozen_at(clock.now() - timedelta(days=8)):
        world.deliver(order)
    world.open_latest(order)
    return order


def test_closing_sends_the_edited_farewell_with_its_link_line_unchanged(api, world, closable):
    # given the farewell draft of a closable order
    status, info = api.as_(world.expert).get(f"/orders/{closable.pk}/close")
    assert status == 200 and info["closable"] is True and info["needs_agent"] is False
    template = info["farewell_template"]
    link_line = next(line for line in template.splitlines() if "http" in line)
    assert link_line.startswith("Your documents: http://testserver/link/")

    # when the expert edits everything but the link line and sends it
    message = template.replace("It has been a pleasure", "It was a joy")
    status, body = api.as_(world.expert).post(f"/orders/{closable.pk}/close", {"message": message})

    # then the order is completed and the customer gets that message
    assert status == 200 and body["status"] == "completed"
    farewell = Notification.objects.get(order=closable, event="farewell")
    assert farewell.context["message"] == message and link_line in farewell.context["message"]


@pytest.mark.parametrize(
    "edit",
    [
        lambda line: line.replace("http", "https"),
        lambda line: line + "?utm=1",
        lambda line: "",
    ],
    ids=["changed", "extended", "removed"],
)
def test_a_farewell_whose_link_line_was_touched_is_refused(api, world, closable, edit):
    # given the farewell draft
    template = api.as_(world.expert).get(f"/orders/{closable.pk}/close")[1]["farewell_template"]
    link_line = next(line for line in template.splitlines() if "http" in line)
    before = snapshot()

    # when the expert sends it with the link line touched
    status, body = api.as_(world.expert).post(
        f"/orders/{closable.pk}/close", {"message": template.replace(link_line, edit(link_line))}
    )

    # then it is refused, naming the message, and the order stays open
    assert status == 400
    error = error_of(body)
    assert (error["code"], error["field"]) == ("farewell_link_changed", "message")
    assert snapshot() == before
