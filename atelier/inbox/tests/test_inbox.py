"""The in-app inbox: one's own notifications only, one readable line each, unread marked and
counted, read when opened, and a link to the order only while one may still see it."""

from datetime import UTC, datetime

import pytest

from atelier.core import clock
from atelier.notifications.messages import LINES, line
from atelier.notifications.models import Notification
from atelier.notifications.outbox import notify
from atelier.orders import actions
from atelier.orders.models import Order


def _unread(user) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()


def test_inbox_shows_only_ones_own_notifications(world, client):
    # given an order assigned to the expert (who is notified) and a stranger with news of their own
    world.assigned(title="Resume for a PM role")
    notify("reopened", [world.stranger], reason="Stranger's own news")
    client.force_login(world.expert)

    # when the expert opens the inbox
    page = client.get("/inbox/").text

    # then the expert sees their line, and nothing addressed to someone else
    assert "You were assigned “Resume for a PM role”" in page
    assert "Stranger&#x27;s own news" not in page
    client.force_login(world.stranger)
    assert "Resume for a PM role" not in client.get("/inbox/").text


def test_inbox_counts_and_marks_unread(world, client):
    order = world.delivered(title="Resume for a PM role")
    client.force_login(world.customer)

    page = client.get("/inbox/").text

    assert _unread(world.customer) == 1
    assert "<strong>1 unread</strong>" in page
    assert 'class="badge">Unread</span> <strong id="line-' in page
    assert "Your delivery of “Resume for a PM role” is ready" in page
    notification = Notification.objects.get(recipient=world.customer)
    assert f'action="/inbox/{notification.pk}/open/"' in page
    assert order.title in page


def test_anonymous_visitor_is_sent_to_log_in(client, db):
    assert client.get("/inbox/").status_code == 302


def test_mark_all_as_read(world, client):
    # given a customer with two unread notifications and a stranger with one
    order = world.delivered()
    actions.post_comment(order, actor=world.expert, body="Hello")
    notify("reopened", [world.stranger], reason="x")
    client.force_login(world.customer)

    # when the customer marks all as read
    response = client.post("/inbox/read-all/", follow=True)

    # then theirs are read, the stranger's are not
    assert "Marked 2 notifications as read." in response.text
    assert _unread(world.customer) == 0
    assert _unread(world.stranger) == 1
    assert "Nothing unread." in response.text


def test_mark_all_needs_a_post(world, client):
    world.delivered()
    client.force_login(world.customer)
    assert client.get("/inbox/read-all/").status_code == 405
    assert _unread(world.customer) == 1


def test_opening_a_notification_marks_it_read_and_goes_to_the_order(world, client):
    order = world.delivered()
    notification = Notification.objects.get(recipient=world.customer)
    client.force_login(world.customer)

    response = client.post(f"/inbox/{notification.pk}/open/")

    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order.pk}/"
    notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.parametrize("path", ["open", "read"])
