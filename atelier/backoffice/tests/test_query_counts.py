"""The console's order page costs a fixed number of queries however much the order holds: each tab
loads only what it shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from atelier.backoffice.queries import TABS
from atelier.orders import actions
from atelier.orders.models import Flag, Order

# Session, user, the top bar's unread count and appeals waiting, the order and what waits for an
# agent, then the tab's own lists.
MAX_QUERIES = 13


def _get(client, order, tab: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("console-order", args=[order.pk]), {"tab": tab})
    assert response.status_code == 200
    assert response.context["tab"] == tab
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("tab", TABS)
def test_each_console_tab_costs_the_same_for_a_small_and_a_large_order(world, client, tab):
    # given a small order and one with 50 submissions of 3 files and 200 comments
    small = world.busy(submissions=1, comments=1)
    large = world.busy(submissions=50, comments=200)
    client.force_login(world.agent)
    # when an agent opens the tab of each in the console
    small_queries, large_queries = _get(client, small, tab), _get(client, large, tab)
    # then both cost the same, within the page budget
    assert len(large_queries) == len(small_queries), large_queries
    assert len(large_queries) <= MAX_QUERIES, large_queries


@pytest.mark.parametrize(
    "state",
    ["open marketplace (assign and invite)", "delivered expert hub (close)", "flags and a fee"],
)
def test_the_overview_with_its_costliest_forms_stays_within_budget(world, client, state):
    # given an order whose overview offers the forms that read the most
    if state.startswith("open"):
        order = world.order(Order.Flow.MARKETPLACE)
    elif state.startswith("delivered"):
        order = world.delivered(Order.Flow.EXPERT_HUB)
    else:
        order = world.busy(submissions=2, comments=2)
        flag = actions.raise_flag(order, actor=world.expert, kind=Flag.Kind.CONCERN, note="Hm")
        actions.resolve_flag(flag, actor=world.agent)
        actions.raise_flag(order, actor=world.customer, kind=Flag.Kind.CONCERN)
        actions.request_fee(order, actor=world.expert, amount="30", reason="Longer")
    client.force_login(world.agent)
    # then every tab stays within the budget
    for tab in TABS:
        assert len(_get(client, order, tab)) <= MAX_QUERIES, (state, tab)


def test_viewing_an_order_in_the_console_writes_nothing(world, client):
    order = world.busy(submissions=3, comments=3)
    client.force_login(world.agent)
    for tab in TABS:
        statements = _get(client, order, tab)
        assert not [s for s in statements if s.split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
