"""Webhooks between real processes: `manage.py run_worker` sends, tests/webhook_receiver.py (a
separate stdlib server that checks signatures with the docs' snippet) receives, and the final
documents are downloaded from the live server with the links the webhook carried.

An endpoint registered over the API gets a verified `order.completed` after two forced 500s
(the retries visible in the delivery log, each a fresh signature over the same event id), and
its download links fetch the exact bytes of the final submission without logging in. A receiver
holding another secret rejects every request with 401, and the deliveries end failed with the
401 recorded. The database is transactional (rows commit for real, so the worker sees them);
every process is killed before pytest-django flushes it.
"""

import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse

from atelier.accounts.tokens import issue_token
from atelier.orders import actions
from atelier.orders.actions import Upload
from atelier.webhooks import actions as hooks
from atelier.webhooks.models import Delivery, Endpoint
from tests.processes import Processes, free_port, wait_listening, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
Status = Delivery.Status
# Fast timings for the worker: sweep every second, first retry after one second.
FAST = {
    "ATELIER_SWEEP_SECONDS": "1",
    "ATELIER_WEBHOOK_RETRY_SECONDS": "1",
    "ATELIER_WEBHOOK_LEASE_SECONDS": "20",
}
# The receivers listen on 127.0.0.1, an internal address that webhooks may not target unless
# allowed (atelier/webhooks/targets.py): allowed here, in this process and in the worker.
LOCAL_RECEIVERS = {"ATELIER_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}
RESUME = b"%PDF-1.4\n" + os.urandom(150_000)  # binary, and big enough to stream in chunks
LETTER = "Dear hiring manager,\nmy résumé is attached…\n".encode()


class Receiver:
    def __init__(self, port: int, log: Path):
        self.port, self.log = port, log
        self.url = f"http://127.0.0.1:{port}/atelier/webhooks"

    def lines(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]


class HookProcesses(Processes):
    """Webhook receivers and a worker sending to them."""

    def receiver(self, secret: str, *, port: int | None = None, fail_first: int = 0) -> Receiver:
        port = port or free_port()
        receiver = Receiver(port, self.tmp_path / f"received-{port}.jsonl")
        args = [sys.executable, "tests/webhook_receiver.py", "--port", str(port)]
        args += ["--secret", secret, "--log", str(receiver.log), "--fail-first", str(fail_first)]
        process = self.start(args, "receiver")
        wait_listening(process, port, what="the receiver", timeout=10, logs=self.tail)
        return receiver

    def worker(self, **env: str) -> subprocess.Popen:
        return super().worker(
            EMAIL_URL="dummy",
            ATELIER_BASE_URL=settings.ATELIER_BASE_URL,
            **{**FAST, **LOCAL_RECEIVERS, **env},
        )

    def state(self) -> str:
        rows = Delivery.objects.order_by("pk").values_list(
            "event", "status", "attempts", "last_status_code", "last_error"
        )
        return f"deliveries: {list(rows)}"


@pytest.fixture
def procs(transactional_db, tmp_path) -> Iterator[HookProcesses]:
    # Needs the database fixture, so this teardown (the kills) runs before the flush.
    processes = HookProcesses(tmp_path)
    try:
        yield processes
    finally:
        processes.kill_all()


@pytest.fixture
def live(live_server, settings):
    """The live server is where download links point (the payload is built in this process),
    and where endpoints on 127.0.0.1 are registered."""
    settings.ATELIER_BASE_URL = live_server.url
    settings.ATELIER_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    return live_server


def api_post(base: str, token: str, path: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base}/api/v1{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # no credentials at all
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_order_completed_reaches_a_verifying_receiver_after_retries_with_working_links(
    world, procs, live, client
):
    started = time.monotonic()
    # given an endpoint for order.completed, registered by an agent over the API
    token = issue_token(world.agent, name="integration")[1]
    port = free_port()
    url = f"http://127.0.0.1:{port}/atelier/webhooks"
    status, endpoint = api_post(
        live.url, token, "/webhooks", {"url": url, "events": ["order.completed"]}
    )
    assert status == 201
    # and a receiver holding its secret that fails the first two verified requests with 500,
    # and a worker
    receiver = procs.receiver(endpoint["secret"], port=port, fail_first=2)
    procs.worker()

    # when an order is completed through the real actions
    order = world.completed_on_a_revision(
        [
            Upload(ContentFile(RESUME, name="resume.pdf"), "Resume"),
            Upload(ContentFile(LETTER, name="letter.txt"), "Cover letter"),
        ],
        title="Resume, senior PM",
    )
    delivery = Delivery.objects.get(event="order.completed")

    # then the log shows a failed attempt waiting for its retry, with the 500 recorded
    def retrying() -> bool:
        row = Delivery.objects.get(pk=delivery.pk)
        return row.status == Status.PENDING and row.last_status_code == 500

    wait_until(retrying, timeout=15, what="a retry after a 500", logs=procs.tail)
    # and then it is delivered on the third attempt
    wait_until(
        lambda: Delivery.objects.get(pk=delivery.pk).status == Status.DELIVERED,
        timeout=20,
        what="delivery after the forced failures",
        logs=procs.tail,
    )
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code, delivery.last_response) == (
        3,
        200,
        "thanks",
    )
    assert delivery.last_error == "" and delivery.delivered_at is not None

    # the receiver verified three requests for the one event: the same id, fresh signatures
    lines = receiver.lines()
    assert [line["answered"] for line in lines] == [500, 500, 200]
    assert {line["id"] for line in lines} == {str(delivery.event_id)}
    assert len({line["signature"] for line in lines}) == 3
    assert [line["payload"]["type"] for line in lines] == ["order.completed"] * 3
    # it got only what it subscribed to
    assert Delivery.objects.count() == 1

    # the payload describes the completed order and its final documents
    payload = lines[-1]["payload"]
    assert payload["id"] == str(delivery.event_id)
    assert payload["data"]["order"]["id"] == order.pk
    assert payload["data"]["order"]["status"] == "completed"
    assert payload["data"]["event"]["actor"] == world.customer.email
    documents = payload["data"]["final_documents"]
    assert [(d["name"], d["title"]) for d in documents] == [
        ("resume.pdf", "Resume"),
        ("letter.txt", "Cover letter"),
    ]

    # and each link downloads the exact bytes from the live server, without logging in
    for document, content in zip(documents, [RESUME, LETTER], strict=True):
        assert document["download_url"].startswith(live.url + "/api/v1/files/")
        assert fetch(document["download_url"]) == (200, content)
        assert document["sha256"] == hashlib.sha256(content).hexdigest()
    tampered = documents[0]["download_url"].replace("signature=", "signature=x")
    assert fetch(tampered)[0] == 404

    # and an agent reads the retries in the console's delivery log
    client.force_login(world.agent)
    page = client.get(reverse("console-webhook", args=[endpoint["id"]])).text
    assert "3 attempts" in page and "HTTP 200" in page and "Delivered" in page
    print(f"order.completed delivered after 2 forced 500s in {time.monotonic() - started:.1f}s")


def test_a_receiver_with_another_secret_rejects_and_the_deliveries_fail_with_401(
    world, procs, live
):
    # given a receiver that holds the wrong secret, an endpoint for every event, and a worker
    # that gives up after two attempts
    receiver = procs.receiver("whsec_not-the-endpoints-secret")
    endpoint = hooks.create_endpoint(actor=world.agent, url=receiver.url, events=["*"])
    assert endpoint.secret != "whsec_not-the-endpoints-secret"
    procs.worker(ATELIER_WEBHOOK_MAX_ATTEMPTS="2")

    # when an order goes from creation to completion
    order = world.delivered()
    actions.complete_order(order, actor=world.customer)
    events = ["order.created", "order.in_progress", "order.delivered", "order.completed"]
    assert list(Delivery.objects.order_by("pk").values_list("event", flat=True)) == events

    # then every delivery was rejected twice, and failed with the 401 and its answer recorded
    def all_failed() -> bool:
        return set(Delivery.objects.values_list("status", flat=True)) == {Status.FAILED}

    wait_until(all_failed, timeout=20, what="every delivery failed", logs=procs.tail)
    for row in Delivery.objects.all():
        assert (row.attempts, row.last_status_code) == (2, 401), row.event
        assert row.last_response == "bad signature"
        assert "401" in row.last_error
    # and the receiver accepted nothing
    assert receiver.lines() == []
    assert Endpoint.objects.get().is_active  # failures alone never disable an endpoint
