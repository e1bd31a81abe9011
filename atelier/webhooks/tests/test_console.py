"""The console's webhook pages: agents add, edit, disable, rotate, delete (after confirming),
send a test event and retry a failure, and read the delivery log; bad input is refused beside
its field and changes nothing; anyone but an agent gets 404, and a visitor the login page."""

import pytest
from django.urls import reverse

from atelier.webhooks import actions as hooks
from atelier.webhooks import delivery
from atelier.webhooks.models import Delivery, Endpoint
from atelier.webhooks.outbox import emit_ping

Status = Delivery.Status
PUBLIC = "https://93.184.215.14"  # a public address: no DNS needed to accept it


@pytest.fixture
def agent(client, world):
    client.force_login(world.agent)
    return client


@pytest.fixture
def hook(world) -> Endpoint:
    return hooks.create_endpoint(
        actor=world.agent,
        url=f"{PUBLIC}/atelier",
        events=["order.completed"],
        description="The CRM",
    )


def failed_ping(hook: Endpoint) -> Delivery:
    row = emit_ping(hook)
    Delivery.objects.filter(pk=row.pk).update(
        status=Status.FAILED, attempts=8, last_status_code=502, last_response="Bad gateway"
    )
    return row


def console_urls(hook: Endpoint, row: Delivery) -> list[tuple[str, str]]:
    return [
        ("get", reverse("console-webhooks")),
        ("get", reverse("console-webhook-new")),
        ("post", reverse("console-webhook-new")),
        ("get", reverse("console-webhook", args=[hook.pk])),
        ("get", reverse("console-webhook-edit", args=[hook.pk])),
        ("post", reverse("console-webhook-edit", args=[hook.pk])),
        ("post", reverse("console-webhook-rotate", args=[hook.pk])),
        ("post", reverse("console-webhook-active", args=[hook.pk])),
        ("post", reverse("console-webhook-ping", args=[hook.pk])),
        ("post", reverse("console-webhook-delete", args=[hook.pk])),
        ("get", reverse("console-webhook-delivery", args=[row.pk])),
        ("post", reverse("console-webhook-retry", args=[row.pk])),
    ]


def snapshot():
    return (
        list(Endpoint.objects.order_by("pk").values()),
        list(Delivery.objects.order_by("pk").values()),
    )


# --- who gets in -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["customer", "expert", "reviewer", "stranger"])
def test_everyone_but_agents_gets_404_and_changes_nothing(client, world, hook, who):
    urls = console_urls(hook, failed_ping(hook))
    before = snapshot()
    client.force_login(getattr(world, who))
    data = {"url": "https://evil.example.com/", "all_events": "on", "active": "0"}
    for method, url in urls:
        response = getattr(client, method)(url, data if method == "post" else {})
        assert response.status_code == 404, (who, method, url)
    assert snapshot() == before
    assert "/console/webhooks/" not in client.get(reverse("profile")).text


def test_a_visitor_is_asked_to_log_in(client, hook):
    for method, url in console_urls(hook, failed_ping(hook)):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_agents_find_webhooks_in_the_console_navigation(agent):
    page = agent.get(reverse("console-orders"))
    assert f'href="{reverse("console-webhooks")}"' in page.text


# --- the list ----------------------------------------------------------------------------------


def test_the_empty_list_says_what_webhooks_are_for(agent):
    page = agent.get(reverse("console-webhooks"))
    assert page.status_code == 200
    assert "No webhook endpoints yet" in page.text


def test_the_list_shows_each_endpoint_with_its_last_delivery(agent, world, hook):
    other = hooks.create_endpoint(actor=world.agent, url=f"{PUBLIC}/h", events=["*"])
    failed_ping(hook)
    page = agent.get(reverse("console-webhooks")).text
    assert f"{PUBLIC}/atelier" in page and "The CRM" in page
    assert "order.completed" in page and "All events" in page
    assert "status-failed" in page and "ping" in page
    assert "none yet" in page  # `other` has sent nothing
    assert reverse("console-webhook", args=[other.pk]) in page


