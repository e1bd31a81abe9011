"""Whose move an order waits for (queries.whose_move), said the same on every page, and the
closing date shown only where the expert closes, and labelled."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime

from atelier.api.tests.apiclient import Api
from atelier.core import clock
from atelier.orders import actions, queries
from atelier.orders.models import Order
from atelier.orders.queries import Party
from atelier.orders.tests.factories import ServiceFactory

Flow = Order.Flow


@pytest.fixture
def checked(world):
    """A service whose revision requests an agent checks first (triage)."""
    return ServiceFactory(slug="translation", revision_triage=True)


@pytest.fixture
def api(db) -> Api:
    return Api({})


def _page(client, user, url: str) -> str:
    client.force_login(user)
    return client.get(url).text


def test_a_quoted_fee_is_the_customers_move_on_every_page(world, client, checked):
    # given a revision request an agent turned into a fee the customer must accept
    order = world.delivered(service=checked)
    actions.triage_revision(
        world.revise(order), actor=world.agent, decision="fee", fee_amount="25.00"
    )

    # then whose move it is does not depend on how the order was fetched
    assert queries.whose_move(Order.objects.get(pk=order.pk)) == Party.CUSTOMER
    # and both the order list and the order page say it is the customer's
    for url in ("/", reverse("order-detail", args=[order.pk])):
        page = _page(client, world.customer, url)
        assert "<strong>Your move</strong>: accept or decline the quoted fee" in page, url
        assert "Waiting for <strong>the expert</strong>" not in page, url


def test_a_request_in_triage_waits_for_an_agent(world, client, checked):
    order = world.delivered(service=checked)
    world.revise(order)

    assert queries.whose_move(Order.objects.get(pk=order.pk)) == Party.AGENT
    page = _page(client, world.expert, reverse("order-detail", args=[order.pk]))
    assert "Waiting for <strong>an agent</strong> to check the revision request" in page


def test_closing_dates_only_where_the_expert_closes(world, client, api):
    # given a writer-portal order and an expert-hub order, both delivered
    portal = world.delivered(Flow.WRITER_PORTAL, title="Portal order")
    hub = world.delivered(Flow.EXPERT_HUB, title="Hub order")

    # then the portal order has no closing date anywhere, the hub order has one, labelled
    assert portal.expert_closable_at is None and hub.expert_closable_at is not None
    for who in (world.customer, world.expert, world.agent):
        assert api.as_(who).get(f"/orders/{portal.pk}")[1]["closable_at"] is None
        assert api.as_(who).get(f"/orders/{hub.pk}")[1]["closable_at"] is not None
    when = date_format(localtime(hub.closable_at), "D j M Y, H:i T")
    portal_page = _page(client, world.customer, reverse("order-detail", args=[portal.pk]))
    assert "may close it from" not in portal_page
    hub_page = _page(client, world.customer, reverse("order-detail", args=[hub.pk]))
    assert "the expert may close it from" in hub_page and when in hub_page
    assert "The expert may close it from" in hub_page
    assert "You may close it from" in _page(
        client, world.expert, reverse("order-detail", args=[hub.pk])
    )


def test_the_order_list_labels_its_dates(world, client):
    world.delivered(Flow.EXPERT_HUB)
    world.assigned(due_at=clock.now() + timedelta(days=3))

    page = _page(client, world.customer, "/")

    assert 'data-clock="closable"' in page and "Expert may close" in page
    assert 'data-clock="due"' in page and "Delivery due" in page
