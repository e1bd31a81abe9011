"""Who may act: a stranger (an active expert and customer with no part in the order) gets
"not found" from every order action, exactly as for an order that does not exist."""

import pytest

from atelier.core.errors import NotFound
from atelier.orders import access, actions
from atelier.orders.models import Event, Order
from atelier.orders.tests.factories import doc

ACTIONS = {
    "assign": lambda o, w, u: actions.assign_expert(o, actor=u, expert=w.expert2),
    "invite": lambda o, w, u: actions.invite_experts(o, actor=u, experts=[w.expert2]),
    "submit": lambda o, w, u: actions.submit_work(o, actor=u, files=[doc(title="A")]),
    "review": lambda o, w, u: actions.review_submission(
        o.submissions.first(), actor=u, decision="approve"
    ),
    "request_revision": lambda o, w, u: actions.request_revision(o, actor=u, comments="x"),
    "complete": lambda o, w, u: actions.complete_order(o, actor=u),
    "close_info": lambda o, w, u: actions.close_info(o, actor=u),
    "close": lambda o, w, u: actions.close_order(o, actor=u, message="bye"),
    "request_close": lambda o, w, u: actions.request_close(o, actor=u),
    "comment": lambda o, w, u: actions.post_comment(o, actor=u, body="hello"),
    "flag": lambda o, w, u: actions.raise_flag(o, actor=u, kind="concern"),
    "request_fee": lambda o, w, u: actions.request_fee(o, actor=u, amount="5", reason="x"),
    "reopen": lambda o, w, u: actions.reopen_order(o, actor=u, reason="x", back_to="customer"),
    "cancel": lambda o, w, u: actions.cancel_order(o, actor=u, reason="x"),
    "attach": lambda o, w, u: actions.add_attachments(o, actor=u, files=[doc()]),
}


@pytest.mark.parametrize("name", ACTIONS)
def test_stranger_gets_not_found_and_changes_nothing(world, name):
    # given a marketplace order in QC, with a stranger who is an active expert and customer
    order = world.assigned(Order.Flow.MARKETPLACE)
    world.submit(order)
    events = Event.objects.count()

    # when the stranger tries the action, then it is "not found", as for a missing order
    with pytest.raises(NotFound):
        ACTIONS[name](order, world, world.stranger)

    order.refresh_from_db()
    assert order.status == Order.Status.IN_QC
    assert Event.objects.count() == events


def test_inactive_agent_sees_nothing(world):
    order = world.order()
    world.agent.is_active = False
    world.agent.save()
    assert not access.can_see_order(world.agent, order)
    with pytest.raises(NotFound):
        actions.assign_expert(order, actor=world.agent, expert=world.expert)


def test_invitation_of_someone_else_is_not_found(world):
    order = world.order(Order.Flow.MARKETPLACE)
    [invitation] = actions.invite_experts(order, actor=world.agent, experts=[world.expert])
    with pytest.raises(NotFound):
        access.get_invitation_for(world.stranger, invitation.pk)
    with pytest.raises(NotFound):
        actions.decline_invitation(invitation, actor=world.stranger)
    assert access.get_invitation_for(world.expert, invitation.pk) == invitation
