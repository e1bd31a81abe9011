"""The timeline as each reader reads it (orders/timeline.py), and deliveries as the customer
counts them: sentences instead of codes, QC's rounds invisible to the customer."""

import re

import pytest
from django.urls import reverse

from atelier.notifications.messages import line
from atelier.notifications.models import Notification
from atelier.orders import actions
from atelier.orders.models import Order
from atelier.orders.tests.factories import ServiceFactory
from atelier.orders.timeline import timeline

Flow = Order.Flow
CODE = re.compile(r"\b[a-z_]+\.[a-z_]+\b|revision_requested|revision_submitted|in_progress")


def _texts(user, order) -> list[str]:
    return [entry.text for entry in timeline(user, order)]


def _page(client, user, order, tab: str = "overview") -> str:
    client.force_login(user)
    return client.get(reverse("order-detail", args=[order.pk]) + f"?tab={tab}").text


@pytest.fixture
def sent_back_by_qc(world) -> Order:
    """A marketplace order whose first submission QC sent back; the second was approved."""
    order = world.assigned(Flow.MARKETPLACE)
    first = world.submit(order)
    actions.review_submission(first, actor=world.reviewer, decision="revise", comments="Typo!")
    world.approve(world.submit(order, 2))
    return order


def test_every_event_reads_as_a_sentence_for_each_reader(world):
    # given a writer-portal order delivered, revised, delivered again and completed
    order = world.delivered()
    world.revise(order)
    world.submit(order, 2)
    actions.post_comment(order, actor=world.expert, body="Done!")
    actions.complete_order(order, actor=world.customer)
    customer, expert = world.customer.display_name, world.expert.display_name

    # then each reader reads sentences, never codes
    for reader in (world.customer, world.expert, world.agent):
        texts = _texts(reader, order)
        assert texts and all(not CODE.search(text) for text in texts), texts
        assert all(text.endswith(".") for text in texts), texts

    # written for their reader
    as_customer = _texts(world.customer, order)
    assert f"{expert} delivered draft 1." in as_customer
    assert "You asked for a revision." in as_customer
    assert f"{expert} delivered revision 2." in as_customer
    assert "You completed the order." in as_customer
    as_expert = _texts(world.expert, order)
    assert "You delivered draft 1." in as_expert
    assert f"{customer} asked for a revision." in as_expert
    assert "You wrote a message." in as_expert
    # agents also read the status moves, by their names
    assert f"{customer} asked for a revision (Delivered → Revision requested)." in _texts(
        world.agent, order
    )


def test_the_order_page_and_the_console_show_the_sentences(world, client):
    order = world.delivered()
    world.revise(order)
    expected = f"{world.customer.display_name} asked for a revision"

    customer_page = _page(client, world.customer, order, "timeline")
    expert_page = _page(client, world.expert, order, "timeline")
    client.force_login(world.agent)
    console = client.get(reverse("console-order", args=[order.pk]), {"tab": "timeline"}).text

    assert "You asked for a revision." in customer_page
    assert expected in expert_page and expected in console
    for page in (customer_page, expert_page, console):
        assert "revision.requested" not in page and "submission.delivered" not in page
        assert "(delivered → revision_requested)" not in page


def test_with_qc_the_customer_counts_deliveries_and_sees_no_qc_round(
    world, client, sent_back_by_qc
):
    order = sent_back_by_qc
    reviewer = world.reviewer.display_name

    # when the customer reads the order and its timeline
    page = _page(client, world.customer, order)
    history = _page(client, world.customer, order, "timeline")

    # then their first delivery is their draft 1, not the expert's "Revision #2"
    assert "Draft #1" in page and "Revision #2" not in page
    assert f"{world.expert.display_name} delivered draft 1." in history
    # and nothing of QC's round: the work went to QC once and came out as their draft, no
    # reviewer, no send-back, no second submission
    texts = _texts(world.customer, order)
    assert reviewer not in history
    assert [t for t in texts if "QC" in t] == [
        f"{world.expert.display_name} finished the work; QC checks it before it reaches you."
    ]
    assert not [t for t in texts if "back" in t or "approved" in t or "2" in t]
    # while the expert still sees their own count and the round
    work = _page(client, world.expert, order, "work")
    assert "Revision #2" in work and "Draft #1" in work
    assert f"{reviewer} sent draft 1 back to you with QC's points." in _texts(world.expert, order)


