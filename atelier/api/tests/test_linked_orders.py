"""Linked orders (DESIGN rule 1): an agent names an order's follow-up (a translation's
proofreading) when creating it or later, and unlinks it; each change is on the timeline. The
follow-up is an agent's tool: customers may not link, an order nobody can see is a 404, and an
order is never its own follow-up."""

import pytest

from atelier.orders import actions
from atelier.orders.models import Invitation, Order

from .apiclient import error_of, snapshot

Flow = Order.Flow


def new_order(world, **fields) -> dict:
    return {"service": "resume-writing", "title": "Translate my letter", **fields}


def test_an_agent_creates_an_order_linked_to_its_follow_up(api, world):
    # given a proofreading order
    proofreading = world.order(Flow.MARKETPLACE, title="Proofread the translation")

    # when an agent creates the translation linked to it
    status, body = api.as_(world.agent).post(
        "/orders",
        json=new_order(world, customer=world.customer.email, linked_order=proofreading.pk),
    )

    # then it is linked, and the timeline says who linked it
    assert status == 201, body
    assert body["linked_order"] == proofreading.pk
    order = Order.objects.get(pk=body["id"])
    assert order.linked_order == proofreading
    event = order.events.get(verb="order.linked")
    assert (event.actor, event.details["linked_order"]) == (world.agent, proofreading.pk)


def test_a_customer_may_not_link_their_new_order(api, world):
    # given the customer's own earlier order
    earlier = world.order()
    before = snapshot()

    # when they order again, naming the earlier one as linked
    status, body = api.as_(world.customer).post(
        "/orders", json=new_order(world, linked_order=earlier.pk)
    )

    # then linking is an agent's business: refused, naming the field, and nothing is created
    assert status == 403
    error = error_of(body)
    assert (error["code"], error["field"]) == ("agent_only", "linked_order")
    assert snapshot() == before


def test_creating_an_order_linked_to_one_that_does_not_exist_is_404(api, world):
    before = snapshot()

    status, body = api.as_(world.agent).post(
        "/orders", json=new_order(world, customer=world.customer.email, linked_order=999999)
    )

    assert status == 404
    assert (error_of(body)["code"], error_of(body)["field"]) == ("not_found", "linked_order")
    assert snapshot() == before


def test_an_agent_links_then_unlinks_and_each_is_on_the_timeline(api, world):
    # given a translation and a proofreading order, not linked
    translation = world.assigned(Flow.MARKETPLACE)
    proofreading = world.order(Flow.MARKETPLACE, title="Proofread")
    agent = api.as_(world.agent)

    # when an agent links them, then unlinks them
    linked = agent.post(f"/orders/{translation.pk}/link", json={"linked_order": proofreading.pk})
    unlinked = agent.post(f"/orders/{translation.pk}/link", json={"linked_order": None})

    # then the order shows each, and the timeline has both
    assert linked[0] == 200 and linked[1]["linked_order"] == proofreading.pk
    assert unlinked[0] == 200 and unlinked[1]["linked_order"] is None
    translation.refresh_from_db()
    assert translation.linked_order is None
    verbs = list(
        translation.events.filter(verb__startswith="order.").values_list("verb", flat=True)
    )
    assert verbs[-2:] == ["order.linked", "order.unlinked"]


def test_a_link_made_through_the_api_is_offered_to_the_pros_who_missed_the_order(api, world):
    # given a taken speedy translation (expert2 missed it) and a proofreading order
    translation = world.assigned(Flow.MARKETPLACE)
    proofreading = world.order(Flow.MARKETPLACE, title="Proofread")
    agent = api.as_(world.agent)

    # when an agent links them and offers the follow-up
    agent.post(f"/orders/{translation.pk}/link", json={"linked_order": proofreading.pk})
    status, invitations = agent.post(f"/orders/{translation.pk}/offer-linked")

    # then expert2 is invited to the proofreading
    assert status == 201
    invitation = Invitation.objects.get(pk=invitations[0]["id"])
    assert (invitation.order, invitation.expert) == (proofreading, world.expert2)


@pytest.mark.parametrize(
    ("target", "status", "code"), [("itself", 400, "invalid"), (999999, 404, "not_found")]
)
def test_linking_to_itself_or_to_nothing_is_refused(api, world, target, status, code):
    # given an order
    order = world.order()
    before = snapshot()

    # when an agent links it to itself, or to an order that does not exist
    linked = order.pk if target == "itself" else target
    answer = api.as_(world.agent).post(f"/orders/{order.pk}/link", json={"linked_order": linked})

    # then it is refused, naming the field, and nothing changed
    assert answer[0] == status
    assert (error_of(answer[1])["code"], error_of(answer[1])["field"]) == (code, "linked_order")
    assert snapshot() == before


def test_someone_who_may_not_link_learns_nothing_about_the_target(api, world):
    # given the customer's order, and another customer's order they may not see
    order = world.order()
    hidden = actions.create_order(
        actor=world.agent, customer=world.stranger, service=world.service, title="Theirs"
    )

    # when the customer tries to link them, or to link to an order that does not exist
    answers = [
        api.as_(world.customer).post(f"/orders/{order.pk}/link", json={"linked_order": pk})
        for pk in (hidden.pk, 999999)
    ]

    # then both are the same refusal: linking is not theirs to do
    refusals = [(status, error_of(body)["code"]) for status, body in answers]
    assert refusals == [(403, "forbidden"), (403, "forbidden")]
