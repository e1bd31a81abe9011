"""Every endpoint, called by every kind of person, answers as DESIGN.md's "Public API" table says:
the people it is for succeed and change something; someone who may see the order but not act
gets 403; someone who may not see it (a stranger, a pro who missed or was never offered the
order, QC on an order without QC) gets 404, exactly as for a missing order; nobody logged in
gets 401. A refused request changes nothing.

The people (World): C the customer, E the expert on the order, X the other expert (expert2: on
marketplace orders a pro who was invited and missed it; in "assign" the pro it is offered to),
R a QC reviewer, A an agent, S a stranger (an active expert and customer with no part in the
order). Each row is one state; everyone's call is made in it, each undone before the next."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction

from atelier.api.api import api as ninja_api
from atelier.core import clock
from atelier.orders import actions
from atelier.orders.events import sequence_events
from atelier.orders.models import Order, Submission
from atelier.orders.tests.factories import World, doc
from atelier.webhooks import actions as webhooks

from .apiclient import error_of, snapshot

Flow = Order.Flow
ROLES = {
    "C": "customer",
    "E": "expert",
    "X": "expert2",
    "R": "reviewer",
    "A": "agent",
    "S": "stranger",
}


# --- the states each endpoint is tried in, reached through the real actions -------------------


def nothing(w: World) -> dict[str, Any]:
    return {}


def logged_events(w: World) -> dict[str, Any]:
    """An order's events, already numbered: reading the log then writes nothing."""
    w.delivered()
    sequence_events()
    return {}


def open_marketplace(w: World) -> dict[str, Any]:
    return {"order": w.order(Flow.MARKETPLACE).pk}


def offered_to_expert2(w: World) -> dict[str, Any]:
    """A marketplace order offered to expert2 only: expert2 sees it, the expert does not."""
    order = w.order(Flow.MARKETPLACE)
    actions.invite_experts(order, actor=w.agent, experts=[w.expert2])
    return {"order": order.pk}


def offered_to_both(w: World) -> dict[str, Any]:
    order = w.order(Flow.MARKETPLACE)
    actions.invite_experts(order, actor=w.agent, experts=[w.expert, w.expert2])
    return {"order": order.pk, "invitation": order.invitations.get(expert=w.expert).pk}


def in_progress(w: World) -> dict[str, Any]:
    """A marketplace order the expert took; expert2 missed it."""
    return {"order": w.assigned(Flow.MARKETPLACE).pk}


def extension_asked(w: World) -> dict[str, Any]:
    """A marketplace order whose expert asked for more time."""
    order = w.assigned(Flow.MARKETPLACE)
    extension = actions.request_extension(
        order, actor=w.expert, due_at=datetime(2030, 1, 1, tzinfo=UTC), reason="More pages."
    )
    return {"order": order.pk, "extension": extension.pk}


def in_qc(w: World) -> dict[str, Any]:
    """A marketplace order with the customer's document, its first draft waiting in QC."""
    order = w.assigned(Flow.MARKETPLACE)
    [attachment] = actions.add_attachments(order, actor=w.customer, files=[doc("old-cv.txt")])
    submission = w.submit(order)
    return {
        "order": order.pk,
        "submission": submission.pk,
        "attachment": attachment.pk,
        "draft_file": submission.files.get().pk,
    }


def claimed(w: World) -> dict[str, Any]:
    """A draft waiting in QC that the reviewer claimed."""
    ids = in_qc(w)
    actions.claim_review(Submission.objects.get(pk=ids["submission"]), actor=w.reviewer)
    return ids


def sent_back(w: World) -> dict[str, Any]:
    """A marketplace order whose first draft QC sent back."""
    order = w.assigned(Flow.MARKETPLACE)
    submission = w.submit(order)
    actions.review_submission(
        submission, actor=w.reviewer, decision="revise", comments="The dates are wrong."
    )
    return {"order": order.pk, "submission": submission.pk}


def appealed(w: World) -> dict[str, Any]:
    """QC sent the first draft back and the expert appealed."""
    ids = sent_back(w)
    submission = Submission.objects.get(pk=ids["submission"])
    appeal = actions.appeal_review(submission, actor=w.expert, reason="The dates are right.")
    return {**ids, "appeal": appeal.pk}


def delivered_qc(w: World) -> dict[str, Any]:
    return {"order": w.delivered(Flow.MARKETPLACE).pk}


def delivered_and_opened(w: World) -> dict[str, Any]:
    order = w.delivered(Flow.MARKETPLACE)
    w.open_latest(order)  # so that the customer's download is a pure read
    return {"order": order.pk}


