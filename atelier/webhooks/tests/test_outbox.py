"""Emitting webhooks: a new order and every status change become one Delivery per active
endpoint subscribed to it, written in the action's own transaction (rolled back with it), with
one event id shared by every endpoint; `order.completed` carries the final documents with links
that download them without logging in."""

import hashlib
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from atelier.core import clock
from atelier.orders import actions
from atelier.orders.actions import Upload
from atelier.orders.models import Event, Order
from atelier.webhooks import actions as hooks
from atelier.webhooks.events import EVENTS
from atelier.webhooks.models import Delivery, Endpoint
from atelier.webhooks.outbox import emit_for_event

S = Order.Status
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40  # binary, not valid UTF-8
LETTER = "Dear hiring manager,\nI am writing…\n".encode()


class Boom(Exception):
    pass


def endpoint(world, events, **fields) -> Endpoint:
    url = "https://93.184.215.14/hooks"  # a public address: no DNS needed to accept it
    found = hooks.create_endpoint(actor=world.agent, url=url, events=events)
    if fields:
        Endpoint.objects.filter(pk=found.pk).update(**fields)
        found.refresh_from_db()
    return found


def sent(endpoint: Endpoint) -> list[str]:
    return list(endpoint.deliveries.order_by("pk").values_list("event", flat=True))


def test_the_event_names_are_order_created_and_one_per_status():
    assert set(EVENTS) == {"order.created"} | {f"order.{s}" for s in S.values}
    assert "order.completed" in EVENTS and "order.revision_requested" in EVENTS


def test_each_endpoint_gets_the_events_it_subscribes_to_and_nothing_else(world):
    # given four endpoints: one status, all, another status, and all but disabled
    in_progress = endpoint(world, ["order.in_progress"])
    everything = endpoint(world, ["*"])
    completed = endpoint(world, ["order.completed"])
    disabled = endpoint(world, ["*"], is_active=False)

    # when an order is created, assigned, delivered and commented on
    order = world.delivered()
    actions.post_comment(order, actor=world.customer, body="Thanks!")

    # then each status change went where it was wanted; a comment changes no status
    assert sent(everything) == ["order.created", "order.in_progress", "order.delivered"]
    assert sent(in_progress) == ["order.in_progress"]
    assert sent(completed) == [] and sent(disabled) == []
    # and the endpoints receiving one event share its id (receivers dedupe on it)
    [a] = in_progress.deliveries.all()
    b = everything.deliveries.get(event="order.in_progress")
    assert a.event_id == b.event_id and a.payload == b.payload
    assert len(set(everything.deliveries.values_list("event_id", flat=True))) == 3
    assert {d.order_id for d in Delivery.objects.all()} == {order.pk}
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.PENDING}


def test_an_order_that_goes_back_to_open_sends_order_open(world):
    hook = endpoint(world, ["order.open", "order.invited"])
    order = world.order(Order.Flow.MARKETPLACE)
    actions.invite_experts(order, actor=world.agent, experts=[world.expert])
    actions.decline_invitation(order.invitations.get(), actor=world.expert, reason="Busy")
    assert sent(hook) == ["order.invited", "order.open"]


def test_deliveries_are_written_in_the_actions_transaction_and_vanish_with_it(
    world, django_capture_on_commit_callbacks
):
    # given an endpoint for completions and a delivered order
    hook = endpoint(world, ["order.completed"])
    order = world.delivered()

    # when the completion is rolled back after it ran
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        actions.complete_order(order, actor=world.customer)
        assert sent(hook) == ["order.completed"]  # there, inside the transaction
        raise Boom

    # then no delivery is left, and nothing was queued for a worker
    assert sent(hook) == []
    assert callbacks == []

    # when it commits, the row stays and the worker is nudged once, after the commit
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        actions.complete_order(order, actor=world.customer)
        assert not DBTaskResult.objects.filter(task_path__contains="deliver_webhook").exists()
    [delivery] = hook.deliveries.all()
    [task] = DBTaskResult.objects.filter(task_path="atelier.webhooks.tasks.deliver_webhooks")
    assert task.args_kwargs["args"] == [[delivery.pk]]


def test_no_endpoint_costs_one_query_per_status_change_and_none_otherwise(
    world, django_assert_num_queries
):
    order = world.order()
    change = Event(order=order, verb="order.cancelled", from_status="open", to_status="cancelled")
    comment = Event(order=order, verb="comment.posted")
    with django_assert_num_queries(1):
        assert emit_for_event(change) == []
    with django_assert_num_queries(0):
        assert emit_for_event(comment) == []


# --- the payload -------------------------------------------------------------------------------