def test_the_list_costs_the_same_queries_however_many_endpoints(
    agent, world, django_assert_max_num_queries
):
    for i in range(2):
        emit_ping(hooks.create_endpoint(actor=world.agent, url=f"{PUBLIC}/a{i}", events=["*"]))
    with django_assert_max_num_queries(20) as few:
        agent.get(reverse("console-webhooks"))
    for i in range(8):
        emit_ping(hooks.create_endpoint(actor=world.agent, url=f"{PUBLIC}/b{i}", events=["*"]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = agent.get(reverse("console-webhooks"))
    assert page.text.count("status-pending") == 10


# --- adding and editing ------------------------------------------------------------------------


def test_an_agent_adds_an_endpoint_and_sees_its_secret(agent, world):
    response = agent.post(
        reverse("console-webhook-new"),
        {
            "url": f"{PUBLIC}/in",
            "description": "CRM",
            "events": ["order.completed", "order.cancelled"],
        },
    )
    endpoint = Endpoint.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("console-webhook", args=[endpoint.pk])
    assert endpoint.url == f"{PUBLIC}/in"
    assert endpoint.events == ["order.completed", "order.cancelled"]
    assert endpoint.created_by == world.agent and endpoint.is_active
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    page = agent.get(response.url)
    assert endpoint.secret in page.text
    assert "Nothing sent yet" in page.text


def test_all_events_subscribes_to_everything(agent):
    agent.post(
        reverse("console-webhook-new"),
        {"url": f"{PUBLIC}/", "all_events": "on", "events": ["order.open"]},
    )
    assert Endpoint.objects.get().events == ["*"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example.com/in", "http:// or https://"),
        ("javascript:alert(1)", "valid URL"),
        ("not a url", "valid URL"),
        ("", "required"),
        ("https://" + "a" * 500 + ".com/", "at most 500"),
    ],
)
def test_a_bad_url_is_refused_beside_the_field_and_nothing_is_saved(agent, url, message):
    response = agent.post(reverse("console-webhook-new"), {"url": url, "all_events": "on"})
    assert response.status_code == 400
    assert message in str(response.context["form"].errors["url"])
    assert 'id="id_url_errors"' in response.text
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8000/hooks", "127.0.0.1 is an internal address (loopback)"),
        ("http://[::1]/hooks", "::1 is an internal address (loopback)"),
        ("http://0.0.0.0/", "0.0.0.0 is an internal address (unspecified)"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is an internal address"),
        ("http://10.0.0.5/h", "10.0.0.5 is an internal address (private)"),
        ("http://192.168.1.1/h", "192.168.1.1 is an internal address (private)"),
        ("http://[::ffff:127.0.0.1]/h", "inside an IPv4-mapped IPv6 address"),
        ("http://localhost:8000/hooks", "localhost resolves to "),
    ],
)
def test_an_internal_address_is_refused_beside_the_url_and_nothing_is_saved(
    agent, settings, url, message
):
    settings.ATELIER_WEBHOOK_ALLOWED_HOSTS = []
    response = agent.post(reverse("console-webhook-new"), {"url": url, "all_events": "on"})
    assert response.status_code == 400
    [error] = response.context["form"].errors["url"]
    assert message in error and "public addresses only" in error
    assert 'id="id_url_errors"' in response.text
    assert not Endpoint.objects.exists()


def test_an_edit_to_an_internal_address_is_refused_and_changes_nothing(agent, hook, settings):
    settings.ATELIER_WEBHOOK_ALLOWED_HOSTS = []
    before = snapshot()
    response = agent.post(
        reverse("console-webhook-edit", args=[hook.pk]),
        {"url": "http://169.254.169.254/latest/meta-data/", "events": ["order.created"]},
    )
    assert response.status_code == 400
    assert "169.254.169.254 is an internal address" in response.context["form"].errors["url"][0]
    assert snapshot() == before


def test_the_allowed_hosts_let_a_local_receiver_be_registered(agent, settings):
    data = {"url": "http://127.0.0.1:8000/hooks", "all_events": "on"}
    settings.ATELIER_WEBHOOK_ALLOWED_HOSTS = ["localhost"]
    assert agent.post(reverse("console-webhook-new"), data).status_code == 400
    settings.ATELIER_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    response = agent.post(reverse("console-webhook-new"), data)
    assert response.status_code == 302
    assert Endpoint.objects.get().url == "http://127.0.0.1:8000/hooks"


def test_choosing_no_event_is_refused(agent):
    response = agent.post(reverse("console-webhook-new"), {"url": "https://a.example.com/"})
    assert response.status_code == 400
    assert "Choose at least one event" in response.text
    assert not Endpoint.objects.exists()


def test_an_agent_edits_an_endpoint(agent, hook):
    form = agent.get(reverse("console-webhook-edit", args=[hook.pk]))
    assert form.context["form"].initial["url"] == hook.url
    response = agent.post(
        reverse("console-webhook-edit", args=[hook.pk]),
        {"url": f"{PUBLIC}/v2", "description": "", "events": ["order.created"]},
    )
    assert response.status_code == 302
    hook.refresh_from_db()
    assert (hook.url, hook.description, hook.events) == (
        f"{PUBLIC}/v2",
        "",
        ["order.created"],
    )


def test_a_bad_edit_changes_nothing(agent, hook):
    before = snapshot()
    response = agent.post(
        reverse("console-webhook-edit", args=[hook.pk]),
        {"url": "ftp://x.example.com/", "events": ["order.created"]},
    )
    assert response.status_code == 400 and "http:// or https://" in response.text
    assert snapshot() == before


# --- the endpoint's actions --------------------------------------------------------------------


def test_rotating_the_secret_asks_first(agent, hook):
    old = hook.secret
    confirm = agent.get(reverse("console-webhook-rotate", args=[hook.pk]))
    assert "Rotate the secret" in confirm.text
    hook.refresh_from_db()
    assert hook.secret == old

    agent.post(reverse("console-webhook-rotate", args=[hook.pk]))
    hook.refresh_from_db()
    assert hook.secret != old and hook.secret.startswith("whsec_")