def revision_requested(w: World) -> dict[str, Any]:
    order = w.delivered(Flow.MARKETPLACE)
    return {"order": order.pk, "revision": w.revise(order).pk}


def awaiting_triage(w: World) -> dict[str, Any]:
    w.service.revision_triage = True
    w.service.save()
    return revision_requested(w)


def completed(w: World) -> dict[str, Any]:
    order = w.delivered(Flow.MARKETPLACE)
    actions.complete_order(order, actor=w.customer)
    return {"order": order.pk}


def rated(w: World) -> dict[str, Any]:
    """A completed marketplace order its customer rated."""
    ids = completed(w)
    actions.rate_order(Order.objects.get(pk=ids["order"]), actor=w.customer, stars=5)
    return ids


def delivered_without_qc(w: World) -> dict[str, Any]:
    return {"order": w.delivered(Flow.WRITER_PORTAL).pk}


def hub_delivered(w: World) -> dict[str, Any]:
    return {"order": w.delivered(Flow.EXPERT_HUB).pk}


def hub_closable(w: World) -> dict[str, Any]:
    """An expert-hub order delivered eight days ago and opened: its expert may close it."""
    order = w.assigned(Flow.EXPERT_HUB)
    with clock.frozen_at(clock.now() - timedelta(days=8)):
        w.deliver(order)
    w.open_latest(order)
    farewell = actions.close_info(order, actor=w.expert).farewell_template
    return {"order": order.pk, "body": {"json": {"message": farewell}}}


def taken_with_linked_order(w: World) -> dict[str, Any]:
    """A speedy translation with its linked proofreading order; expert2 missed the first."""
    proofreading = w.order(Flow.MARKETPLACE, title="Proofread the translation")
    return {"order": w.assigned(Flow.MARKETPLACE, linked_order=proofreading).pk}


def with_another_order(w: World) -> dict[str, Any]:
    """An open marketplace order, and another one to link it to."""
    proofreading = w.order(Flow.MARKETPLACE, title="Proofread the translation")
    order = w.order(Flow.MARKETPLACE)
    return {"order": order.pk, "body": js(linked_order=proofreading.pk)}


def delivered_unopened(w: World) -> dict[str, Any]:
    order = w.delivered(Flow.MARKETPLACE)
    return {"order": order.pk, "submission": order.submissions.get().pk}


def fee_requested(w: World) -> dict[str, Any]:
    order = w.assigned(Flow.MARKETPLACE)
    fee = actions.request_fee(order, actor=w.expert, amount="25.00", reason="A second page.")
    return {"order": order.pk, "fee": fee.pk}


def fee_quoted(w: World) -> dict[str, Any]:
    ids = fee_requested(w)
    fee = Order.objects.get(pk=ids["order"]).fee_requests.get()
    actions.decide_fee(fee, actor=w.agent, approve=True)
    return ids


def flagged(w: World) -> dict[str, Any]:
    order = w.assigned(Flow.MARKETPLACE)
    flag = actions.raise_flag(order, actor=w.expert, kind="excessive_revisions")
    return {"order": order.pk, "flag": flag.pk}


def webhook_endpoint(w: World) -> dict[str, Any]:
    endpoint = webhooks.create_endpoint(
        actor=w.agent, url="https://93.184.215.14/hook", events=["order.completed"]
    )
    return {"endpoint": endpoint.pk}


# --- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    given: Callable[[World], dict[str, Any]]
    expect: str  # "C201 E403 …": each person's status
    body: dict[str, Any] | None = None  # keyword arguments of Api.call


def js(**fields: Any) -> dict[str, Any]:
    return {"json": fields}


UPLOAD = {"files": {"files": [("notes.txt", b"Some notes.\n")]}}
SUBMISSION = {"files": {"files": [("cv.txt", b"CV v1\n")]}, "data": {"titles": ["CV"]}}