def test_someone_elses_notification_is_not_found(world, client, path):
    world.delivered()
    notification = Notification.objects.get(recipient=world.customer)
    client.force_login(world.stranger)

    assert client.post(f"/inbox/{notification.pk}/{path}/").status_code == 404

    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_one_read_with_htmx_swaps_just_that_item(world, client):
    world.delivered()
    notification = Notification.objects.get(recipient=world.customer)
    client.force_login(world.customer)

    response = client.post(f"/inbox/{notification.pk}/read/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="notification-{notification.pk}">')
    assert "Unread" not in response.text and "<html" not in response.text
    assert _unread(world.customer) == 0


def test_marking_one_read_without_javascript_returns_to_the_inbox(world, client):
    world.delivered()
    notification = Notification.objects.get(recipient=world.customer)
    client.force_login(world.customer)

    response = client.post(f"/inbox/{notification.pk}/read/")

    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert _unread(world.customer) == 0


def test_unread_filter(world, client):
    order = world.delivered(title="First delivery")
    Notification.objects.filter(recipient=world.customer).update(read_at=clock.now())
    actions.post_comment(order, actor=world.expert, body="A fresh comment")
    client.force_login(world.customer)

    page = client.get("/inbox/?unread=1").text

    assert "commented on “First delivery”: A fresh comment" in page
    assert "Your delivery of" not in page
    assert "Your delivery of" in client.get("/inbox/").text


def test_taken_notification_has_no_order_link(world, client):
    # given a speedy order raced by two pros, won by the first
    order = world.assigned(Order.Flow.MARKETPLACE, title="Translate a thesis")
    client.force_login(world.expert2)

    # when the pro who missed it opens the inbox
    page = client.get("/inbox/").text

    # then the "taken" line is there, and no way into the order is offered
    assert "This order was taken by another pro" in page
    assert '/open/"' not in page
    assert f"/orders/{order.pk}/" not in page
    taken = Notification.objects.get(recipient=world.expert2, event="invitation_taken")
    assert taken.order is None
    response = client.post(f"/inbox/{taken.pk}/open/")
    assert response["Location"] == "/inbox/"


def test_newest_first_and_paginated_by_25(world, client):
    for n in range(27):
        with clock.frozen_at(datetime(2026, 1, 1, 12, n, tzinfo=UTC)):
            notify("reopened", [world.customer], reason=f"reason {n:02d}")
    client.force_login(world.customer)

    response = client.get("/inbox/")
    first = response.text
    second = client.get("/inbox/", {"cursor": response.context["page"].older_cursor}).text

    assert first.index("reason 26") < first.index("reason 25")
    assert first.count('id="notification-') == 25
    assert "reason 01" in second and "reason 00" in second and "reason 26" not in second
    assert "Older →" in first and "Newer" not in first and "← Newer" in second


def test_an_edited_page_link_says_so_and_lists_nothing(world, client):
    notify("reopened", [world.customer], reason="reason 1")
    client.force_login(world.customer)

    response = client.get("/inbox/", {"cursor": "not-one-of-ours"})

    assert response.status_code == 400
    assert "This page link is not one we gave out" in response.text
    assert "reason 1" not in response.text and "No notifications yet" not in response.text


def test_inbox_query_count_does_not_grow(world, client, django_assert_max_num_queries):
    for _ in range(5):
        order = world.delivered()
        actions.post_comment(order, actor=world.expert, body="Hello")
    client.force_login(world.customer)
    with django_assert_max_num_queries(7):
        response = client.get("/inbox/")
    assert response.text.count('id="notification-') == 10


def test_every_event_reads_as_a_line():
    assert set(LINES) == set(Notification.Event.values)


def test_lines_read_naturally(world):
    order = world.order(title="Resume for a PM role")

    def read(event, **context):
        return line(Notification(event=event, order=order, context=context))

    assert read("assigned") == "You were assigned “Resume for a PM role”"
    assert read("delivered", kind="draft") == "Your delivery of “Resume for a PM role” is ready"
    assert read("qc_revision_requested", comments="Fix  the\nsummary") == (
        "QC sent “Resume for a PM role” back for another round: Fix the summary"
    )
    assert read("qc_revision_requested", items=["Tone: too casual", "Typos"]) == (
        "QC sent “Resume for a PM role” back for another round: Tone: too casual (and 1 more point)"
    )
    assert read("appeal_decided", overturned=True, reason="QC misread the brief") == (
        "The appeal on “Resume for a PM role” was overturned: the work is delivered:"
        " QC misread the brief"
    )
    assert read("completed") == "“Resume for a PM role” is completed"
    assert read("fee_quoted", amount="25.00", currency="USD", reason="More pages") == (
        "A fee of 25.00 USD is quoted for your revision of “Resume for a PM role”: More pages"
    )
    taken = Notification(event="invitation_taken", context={"service": "Translation"})
    assert line(taken) == "This order was taken by another pro (Translation)"
