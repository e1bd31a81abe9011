"""Lists: `GET /orders` pages with a cursor that neither repeats nor skips while orders keep
arriving, and filters by status, role, flow and time; `GET /invitations` for a pro; the ledger
for an expert (agents read anyone's) and idempotent manual credits."""

from datetime import timedelta

import pytest

from atelier.orders import actions
from atelier.orders.models import Order
from atelier.rewards.models import LedgerEntry

from .apiclient import error_of

Flow = Order.Flow


def ids(page: dict) -> list[int]:
    return [item["id"] for item in page["items"]]


# --- pagination ---------------------------------------------------------------------------------


def test_pages_neither_repeat_nor_skip_while_new_orders_arrive(api, world):
    # given seven orders
    existing = [world.order(title=f"Order {n}").pk for n in range(7)]
    agent = api.as_(world.agent)

    # when an agent pages through three at a time while two new orders arrive in between
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        status, page = agent.get("/orders", **query)
        assert status == 200 and len(page["items"]) <= 3
        seen += ids(page)
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        world.order(title=f"Arrived after page {pages}")

    # then they saw every order that existed when they started, newest first, each once
    assert seen == sorted(existing, reverse=True)
    assert pages == 3
    # and a fresh first page starts with the newcomers
    status, first = agent.get("/orders", limit=2)
    assert [o["title"] for o in first["items"]] == ["Arrived after page 2", "Arrived after page 1"]


def test_the_last_full_page_has_no_next_cursor(api, world):
    for n in range(4):
        world.order(title=f"Order {n}")

    status, page = api.as_(world.agent).get("/orders", limit=4)

    assert status == 200 and len(page["items"]) == 4 and page["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "eyJiZWZvcmUiOiAieCJ9"}, "cursor"),  # {"before": "x"}, well encoded
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"status": "sleeping"}, "status"),
        ({"role": "boss"}, "role"),
        ({"flow": "conveyor"}, "flow"),
        ({"updated_since": "yesterday"}, "updated_since"),
    ],
)
def test_a_bad_list_query_is_400_naming_the_parameter(api, world, query, field):
    status, body = api.as_(world.agent).get("/orders", **query)

    assert status == 400
    assert error_of(body)["field"] == field


def test_the_limit_may_be_anything_from_1_to_200(api, world):
    world.order()
    agent = api.as_(world.agent)

    assert len(agent.get("/orders", limit=1)[1]["items"]) == 1
    assert agent.get("/orders", limit=200)[0] == 200


# --- filters ------------------------------------------------------------------------------------


def test_status_filter_takes_several_statuses(api, world):
    # given an open, an in-progress and a delivered order
    fresh = world.order()
    working = world.assigned()
    done = world.delivered()

    # when the agent asks for open and delivered ones
    status, page = api.as_(world.agent).get("/orders", status=["open", "delivered"])

    # then exactly those come back
    assert status == 200
    assert set(ids(page)) == {fresh.pk, done.pk}
    assert working.pk not in ids(page)


def test_role_filter_narrows_to_where_you_are_that_party(api, world):
    # given the stranger as the customer of one order and the expert of another
    theirs = actions.place_order(actor=world.stranger, service=world.service, title="Mine")
    working = world.order()
    actions.assign_expert(working, actor=world.agent, expert=world.stranger)
    world.order(Flow.MARKETPLACE)
    stranger = api.as_(world.stranger)

    # then each role shows its own orders
    assert ids(stranger.get("/orders", role="customer")[1]) == [theirs.pk]
    assert ids(stranger.get("/orders", role="expert")[1]) == [working.pk]
    assert ids(stranger.get("/orders", role="agent")[1]) == []
    assert ids(stranger.get("/orders", role="reviewer")[1]) == []
    assert len(ids(api.as_(world.agent).get("/orders", role="agent")[1])) == 3


def test_flow_filter(api, world):
    writer, hub, market = (world.order(f) for f in Flow.values)

    agent = api.as_(world.agent)

    assert ids(agent.get("/orders", flow="writer_portal")[1]) == [writer.pk]
    assert ids(agent.get("/orders", flow="expert_hub")[1]) == [hub.pk]
    assert ids(agent.get("/orders", flow="marketplace")[1]) == [market.pk]


def test_updated_since_lists_only_orders_changed_since_then(api, world):
    # given two orders, and the moment after both were made
    untouched, changed = world.order(title="Untouched"), world.order(title="Changed")
    since = max(untouched.updated_at, changed.updated_at) + timedelta(microseconds=1)

    # when one of them changes and an agent asks for what changed since that moment
    actions.assign_expert(changed, actor=world.agent, expert=world.expert)
    status, page = api.as_(world.agent).get("/orders", updated_since=since.isoformat())

    # then only the changed one comes back
    assert status == 200
    assert ids(page) == [changed.pk]


# --- invitations --------------------------------------------------------------------------------