CASES = {
    # orders
    "create an order": Case(
        "POST",
        "/orders",
        nothing,
        "C201 E403 X403 R403 A201 S403",
        js(service="resume-writing", title="A CV", customer="customer@example.com"),
    ),
    "list orders": Case("GET", "/orders", in_qc, "C200 E200 X200 R200 A200 S200"),
    "read an order with QC": Case("GET", "/orders/{order}", in_qc, "C200 E200 X404 R200 A200 S404"),
    "read an order without QC": Case(
        "GET", "/orders/{order}", delivered_without_qc, "C200 E200 X404 R404 A200 S404"
    ),
    "add documents": Case(
        "POST", "/orders/{order}/attachments", in_qc, "C201 E403 X404 R403 A201 S404", UPLOAD
    ),
    "list documents": Case(
        "GET", "/orders/{order}/attachments", in_qc, "C200 E200 X404 R200 A200 S404"
    ),
    "assign": Case(
        "POST",
        "/orders/{order}/assign",
        offered_to_expert2,
        "C403 E404 X403 R403 A200 S404",
        js(expert="expert@example.com"),
    ),
    "invite": Case(
        "POST",
        "/orders/{order}/invitations",
        open_marketplace,
        "C403 E404 X404 R403 A201 S404",
        js(experts=["expert2@example.com"]),
    ),
    "list an order's invitations": Case(
        "GET", "/orders/{order}/invitations", in_progress, "C403 E403 X404 R403 A200 S404"
    ),
    "link an order to its follow-up": Case(
        "POST", "/orders/{order}/link", with_another_order, "C403 E404 X404 R403 A200 S404"
    ),
    "offer the linked order": Case(
        "POST",
        "/orders/{order}/offer-linked",
        taken_with_linked_order,
        "C403 E403 X404 R403 A201 S404",
    ),
    # invitations
    "my invitations": Case("GET", "/invitations", offered_to_both, "C200 E200 X200 R200 A200 S200"),
    "accept": Case(
        "POST",
        "/invitations/{invitation}/accept",
        offered_to_both,
        "C404 E200 X404 R404 A403 S404",
    ),
    "decline": Case(
        "POST",
        "/invitations/{invitation}/decline",
        offered_to_both,
        "C404 E200 X404 R404 A403 S404",
        js(reason="Busy this week."),
    ),
    # submissions and QC
    "submit": Case(
        "POST",
        "/orders/{order}/submissions",
        in_progress,
        "C403 E201 X404 R403 A403 S404",
        SUBMISSION,
    ),
    "delivery history": Case(
        "GET", "/orders/{order}/submissions", in_qc, "C200 E200 X404 R200 A200 S404"
    ),
    "open a delivery": Case(
        "POST",
        "/submissions/{submission}/open",
        delivered_unopened,
        "C200 E403 X404 R403 A403 S404",
    ),
    "read a submission in QC": Case(
        "GET", "/submissions/{submission}", in_qc, "C404 E200 X404 R200 A200 S404"
    ),
    "review": Case(
        "POST",
        "/submissions/{submission}/review",
        in_qc,
        "C404 E403 X404 R201 A403 S404",
        js(decision="approve", comments=""),
    ),
    "claim a submission in QC": Case(
        "POST", "/submissions/{submission}/claim", in_qc, "C404 E403 X404 R200 A403 S404"
    ),
    "release a claimed submission": Case(
        "POST", "/submissions/{submission}/release", claimed, "C404 E403 X404 R200 A403 S404"
    ),
    "hand a submission to a reviewer": Case(
        "POST",
        "/submissions/{submission}/reviewer",
        in_qc,
        "C404 E403 X404 R403 A200 S404",
        js(reviewer="reviewer@example.com"),
    ),
    "appeal a send-back": Case(
        "POST",
        "/submissions/{submission}/appeal",
        sent_back,
        "C404 E201 X404 R403 A403 S404",
        js(reason="The dates are right."),
    ),
    "list appeals": Case("GET", "/appeals", appealed, "C403 E200 X200 R200 A200 S200"),
    "read an appeal": Case("GET", "/appeals/{appeal}", appealed, "C404 E200 X404 R200 A200 S404"),
    "decide an appeal": Case(
        "POST",
        "/appeals/{appeal}/decide",
        appealed,
        "C404 E403 X404 R403 A200 S404",
        js(decision="overturn", reason="The dates match the certificate."),
    ),
    "download the customer's document": Case(
        "GET", "/files/{attachment}", in_qc, "C200 E200 X404 R200 A200 S404"
    ),
    "download a draft in QC": Case(
        "GET", "/files/{draft_file}", in_qc, "C404 E200 X404 R200 A200 S404"
    ),
    "download the final documents": Case(
        "GET",
        "/orders/{order}/final-documents.zip",
        delivered_and_opened,
        "C200 E200 X404 R200 A200 S404",
    ),
    # the customer's response
    "ask for a revision": Case(
        "POST",
        "/orders/{order}/revision-requests",
        delivered_qc,
        "C201 E403 X404 R403 A201 S404",
        {"data": {"comments": "Add my promotion."}},
    ),
    "list revision requests": Case(
        "GET",
        "/orders/{order}/revision-requests",
        revision_requested,
        "C200 E200 X404 R200 A200 S404",
    ),
    "triage": Case(
        "POST",
        "/revision-requests/{revision}/triage",
        awaiting_triage,
        "C403 E403 X404 R403 A200 S404",
        js(decision="in_scope", fee=None, reason=""),
    ),
    "complete": Case(
        "POST", "/orders/{order}/complete", delivered_qc, "C200 E403 X404 R403 A200 S404"
    ),
    # closing
    "closing eligibility": Case(
        "GET", "/orders/{order}/close", hub_delivered, "C403 E200 X404 R404 A200 S404"
    ),
    "close and send the farewell": Case(
        "POST", "/orders/{order}/close", hub_closable, "C403 E200 X404 R404 A200 S404"
    ),
    "ask an agent to close": Case(
        "POST",
        "/orders/{order}/close-requests",
        hub_delivered,
        "C403 E201 X404 R404 A403 S404",
        js(note="The customer went quiet."),
    ),
    # conversation, flags, fees, timeline
    "comment": Case(
        "POST",
        "/orders/{order}/comments",
        in_qc,
        "C201 E201 X404 R403 A201 S404",
        {"data": {"body": "Hello."}},
    ),
    "read the thread": Case(
        "GET", "/orders/{order}/comments", in_qc, "C200 E200 X404 R403 A200 S404"
    ),
    "flag excessive revisions": Case(
        "POST",
        "/orders/{order}/flags",
        in_qc,
        "C403 E201 X404 R403 A201 S404",
        js(kind="excessive_revisions", note=""),
    ),
    "list flags": Case("GET", "/orders/{order}/flags", in_qc, "C200 E200 X404 R403 A200 S404"),
    "resolve a flag": Case(
        "POST",
        "/flags/{flag}/resolve",
        flagged,
        "C403 E403 X404 R403 A200 S404",
        js(resolution="Talked to them."),
    ),
    "ask for a fee": Case(
        "POST",
        "/orders/{order}/fee-requests",
        in_qc,
        "C403 E201 X404 R403 A403 S404",
        js(amount="25.00", reason="A second page."),
    ),
    "list fees": Case(
        "GET", "/orders/{order}/fee-requests", in_qc, "C200 E200 X404 R403 A200 S404"
    ),
    "decide a fee request": Case(
        "POST",
        "/fee-requests/{fee}/decision",
        fee_requested,
        "C403 E403 X404 R403 A200 S404",
        js(approve=True, note=""),
    ),
    "answer a quoted fee": Case(
        "POST",
        "/fee-requests/{fee}/response",
        fee_quoted,
        "C200 E403 X404 R403 A403 S404",
        js(accept=True),
    ),
    "ask for more time": Case(
        "POST",
        "/orders/{order}/extensions",
        in_progress,
        "C403 E201 X404 R403 A403 S404",
        js(due_at="2030-01-01T10:00:00Z", reason="Twice the pages."),
    ),
    "list requests for more time": Case(
        "GET", "/orders/{order}/extensions", extension_asked, "C200 E200 X404 R403 A200 S404"
    ),
    "answer a request for more time": Case(
        "POST",
        "/extensions/{extension}/answer",
        extension_asked,
        "C200 E403 X404 R403 A200 S404",
        js(accept=True, note=""),
    ),
    "read the timeline": Case(
        "GET", "/orders/{order}/events", in_qc, "C200 E200 X404 R200 A200 S404"
    ),
    # after completion
    "rate a completed order": Case(
        "POST",
        "/orders/{order}/rating",
        completed,
        "C201 E403 X404 R403 A403 S404",
        js(stars=5, text="Thank you.", tip={"amount": "5.00", "currency": "USD"}),
    ),
    "list ratings": Case("GET", "/ratings", rated, "C403 E200 X200 R403 A200 S200"),
    # agents
    "reopen": Case(
        "POST",
        "/orders/{order}/reopen",
        completed,
        "C403 E403 X404 R403 A200 S404",
        js(reason="The customer wrote back."),
    ),
    "cancel work in progress": Case(
        "POST",
        "/orders/{order}/cancel",
        in_progress,
        "C403 E403 X404 R403 A200 S404",
        js(reason="Duplicate."),
    ),
    # money and who I am
    "read my ledger": Case("GET", "/ledger", nothing, "C403 E200 X200 R403 A200 S200"),
    "credit an expert": Case(
        "POST",
        "/ledger/credits",
        nothing,
        "C403 E403 X403 R403 A201 S403",
        js(expert="expert@example.com", amount="10.00", currency="USD", memo="Thanks."),
    ),
    "who am I": Case("GET", "/me", nothing, "C200 E200 X200 R200 A200 S200"),
    "read the services and their policies": Case(
        "GET", "/services", nothing, "C200 E200 X200 R200 A200 S200"
    ),
    "change a service's policy": Case(
        "PATCH",
        "/services/{service}/policy",
        lambda w: {"service": w.service.slug},
        "C403 E403 X403 R403 A200 S403",
        js(reminder_days=4),
    ),
    # the event log: everyone follows what they may see (test_event_log.py checks what)
    "follow the event log": Case("GET", "/events", logged_events, "C200 E200 X200 R200 A200 S200"),
    # webhooks: agents only, everyone else is told so
    "list webhooks": Case("GET", "/webhooks", webhook_endpoint, "C403 E403 X403 R403 A200 S403"),
    "register a webhook": Case(
        "POST",
        "/webhooks",
        nothing,
        "C403 E403 X403 R403 A201 S403",
        js(url="https://93.184.215.14/hook", events=["order.completed"], description=""),
    ),
    "read a webhook": Case(
        "GET", "/webhooks/{endpoint}", webhook_endpoint, "C403 E403 X403 R403 A200 S403"
    ),
    "ping a webhook": Case(
        "POST", "/webhooks/{endpoint}/ping", webhook_endpoint, "C403 E403 X403 R403 A202 S403"
    ),
    "read a webhook's deliveries": Case(
        "GET",
        "/webhooks/{endpoint}/deliveries",
        webhook_endpoint,
        "C403 E403 X403 R403 A200 S403",
    ),
    "delete a webhook": Case(
        "DELETE", "/webhooks/{endpoint}", webhook_endpoint, "C403 E403 X403 R403 A204 S403"
    ),
}


