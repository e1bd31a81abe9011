"""The order page costs a fixed number of queries, whoever reads it and whatever tab, however many
submissions, files and comments the order holds; and a view that changes nothing writes nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from atelier.orders.models import Order

# The quality loop's two (the points each shown round answered, the points of QC's send-backs)
# are as fixed as the rest.
MAX_QUERIES = 14
SMALL = {"submissions": 1, "comments": 1}
LARGE = {"submissions": 50, "comments": 200}

# The tabs each reader has on a QC order (a reviewer neither works on it nor reads the thread).
TABS = {
    "customer": ["overview", "conversation", "timeline"],
    "expert": ["overview", "work", "conversation", "timeline"],
    "reviewer": ["overview", "timeline"],
    "agent": ["overview", "conversation", "timeline"],
}
WRITES = ("INSERT", "UPDATE", "DELETE", "SAVEPOINT", "BEGIN")


def _page(order: Order, tab: str) -> str:
    return reverse("order-detail", args=[order.pk]) + f"?tab={tab}"


def _get(client, url: str, **headers) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return [q["sql"] for q in queries.captured_queries]


def _writes(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.lstrip().upper().startswith(WRITES)]


@pytest.fixture
def orders(world):
    """One small and one large QC order of the same customer and expert."""
    return world.busy(**SMALL), world.busy(**LARGE)


@pytest.mark.parametrize("role", list(TABS))
def test_each_tab_costs_the_same_few_queries_for_a_small_and_a_large_order(
    world, client, orders, role
):
    # given a small and a large order, each seen once already
    client.force_login(getattr(world, role))
    for order in orders:
        _get(client, _page(order, "overview"))
    for tab in TABS[role]:
        # when the reader opens the tab of each, as a page and as an htmx swap
        for headers in [{}, {"HX-Request": "true"}]:
            small, large = (_get(client, _page(order, tab), **headers) for order in orders)
            # then both cost the same, and few
            assert len(large) == len(small), (tab, headers, large)
            assert len(large) <= MAX_QUERIES, (tab, headers, large)


@pytest.mark.parametrize("role", list(TABS))
def test_viewing_an_order_again_writes_nothing(world, client, orders, role):
    # given a large order its reader has seen (the customer's first view marks it opened)
    client.force_login(getattr(world, role))
    large = orders[1]
    _get(client, _page(large, "overview"))
    for tab in TABS[role]:
        # when they view it again, then no statement writes or opens a transaction
        assert _writes(_get(client, _page(large, tab))) == [], tab


def test_the_customer_opening_deliveries_costs_the_same_for_one_or_fifty(world, client, orders):
    # given a small and a large order whose deliveries the customer has not opened
    client.force_login(world.customer)
    large = orders[1]
    # when the customer opens each
    first_small, first_large = (_get(client, _page(order, "overview")) for order in orders)
    # then each opening is one UPDATE and one INSERT, whatever the number of deliveries (with
    # the savepoint, its release and the locking re-read: five statements more than a view)
    assert len(first_large) == len(first_small) <= MAX_QUERIES + 5
    for statements in (first_small, first_large):
        writes = [sql.split()[0].upper() for sql in _writes(statements)]
        assert writes.count("UPDATE") == 1 and writes.count("INSERT") == 1, writes
    # and every delivery is opened, each with its "delivery.opened" event, recorded once
    assert not large.submissions.filter(customer_opened_at=None).exists()
    opened = large.events.filter(verb="delivery.opened")
    assert sorted(e.details["submission"] for e in opened) == list(range(1, 51))


def test_only_the_customer_marks_deliveries_opened(world, client, orders):
    # given deliveries the customer has not opened
    large = orders[1]
    for role in ["expert", "reviewer", "agent"]:
        # when someone else views the order
        client.force_login(getattr(world, role))
        statements = _get(client, _page(large, "overview"))
        # then nothing is written, and the deliveries stay unopened
        assert _writes(statements) == [], role
    assert not large.submissions.exclude(customer_opened_at=None).exists()
    assert not large.events.filter(verb="delivery.opened").exists()


def test_a_later_delivery_is_opened_once_its_predecessors_are(world, client):
    # given an order whose first delivery the customer has opened, and a revision delivered since
    order = world.busy()
    client.force_login(world.customer)
    _get(client, _page(order, "overview"))
    world.deliver(order, 2)
    # when the customer views the order twice
    first = _get(client, _page(order, "overview"))
    again = _get(client, _page(order, "overview"))
    # then the first view marks only the new delivery opened, and the second writes nothing
    assert [sql.split()[0].upper() for sql in _writes(first) if "SAVEPOINT" not in sql] == [
        "UPDATE",
        "INSERT",
    ]
    assert _writes(again) == []
    opened = order.events.filter(verb="delivery.opened")
    assert sorted(e.details["submission"] for e in opened) == [1, 2]


@pytest.mark.parametrize(("role", "tab"), [("customer", "overview"), ("expert", "work")])
def test_show_all_and_older_messages_cost_what_the_newest_cost(world, client, orders, role, tab):
    # given a large order its reader has seen
    client.force_login(getattr(world, role))
    large = orders[1]
    _get(client, _page(large, "overview"))
    # when they show every delivery, or page back through the conversation
    latest, everything = _get(client, _page(large, tab)), _get(client, _page(large, tab) + "&all=1")
    conversation = _page(large, "conversation")
    older_cursor = client.get(conversation).context["comments_page"].older_cursor
    newest, older = (
        _get(client, conversation),
        _get(client, f"{conversation}&cursor={older_cursor}"),
    )
    # then it costs the same queries
    assert len(everything) == len(latest) and len(older) == len(newest)
