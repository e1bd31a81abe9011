"""The console's ratings page: averages and counts per expert and per service, the latest
ratings newest first, narrowed to one expert and one service; a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from atelier.orders import actions
from atelier.orders.models import Order
from atelier.orders.tests.factories import ServiceFactory, doc

URL = reverse("console-ratings")


def rated(world, expert, stars: int, *, service=None, text: str = "") -> Order:
    order = world.order(**({"service": service} if service else {}))
    actions.assign_expert(order, actor=world.agent, expert=expert)
    actions.submit_work(order, actor=expert, notes="Done.", files=[doc("cv.txt", "CV\n", "CV")])
    actions.complete_order(order, actor=world.customer)
    actions.rate_order(order, actor=world.customer, stars=stars, text=text, tip_amount=None)
    return order


@pytest.fixture
def ratings(world):
    """Expert: 5 and 4 on resume writing, 3 on cover letters; expert2: 1 on resume writing."""
    letters = ServiceFactory(slug="cover-letter", name="Cover letter")
    rated(world, world.expert, 5, text="Five for the resume.")
    rated(world, world.expert, 4, text="Four for the resume.")
    rated(world, world.expert, 3, service=letters, text="Three for the letter.")
    rated(world, world.expert2, 1, text="One from expert2.")
    return letters


def figures(response, key: str) -> dict[str, tuple[int, str]]:
    rows = response.context[key]
    name = "expert__email" if key == "per_expert" else "order__service__slug"
    return {row[name]: (row["count"], str(row["average"])) for row in rows}


def test_agents_see_averages_per_expert_and_per_service(world, client, ratings):
    client.force_login(world.agent)
    response = client.get(URL)
    assert response.status_code == 200
    assert figures(response, "per_expert") == {
        "expert@example.com": (3, "4.0"),
        "expert2@example.com": (1, "1.0"),
    }
    assert figures(response, "per_service") == {
        "resume-writing": (3, "3.3"),
        "cover-letter": (1, "3.0"),
    }
    body = response.content.decode()
    assert "3.3 out of 5" in body and "from 4 ratings" in body
    # the latest ratings, newest first
    assert body.index("One from expert2.") < body.index("Five for the resume.")


def test_filters_narrow_the_figures_and_the_list(world, client, ratings):
    client.force_login(world.agent)
    response = client.get(URL, {"expert": "expert@example.com", "service": "resume-writing"})
    assert figures(response, "per_expert") == {"expert@example.com": (2, "4.5")}
    assert [r.stars for r in response.context["page"]] == [4, 5]
    body = response.content.decode()
    assert "Three for the letter." not in body and "One from expert2." not in body

    response = client.get(URL, {"expert": "nobody@example.com"})
    assert response.context["summary"].count == 0
    assert "No ratings match these filters." in response.content.decode()

    # an htmx request gets the results alone
    response = client.get(URL, {"service": "cover-letter"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">') and "Three for the letter." in body


def test_the_page_costs_the_same_few_queries_however_many_ratings(world, client, ratings):
    client.force_login(world.agent)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for n in range(4):
        rated(world, world.expert2, 2, text=f"More {n}.")
    with CaptureQueriesContext(connection) as more:
        client.get(URL)
    assert len(more) == len(few) <= 10


def test_the_console_ratings_page_is_for_agents(world, client):
    for person in (world.customer, world.expert, world.reviewer):
        client.force_login(person)
        assert client.get(URL).status_code == 404
