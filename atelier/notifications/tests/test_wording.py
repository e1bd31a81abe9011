"""What the e-mails say: the farewell reads in whole sentences, a comment names its files, and
the "closable" e-mail tells the expert when an agent must close instead."""

import re
from datetime import timedelta

from atelier.core import clock
from atelier.notifications import delivery
from atelier.notifications.models import Notification
from atelier.orders import actions
from atelier.orders.models import Order
from atelier.orders.tests.factories import doc


def _expert_hub_order_delivered_8_days_ago(world) -> Order:
    order = world.assigned(Order.Flow.EXPERT_HUB, title="Cover letter")
    with clock.frozen_at(clock.now() - timedelta(days=8)):
        world.deliver(order)
    return order


def test_farewell_email_breaks_lines_only_between_sentences(world):
    # given an expert who closes with the prefilled farewell
    order = _expert_hub_order_delivered_8_days_ago(world)
    world.open_latest(order)
    info = actions.close_info(order, actor=world.expert)
    actions.close_order(order, actor=world.expert, message=info.farewell_template)

    # when the customer's e-mail is rendered
    _, text, _ = delivery.render(Notification.objects.get(event="farewell"))

    # then every line but the signature ends a sentence, a greeting or the link line
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in lines[:-1]:
        assert line.endswith((".", ",", ":", "!", "?")) or re.search(r"https?://\S+$", line), line
    assert (
        "It has been a pleasure working on “Cover letter” with you. Your final documents are "
        "ready, and they stay available to you at any time." in lines
    )


def test_comment_email_names_the_attached_files(world):
    # given a customer who comments with two files
    order = world.assigned()
    actions.post_comment(
        order,
        actor=world.customer,
        body="Here are my certificates.",
        files=[doc("nursing-licence.pdf"), doc("cpr-card.png")],
    )

    # when the expert's e-mail is rendered
    note = Notification.objects.get(event="comment_posted", recipient=world.expert)
    subject, text, html = delivery.render(note)

    # then it names both files, in the text, the HTML and the inbox line
    for body in (text, html, subject):
        assert "nursing-licence.pdf" in body and "cpr-card.png" in body, body


def test_closable_email_says_an_agent_must_close_when_the_expert_may_not(world):
    # given an expert-hub order past its closing date whose delivery the customer never opened
    order = _expert_hub_order_delivered_8_days_ago(world)
    order.refresh_from_db()

    # when the sweep tells the expert
    assert actions.tell_expert_closable(order)
    note = Notification.objects.get(event="closable")
    subject, text, html = delivery.render(note)

    # then it does not say "you can close", but that an agent must, and why
    for body in (subject, text, html):
        assert "You can close" not in body
        assert "an agent must close it" in body.lower() or "ask an agent" in body.lower()
    assert "The customer has not opened the latest delivery yet." in text


def test_closable_email_says_you_can_close_when_the_expert_may(world):
    order = _expert_hub_order_delivered_8_days_ago(world)
    world.open_latest(order)
    order.refresh_from_db()

    assert actions.tell_expert_closable(order)
    subject, text, _ = delivery.render(Notification.objects.get(event="closable"))

    assert "You can close “Cover letter” now" in subject
    assert "agent" not in text
