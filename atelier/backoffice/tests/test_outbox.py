"""The agents' outbox: every notification, the e-mail as sent, and a retry for failures."""

import pytest

from atelier.notifications import delivery
from atelier.notifications.models import Notification
from atelier.notifications.outbox import notify
from atelier.orders import actions

Status = Notification.Status


@pytest.fixture
def sent_and_failed(world):
    order = world.order(instructions="Mention the MBA.")
    actions.assign_expert(order, actor=world.agent, expert=world.expert)
    sent = Notification.objects.get(event="assigned")
    delivery.deliver(sent.pk)
    actions.post_comment(order, actor=world.agent, body="Hello")
    failed = Notification.objects.get(event="comment_posted", recipient=world.customer)
    Notification.objects.filter(pk=failed.pk).update(
        status=Status.FAILED, attempts=6, last_error="SMTPServerDisconnected: down"
    )
    return sent, failed


def test_agents_read_every_email_as_sent(client, world, sent_and_failed):
    sent, failed = sent_and_failed
    client.force_login(world.agent)

    listing = client.get("/console/outbox/")
    assert listing.status_code == 200
    assert "1 failed" in listing.text and "SMTPServerDisconnected" in listing.text

    message = client.get(f"/console/outbox/{sent.pk}/")
    assert "Mention the MBA." in message.text
    assert f"&lt;notification-{sent.pk}@testserver&gt;" in message.text

    only_failed = client.get("/console/outbox/?status=failed")
    assert f"/console/outbox/{failed.pk}/" in only_failed.text
    assert f"/console/outbox/{sent.pk}/" not in only_failed.text


def test_retry_sends_a_failed_notification_again(client, world, sent_and_failed):
    _, failed = sent_and_failed
    client.force_login(world.agent)

    response = client.post(f"/console/outbox/{failed.pk}/retry/")

    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == (Status.PENDING, 0, "")
    again = client.post(f"/console/outbox/{failed.pk}/retry/", follow=True)
    assert "Only a notification that failed can be retried." in again.text


@pytest.mark.parametrize("who", ["customer", "expert", "reviewer", "stranger"])
def test_outbox_is_404_for_everyone_but_agents(client, world, sent_and_failed, who):
    sent, failed = sent_and_failed
    client.force_login(getattr(world, who))
    assert client.get("/console/outbox/").status_code == 404
    assert client.get(f"/console/outbox/{sent.pk}/").status_code == 404
    assert client.post(f"/console/outbox/{failed.pk}/retry/").status_code == 404
    failed.refresh_from_db()
    assert failed.status == Status.FAILED


def test_the_outbox_pages_by_cursor_keeping_its_filters(client, world):
    for n in range(27):
        notify("reopened", [world.customer], reason=f"reason {n:02d}")
    notify("reopened", [world.expert], reason="to someone else")
    client.force_login(world.agent)

    first = client.get("/console/outbox/", {"q": world.customer.email})
    older = first.context["page"].older_cursor
    second = client.get("/console/outbox/", {"q": world.customer.email, "cursor": older})

    assert len(first.context["page"]) == 25 and "Older →" in first.text
    assert f"q={world.customer.email.replace('@', '%40')}" in first.text.split("Older →")[0]
    assert [n.context["reason"] for n in second.context["page"]] == ["reason 01", "reason 00"]
    edited = client.get("/console/outbox/", {"cursor": older[:-2]})
    assert edited.status_code == 400 and "not one we gave out" in edited.text