@pytest.fixture
def completed(world):
    """A writer-portal order completed on its second delivery (a revision): the final
    documents are the revision's two files, not the first draft."""
    hook = endpoint(world, ["order.completed", "order.delivered"])
    order = world.completed_on_a_revision(
        [
            Upload(ContentFile(PDF, name="resume.pdf"), "Resume"),
            Upload(ContentFile(LETTER, name="letter.txt"), "Cover letter"),
        ],
        reward_amount=Decimal("120.00"),
    )
    return hook.deliveries.get(event="order.completed"), order


def test_order_completed_carries_the_order_the_event_and_the_final_documents(world, completed):
    delivery, order = completed
    payload = delivery.payload

    assert payload["id"] == str(delivery.event_id)
    assert uuid.UUID(payload["id"])
    assert payload["type"] == "order.completed"
    happened = Event.objects.get(verb="order.completed").created_at
    assert datetime.fromisoformat(payload["created_at"]) == happened.replace(
        microsecond=happened.microsecond // 1000 * 1000  # JSON keeps milliseconds
    )
    data = payload["data"]
    assert data["order"]["id"] == order.pk
    assert data["order"]["status"] == "completed"
    assert data["order"]["reward"] == {"amount": "120.00", "currency": "USD"}
    assert data["order"]["customer"] == world.customer.email
    assert data["order"]["expert"] == world.expert.email
    assert data["order"]["completed_at"] is not None
    assert data["event"] == {
        "verb": "order.completed",
        "from_status": "revision_submitted",
        "to_status": "completed",
        "actor": world.customer.email,
        "details": {},
    }
    documents = data["final_documents"]
    assert [(d["title"], d["name"], d["size"]) for d in documents] == [
        ("Resume", "resume.pdf", len(PDF)),
        ("Cover letter", "letter.txt", len(LETTER)),
    ]
    assert documents[0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert all(d["kind"] == "submission" for d in documents)
    assert all(d["download_url"].startswith("http://testserver/api/v1/files/") for d in documents)


def test_other_events_carry_no_final_documents(completed):
    delivery, _ = completed
    for other in delivery.endpoint.deliveries.exclude(event="order.completed"):
        assert other.event == "order.delivered"
        assert "final_documents" not in other.payload["data"]


def download(client, url: str):
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body


def test_the_download_links_fetch_the_exact_bytes_without_logging_in(client, completed):
    delivery, _ = completed
    resume, letter = delivery.payload["data"]["final_documents"]
    # the client is anonymous: the link alone is the permission
    assert download(client, resume["download_url"]) == (200, PDF)
    assert download(client, letter["download_url"]) == (200, LETTER)


def test_a_tampered_or_borrowed_signature_gets_404(client, completed):
    delivery, _ = completed
    resume, letter = delivery.payload["data"]["final_documents"]
    url = resume["download_url"]
    flipped = url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:]
    assert download(client, flipped)[0] == 404
    # the letter's signature on the resume's URL: a signature names its file
    borrowed = url.split("?")[0] + "?" + letter["download_url"].split("?")[1]
    assert download(client, borrowed)[0] == 404
    assert download(client, url.split("?")[0])[0] == 401  # no signature, no login


def test_an_expired_link_gets_404(client, settings, world):
    # given links that live zero days (the setting read when the event is emitted)
    settings.ATELIER_DOWNLOAD_LINK_DAYS = 0
    hook = endpoint(world, ["order.completed"])
    order = world.delivered()
    actions.complete_order(order, actor=world.customer)
    [document] = hook.deliveries.get().payload["data"]["final_documents"]
    assert download(client, document["download_url"])[0] == 404


def test_closing_an_expert_hub_order_is_order_completed_with_its_final_documents(world):
    # given an expert-hub order delivered and opened by its customer
    hook = endpoint(world, ["order.completed"])
    order = world.delivered(Order.Flow.EXPERT_HUB)
    world.open_latest(order)
    order.refresh_from_db()

    # when its expert closes it once eligible, with the farewell
    with clock.frozen_at(order.closable_at + timedelta(minutes=1)):
        info = actions.close_info(order, actor=world.expert)
        actions.close_order(order, actor=world.expert, message=info.farewell_template)

    # then the webhook is order.completed, saying it was a close, with the final documents
    [delivery] = hook.deliveries.all()
    data = delivery.payload["data"]
    assert delivery.payload["type"] == "order.completed"
    assert data["event"]["verb"] == "order.closed"
    assert data["event"]["actor"] == world.expert.email
    assert [d["name"] for d in data["final_documents"]] == ["resume-v1.txt"]