def test_with_qc_the_customers_delivery_email_is_their_first_delivery(world, sent_back_by_qc):
    [note] = Notification.objects.filter(event="delivered", recipient=world.customer)
    assert line(note) == "Your delivery of “A resume” is ready"


def test_the_customer_does_not_read_what_is_not_theirs_on_the_timeline(world):
    # given an expert who flagged the customer and asked for a fee an agent turned down
    order = world.delivered()
    actions.raise_flag(order, actor=world.expert, kind="excessive_revisions", note="Too many")
    fee = actions.request_fee(order, actor=world.expert, amount="33.33", reason="Longer")
    actions.decide_fee(fee, actor=world.agent, approve=False, note="No")

    as_customer = " ".join(_texts(world.customer, order))
    as_expert = " ".join(_texts(world.expert, order))

    assert "flag" not in as_customer and "33.33" not in as_customer
    assert "You raised a flag (Excessive revisions)." in as_expert
    assert "You asked for a fee of 33.33 USD." in as_expert


def test_a_quoted_fee_reads_as_quoted_to_the_customer(world):
    checked = ServiceFactory(slug="translation", revision_triage=True)
    order = world.delivered(service=checked)
    actions.triage_revision(
        world.revise(order), actor=world.agent, decision="fee", fee_amount="25.00"
    )
    agent = world.agent.display_name
    assert f"{agent} quoted you a fee of 25.00 USD for the revision." in _texts(
        world.customer, order
    )


def test_linking_reads_as_a_sentence_for_agents_only(world):
    order, follow_up = world.order(), world.order()
    actions.link_order(follow_up, actor=world.agent, linked=order)
    actions.link_order(follow_up, actor=world.agent, linked=None)

    as_agent = _texts(world.agent, follow_up)
    assert any(f"linked it to order #{order.pk}" in text for text in as_agent), as_agent
    assert any(f"unlinked it from order #{order.pk}" in text for text in as_agent), as_agent
    assert not any("link" in text for text in _texts(world.customer, follow_up))


def test_the_quality_loop_reads_as_sentences_and_never_reaches_the_customer(world):
    # given a submission claimed, sent back, appealed and overturned by an agent
    order = world.assigned(Flow.MARKETPLACE)
    first = world.submit(order)
    actions.claim_review(first, actor=world.reviewer)
    actions.review_submission(first, actor=world.reviewer, decision="revise", comments="Typo!")
    appeal = actions.appeal_review(first, actor=world.expert, reason="It is the brand's spelling.")
    actions.decide_appeal(appeal, actor=world.agent, decision="overturn", reason="Agreed.")
    expert, agent = world.expert.display_name, world.agent.display_name

    # then the expert and the agents read each step
    as_expert = _texts(world.expert, order)
    assert "You appealed QC's send-back of draft 1: It is the brand's spelling." in as_expert
    assert f"{agent} overturned QC's send-back: approved and delivered (draft 1): Agreed." in (
        as_expert
    )
    as_agent = _texts(world.agent, order)
    assert any(
        t.startswith(f"{world.reviewer.display_name} claimed draft 1 for review") for t in as_agent
    )
    assert all(not CODE.search(text) for text in as_expert), as_expert
    # the expert does not read who claimed what
    assert not [t for t in as_expert if "claimed" in t]
    # and the customer reads none of it: only their delivery
    as_customer = _texts(world.customer, order)
    assert not [t for t in as_customer if "appeal" in t or "QC's" in t or "claimed" in t]
    assert f"{expert} delivered draft 1." in as_customer
