"""After completion: the customer rates the delivery once (1-5 stars, optional words, an optional
tip that reaches the expert's ledger), everyone on the order sees the rating, the expert reads
their ratings, and "order again" books the same expert for a new order."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from atelier.core import clock
from atelier.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from atelier.notifications.models import Notification
from atelier.orders import actions
from atelier.orders.models import Invitation, Order, Rating
from atelier.orders.tests.factories import ServiceFactory
from atelier.orders.timeline import timeline
from atelier.orders.views import expert as expert_views
from atelier.rewards.models import LedgerEntry
from atelier.rewards.services import balances, release_due

Flow = Order.Flow


def completed(world, flow: str = Flow.WRITER_PORTAL, **fields) -> Order:
    order = world.delivered(flow, **fields)
    actions.complete_order(order, actor=world.customer)
    order.refresh_from_db()
    return order


def rate(world, order, stars=5, **kwargs) -> Rating:
    return actions.rate_order(order, actor=world.customer, stars=stars, **kwargs)


# --- the action's rules ---------------------------------------------------------------------


def test_the_customer_rates_a_completed_order_and_the_expert_is_told(world):
    # given a completed order
    order = completed(world)

    # when the customer rates it with words
    rating = rate(world, order, stars=4, text="  Clear and quick.  ")

    # then the rating is the expert's, on the timeline, and the expert is notified
    assert (rating.stars, rating.text, rating.expert) == (4, "Clear and quick.", world.expert)
    assert rating.tip_amount is None and rating.tip_currency == ""
    [event] = order.events.filter(verb="order.rated")
    assert event.details == {"stars": 4}
    [told] = Notification.objects.filter(event="rated")
    assert told.recipient == world.expert and told.context["stars"] == 4
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.TIP).exists()


def test_a_tip_is_a_pending_ledger_entry_released_like_a_reward(world):
    # given a completed order
    order = completed(world)

    # when the customer rates it with a tip (currency: the order's reward's)
    rate(world, order, tip_amount="15.50")

    # then the expert has the tip pending, held as the policy holds rewards, keyed to the order
    tip = LedgerEntry.objects.get(kind=LedgerEntry.Kind.TIP)
    assert (tip.expert, tip.order, tip.key) == (world.expert, order, f"tip:{order.pk}")
    assert (tip.amount, tip.currency) == (Decimal("15.50"), order.reward_currency)
    hold = order.policy.reward_hold_days
    assert tip.release_at.date() == (tip.created_at + timedelta(days=hold)).date()
    assert order.events.get(verb="order.rated").details == {
        "stars": 5,
        "tip": "15.50",
        "currency": "USD",
    }
    [usd] = balances(world.expert)
    assert usd.pending == Decimal("135.50")  # the reward (120.00) and the tip

    # when the sweep runs once the hold is over, then the tip is available
    assert release_due(now=tip.release_at) == 2  # the reward and the tip
    [usd] = balances(world.expert)
    assert (usd.pending, usd.available) == (Decimal("0.00"), Decimal("135.50"))


def test_rating_twice_is_a_conflict(world):
    order = completed(world)
    rate(world, order, tip_amount="5")
    with pytest.raises(Conflict) as refused:
        rate(world, order, stars=1, tip_amount="5")
    assert refused.value.code == "already_rated"
    assert Rating.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.TIP).count() == 1


@pytest.mark.parametrize("state", ["assigned", "delivered"])
def test_an_order_not_completed_cannot_be_rated(world, state):
    order = getattr(world, state)()
    with pytest.raises(Conflict) as refused:
        rate(world, order)
    assert refused.value.code == "not_completed"
    assert not Rating.objects.exists()


def test_a_reopened_order_cannot_be_rated_until_it_completes_again(world):
    order = completed(world)
    actions.reopen_order(
        order,
        actor=world.agent,
        reason="The customer wrote back.",
        back_to=actions.ReopenTo.CUSTOMER,
    )
    with pytest.raises(Conflict):
        rate(world, order)


def test_only_the_customer_rates(world):
    # given a completed QC order: its expert, QC and an agent see it; a stranger does not
    order = completed(world, Flow.MARKETPLACE)
    for person in (world.expert, world.reviewer, world.agent):
        with pytest.raises(NotAllowed):
            actions.rate_order(order, actor=person, stars=5)
    for person in (world.expert2, world.stranger):
        with pytest.raises(NotFound):
            actions.rate_order(order, actor=person, stars=5)
    assert not Rating.objects.exists()


@pytest.mark.parametrize("stars", [0, 6, -1, True, "5", 4.5])
def test_stars_are_1_to_5(world, stars):
    order = completed(world)
    with pytest.raises(InvalidInput) as refused:
        rate(world, order, stars=stars)
    assert refused.value.field == "stars"
    assert not Rating.objects.exists()


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("0", None), ("-5", None), ("abc", None), ("1.234", None), ("1000.01", None), ("5", "US")],
)
def test_a_bad_tip_is_refused_and_nothing_is_written(world, amount, currency):
    order = completed(world)
    with pytest.raises(InvalidInput) as refused:
        rate(world, order, tip_amount=amount, tip_currency=currency)
    assert refused.value.field == "tip"
    assert not Rating.objects.exists() and not LedgerEntry.objects.filter(kind="tip").exists()


def test_overlong_words_are_refused(world):
    order = completed(world)
    with pytest.raises(InvalidInput) as refused:
        rate(world, order, text="x" * 5001)
    assert refused.value.field == "text"


def test_the_timeline_tells_the_parties_not_qc(world):
    order = completed(world, Flow.MARKETPLACE)
    rate(world, order, stars=1, tip_amount="2.00")
    said = {
        who: [e.text for e in timeline(user, order) if e.event.verb == "order.rated"]
        for who, user in [("C", world.customer), ("E", world.expert), ("R", world.reviewer)]
    }
    assert said == {
        "C": ["You rated the delivery 1 star and tipped 2.00 USD."],
        "E": [f"{world.customer.display_name} rated the delivery 1 star and tipped 2.00 USD."],
        "R": [],
    }


# --- the order page -------------------------------------------------------------------------


def _page(client, order):
    return client.get(reverse("order-detail", args=[order.pk]))


def test_the_customer_rates_on_the_order_page_and_sees_the_rating(world, client):
    # given a completed order, its customer on its page
    order = completed(world)
    client.force_login(world.customer)
    page = _page(client, order).content.decode()
    assert "Rate this delivery" in page and f"?again={order.pk}" in page

    # when they send 5 stars, words and a tip
    url = reverse("order-rate", args=[order.pk])
    response = client.post(url, {"stars": "5", "text": "Wonderful.", "tip": "10"})

    # then they are back on the order, which shows their rating instead of the form
    assert response.status_code == 302
    page = _page(client, order).content.decode()
    assert "Your rating" in page and "Wonderful." in page and "10.00 USD" in page
    assert "Rate this delivery" not in page
    assert order.rating.stars == 5


def test_an_htmx_rating_swaps_the_card(world, client):
    order = completed(world)
    client.force_login(world.customer)
    url = reverse("order-rate", args=[order.pk])
    response = client.post(url, {"stars": "3"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith("<section") and "3 out of 5 stars" in body
    assert "Thank you for rating" in body and "<html" not in body


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"text": "No stars."}, "stars", "Choose 1 to 5 stars."),
        ({"stars": "9"}, "stars", "Select a valid choice"),
        ({"stars": "4", "tip": "lots"}, "tip", "Enter an amount like 120.00."),
    ],
)
def test_a_bad_rating_form_says_what_is_wrong(world, client, data, field, message):
    order = completed(world)
    client.force_login(world.customer)
    url = reverse("order-rate", args=[order.pk])
    response = client.post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="rating-{field}-errors"' in body and message in body
    assert not Rating.objects.exists()
    # an htmx request gets the card with the same error, to swap in
    response = client.post(url, data, headers={"HX-Request": "true"})
    assert response.status_code == 200 and message in response.content.decode()


def test_a_second_rating_from_the_page_is_refused_with_a_reason(world, client):
    order = completed(world)
    rate(world, order)
    client.force_login(world.customer)
    response = client.post(reverse("order-rate", args=[order.pk]), {"stars": "1"})
    assert response.status_code == 400
    assert "You have rated this order already." in response.content.decode()


def test_the_expert_and_agents_see_the_rating_and_qc_does_not(world, client):
    order = completed(world, Flow.MARKETPLACE)
    rate(world, order, stars=4, text="Lovely words.", tip_amount="3")
    for person, sees in [(world.expert, True), (world.agent, True), (world.reviewer, False)]:
        client.force_login(person)
        page = _page(client, order).content.decode()
        assert ("Lovely words." in page) is sees, person
        assert "Rate this delivery" not in page and "Order again" not in page


# --- the expert's ratings page --------------------------------------------------------------


def test_the_expert_reads_their_average_spread_and_latest_ratings(world, client):
    # given three rated orders of the expert (and one of another expert)
    for stars in (5, 4, 5):
        rate(world, completed(world, title=f"Rated {stars}"), stars=stars, text=f"Gave {stars}.")
    other = world.order()
    actions.assign_expert(other, actor=world.agent, expert=world.expert2)
    world_expert, world.expert = world.expert, world.expert2
    world.deliver(other)
    world.expert = world_expert
    actions.complete_order(other, actor=world.customer)
    rate(world, other, stars=1, text="Not this expert's.")

    # when the expert opens their ratings page
    client.force_login(world.expert)
    response = client.get(reverse("expert-ratings"))

    # then the figures are theirs alone, and the latest ratings newest first
    body = response.content.decode()
    assert response.status_code == 200
    assert "4.7 out of 5" in body and "from 3 ratings" in body
    assert "Not this expert" not in body
    assert body.index("Gave 5.") < body.index("Gave 4.")
    assert reverse("expert-ratings") in client.get(reverse("expert-dashboard")).content.decode()


def test_the_ratings_page_pages_by_cursor(world, client, monkeypatch):
    # given three ratings a minute apart, two to a page
    monkeypatch.setattr(expert_views, "RATINGS_PER_PAGE", 2)
    orders = [completed(world, title=f"Order {n}") for n in range(3)]
    for n, order in enumerate(orders):
        with clock.frozen_at(clock.now() + timedelta(minutes=n)):
            rate(world, order, stars=5, text=f"Words {n}.")
    client.force_login(world.expert)

    # when the expert reads the first page, then the older one
    first = client.get(reverse("expert-ratings"))
    older = first.context["page"].older_cursor
    second = client.get(reverse("expert-ratings"), {"cursor": older})

    # then the newest two come first, the oldest after
    assert [r.text for r in first.context["page"]] == ["Words 2.", "Words 1."]
    assert [r.text for r in second.context["page"]] == ["Words 0."]


def test_the_ratings_page_is_for_experts(world, client):
    client.force_login(world.customer)
    assert client.get(reverse("expert-ratings")).status_code == 404


# --- order again ----------------------------------------------------------------------------


def test_order_again_prefills_the_form_from_the_completed_order(world, client):
    order = completed(world, title="My resume", instructions="Keep it to one page.")
    client.force_login(world.customer)
    response = client.get(reverse("order-new") + f"?again={order.pk}")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Order again" in body and world.expert.display_name in body
    form = response.context["form"]
    assert form["service"].value() == order.service.pk
    assert (form["title"].value(), form["instructions"].value()) == (
        "My resume",
        "Keep it to one page.",
    )


def test_order_again_books_the_same_expert(world, client):
    # given a completed writer-portal order (an agent assigned its expert)
    order = completed(world)
    client.force_login(world.customer)

    # when the customer places the prefilled order
    url = reverse("order-new") + f"?again={order.pk}"
    data = {"service": order.service.pk, "title": "Resume, again", "instructions": "Update."}
    response = client.post(url, data)

    # then a new booking invites that expert alone, who may accept it
    new = Order.objects.exclude(pk=order.pk).get()
    assert response.status_code == 302 and response.url == reverse("order-detail", args=[new.pk])
    assert (new.customer, new.assignment, new.status) == (
        world.customer,
        Order.Assignment.BOOKING,
        Order.Status.INVITED,
    )
    [invitation] = new.invitations.all()
    assert invitation.expert == world.expert and invitation.invited_by == world.customer
    assert Notification.objects.filter(event="invited", recipient=world.expert, order=new)
    actions.accept_invitation(invitation, actor=world.expert)
    new.refresh_from_db()
    assert (new.expert, new.status) == (world.expert, Order.Status.IN_PROGRESS)


def test_order_again_places_the_order_the_service_would(world):
    # given a QC service's completed order
    qc = ServiceFactory(slug="translation", flow=Flow.MARKETPLACE, reward_amount="80.00")
    order = completed(world, Flow.MARKETPLACE, service=qc)

    # when the customer orders again
    new = actions.order_again(order, actor=world.customer, service=qc, title="Another one")

    # then it keeps the service's QC and reward, as a booking of the same expert
    assert (new.qc_required, new.reward_amount, new.assignment) == (
        True,
        Decimal("80.00"),
        Order.Assignment.BOOKING,
    )
    assert list(new.invitations.values_list("expert", flat=True)) == [world.expert.pk]


def test_order_again_is_the_customers_and_needs_a_completed_order(world, client):
    order = completed(world)
    # someone else's order: a stranger does not see it (404); the expert sees it but it is not
    # theirs to order again (403)
    with pytest.raises(NotFound):
        actions.bookable_expert(order, actor=world.stranger)
    with pytest.raises(NotAllowed):
        actions.bookable_expert(order, actor=world.expert)
    with pytest.raises(Conflict):
        actions.bookable_expert(world.delivered(), actor=world.customer)
    client.force_login(world.stranger)
    assert client.get(reverse("order-new") + f"?again={order.pk}").status_code == 404
    assert client.get(reverse("order-new") + "?again=x").status_code == 404
    client.force_login(world.agent)
    assert client.get(reverse("order-new") + f"?again={order.pk}").status_code == 403


def test_order_again_from_an_order_not_completed_places_a_plain_order(world, client):
    # given an order still in progress
    order = world.assigned()
    client.force_login(world.customer)

    # when its customer opens "order again" for it, then it says why and offers a new order
    response = client.get(reverse("order-new") + f"?again={order.pk}", follow=True)
    body = response.content.decode()
    assert response.status_code == 200 and "Place an order" in body
    assert "completed order" in body
    assert response.context["previous"] is None


def test_order_again_when_the_expert_left_is_refused_with_a_reason(world):
    order = completed(world)
    world.expert.is_active = False
    world.expert.save()
    with pytest.raises(Conflict) as refused:
        actions.order_again(order, actor=world.customer, service=order.service, title="Again")
    assert refused.value.code == "expert_unavailable"
    assert Order.objects.count() == 1 and not Invitation.objects.exclude(order=order).exists()
