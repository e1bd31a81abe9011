"""Who may see and do what with an order: one predicate per action, used by pages and the API.

Fetch-and-authorise helpers answer NotFound both for what does not exist and for what the user
may not see, so an outsider cannot tell the two apart.
"""

from django.db.models import Q, QuerySet

from atelier.accounts.models import User
from atelier.core.errors import NotAllowed, NotFound

from .models import Appeal, Event, Flag, Invitation, Order, OrderFile, Submission
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


# QC's rounds are invisible to the customer (DESIGN rule 3), on the order's timeline and in the
# event log: they see the work go to QC once and come out as a delivery, never QC's decisions
# nor the work going back to QC after a send-back. The same rule twice, for one event and as a
# query, side by side.
# Every "qc.*" event is QC's: decisions, claims, appeals and their outcome.
QC_ROUNDS = Q(verb__startswith="qc.") | Q(verb="submission.sent_to_qc", details__resubmitted=True)


def is_qc_round(event: Event) -> bool:
    return event.verb.startswith("qc.") or (
        event.verb == "submission.sent_to_qc" and event.details.get("resubmitted") is True
    )


def actor_known_to(user: User, event: Event) -> User | None:
    """Who did `event`, as far as `user` may know: the customer knows themselves, their expert
    and Atelier's agents, not QC's reviewers (rule 3); None reads as Atelier."""
    actor, order = event.actor, event.order
    if actor is None or user.is_agent or user.pk != order.customer_id:
        return actor
    if actor.is_agent or actor.pk in (order.customer_id, order.expert_id):
        return actor
    return None


def audience(user: User, order: Order) -> str:
    """Who `user` is when reading `order`: "agent", "customer", "expert" (the order's),
    "reviewer" (QC), or "pro" (invited, deciding). An agent reads as an agent, whatever else
    they are; pages and the API word and number things for this reader."""
    if user.is_agent:
        return "agent"
    if user.pk == order.customer_id:
        return "customer"
    if user.pk == order.expert_id:
        return "expert"
    if user.is_reviewer and order.qc_required:
        return "reviewer"
    return "pro"


def followed_events(user: User) -> QuerySet[Event]:
    """The event log `user` may follow: everything for agents; for a customer or an expert,
    every event of the orders they are a party to (the order's timeline, as its parties read it;
    customers without QC's rounds)."""
    if not _active(user):
        return Event.objects.none()
    if user.is_agent:
        return Event.objects.all()
    as_customer = Q(order__customer=user) & ~QC_ROUNDS
    return Event.objects.filter(as_customer | Q(order__expert=user))


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


def get_order_for(user: User, pk: int, orders: QuerySet[Order] | None = None) -> Order:
    """The order if `user` may see it, else NotFound; `orders` adds what the caller reads with
    it in the same query (annotations)."""
    orders = Order.objects.all() if orders is None else orders
    order = orders.select_related("service", "customer", "expert").filter(pk=pk).first()
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


# What parts of an order its readers see (pages and API alike). Someone who may see the order but
# not the part is refused (403: NotAllowed); the order itself stays a 404 for outsiders.
def may_see_customer(user: User, order: Order) -> bool:
    """Who placed the order: its parties and QC. A pro who is only invited reads the brief to
    decide, not who wrote it."""
    return is_party(user, order) or (user.is_reviewer and order.qc_required)


def may_read_thread(user: User, order: Order) -> bool:
    """The conversation between the customer and the expert, with its files: its parties only,
    not QC, not invited pros."""
    return is_party(user, order)


def may_read_timeline(user: User, order: Order) -> bool:
    """The order's timeline: its parties and QC, not invited pros."""
    return is_party(user, order) or (user.is_reviewer and order.qc_required)


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


def may_link_orders(user: User, order: Order) -> bool:
    """Linking an order to its follow-up (a translation's proofreading, offered to the pros who
    missed the first: rule 1) is an agent's tool."""
    return user.is_agent


def may_submit(user: User, order: Order) -> bool:
    return user.pk == order.expert_id


def may_review(user: User, order: Order) -> bool:
    # A reviewer never approves their own work.
    return user.is_reviewer and order.qc_required and user.pk != order.expert_id


def may_appeal(user: User, order: Order) -> bool:
    """The expert whose work QC sent back may appeal it."""
    return user.pk == order.expert_id


def may_decide_appeal(user: User, order: Order) -> bool:
    return user.is_agent


def may_assign_reviewer(user: User, order: Order) -> bool:
    return user.is_agent


def may_see_scorecard(user: User, order: Order) -> bool:
    """QC's scorecards and appeals: the expert, QC and agents; never the customer (rule 3)."""
    if user.is_agent:
        return True
    if user.pk == order.customer_id:
        return False
    return user.pk == order.expert_id or (user.is_reviewer and order.qc_required)


def may_open_delivery(user: User, order: Order) -> bool:
    """Rule 8 asks whether the customer has read the latest delivery: only they can say so."""
    return user.pk == order.customer_id


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


def may_answer_invitation(user: User, invitation: Invitation) -> bool:
    """Only the invited pro accepts or declines; agents see every invitation but assign instead."""
    return invitation.expert_id == user.pk


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


def may_request_extension(user: User, order: Order) -> bool:
    return user.pk == order.expert_id


def may_answer_extension(user: User, order: Order) -> bool:
    return user.is_agent or user.pk == order.customer_id


def may_rate(user: User, order: Order) -> bool:
    """The customer rates the delivery (and may tip the expert): nobody rates for them."""
    return user.pk == order.customer_id


def may_see_rating(user: User, order: Order) -> bool:
    """The rating and its tip are between the customer, the expert and agents: not QC's."""
    return is_party(user, order)


def may_order_again(user: User, order: Order) -> bool:
    """ "Order again" books the same expert for a new order: the customer's own, once more."""
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
        return can_see_order(user, order) and may_read_thread(user, order)
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


def get_appeal_for(user: User, pk: int) -> Appeal:
    """An appeal of an order whose QC `user` may read (never the customer), else NotFound."""
    appeal = Appeal.objects.select_related("order", "review__submission").filter(pk=pk).first()
    if appeal is None or not can_see_order(user, appeal.order):
        raise NotFound("No such appeal.")
    if not may_see_scorecard(user, appeal.order):
        raise NotFound("No such appeal.")
    return appeal


def may_see_reward(user: User, order: Order) -> bool:
    """The expert's pay is for agents and the pros offered the order, not for the customer
    (the pages never show it to them) nor for QC."""
    return user.is_agent or (user.is_expert and user.pk != order.customer_id)
