"""The console's order page costs a fixed number of queries however much the order holds."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

# The console shows every list of the order on one page (no tabs yet): each list is one query.
MAX_QUERIES = 17


def _get(client, order) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("console-order", args=[order.pk]))
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_the_console_order_page_costs_the_same_for_a_small_and_a_large_order(world, client):
    # given a small order and one with 50 submissions of 3 files and 200 comments
    small = world.busy(submissions=1, comments=1)
    large = world.busy(submissions=50, comments=200)
    client.force_login(world.agent)
    # when an agent opens each in the console
    small_queries, large_queries = _get(client, small), _get(client, large)
    # then both cost the same, and no more than the page's lists
    assert len(large_queries) == len(small_queries), large_queries
    assert len(large_queries) <= MAX_QUERIES, large_queries


def test_viewing_an_order_in_the_console_writes_nothing(world, client):
    order = world.busy(submissions=3, comments=3)
    client.force_login(world.agent)
    statements = _get(client, order)
    assert not [s for s in statements if s.split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