def test_a_pro_lists_their_own_invitations_and_filters_by_status(api, world):
    # given two orders offered to the expert (one also to expert2), one of them answered
    first, second = world.order(Flow.MARKETPLACE), world.order(Flow.MARKETPLACE)
    actions.invite_experts(first, actor=world.agent, experts=[world.expert])
    actions.invite_experts(second, actor=world.agent, experts=[world.expert, world.expert2])
    actions.decline_invitation(first.invitations.get(), actor=world.expert)

    # when the expert lists their invitations
    status, page = api.as_(world.expert).get("/invitations")
    pending = api.as_(world.expert).get("/invitations", status="pending")[1]

    # then both are theirs, newest first, and the filter keeps the pending one
    assert status == 200
    assert [(i["order"], i["status"]) for i in page["items"]] == [
        (second.pk, "pending"),
        (first.pk, "declined"),
    ]
    assert {i["expert"] for i in page["items"]} == {"expert@example.com"}
    assert [i["order"] for i in pending["items"]] == [second.pk]
    assert len(api.as_(world.expert2).get("/invitations")[1]["items"]) == 1
    assert api.as_(world.stranger).get("/invitations")[1] == {"items": [], "next_cursor": None}


def test_invitations_page_with_a_cursor(api, world):
    orders = [world.order(Flow.MARKETPLACE) for _ in range(3)]
    for order in orders:
        actions.invite_experts(order, actor=world.agent, experts=[world.expert])
    expert = api.as_(world.expert)

    first = expert.get("/invitations", limit=2)[1]
    second = expert.get("/invitations", limit=2, cursor=first["next_cursor"])[1]

    assert [i["order"] for i in first["items"] + second["items"]] == [
        o.pk for o in reversed(orders)
    ]
    assert second["next_cursor"] is None


# --- the ledger ---------------------------------------------------------------------------------


@pytest.fixture
def earned(world):
    """The expert earned 120.00 USD when the customer completed a writer-portal order."""
    order = world.delivered()
    actions.complete_order(order, actor=world.customer)
    return order


def test_an_expert_reads_their_ledger_and_balances(api, world, earned):
    status, ledger = api.as_(world.expert).get("/ledger")

    assert status == 200
    assert ledger["expert"] == "expert@example.com"
    assert ledger["balances"] == [{"currency": "USD", "pending": "120.00", "available": "0.00"}]
    [entry] = ledger["items"]
    assert (entry["kind"], entry["amount"], entry["order"]) == ("reward", "120.00", earned.pk)
    assert entry["release_at"] is not None
    assert api.as_(world.expert2).get("/ledger")[1]["items"] == []


def test_an_agent_reads_any_experts_ledger_others_may_not(api, world, earned):
    status, ledger = api.as_(world.agent).get("/ledger", expert="expert@example.com")
    assert status == 200 and ledger["expert"] == "expert@example.com"
    assert len(ledger["items"]) == 1

    peek = api.as_(world.expert2).get("/ledger", expert="expert@example.com")
    assert peek[0] == 403 and error_of(peek[1])["field"] == "expert"
    customer = api.as_(world.customer).get("/ledger")
    assert customer[0] == 403 and error_of(customer[1])["code"] == "forbidden"
    unknown = api.as_(world.agent).get("/ledger", expert="nobody@example.com")
    assert unknown[0] == 400 and error_of(unknown[1])["field"] == "expert"


def test_a_credit_with_a_key_is_written_once_however_often_it_is_sent(api, world):
    # given an agent crediting the expert with an idempotency key
    credit = {
        "expert": "expert@example.com",
        "amount": "15.00",
        "currency": "USD",
        "memo": "Rush bonus",
        "key": "bonus-2026-03",
    }
    agent = api.as_(world.agent)

    # when the same credit is sent twice (a retry)
    first = agent.post("/ledger/credits", credit)
    again = agent.post("/ledger/credits", credit)

    # then one entry exists and the balance counts it once
    assert first[0] == 201 and again[0] == 201
    assert first[1]["id"] == again[1]["id"]
    assert (first[1]["kind"], first[1]["amount"]) == ("credit", "15.00")
    assert LedgerEntry.objects.filter(kind="credit").count() == 1
    balances = api.as_(world.expert).get("/ledger")[1]["balances"]
    assert balances == [{"currency": "USD", "pending": "0.00", "available": "15.00"}]
    # while a different key is a different credit
    assert agent.post("/ledger/credits", {**credit, "key": "bonus-2026-04"})[0] == 201
    assert LedgerEntry.objects.filter(kind="credit").count() == 2


def test_a_credit_for_an_order_lands_on_its_timeline(api, world, earned):
    status, entry = api.as_(world.agent).post(
        "/ledger/credits",
        {"expert": "expert@example.com", "amount": "5.00", "memo": "Tip", "order": earned.pk},
    )

    assert status == 201 and entry["order"] == earned.pk
    assert earned.events.filter(verb="reward.credited").count() == 1


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"amount": "0"}, 400, "amount"),
        ({"amount": "-1.00"}, 400, "amount"),
        ({"amount": "1.001"}, 400, "amount"),
        ({"memo": "  "}, 400, "memo"),
        ({"currency": "dollars"}, 400, "currency"),
        ({"expert": "nobody@example.com"}, 400, "expert"),
        ({"expert": "customer@example.com"}, 400, "expert"),
        ({"key": "k" * 61}, 400, "key"),
    ],
)
def test_a_bad_credit_is_refused_naming_the_field(api, world, change, status, field):
    credit = {"expert": "expert@example.com", "amount": "10.00", "memo": "Bonus", **change}

    answer = api.as_(world.agent).post("/ledger/credits", credit)

    assert answer[0] == status and error_of(answer[1])["field"] == field
    assert not LedgerEntry.objects.exists()
