"""`/api/v1/webhooks`: agents register, list, read and delete endpoints, send a test event and
page through the delivery log; anyone else gets 403 (401 without credentials); bad input is a
400 naming its field."""

import json

import pytest
from django.test import Client

from atelier.accounts.tokens import issue_token
from atelier.webhooks import actions as hooks
from atelier.webhooks.models import Delivery, Endpoint
from atelier.webhooks.outbox import emit_ping

PUBLIC = "https://93.184.215.14"  # a public address: no DNS needed to accept it


def call(user, method: str, path: str, body=None, **query):
    headers = {"authorization": f"Bearer {issue_token(user, name='t')[1]}"} if user else {}
    client, url = Client(), f"/api/v1{path}"
    if method == "GET":
        response = client.get(url, query, headers=headers)
    else:
        data, kind = json.dumps(body or {}), "application/json"
        response = client.generic(method, url, data, content_type=kind, headers=headers)
    return response.status_code, (response.json() if response.content else None)


@pytest.fixture
def hook(world) -> Endpoint:
    return hooks.create_endpoint(actor=world.agent, url=f"{PUBLIC}/", events=["*"])


def test_an_agent_registers_reads_lists_and_deletes_an_endpoint(world):
    status, created = call(
        world.agent,
        "POST",
        "/webhooks",
        {"url": f"{PUBLIC}/in", "events": ["order.completed"], "description": "CRM"},
    )
    assert status == 201
    assert created["secret"].startswith("whsec_")
    assert (created["url"], created["events"], created["is_active"]) == (
        f"{PUBLIC}/in",
        ["order.completed"],
        True,
    )
    assert created["created_by"] == world.agent.email
    assert call(world.agent, "GET", f"/webhooks/{created['id']}") == (200, created)
    status, listed = call(world.agent, "GET", "/webhooks")
    assert status == 200 and [e["id"] for e in listed["items"]] == [created["id"]]

    assert call(world.agent, "DELETE", f"/webhooks/{created['id']}") == (204, None)
    status, body = call(world.agent, "GET", f"/webhooks/{created['id']}")
    assert status == 404 and body["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://a.example.com/", "events": ["*"]}, "url"),
        ({"url": "nope", "events": ["*"]}, "url"),
        ({"url": "https://a.example.com/", "events": ["order.shipped"]}, "events"),
        ({"url": "https://a.example.com/", "events": []}, "events"),
        ({"url": "https://a.example.com/"}, "events"),
        ({"url": "https://a.example.com/\x00", "events": ["*"]}, "url"),
        ({"url": "https://a.example.com/", "events": ["*"], "description": "a\x00"}, "description"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(world, body, field):
    status, answer = call(world.agent, "POST", "/webhooks", body)
    assert status == 400 and answer["error"]["field"] == field
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8000/hooks", "127.0.0.1 is an internal address (loopback)"),
        ("http://[::1]/hooks", "::1 is an internal address (loopback)"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is an internal address"),
        ("http://172.16.0.1/", "172.16.0.1 is an internal address (private)"),
        ("http://100.64.0.1/", "100.64.0.1 is an internal address (shared, carrier-grade NAT)"),
        ("http://[fd00::1]/", "fd00::1 is an internal address (private)"),
        ("http://localhost/", "localhost resolves to "),
        ("https://admin:secret@93.184.215.14/", "user name or password"),
    ],
)
def test_a_url_that_is_not_a_public_target_is_a_400_naming_the_url(world, settings, url, message):
    settings.ATELIER_WEBHOOK_ALLOWED_HOSTS = []
    status, answer = call(world.agent, "POST", "/webhooks", {"url": url, "events": ["*"]})
    assert status == 400
    assert (answer["error"]["code"], answer["error"]["field"]) == ("invalid", "url")
    assert message in answer["error"]["message"]
    assert not Endpoint.objects.exists()


def test_the_allowed_hosts_let_a_local_receiver_be_registered(world, settings):
    body = {"url": "http://127.0.0.1:8000/hooks", "events": ["*"]}
    settings.ATELIER_WEBHOOK_ALLOWED_HOSTS = []
    assert call(world.agent, "POST", "/webhooks", body)[0] == 400
    settings.ATELIER_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    status, created = call(world.agent, "POST", "/webhooks", body)
    assert status == 201 and created["url"] == "http://127.0.0.1:8000/hooks"


@pytest.mark.parametrize("who", ["customer", "expert", "reviewer", "stranger"])
def test_everyone_but_agents_gets_403(world, hook, who):
    person = getattr(world, who)
    routes = [
        ("GET", "/webhooks"),
        ("POST", "/webhooks"),
        ("GET", f"/webhooks/{hook.pk}"),
        ("DELETE", f"/webhooks/{hook.pk}"),
        ("POST", f"/webhooks/{hook.pk}/ping"),
        ("GET", f"/webhooks/{hook.pk}/deliveries"),
    ]
    for method, path in routes:
        # (only registering reads a body: the others refuse any field, 400, before asking who)
        registers = (method, path) == ("POST", "/webhooks")
        body = {"url": "https://evil.example.com/", "events": ["*"]} if registers else None
        status, answer = call(person, method, path, body)
        assert (status, answer["error"]["code"]) == (403, "forbidden"), (who, method, path)
        assert call(None, method, path, body)[0] == 401
    assert list(Endpoint.objects.values_list("pk", flat=True)) == [hook.pk]
    assert not Delivery.objects.exists()


def test_the_delivery_log_pages_newest_first_with_a_cursor(world, hook):
    rows = [emit_ping(hook) for _ in range(3)]
    status, first = call(world.agent, "GET", f"/webhooks/{hook.pk}/deliveries", limit=2)
    assert status == 200
    assert [d["id"] for d in first["items"]] == [rows[2].pk, rows[1].pk]
    assert first["items"][0]["event"] == "ping"
    assert first["items"][0]["event_id"] == str(rows[2].event_id)
    assert first["items"][0]["payload"]["type"] == "ping"
    _, second = call(
        world.agent, "GET", f"/webhooks/{hook.pk}/deliveries", limit=2, cursor=first["next_cursor"]
    )
    assert [d["id"] for d in second["items"]] == [rows[0].pk]
    assert second["next_cursor"] is None


def test_ping_queues_a_test_event(world, hook):
    status, queued = call(world.agent, "POST", f"/webhooks/{hook.pk}/ping")
    assert status == 202 and queued["event"] == "ping" and queued["status"] == "pending"
    assert hook.deliveries.get().pk == queued["id"]
