"""More time and lateness: the expert asks once per round, the customer or an agent answers, the
due date moves only when they accept; a late first delivery records how late it was."""

from datetime import timedelta

import pytest

from atelier.core import clock
from atelier.core.errors import Conflict, InvalidInput, NotAllowed
from atelier.notifications.models import Notification
from atelier.orders import actions
from atelier.orders.clocks import order_clocks
from atelier.orders.models import ExtensionRequest, Order


def ask(world, order, days=2, reason="The source text doubled."):
    return actions.request_extension(
        order, actor=world.expert, due_at=order.due_at + timedelta(days=days), reason=reason
    )


def test_the_customer_gives_more_time_and_the_due_date_moves(world):
    order = world.assigned()
    due = order.due_at
    extension = ask(world, order)
    assert Notification.objects.filter(event="extension_requested", recipient=world.customer)
    clocks = {c.name: c for c in order_clocks(order, world.customer, now=clock.now())}
    assert clocks["extension"].whose_move == "customer" and clocks["extension"].at == due

    actions.answer_extension(extension, actor=world.customer, accept=True)

    order.refresh_from_db()
    assert order.due_at == due + timedelta(days=2)
    assert [e.verb for e in order.events.filter(verb__startswith="extension.")] == [
        "extension.requested",
        "extension.accepted",
    ]
    [told] = Notification.objects.filter(event="extension_answered", recipient=world.expert)
    assert told.context["accepted"] is True
    assert "extension" not in {c.name for c in order_clocks(order, world.customer, now=clock.now())}


def test_declined_the_due_date_stays_and_the_round_is_used(world):
    order = world.assigned()
    due = order.due_at
    actions.answer_extension(ask(world, order), actor=world.agent, accept=False, note="No.")
    order.refresh_from_db()
    assert order.due_at == due
    with pytest.raises(Conflict, match="in this round already"):
        ask(world, order, days=3)
    assert ExtensionRequest.objects.filter(order=order).count() == 1


def test_a_new_round_may_ask_again(world):
    order = world.assigned()
    ask(world, order)
    world.submit(order)
    world.revise(order)
    assert ask(world, order, days=4).round == 1


def test_bad_requests_change_nothing(world):
    order = world.assigned()
    with pytest.raises(InvalidInput, match="after the current one"):
        ask(world, order, days=-1)
    with pytest.raises(InvalidInput):
        ask(world, order, reason="  ")
    with pytest.raises(NotAllowed):
        actions.request_extension(
            order, actor=world.customer, due_at=order.due_at + timedelta(days=1), reason="x"
        )
    extension = ask(world, order)
    with pytest.raises(NotAllowed):
        actions.answer_extension(extension, actor=world.expert, accept=True)
    actions.answer_extension(extension, actor=world.customer, accept=True)
    with pytest.raises(Conflict, match="answered already"):
        actions.answer_extension(extension, actor=world.agent, accept=False)
    delivered = world.delivered()
    with pytest.raises(Conflict):
        ask(world, delivered)


def test_a_late_first_delivery_records_how_late_and_the_due_clock_is_done(world):
    order = world.assigned()
    with clock.frozen_at(order.due_at + timedelta(hours=3)):
        submission = world.submit(order)
    submission.refresh_from_db()
    assert submission.due_at == order.due_at
    assert submission.late_by == timedelta(hours=3)
    event = order.events.get(verb="submission.delivered")
    assert event.details["late_by"] == "3 h"
    on_time = world.assigned()
    world.submit(on_time)
    assert on_time.submissions.get().late_by is None
    world.revise(order)
    later = world.submit(order, 2)
    later.refresh_from_db()
    assert later.due_at is None  # revisions are not held to the first delivery's date


def test_agents_see_on_time_rates_per_service_and_per_expert(client, world):
    late = world.assigned()
    with clock.frozen_at(late.due_at + timedelta(hours=5)):
        world.submit(late)
    world.submit(world.assigned())
    client.force_login(world.agent)

    page = client.get("/console/services/on-time/")

    assert page.status_code == 200
    assert "50 %" in page.text and "5 h" in page.text
    assert world.service.name in page.text and world.expert.email in page.text
    client.force_login(world.expert)
    assert client.get("/console/services/on-time/").status_code == 404


def test_the_pages_ask_and_answer(client, world):
    order = world.assigned()
    client.force_login(world.expert)
    work = client.get(f"/orders/{order.pk}/?tab=work")
    assert "Ask for more time" in work.text
    later = (order.due_at + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    bad = client.post(f"/orders/{order.pk}/extension/", {"due_at": later, "reason": ""})
    assert bad.status_code == 400 and "Say why you need more time." in bad.text
    done = client.post(
        f"/orders/{order.pk}/extension/", {"due_at": later, "reason": "Twice the pages."}
    )
    assert done.status_code == 302
    extension = order.extensions.get()

    client.force_login(world.customer)
    page = client.get(f"/orders/{order.pk}/")
    assert "The expert asks for more time" in page.text and "Twice the pages." in page.text
    answered = client.post(
        f"/orders/{order.pk}/extensions/{extension.pk}/", {"accept": "yes"}, follow=True
    )
    assert "More time given" in answered.text
    order.refresh_from_db()
    assert order.due_at == extension.requested_due_at
    assert Order.objects.get(pk=order.pk).extensions.get().status == "accepted"
