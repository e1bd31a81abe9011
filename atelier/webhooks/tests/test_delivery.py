"""Sending webhooks to a real HTTP receiver (a server thread in this process): signed requests,
2xx delivered, anything else retried with exponential back-off and then failed, redirects not
followed, the answer and error kept, one claim at a time, and the sweep's re-queue. Internal
addresses are refused before every attempt, and requests go to the vetted address with the URL's
host name (Host, SNI, certificate). The receivers listen on 127.0.0.1, which the tests allow
explicitly (`local_targets`). (Separate worker and receiver processes: test_webhooks_live.py.)"""

import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django_tasks_db.models import DBTaskResult

from atelier.core import clock
from atelier.core.errors import InvalidInput
from atelier.webhooks import actions as hooks
from atelier.webhooks import delivery, signing, targets
from atelier.webhooks.models import Delivery, Endpoint
from atelier.webhooks.outbox import emit_ping
from atelier.worker.sweep import sweep

from .conftest import free_port

Status = Delivery.Status


@pytest.fixture
def hook(world, receiver, local_targets) -> Endpoint:
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


def test_a_redirect_is_a_failure_and_is_not_followed(created, receiver, receivers):
    # given a receiver that redirects to another one (which would answer 200)
    elsewhere = receivers()
    receiver.answer((302, b"moved", {"Location": elsewhere.url}))
    # when the delivery is attempted
    assert delivery.deliver(created.pk) is False
    # then the redirect is recorded as a failed attempt and its target never contacted
    assert [r.path for r in receiver.requests] == ["/hooks"]
    assert elsewhere.requests == []
    row = reload(created)
    assert (row.status, row.last_status_code, row.last_response) == (Status.PENDING, 302, "moved")
    assert row.last_error == f"Redirects are not followed (302 to {elsewhere.url})."


def test_an_unreachable_endpoint_keeps_the_error(world, created, hook):
    Endpoint.objects.filter(pk=hook.pk).update(url=f"http://127.0.0.1:{free_port()}/nobody")
    assert delivery.deliver(created.pk) is False
    row = reload(created)
    assert row.status == Status.PENDING and row.last_status_code is None
    assert "refused" in row.last_error.lower()


@pytest.mark.parametrize(
    ("host", "refusal"),
    [
        ("127.0.0.1", "Refused: 127.0.0.1 is an internal address (loopback); "),
        ("localhost", "Refused: localhost resolves to "),
    ],
)
def test_an_internal_address_is_refused_at_send_time_and_nothing_is_sent(
    world, receiver, settings, host, refusal
):
    # given an endpoint row that points at a live receiver on this machine, written without the
    # registration's check (as if its name had been re-pointed since), and no allowed hosts
    settings.ATELIER_WEBHOOK_ALLOWED_HOSTS = []
    url = receiver.url.replace("127.0.0.1", host)
    endpoint = Endpoint.objects.create(url=url, events=["*"], created_by=world.agent)
    row = emit_ping(endpoint)
    # when the worker takes it
    assert delivery.deliver(row.pk) is False
    # then nothing reached the receiver, and the delivery failed at once, saying why
    assert receiver.requests == []
    row = reload(row)
    assert (row.status, row.attempts, row.next_attempt_at) == (Status.FAILED, 1, None)
    assert row.last_error.startswith(refusal) and "internal address" in row.last_error
    assert (row.last_status_code, row.last_response) == (None, "")
    assert row.last_attempt_at is not None
    # and an agent's retry is refused the same way, once, without sending anything
    hooks.retry_delivery(row, actor=world.agent)
    assert delivery.deliver(row.pk) is False
    assert (reload(row).status, row.attempts) == (Status.FAILED, 1)
    assert receiver.requests == []


def test_a_name_that_no_longer_resolves_is_retried_like_a_network_error(world, hook, created):
    Endpoint.objects.filter(pk=hook.pk).update(url="https://nowhere.invalid/hooks")
    assert delivery.deliver(created.pk) is False
    row = reload(created)
    assert row.status == Status.PENDING and row.next_attempt_at is not None
    assert row.last_error.startswith("nowhere.invalid does not resolve")