def test_deleting_asks_first_then_removes_the_endpoint_and_what_was_waiting(agent, hook):
    emit_ping(hook)
    confirm = agent.get(reverse("console-webhook-delete", args=[hook.pk]))
    assert confirm.status_code == 200
    assert "the 1 still waiting to be sent will not be sent" in confirm.text
    assert Endpoint.objects.filter(pk=hook.pk).exists()

    response = agent.post(reverse("console-webhook-delete", args=[hook.pk]))
    assert response.status_code == 302 and response.url == reverse("console-webhooks")
    assert not Endpoint.objects.exists() and not Delivery.objects.exists()


def test_disabling_stops_events_and_enabling_resumes_them(agent, world, hook):
    waiting = emit_ping(hook)
    agent.post(reverse("console-webhook-active", args=[hook.pk]), {"active": "0"})
    hook.refresh_from_db()
    waiting.refresh_from_db()
    assert not hook.is_active and waiting.status == Status.FAILED
    assert "Disabled" in agent.get(reverse("console-webhook", args=[hook.pk])).text
    page = agent.post(reverse("console-webhook-ping", args=[hook.pk]), follow=True)
    assert "Enable the endpoint" in page.text
    assert hook.deliveries.count() == 1

    agent.post(reverse("console-webhook-active", args=[hook.pk]), {"active": "1"})
    hook.refresh_from_db()
    assert hook.is_active


def test_send_a_test_event_reaches_the_receiver(agent, world, receiver, local_targets):
    endpoint = hooks.create_endpoint(actor=world.agent, url=receiver.url, events=["*"])
    page = agent.post(reverse("console-webhook-ping", args=[endpoint.pk]), follow=True)
    assert "A test event is on its way" in page.text
    [ping] = endpoint.deliveries.all()
    assert (ping.event, ping.status, ping.order_id) == ("ping", Status.PENDING, None)

    assert delivery.deliver(ping.pk) is True
    [request] = receiver.requests
    assert request.headers["Atelier-Webhook-Id"] == str(ping.event_id)
    assert b'"type":"ping"' in request.body
    log = agent.get(reverse("console-webhook", args=[endpoint.pk])).text
    assert "Delivered" in log and "HTTP 200" in log and "1 attempt" in log


def test_an_agent_retries_a_failed_delivery_and_only_a_failed_one(agent, hook):
    row = failed_ping(hook)
    page = agent.get(reverse("console-webhook", args=[hook.pk])).text
    assert "HTTP 502" in page and "Bad gateway" in page and "Retry" in page

    response = agent.post(reverse("console-webhook-retry", args=[row.pk]), follow=True)
    assert "Sending ping again" in response.text
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 0)

    again = agent.post(reverse("console-webhook-retry", args=[row.pk]), follow=True)
    assert "Only a failed delivery can be retried." in again.text


def test_a_delivery_page_shows_the_payload_and_the_answer(agent, hook):
    row = failed_ping(hook)
    page = agent.get(reverse("console-webhook-delivery", args=[row.pk])).text
    assert str(row.event_id) in page and "Bad gateway" in page
    assert "A test event from Atelier" in page  # the payload


def test_the_delivery_log_is_newest_first_and_paginated(agent, hook):
    rows = [emit_ping(hook) for _ in range(27)]
    first = agent.get(reverse("console-webhook", args=[hook.pk]))
    assert [d.pk for d in first.context["page"]] == [r.pk for r in reversed(rows)][:25]
    assert "Older →" in first.text and "Newer" not in first.text
    older = {"cursor": first.context["page"].older_cursor}
    second = agent.get(reverse("console-webhook", args=[hook.pk]), older)
    assert [d.pk for d in second.context["page"]] == [rows[1].pk, rows[0].pk]
    htmx = agent.get(reverse("console-webhook", args=[hook.pk]), older, HTTP_HX_REQUEST="true")
    assert "<h1>" not in htmx.text and "← Newer" in htmx.text and "Older" not in htmx.text
    assert htmx.text.strip().startswith('<div id="log">')  # what the pagination swaps


def test_the_pages_have_no_inline_script_or_style(agent, hook):
    failed_ping(hook)
    pages = [
        reverse("console-webhooks"),
        reverse("console-webhook", args=[hook.pk]),
        reverse("console-webhook-new"),
        reverse("console-webhook-edit", args=[hook.pk]),
        reverse("console-webhook-rotate", args=[hook.pk]),
        reverse("console-webhook-delete", args=[hook.pk]),
        reverse("console-webhook-delivery", args=[hook.deliveries.get().pk]),
    ]
    for url in pages:
        text = agent.get(url).text
        assert "<script>" not in text and " style=" not in text and "<style" not in text, url
        assert " on" + "click=" not in text, url
