"""The API tells each caller what the pages tell them: the customer counts deliveries and never
sees QC's rounds, the timeline carries a sentence for its reader, and reopening says where the
work goes."""

import pytest

from atelier.orders import actions
from atelier.orders.models import Order

Flow = Order.Flow
QC_VERBS = {"qc.approved", "qc.revision_requested"}


@pytest.fixture
def sent_back_by_qc(world) -> Order:
    """A marketplace order whose first submission QC sent back; the second was approved."""
    order = world.assigned(Flow.MARKETPLACE)
    first = world.submit(order)
    actions.review_submission(first, actor=world.reviewer, decision="revise", comments="Typo!")
    world.approve(world.submit(order, 2))
    return order


def test_the_customer_counts_deliveries_not_qc_rounds(api, world, sent_back_by_qc):
    order = sent_back_by_qc
    customer = api.as_(world.customer)

    status, history = customer.get(f"/orders/{order.pk}/submissions")
    assert status == 200
    assert [(s["number"], s["kind"]) for s in history] == [(1, "draft")]
    assert customer.get(f"/submissions/{history[0]['id']}")[1]["number"] == 1
    # the expert keeps their own count
    _, theirs = api.as_(world.expert).get(f"/orders/{order.pk}/submissions")
    assert [(s["number"], s["kind"]) for s in theirs] == [(2, "revision"), (1, "draft")]


def test_the_customers_timeline_has_no_qc_round_and_reads_as_sentences(api, world, sent_back_by_qc):
    order = sent_back_by_qc

    status, events = api.as_(world.customer).get(f"/orders/{order.pk}/events")

    # then the work went to QC once and came out as their first delivery: no round, no reviewer
    assert status == 200
    assert not {e["verb"] for e in events} & QC_VERBS
    assert [e["verb"] for e in events].count("submission.sent_to_qc") == 1
    assert [(e["from_status"], e["to_status"]) for e in events if e["to_status"]][-2:] == [
        ("in_progress", "in_qc"),
        ("in_qc", "delivered"),
    ]
    assert world.reviewer.email not in str(events)
    delivered = next(e for e in events if e["verb"] == "submission.delivered")
    assert delivered["text"] == f"{world.expert.display_name} delivered draft 1."
    assert all(e["text"] for e in events)
    # nor in the event log the customer follows
    _, log = api.as_(world.customer).get("/events")
    assert [e["id"] for e in log["items"]] == [e["id"] for e in events]
    assert world.reviewer.email not in str(log)
    # the expert reads the whole story, QC included
    _, theirs = api.as_(world.expert).get(f"/orders/{order.pk}/events")
    assert {e["verb"] for e in theirs} >= QC_VERBS
    assert [e["verb"] for e in theirs].count("submission.sent_to_qc") == 2


def test_reopen_says_where_the_work_goes(api, world):
    order = world.delivered()
    actions.complete_order(order, actor=world.customer)
    agent = api.as_(world.agent)

    status, body = agent.post(
        f"/orders/{order.pk}/reopen", json={"reason": "Wrong phone number.", "back_to": "expert"}
    )

    assert (status, body["status"]) == (200, "revision_requested")
    status, _ = api.as_(world.expert).post(
        f"/orders/{order.pk}/submissions",
        data={"titles": ["Resume"], "notes": "Fixed."},
        files={"files": [("resume-v2.txt", b"Fixed resume\n")]},
    )
    assert status == 201


def test_reopen_without_saying_goes_back_to_the_customer(api, world):
    order = world.delivered()
    actions.complete_order(order, actor=world.customer)

    status, body = api.as_(world.agent).post(
        f"/orders/{order.pk}/reopen", json={"reason": "Asked by phone."}
    )

    assert (status, body["status"]) == (200, "delivered")
