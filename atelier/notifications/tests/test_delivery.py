"""Outbox delivery in one process: claiming, the e-mail and its Message-ID, back-off, giving up,
preferences, and the agents' retry. (Real SMTP and worker processes: tests/test_worker.py.)"""

from datetime import UTC, datetime, timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.template.loader import get_template

from atelier.core import clock
from atelier.notifications import delivery
from atelier.notifications.models import Notification
from atelier.notifications.outbox import notify
from atelier.orders import actions
from atelier.orders.models import Order

Status = Notification.Status


@pytest.fixture
def note(world):
    order = world.order(instructions="Keep it to one page.")
    actions.assign_expert(order, actor=world.agent, expert=world.expert)
    return Notification.objects.get(event="assigned")


def test_delivery_sends_one_email_with_a_message_id_from_the_notification(note, world):
    assert delivery.deliver(note.pk) is True

    [email] = mail.outbox
    assert email.to == [world.expert.email]
    assert email.extra_headers["Message-ID"] == f"<notification-{note.pk}@testserver>"
    assert "Keep it to one page." in email.body and "/orders/" in email.body
    html = email.alternatives[0][0]
    assert "Keep it to one page." in html
    note.refresh_from_db()
    assert (note.status, note.attempts, note.subject) == (Status.SENT, 1, email.subject)
    assert delivery.deliver(note.pk) is False  # a second nudge sends nothing
    assert len(mail.outbox) == 1


def test_a_claimed_notification_is_not_claimed_twice_until_its_lease_expires(note, settings):
    settings.ATELIER_EMAIL_LEASE_SECONDS = 60
    assert delivery.claim(note.pk) is not None
    assert delivery.claim(note.pk) is None
    with clock.frozen_at(clock.now() + timedelta(seconds=61)):
        again = delivery.claim(note.pk)  # its worker died: another one takes over
    assert again is not None and again.attempts == 2


def test_failures_back_off_exponentially_then_fail(note, settings, monkeypatch):
    settings.ATELIER_EMAIL_MAX_ATTEMPTS = 3
    settings.ATELIER_EMAIL_RETRY_SECONDS = 10

    def down(self, *args, **kwargs):
        raise SMTPServerDisconnected("mail server down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", down)
    start = clock.now()
    delays = []
    for attempt in range(3):
        with clock.frozen_at(start + timedelta(hours=attempt)):
            assert delivery.deliver(note.pk) is False
            note.refresh_from_db()
            if note.next_attempt_at:
                delays.append((note.next_attempt_at - clock.now()).total_seconds())
    assert delays == [10, 20]
    assert note.status == Status.FAILED and "mail server down" in note.last_error

    monkeypatch.undo()
    assert delivery.retry_failed(note)
    assert delivery.deliver(note.pk) is True
    note.refresh_from_db()
    assert note.status == Status.SENT and note.last_error == ""


def test_muted_events_stay_in_the_inbox_only(note, world):
    world.expert.email_muted = ["assigned"]
    world.expert.save()
    assert delivery.deliver(note.pk) is False
    note.refresh_from_db()
    assert note.status == Status.SKIPPED and not mail.outbox
    assert note.read_at is None  # still unread in the inbox


def test_farewell_email_carries_the_message_with_the_one_time_link(world):
    order = world.assigned(Order.Flow.EXPERT_HUB)
    with clock.frozen_at(clock.now() - timedelta(days=8)):
        world.deliver(order)
    world.open_latest(order)
    info = actions.close_info(order, actor=world.expert)
    actions.close_order(order, actor=world.expert, message=info.farewell_template)
    farewell = Notification.objects.get(event="farewell")

    delivery.deliver(farewell.pk)

    [email] = mail.outbox
    assert "/link/" in email.body and email.to == [world.customer.email]


def test_every_event_has_its_own_email_templates_and_renders(world):
    order = world.order()
    for event in Notification.Event.values:
        get_template(f"notifications/email/{event}.txt")
        get_template(f"notifications/email/{event}.html")
        [n] = notify(event, [world.customer], order=order, order_url="http://testserver/x")
        subject, text, html = delivery.render(n)
        assert subject.startswith("Atelier: ") and len(subject) > len("Atelier: ")
        assert "<html" in html
        if event != "farewell":  # the farewell is the expert's own message
            assert f"Hello {world.customer.display_name}" in text


def test_email_carries_what_the_reader_needs(world):
    order = world.assigned()
    actions.post_comment(order, actor=world.customer, body="Please use British spelling.")
    [comment] = Notification.objects.filter(event="comment_posted")
    _, text, html = delivery.render(comment)
    assert "Please use British spelling." in text and "Please use British spelling." in html
    assert f"/orders/{order.pk}/" in text


def test_times_in_emails_read_in_the_recipients_zone(world):
    world.expert.time_zone = "Asia/Tokyo"
    world.expert.save()
    due = datetime(2099, 1, 31, 17, 0, tzinfo=UTC)
    order = world.order(due_at=due)
    actions.assign_expert(order, actor=world.agent, expert=world.expert)
    _, text, html = delivery.render(Notification.objects.get(event="assigned"))
    assert "Due: Sun 1 Feb 2099, 02:00 JST" in text
    assert "2099-01-31T17" not in text + html
