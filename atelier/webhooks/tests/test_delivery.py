"""Sending webhooks to a real HTTP receiver (a server thread in this process): signed requests,
2xx delivered, anything else retried with exponential back-off and then failed, redirects not
followed, the answer and error kept, one claim at a time, and the sweep's re-queue.
(Separate worker and receiver processes: tests/test_webhooks_live.py.)"""

import json
from datetime import timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from atelier.core import clock
from atelier.webhooks import actions as hooks
from atelier.webhooks import delivery, signing
from atelier.webhooks.models import Delivery, Endpoint
from atelier.webhooks.outbox import emit_ping
from atelier.worker.sweep import sweep

from .conftest import free_port

Status = Delivery.Status


@pytest.fixture
def hook(world, receiver) -> Endpoint:
    return hooks.create_endpoint(actor=world.agent, url=receiver.url, events=["*"])


@pytest.fixture
def created(world, hook) -> Delivery:
    world.order()
    return hook.deliveries.get(event="order.created")


def reload(row: Delivery) -> Delivery:
    row.refresh_from_db()
    return row


def test_a_2xx_answer_delivers_a_signed_request_once(created, hook, receiver):
    assert delivery.deliver(created.pk) is True

    [request] = receiver.requests
    assert request.path == "/hooks"
    assert signing.verify_headers(hook.secret, request.headers, request.body)
    assert request.headers["Atelier-Webhook-Id"] == str(created.event_id)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "Atelier-Webhooks/1"
    assert json.loads(request.body) == created.payload
    row = reload(created)
    assert (row.status, row.attempts, row.last_status_code, row.last_response) == (
        Status.DELIVERED,
        1,
        200,
        "ok",
    )
    assert row.delivered_at is not None and row.last_error == "" and row.next_attempt_at is None
    assert delivery.deliver(created.pk) is False  # a second nudge sends nothing
    assert len(receiver.requests) == 1


def test_failures_back_off_exponentially_then_fail_and_an_agent_retry_delivers(
    created, hook, receiver, settings, world
):
    settings.ATELIER_WEBHOOK_MAX_ATTEMPTS = 4
    settings.ATELIER_WEBHOOK_RETRY_SECONDS = 10
    receiver.answer((500, b"database is down"))
    start = clock.now()
    delays = []
    for attempt in range(4):
        with clock.frozen_at(start + timedelta(hours=attempt)):
            assert delivery.deliver(created.pk) is False
            row = reload(created)
            if row.next_attempt_at:
                delays.append((row.next_attempt_at - clock.now()).total_seconds())
                assert row.status == Status.PENDING
    assert delays == [10, 20, 40]
    assert (row.status, row.attempts, row.last_status_code) == (Status.FAILED, 4, 500)
    assert row.last_response == "database is down"
    assert "500" in row.last_error
    # every attempt was the same event, each signed afresh
    assert len(receiver.requests) == 4
    assert {r.headers["Atelier-Webhook-Id"] for r in receiver.requests} == {str(row.event_id)}
    assert all(signing.verify_headers(hook.secret, r.headers, r.body) for r in receiver.requests)

    # when an agent retries once the receiver is fixed
    receiver.answer((204, b""))
    hooks.retry_delivery(row, actor=world.agent)
    assert (reload(row).status, row.attempts) == (Status.PENDING, 0)
    assert delivery.deliver(row.pk) is True
    row = reload(row)
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == (
        Status.DELIVERED,
        1,
        204,
        "",
    )
    assert receiver.requests[-1].headers["Atelier-Webhook-Id"] == str(row.event_id)


def test_a_retry_is_not_sent_before_its_back_off_ends(created, receiver, settings):
    settings.ATELIER_WEBHOOK_RETRY_SECONDS = 30
    receiver.answer((503, b"busy"))
    delivery.deliver(created.pk)
    with clock.frozen_at(clock.now() + timedelta(seconds=20)):
        assert delivery.deliver(created.pk) is False
    assert len(receiver.requests) == 1
    with clock.frozen_at(clock.now() + timedelta(seconds=31)):
        delivery.deliver(created.pk)
    assert len(receiver.requests) == 2 and reload(created).attempts == 2


