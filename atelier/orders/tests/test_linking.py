"""Rule 1's linked orders: an agent names an order's follow-up (a translation's proofreading) or
unlinks it with `link_order`, which the API and the console both call."""

import pytest

from atelier.core.errors import InvalidInput, NotAllowed
from atelier.orders import actions
from atelier.orders.models import Order

Flow = Order.Flow


def test_rule_01_an_agent_links_an_order_to_its_follow_up_on_the_timeline(world):
    # given a translation and a proofreading order
    translation = world.order(Flow.MARKETPLACE, title="Translate")
    proofreading = world.order(Flow.MARKETPLACE, title="Proofread")

    # when an agent links them, links them again, then unlinks them
    actions.link_order(translation, actor=world.agent, linked=proofreading)
    actions.link_order(translation, actor=world.agent, linked=proofreading)
    actions.link_order(translation, actor=world.agent, linked=None)

    # then each change is one event (linking again changed nothing), and it is unlinked now
    events = list(translation.events.filter(verb__in=["order.linked", "order.unlinked"]))
    assert [(e.verb, e.actor, e.details) for e in events] == [
        ("order.linked", world.agent, {"linked_order": proofreading.pk, "previous": None}),
        ("order.unlinked", world.agent, {"linked_order": proofreading.pk}),
    ]
    translation.refresh_from_db()
    assert translation.linked_order is None


@pytest.mark.parametrize("who", ["customer", "expert", "reviewer"])
def test_rule_01_only_agents_link_orders(world, who):
    # given the customer's assigned marketplace order (its expert and QC see it) and another
    order = world.assigned(Flow.MARKETPLACE)
    other = world.order(Flow.MARKETPLACE)

    # when someone who sees the order but is not an agent links it
    with pytest.raises(NotAllowed):
        actions.link_order(order, actor=getattr(world, who), linked=other)

    # then nothing changed
    order.refresh_from_db()
    assert order.linked_order is None


def test_rule_01_an_order_is_not_its_own_follow_up(world):
    order = world.order()

    with pytest.raises(InvalidInput) as refused:
        actions.link_order(order, actor=world.agent, linked=order)

    assert refused.value.field == "linked_order"
    assert not order.events.filter(verb="order.linked").exists()