def _expected(case: Case) -> dict[str, int]:
    return {ROLES[cell[0]]: int(cell[1:]) for cell in case.expect.split()}


PEOPLE = [*ROLES.values(), "anonymous"]


def _outcome(response, before: dict, method: str) -> str:
    """What went wrong beyond the status, in words ("" when nothing did)."""
    if response.status_code >= 400:
        body = response.json()
        error = error_of(body)
        wanted = {401: "unauthenticated", 404: "not_found"}.get(response.status_code)
        if wanted and error["code"] != wanted:
            return f"code {error['code']}"
        if response.status_code == 401 and not response.get("WWW-Authenticate", "").startswith(
            "Bearer"
        ):
            return "no WWW-Authenticate"
        return "" if snapshot() == before else "a refusal changed something"
    if method == "GET":
        return "" if snapshot() == before else "reading wrote something"
    return "" if snapshot() != before else "the action changed nothing"


@pytest.mark.parametrize("name", CASES)
def test_every_endpoint_answers_each_person_as_the_table_says(api, world, name):
    # given the state the endpoint acts on, and everyone's token
    case = CASES[name]
    ids = case.given(world)
    clients = {p: api.as_(getattr(world, p) if p != "anonymous" else None) for p in PEOPLE}
    expected = {**_expected(case), "anonymous": 401}
    before = snapshot()

    # when each person calls it, each call undone before the next person's
    answers, problems = {}, {}
    for person, client in clients.items():
        with transaction.atomic():
            body = ids.get("body") or case.body or {}
            response = client.call(case.method, case.path.format(**ids), **body)
            answers[person] = response.status_code
            if response.status_code == expected[person] and (
                problem := _outcome(response, before, case.method)
            ):
                problems[person] = problem
            transaction.set_rollback(True)

    # then each got the table's answer; a refusal has the error shape and changes nothing;
    # reading writes nothing, and an allowed action does something
    assert answers == expected
    assert problems == {}


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_an_agent_answering_someone_elses_invitation_is_forbidden_not_hidden(api, world, answer):
    # given an invitation an agent can list on the order
    ids = offered_to_both(world)
    assert api.as_(world.agent).get(f"/orders/{ids['order']}/invitations")[0] == 200

    # when the agent tries to answer it for the pro
    status, body = api.as_(world.agent).post(f"/invitations/{ids['invitation']}/{answer}")

    # then it is forbidden (they see it), not "not found"
    assert (status, error_of(body)["code"]) == (403, "forbidden")


def test_the_table_covers_every_endpoint_of_the_api():
    # given every operation the API publishes
    schema = ninja_api.get_openapi_schema()
    published = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, operations in schema["paths"].items()
        for method in operations
    }

    # then each one is in the table, but for the token exchange (tested in test_auth.py)
    tried = {(c.method, _shape(c.path)) for c in CASES.values()}
    assert {(m, _shape(p)) for m, p in published} - tried == {("POST", "/auth/token")}


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)
