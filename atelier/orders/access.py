"""Who may see and do what with an order: one predicate per action, used by pages and the API.

Fetch-and-authorise helpers answer NotFound both for what does not exist and for what the user
may not see, so an outsider cannot tell the two apart.
"""

from django.db.models import Q, QuerySet

from atelier.accounts.models import User
from atelier.core.errors import NotAllowed, NotFound

from .models import Event, Flag, Invitation, Order, OrderFile, Submission
from .workflow import CLOSED_STATUSES, S


def _active(user: User | None) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def visible_orders(user: User) -> QuerySet[Order]:
    """Every order `user` may open."""
    if not _active(user):
        return Order.objects.none()
    if user.is_agent:
        return Order.objects.all()
    seen = Q(customer=user) | Q(expert=user)
    if user.is_reviewer:
        seen |= Q(qc_required=True)
    if user.is_expert:
        # Invited pros see the order to decide; once it is taken by someone else they don't.
        seen |= Q(invitations__expert=user, invitations__status=Invitation.Status.PENDING)
    return Order.objects.filter(seen).distinct()


def followed_events(user: User) -> QuerySet[Event]:
    """The event log `user` may follow: everything for agents; for a customer or an expert,
    every event of the orders they are a party to (the order's timeline, as its parties read it)."""
    if not _active(user):
        return Event.objects.none()
    if user.is_agent:
        return Event.objects.all()
    return Event.objects.filter(Q(order__customer=user) | Q(order__expert=user))


def may_see_event_details(user: User) -> bool:
    """Details hold flag notes, fee amounts and agents' notes that the flags and fees keep from
    the other side: agents only."""
    return user.is_agent


def can_see_order(user: User, order: Order) -> bool:
    if not _active(user):
        return False
    if user.is_agent or user.pk in (order.customer_id, order.expert_id):
        return True
    if user.is_reviewer and order.qc_required:
        return True
    return (
        user.is_expert
        and order.invitations.filter(expert=user, status=Invitation.Status.PENDING).exists()
    )


def get_order_for(user: User, pk: int) -> Order:
    order = Order.objects.select_related("service", "customer", "expert").filter(pk=pk).first()
    if order is None or not can_see_order(user, order):
        raise NotFound("No such order.")
    return order


def get_invitation_for(user: User, pk: int) -> Invitation:
    invitation = Invitation.objects.select_related("order", "order__service").filter(pk=pk).first()
    if invitation is None or not (
        _active(user) and (user.is_agent or invitation.expert_id == user.pk)
    ):
        raise NotFound("No such invitation.")
    return invitation


def authorize(user: User, order: Order, allowed: bool, message: str) -> None:
    """NotFound if `user` may not see the order, NotAllowed if they see it but may not act."""
    if not can_see_order(user, order):
        raise NotFound("No such order.")
    if not allowed:
        raise NotAllowed(message)


def is_party(user: User, order: Order) -> bool:
    """The customer, the assigned expert and agents: the people in the order's conversation."""
    return user.is_agent or user.pk in (order.customer_id, order.expert_id)


def may_change_closed(user: User, order: Order) -> bool:
    """After completion only agents add anything (DESIGN rule 10)."""
    return order.status not in CLOSED_STATUSES or user.is_agent


# One predicate per action. They answer "may this person do this kind of thing to this order";
# whether the order's state allows it now is the action's business.
def may_create_order_for(user: User, customer: User) -> bool:
    return user.is_agent or (user.is_customer and user.pk == customer.pk)


def may_add_attachment(user: User, order: Order) -> bool:
    return user.is_agent or user.pk == order.customer_id


def may_assign(user: User, order: Order) -> bool:
    return user.is_agent


def may_invite(user: User, order: Order) -> bool:
    return user.is_agent


def may_submit(user: User, order: Order) -> bool:
    return user.pk == order.expert_id


def may_review(user: User, order: Order) -> bool:
    # A reviewer never approves their own work.
    return user.is_reviewer and order.qc_required and user.pk != order.expert_id


def may_request_revision(user: User, order: Order) -> bool:
    return user.is_agent or user.pk == order.customer_id


def may_triage(user: User, order: Order) -> bool:
    return user.is_agent


def may_complete(user: User, order: Order) -> bool:
    return user.is_agent or user.pk == order.customer_id


def may_close(user: User, order: Order) -> bool:
    return user.is_agent or (order.expert_may_close and user.pk == order.expert_id)


def may_request_close(user: User, order: Order) -> bool:
    return order.expert_may_close and user.pk == order.expert_id


def may_comment(user: User, order: Order) -> bool:
    return is_party(user, order)


def may_flag(user: User, order: Order, kind: str) -> bool:
    if user.is_agent:
        return True
    if user.pk == order.expert_id:
        return kind in {
            Flag.Kind.EXCESSIVE_REVISIONS,
            Flag.Kind.COMPLETION_REQUEST,
            Flag.Kind.CONCERN,
        }
    return user.pk == order.customer_id and kind == Flag.Kind.CONCERN


def may_request_fee(user: User, order: Order) -> bool:
    return user.pk == order.expert_id


def may_decide_fee(user: User, order: Order) -> bool:
    return user.is_agent


def may_respond_to_fee(user: User, order: Order) -> bool:
    return user.pk == order.customer_id


def may_reopen(user: User, order: Order) -> bool:
    return user.is_agent


def may_cancel(user: User, order: Order) -> bool:
    # Customers may withdraw an order nobody has started.
    return user.is_agent or (user.pk == order.customer_id and order.status in {S.OPEN, S.INVITED})


def may_resolve_flag(user: User, order: Order) -> bool:
    return user.is_agent


def can_see_submission(user: User, submission: Submission) -> bool:
    """Customers see a submission only once it is delivered (QC-approved where QC applies)."""
    order = submission.order
    if not can_see_order(user, order):
        return False
    if user.is_agent or user.pk == order.expert_id:
        return True
    if user.pk == order.customer_id:
        return submission.delivered_at is not None
    return user.is_reviewer and order.qc_required


def can_download(user: User, file: OrderFile) -> bool:
    order = file.order
    if file.submission_id:
        return can_see_submission(user, file.submission)
    if file.comment_id:
        # The thread is the parties' (reviewers do not read it, on the pages or the API).
        return can_see_order(user, order) and is_party(user, order)
    if file.revision_request_id:
        return can_see_order(user, order) and (is_party(user, order) or user.is_reviewer)
    # Customer documents: the parties and QC, not pros who are merely invited.
    return can_see_order(user, order) and (
        is_party(user, order) or (user.is_reviewer and order.qc_required)
    )


def get_file_for(user: User, pk: int) -> OrderFile:
    file = OrderFile.objects.select_related("order", "submission").filter(pk=pk).first()
    if file is None or not _active(user) or not can_download(user, file):
        raise NotFound("No such file.")
    return file


def get_submission_for(user: User, pk: int) -> Submission:
    submission = Submission.objects.select_related("order", "order__service").filter(pk=pk).first()
    if submission is None or not can_see_submission(user, submission):
        raise NotFound("No such submission.")
    return submission


def get_order_part_for(user: User, model: type, pk: int, *, name: str):
    """A revision request, fee request or flag of an order `user` may see (else NotFound)."""
    part = model.objects.select_related("order").filter(pk=pk).first()
    if part is None or not can_see_order(user, part.order):
        raise NotFound(f"No such {name}.")
    return part


def may_see_reward(user: User, order: Order) -> bool:
    """The expert's pay is for agents and the pros offered the order, not for the customer
    (the pages never show it to them) nor for QC."""
    return user.is_agent or (user.is_expert and user.pk != order.customer_id)