def test_a_redirect_is_a_failure_and_is_not_followed(created, receiver):
    receiver.answer((302, b"moved", {"Location": receiver.url + "/elsewhere"}))
    assert delivery.deliver(created.pk) is False
    assert [r.path for r in receiver.requests] == ["/hooks"]
    row = reload(created)
    assert (row.status, row.last_status_code) == (Status.PENDING, 302)


def test_an_unreachable_endpoint_keeps_the_error(world, created, hook):
    Endpoint.objects.filter(pk=hook.pk).update(url=f"http://127.0.0.1:{free_port()}/nobody")
    assert delivery.deliver(created.pk) is False
    row = reload(created)
    assert row.status == Status.PENDING and row.last_status_code is None
    assert "refused" in row.last_error.lower()


def test_only_the_first_2000_characters_of_the_answer_are_kept(created, receiver):
    receiver.answer((400, ("é" * 3000).encode()))
    delivery.deliver(created.pk)
    assert reload(created).last_response == "é" * 2000


def test_a_claim_holds_until_its_lease_expires_and_a_stale_worker_cannot_overwrite(
    created, receiver, settings
):
    settings.ATELIER_WEBHOOK_LEASE_SECONDS = 60
    # given a worker that claimed the row and stalled
    stale = delivery.claim(created.pk)
    assert stale is not None and delivery.claim(created.pk) is None
    # when its lease expires, another worker takes over and delivers
    with clock.frozen_at(clock.now() + timedelta(seconds=61)):
        fresh = delivery.claim(created.pk)
    assert fresh is not None and fresh.attempts == 2
    assert delivery.send(fresh) is True
    # then the stalled worker's late failure changes nothing
    receiver.answer((500, b"late"))
    assert delivery.send(stale) is False
    row = reload(created)
    assert (row.status, row.attempts, row.last_status_code) == (Status.DELIVERED, 2, 200)
    # both requests were the same event: the receiver can tell the repeat
    ids = {r.headers["Atelier-Webhook-Id"] for r in receiver.requests}
    assert ids == {str(created.event_id)}


def test_a_disabled_endpoint_gets_nothing_and_its_waiting_deliveries_fail(
    world, created, hook, receiver, settings
):
    # given a delivery whose worker died mid-send, and one still waiting, when the endpoint
    # is disabled
    settings.ATELIER_WEBHOOK_LEASE_SECONDS = 60
    assert delivery.claim(created.pk) is not None
    waiting = emit_ping(hook)
    hooks.set_endpoint_active(hook, actor=world.agent, active=False)

    # then neither is sent, even once the lease has expired; both end failed, saying why
    assert delivery.deliver(waiting.pk) is False
    with clock.frozen_at(clock.now() + timedelta(seconds=61)):
        assert delivery.deliver(created.pk) is False
    assert receiver.requests == []
    for row in (reload(created), reload(waiting)):
        assert row.status == Status.FAILED and "disabled" in row.last_error
    # and a new event is not even written for it
    world.order()
    assert not hook.deliveries.filter(event="order.created").exclude(pk=created.pk).exists()


def test_the_sweep_requeues_a_due_retry_and_a_dead_workers_delivery(
    world, created, hook, receiver, settings
):
    settings.ATELIER_SWEEP_SECONDS = 60
    settings.ATELIER_WEBHOOK_LEASE_SECONDS = 60
    tasks = DBTaskResult.objects.filter(task_path="atelier.webhooks.tasks.deliver_webhook")
    fresh = emit_ping(hook)  # due now: its own nudge is still on its way
    delivery.claim(created.pk)  # a worker took it and died
    assert sweep()["webhooks_requeued"] == 0

    later = clock.now() + timedelta(seconds=61)
    with clock.frozen_at(later):
        tasks.delete()
        assert sweep()["webhooks_requeued"] == 2
    assert sorted(t.args_kwargs["args"][0] for t in tasks) == sorted([created.pk, fresh.pk])
    # the taken-over delivery goes out with the same event id and a fresh signature
    with clock.frozen_at(later):
        assert delivery.deliver(created.pk) is True
    [request] = receiver.requests
    assert request.headers["Atelier-Webhook-Id"] == str(created.event_id)
    assert signing.verify_headers(hook.secret, request.headers, request.body)
