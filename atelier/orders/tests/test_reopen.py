"""Rule 10: an agent reopens a completed order and says where the work goes: back to the expert
(who can submit at once) or back to the customer's decision. Both work end to end."""

import pytest

from atelier.core.errors import Conflict, InvalidInput
from atelier.notifications.messages import line
from atelier.notifications.models import Notification
from atelier.orders import actions
from atelier.orders.models import Order, RevisionRequest

S = Order.Status


@pytest.fixture
def completed(world) -> Order:
    order = world.delivered()
    actions.complete_order(order, actor=world.customer)
    order.refresh_from_db()
    return order


def test_rule_10_reopened_back_to_the_expert_who_submits_at_once(world, completed):
    # when an agent reopens it back to the expert
    actions.reopen_order(
        completed, actor=world.agent, reason="The phone number is wrong.", back_to="expert"
    )
    completed.refresh_from_db()

    # then the expert has the agent's reason as a revision request to answer
    assert completed.status == S.REVISION_REQUESTED
    request = completed.revision_requests.get(status=RevisionRequest.Status.OPEN)
    assert (request.comments, request.requested_by) == ("The phone number is wrong.", world.agent)
    # and can submit without waiting for the customer
    world.submit(completed, 2)
    completed.refresh_from_db()
    assert completed.status == S.REVISION_SUBMITTED
    request.refresh_from_db()
    assert request.status == RevisionRequest.Status.ANSWERED
    # and the customer completes again
    actions.complete_order(completed, actor=world.customer)
    completed.refresh_from_db()
    assert completed.status == S.COMPLETED


def test_rule_10_reopened_back_to_the_customer_who_decides(world, completed):
    # when an agent reopens it back to the customer
    actions.reopen_order(completed, actor=world.agent, reason="Asked by phone.", back_to="customer")
    completed.refresh_from_db()

    # then the customer has the delivery in hand again, and the expert waits for them
    assert completed.status == S.DELIVERED
    with pytest.raises(Conflict):
        world.submit(completed, 2)
    world.revise(completed, "Add my new phone number.")
    world.submit(completed, 2)
    completed.refresh_from_db()
    assert completed.status == S.REVISION_SUBMITTED


def test_rule_10_reopen_must_say_where_the_work_goes(world, completed):
    with pytest.raises(InvalidInput) as refused:
        actions.reopen_order(completed, actor=world.agent, reason="Why not", back_to="")
    assert refused.value.field == "back_to"
    completed.refresh_from_db()
    assert completed.status == S.COMPLETED


def test_rule_10_both_sides_are_told_where_the_work_went(world, completed):
    actions.reopen_order(completed, actor=world.agent, reason="Typo.", back_to="expert")

    told = {
        n.recipient: line(n) for n in Notification.objects.filter(event="reopened", order=completed)
    }
    assert "is back with you for a revision" in told[world.expert]
    assert "is back with the expert for a revision" in told[world.customer]