def test_an_allowed_name_is_sent_to_its_vetted_address_with_its_own_host_header(
    world, receiver, settings
):
    url = receiver.url.replace("127.0.0.1", "localhost")
    settings.ATELIER_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]  # the name is what must be listed
    with pytest.raises(InvalidInput, match="localhost resolves to"):
        hooks.create_endpoint(actor=world.agent, url=url, events=["*"])
    settings.ATELIER_WEBHOOK_ALLOWED_HOSTS = ["localhost"]
    endpoint = hooks.create_endpoint(actor=world.agent, url=url, events=["*"])
    row = emit_ping(endpoint)
    assert delivery.deliver(row.pk) is True
    [request] = receiver.requests
    assert request.headers["Host"] == f"localhost:{urlsplit(url).port}"


def test_a_request_goes_to_the_vetted_address_not_to_a_new_lookup(receiver):
    # given a target whose name resolves nowhere, vetted to the receiver's address
    port = urlsplit(receiver.url).port
    target = targets.Target("http", "hooks.atelier.invalid", port, "/hooks?v=1", ("127.0.0.1",))
    # when it is posted to
    answer = delivery.post_to(target, b"{}", {"Content-Type": "application/json"})
    # then the request reached that address, naming the original host
    assert (answer.status_code, answer.excerpt, answer.error) == (200, "ok", "")
    [request] = receiver.requests
    assert request.path == "/hooks?v=1"
    assert request.headers["Host"] == f"hooks.atelier.invalid:{port}"


@dataclass
class TLSReceiver:
    port: int
    context: ssl.SSLContext  # a client's, trusting the receiver's certificate
    server_names: list[str | None] = field(default_factory=list)  # SNI, per handshake
    requests: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def tls_receiver(tmp_path) -> Iterator[TLSReceiver]:
    """An https receiver on 127.0.0.1 with a self-signed certificate for hooks.atelier.invalid
    (made by the openssl command), which records the server name each client asked for."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command makes the test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    name = "hooks.atelier.invalid"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"),
            *("-nodes", "-days", "2", "-subj", f"/CN={name}"),
            *("-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    state = TLSReceiver(free_port(), ssl.create_default_context(cafile=str(cert)))
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server_context.sni_callback = lambda sock, name, context: state.server_names.append(name)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(dict(self.headers.items()))
            self.send_response(200)
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"secure")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_https_to_a_vetted_address_checks_the_certificate_of_the_original_name(tls_receiver):
    # given a target whose name resolves nowhere, vetted to the receiver's address
    target = targets.Target(
        "https", "hooks.atelier.invalid", tls_receiver.port, "/hooks", ("127.0.0.1",)
    )
    # when it is posted to
    answer = delivery.post_to(target, b"{}", {}, context=tls_receiver.context)
    # then TLS was negotiated for that name (SNI) and its certificate accepted
    assert (answer.status_code, answer.excerpt, answer.error) == (200, "secure", "")
    assert tls_receiver.server_names == ["hooks.atelier.invalid"]
    [request] = tls_receiver.requests
    assert request["Host"] == f"hooks.atelier.invalid:{tls_receiver.port}"


def test_https_refuses_a_certificate_for_another_name(tls_receiver):
    # the same server, reached as another name: its certificate does not match, nothing is sent
    target = targets.Target(
        "https", "other.atelier.invalid", tls_receiver.port, "/", ("127.0.0.1",)
    )
    answer = delivery.post_to(target, b"{}", {}, context=tls_receiver.context)
    assert answer.status_code is None
    assert "SSLCertVerificationError" in answer.error and "other.atelier.invalid" in answer.error
    assert tls_receiver.server_names == ["other.atelier.invalid"]
    assert tls_receiver.requests == []


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
