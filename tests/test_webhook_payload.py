"""The webhooks render their own payload (atelier/webhooks/payloads.py), apart from the API's
schemas, so that the engine and the webhooks need nothing from the API. docs/webhooks.md promises
the order "as GET /api/v1/orders/{id} shows it" (to an agent): this holds them to it."""

from atelier.api.tests.apiclient import Api
from atelier.orders import actions
from atelier.webhooks import actions as hooks
from atelier.webhooks.models import Delivery


def test_a_webhooks_order_is_the_order_an_agent_reads_over_the_api(world):
    # given an endpoint for every event, and an order that went through a whole flow
    hooks.create_endpoint(actor=world.agent, url="https://93.184.215.14/hooks", events=["*"])
    order = world.delivered()
    actions.complete_order(order, actor=world.customer)

    # when an agent reads the order over the API
    status, read = Api({}).as_(world.agent).get(f"/orders/{order.pk}")
    assert status == 200

    # then the last webhook's order is the same, field for field (but the API's `rating`: a
    # rating comes after completion and is no webhook event; docs/webhooks.md has no rating)
    delivery = Delivery.objects.filter(order=order).order_by("-pk").first()
    assert delivery.event == "order.completed"
    assert read.pop("rating") is None
    assert delivery.payload["data"]["order"] == read
