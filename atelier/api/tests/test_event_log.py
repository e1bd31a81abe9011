"""`GET /events?after=<cursor>`: the event log for integrations that poll. Oldest first, each
event once, nothing skipped; agents follow every order, customers and experts the orders they are
a party to, without the agents' details."""

import pytest

from atelier.orders import actions
from atelier.orders.events import record_event, sequence_events
from atelier.orders.models import Event
from atelier.orders.tests.factories import UserFactory

from .apiclient import error_of


def read_all(caller, after: str | None = None, limit: int = 200) -> tuple[list[dict], str]:
    """Every page from `after` on: (items, the cursor to keep)."""
    items = []
    while True:
        status, page = caller.get("/events", limit=limit, **({"after": after} if after else {}))
        assert status == 200, page
        items += page["items"]
        after = page["next_cursor"]
        assert after
        if not page["has_more"]:
            return items, after


def test_an_agent_reads_every_event_oldest_first_then_only_what_happened_since(api, world):
    # given an order delivered to its customer
    order = world.delivered()
    agent = api.as_(world.agent)

    # when an agent reads the log from its beginning
    items, cursor = read_all(agent)

    # then every event of the order is there, in the order it happened, each once
    timeline = list(order.events.order_by("pk").values_list("pk", "verb"))
    assert [(i["id"], i["verb"]) for i in items] == timeline
    assert [i["seq"] for i in items] == sorted(i["seq"] for i in items)
    assert all(i["order"] == order.pk for i in items)
    assert {"id", "seq", "order", "verb", "actor", "from_status", "to_status", "details"} <= set(
        items[0]
    )

    # when nothing happens, the next read is empty and keeps the cursor's place
    status, page = agent.get("/events", after=cursor)
    assert (status, page["items"], page["has_more"]) == (200, [], False)
    assert page["next_cursor"] == cursor

    # when the customer completes, the next read has exactly that
    actions.complete_order(order, actor=world.customer)
    since, _ = read_all(agent, cursor)
    assert [(i["verb"], i["to_status"]) for i in since] == [("order.completed", "completed")]


def test_small_pages_neither_repeat_nor_skip(api, world):
    for n in range(3):
        world.delivered(title=f"Order {n}")
    expected = list(Event.objects.order_by("pk").values_list("pk", flat=True))

    items, _ = read_all(api.as_(world.agent), limit=2)

    assert [i["id"] for i in items] == expected


def test_customers_and_experts_follow_their_own_orders_without_details(api, world):
    # given an order of the customer's, delivered by the expert, with a flag whose note is for
    # agents; and another customer's order the expert is not on
    mine = world.delivered()
    actions.raise_flag(mine, actor=world.expert, kind="concern", note="Rude customer")
    other = UserFactory(email="other@example.com", is_customer=True)
    foreign = actions.create_order(
        actor=world.agent, customer=other, service=world.service, title="Not yours"
    )

    customer, _ = read_all(api.as_(world.customer))
    expert, _ = read_all(api.as_(world.expert))
    stranger, _ = read_all(api.as_(other))
    agent, _ = read_all(api.as_(world.agent))

    mine_ids = set(mine.events.values_list("pk", flat=True))
    assert {i["id"] for i in customer} == mine_ids
    assert {i["id"] for i in expert} == mine_ids
    assert {i["order"] for i in stranger} == {foreign.pk}
    assert all(i["details"] == {} for i in customer + expert + stranger)
    flagged = [i for i in agent if i["verb"] == "flag.raised"]
    assert flagged and flagged[0]["details"], "agents read the details"
    # the reviewer and an invited-only pro are no party: they follow nothing here
    assert read_all(api.as_(world.reviewer))[0] == []
    assert read_all(api.as_(world.expert2))[0] == []


def test_the_log_needs_a_login_and_refuses_cursors_it_did_not_give(api, world):
    world.order()
    assert api.anonymous.get("/events")[0] == 401
    agent = api.as_(world.agent)
    for bad in ("nonsense", "eyJiZWZvcmUiOiAxfQ", "eyJhZnRlciI6IC0xfQ"):
        status, body = agent.get("/events", after=bad)
        assert status == 400, bad
        assert error_of(body)["field"] == "after"
    for limit in (0, 201):
        status, body = agent.get("/events", limit=limit)
        assert (status, error_of(body)["field"]) == (400, "limit")


def test_events_are_numbered_after_commit_continuing_the_log(world):
    # given a log already numbered
    order = world.order()
    sequence_events()
    last = Event.objects.order_by("-seq").first().seq

    # when two more events are recorded, they have no number until the sequencer runs
    first = record_event(order, "note.one", actor=world.agent)
    second = record_event(order, "note.two", actor=world.agent)
    assert Event.objects.filter(pk__in=[first.pk, second.pk], seq=None).count() == 2

    # then they are numbered after the last one, in the order they were recorded, once
    assert sequence_events() == 2
    assert sequence_events() == 0
    numbered = dict(Event.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "seq"))
    assert numbered == {first.pk: last + 1, second.pk: last + 2}


@pytest.mark.parametrize("batch", [1, 3])
def test_the_sequencer_works_through_a_backlog_in_batches(world, batch):
    for n in range(5):
        world.order(title=f"Order {n}")
    total = Event.objects.filter(seq=None).count()

    assert sequence_events(batch=batch) == total
    seqs = list(Event.objects.order_by("pk").values_list("seq", flat=True))
    assert seqs == sorted(seqs) and None not in seqs and len(set(seqs)) == len(seqs)
