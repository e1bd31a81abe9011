"""Ratings over the API: the customer rates a completed order once (409 after that, and before
completion), with an optional tip; orders carry their rating for its readers; experts list
their own ratings, agents everyone's."""

from decimal import Decimal

from atelier.orders import actions
from atelier.orders.models import Order, Rating
from atelier.orders.tests.factories import ServiceFactory, doc
from atelier.rewards.models import LedgerEntry

from .apiclient import error_of

Flow = Order.Flow
_CODES = {403: "forbidden", 404: "not_found"}


def completed(world, flow=Flow.WRITER_PORTAL, **fields) -> Order:
    order = world.delivered(flow, **fields)
    actions.complete_order(order, actor=world.customer)
    return order


def test_the_customer_rates_with_a_tip_and_the_order_carries_it(api, world):
    # given a completed order
    order = completed(world)
    customer = api.as_(world.customer)

    # when its customer rates it with a tip
    status, body = customer.post(
        f"/orders/{order.pk}/rating",
        {"stars": 5, "text": "Spot on.", "tip": {"amount": "12.00", "currency": "USD"}},
    )

    # then it answers with the rating, the ledger has the tip, and the order shows the rating
    assert status == 201, body
    assert {k: body[k] for k in ("stars", "text", "tip", "expert", "order")} == {
        "stars": 5,
        "text": "Spot on.",
        "tip": {"amount": "12.00", "currency": "USD"},
        "expert": "expert@example.com",
        "order": order.pk,
    }
    assert body["created_at"]
    tip = LedgerEntry.objects.get(kind="tip")
    assert (tip.amount, tip.expert) == (Decimal("12.00"), world.expert)
    for person in (world.customer, world.expert, world.agent):
        _, seen = api.as_(person).get(f"/orders/{order.pk}")
        assert seen["rating"]["stars"] == 5, person
        _, listed = api.as_(person).get("/orders")
        [item] = [o for o in listed["items"] if o["id"] == order.pk]
        assert item["rating"] == seen["rating"], person


def test_a_rating_without_a_tip_or_words(api, world):
    order = completed(world)
    status, body = api.as_(world.customer).post(f"/orders/{order.pk}/rating", {"stars": 3})
    assert status == 201 and (body["tip"], body["text"]) == (None, "")
    status, body = api.as_(world.customer).get(f"/orders/{order.pk}")
    assert body["rating"]["stars"] == 3


def test_a_second_rating_is_a_conflict(api, world):
    order = completed(world)
    assert api.as_(world.customer).post(f"/orders/{order.pk}/rating", {"stars": 4})[0] == 201
    status, body = api.as_(world.customer).post(f"/orders/{order.pk}/rating", {"stars": 1})
    assert status == 409 and error_of(body)["code"] == "already_rated"
    assert Rating.objects.get().stars == 4


def test_an_order_not_completed_is_a_conflict(api, world):
    order = world.delivered()
    status, body = api.as_(world.customer).post(f"/orders/{order.pk}/rating", {"stars": 4})
    assert status == 409 and error_of(body)["code"] == "not_completed"
    _, seen = api.as_(world.customer).get(f"/orders/{order.pk}")
    assert seen["rating"] is None


def test_bad_stars_and_tips_name_their_field(api, world):
    order = completed(world)
    customer = api.as_(world.customer)
    for payload, field in [
        ({"stars": 0}, "stars"),
        ({"stars": 6}, "stars"),
        ({"stars": "five"}, "stars"),
        ({}, "stars"),
        ({"stars": 5, "tip": {"amount": "-1"}}, "tip.amount"),
        ({"stars": 5, "tip": {"amount": "5000.00"}}, "tip"),
        ({"stars": 5, "tip": {"amount": "5", "currency": "usd1"}}, "tip.currency"),
        ({"stars": 5, "stras": 5}, "stras"),
    ]:
        status, body = customer.post(f"/orders/{order.pk}/rating", payload)
        assert (status, error_of(body).get("field")) == (400, field), payload
    assert not Rating.objects.exists()


def test_others_may_not_rate(api, world):
    order = completed(world, Flow.MARKETPLACE)
    for person, expected in [
        (world.expert, 403),
        (world.agent, 403),
        (world.reviewer, 403),
        (world.expert2, 404),
        (world.stranger, 404),
    ]:
        status, body = api.as_(person).post(f"/orders/{order.pk}/rating", {"stars": 5})
        assert (status, error_of(body)["code"]) == (expected, _CODES[expected]), person
    assert not Rating.objects.exists()


def test_the_rating_is_not_shown_to_qc(api, world):
    order = completed(world, Flow.MARKETPLACE)
    actions.rate_order(order, actor=world.customer, stars=2)
    _, seen = api.as_(world.reviewer).get(f"/orders/{order.pk}")
    assert seen["rating"] is None


def _rated(world, expert, stars: int, service=None) -> Order:
    """A completed order of `expert`, rated `stars`."""
    order = world.order(**({"service": service} if service else {}))
    actions.assign_expert(order, actor=world.agent, expert=expert)
    actions.submit_work(order, actor=expert, notes="Done.", files=[doc("cv.txt", "CV\n", "CV")])
    actions.complete_order(order, actor=world.customer)
    actions.rate_order(order, actor=world.customer, stars=stars)
    return order


def test_ratings_lists_are_scoped_to_the_reader(api, world):
    # given ratings of two experts on two services
    other_service = ServiceFactory(slug="cover-letter")
    mine = _rated(world, world.expert, 5)
    _rated(world, world.expert, 3, other_service)
    theirs = _rated(world, world.expert2, 1)

    # then an expert lists their own, newest first
    status, body = api.as_(world.expert).get("/ratings")
    assert status == 200
    assert [r["stars"] for r in body["items"]] == [3, 5]
    assert body["items"][1]["order"] == mine.pk
    status, body = api.as_(world.expert).get("/ratings", service="resume-writing")
    assert [r["stars"] for r in body["items"]] == [5]
    status, body = api.as_(world.expert).get("/ratings", expert="expert2@example.com")
    assert status == 403

    # and an agent lists everyone's, by expert and by service
    agent = api.as_(world.agent)
    assert [r["stars"] for r in agent.get("/ratings")[1]["items"]] == [1, 3, 5]
    _, body = agent.get("/ratings", expert="expert2@example.com")
    assert [r["order"] for r in body["items"]] == [theirs.pk]
    _, body = agent.get("/ratings", service="cover-letter")
    assert [r["stars"] for r in body["items"]] == [3]
    _, body = agent.get("/ratings", limit=2)
    assert len(body["items"]) == 2 and body["next_cursor"]
    _, more = agent.get("/ratings", limit=2, cursor=body["next_cursor"])
    assert [r["stars"] for r in more["items"]] == [5] and more["next_cursor"] is None
    status, body = agent.get("/ratings", service="no-such-service")
    assert (status, error_of(body)["field"]) == (400, "service")

    # and customers and reviewers are refused
    for person in (world.customer, world.reviewer):
        status, body = api.as_(person).get("/ratings")
        assert (status, error_of(body)["code"]) == (403, "forbidden")
