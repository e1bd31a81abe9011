"""Everything a person or the system can do to an order: one function per action.

Each action checks the actor's right (access.py), locks the order and checks its state, makes the
change, records the timeline event and writes the notifications it causes, all in one database
transaction, and raises a DomainError with a stable code when it cannot.
"""

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.crypto import salted_hmac

from atelier.accounts.models import User
from atelier.catalog.models import Service
from atelier.core import clock
from atelier.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from atelier.core.money import parse_money
from atelier.core.time import describe, platform_tz
from atelier.documents import storage
from atelier.documents.storage import StoredBlob
from atelier.documents.uploads import inspect_upload
from atelier.notifications.outbox import agents, notify
from atelier.rewards import services as rewards

from . import access, queries, rules
from .events import record_event
from .models import (
    FLOW_PRESETS,
    AccessLink,
    Comment,
    FeeRequest,
    Flag,
    Invitation,
    Order,
    OrderFile,
    QCReview,
    RevisionRequest,
    Submission,
)
from .workflow import CLOSED_STATUSES, DELIVERED_STATUSES, S, lock_order, transition

# --- helpers -----------------------------------------------------------------------------------


def _order_link(order: Order) -> str:
    return f"{settings.ATELIER_BASE_URL}/orders/{order.pk}/"


def _require_open_to(actor: User, order: Order) -> None:
    """After completion (or cancellation) only agents change anything (DESIGN rule 10)."""
    if not access.may_change_closed(actor, order):
        raise Conflict(
            f"This order is {order.get_status_display().lower()}; only an agent can change it now.",
            code="order_closed",
        )


def _require_status(order: Order, allowed: Sequence[str], doing: str) -> None:
    if order.status not in allowed:
        raise Conflict(
            f"You cannot {doing} while the order is {order.get_status_display().lower()}.",
            code="invalid_state",
        )


def _text(value: str, field: str, what: str, *, required: bool = True, limit: int = 20000) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"{what} is required.", field=field)
    if len(value) > limit:
        raise InvalidInput(f"{what} is longer than {limit:,} characters.", field=field)
    return value


@dataclass(frozen=True)
class Upload:
    """A file given to an action, with the title it should carry."""

    file: File
    title: str = ""


@dataclass(frozen=True)
class _Staged:
    blob: StoredBlob
    title: str


@contextmanager
def _staged(
    uploads: Sequence[Upload], *, folder: str | int, require_titles: bool = False
) -> Iterator[list[_Staged]]:
    """Store the files before the transaction that records them, and yield them.

    The bytes are complete on storage before any row points at them, and a long write (1 GiB
    to S3) never runs while the order row, or SQLite's write lock, is held. If the block
    raises (the action refused, after all), the stored files are deleted at once; if the
    process dies instead, the sweep deletes them. Every file is checked before any is stored,
    so a refusal (empty, too large, untitled) stores nothing.
    """
    checked = []
    for upload in uploads:
        facts = inspect_upload(upload.file)
        title = (upload.title or "").strip()
        if require_titles and not title:
            raise InvalidInput(f"Give “{facts.name}” a title.", field="titles")
        if len(title) > 200:
            raise InvalidInput("A title is at most 200 characters.", field="titles")
        checked.append((upload, facts, title))
    staged: list[_Staged] = []
    try:
        for upload, facts, title in checked:
            staged.append(_Staged(storage.put(upload.file, facts, folder=folder), title))
        yield staged
    except BaseException:
        storage.discard(s.blob.key for s in staged)
        raise


def _precheck(order: Order, check: Callable[[Order], None]) -> None:
    """Run an action's checks on the order as it is now, before any file is stored: a
    stranger's or a too-late upload writes nothing. The action checks again under the lock."""
    current = Order.objects.select_related("service", "customer").filter(pk=order.pk).first()
    if current is None:
        raise NotFound("No such order.")
    check(current)


def _store_files(
    order: Order, staged: Sequence[_Staged], *, actor: User, **parent
) -> list[OrderFile]:
    """The rows of files already stored by `_staged`: they point at the stored keys."""
    now = clock.now()
    return [
        OrderFile.objects.create(
            order=order,
            uploaded_by=actor,
            title=item.title,
            name=item.blob.facts.name,
            file=item.blob.key,
            size=item.blob.facts.size,
            sha256=item.blob.facts.sha256,
            content_type=item.blob.facts.content_type,
            position=position,
            created_at=now,
            **parent,
        )
        for position, item in enumerate(staged)
    ]


def _delivered_status(order: Order) -> str:
    """What the customer has in hand: the first delivery, or a revision."""
    count = order.submissions.filter(delivered_at__isnull=False).count()
    return S.DELIVERED if count <= 1 else S.REVISION_SUBMITTED


def _refresh_closable_at(order: Order) -> None:
    deliveries = list(
        order.submissions.filter(delivered_at__isnull=False).values_list("delivered_at", flat=True)
    )
    order.closable_at = rules.closing_eligibility(deliveries, platform_tz()).at
    Order.objects.filter(pk=order.pk).update(closable_at=order.closable_at)


def _deliver(order: Order, submission: Submission, *, actor: User | None) -> Order:
    """The customer can now see `submission` (DESIGN rule 6)."""
    now = clock.now()
    Submission.objects.filter(pk=submission.pk, delivered_at__isnull=True).update(delivered_at=now)
    submission.delivered_at = now
    to = _delivered_status(order)
    order.revision_requests.filter(status=RevisionRequest.Status.OPEN).update(
        status=RevisionRequest.Status.ANSWERED
    )
    transition(order, to, actor=actor, verb="submission.delivered", submission=submission.number)
    _refresh_closable_at(order)
    notify(
        "delivered",
        [order.customer],
        order=order,
        order_url=_order_link(order),
        submission=submission.number,
        kind=submission.kind,
        notes=submission.notes,
        files=[f.title or f.name for f in submission.files.all()],
    )
    return order


def _raise_flag(order: Order, kind: str, *, actor: User | None, note: str) -> Flag | None:
    """Open a flag and tell the agents. System flags are opened once (unique while open)."""
    if (
        kind in Flag.SYSTEM_KINDS
        and order.flags.filter(kind=kind, resolved_at__isnull=True).exists()
    ):
        return None
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                order=order, kind=kind, raised_by=actor, note=note, created_at=clock.now()
            )
    except IntegrityError:
        return None  # the same system flag was raised concurrently
    record_event(order, "flag.raised", actor=actor, kind=kind, note=note)
    notify(
        "flag_raised",
        agents(),
        order=order,
        order_url=_order_link(order),
        kind=flag.get_kind_display(),
        note=note,
        raised_by=str(actor) if actor else "Atelier",
    )
    return flag


# --- creating an order -------------------------------------------------------------------------


def create_order(
    *,
    actor: User,
    customer: User,
    service: Service,
    title: str,
    instructions: str = "",
    assignment: str = Order.Assignment.DIRECT,
    qc_required: bool = False,
    expert_may_close: bool = False,
    reward_amount: Decimal | str = Decimal("0.00"),
    reward_currency: str = "USD",
    due_at: datetime | None = None,
    linked_order: Order | None = None,
    attachments: Sequence[Upload] = (),
) -> Order:
    if not access.may_create_order_for(actor, customer):
        raise NotAllowed("Customers place orders for themselves; agents for anyone.")
    if not service.is_active:
        raise InvalidInput(f"{service.name} is not offered at the moment.", field="service")
    if assignment not in Order.Assignment.values:
        raise InvalidInput("Unknown assignment mode.", field="assignment")
    amount, currency = parse_money(reward_amount, reward_currency, allow_zero=True)
    if due_at is not None and due_at <= clock.now():
        raise InvalidInput("The due date must be in the future.", field="due_at")
    title = _text(title, "title", "A title", limit=200)
    instructions = _text(instructions, "instructions", "Instructions", required=False)
    # The order has no id yet: its documents are stored under orders/new/.
    with _staged(attachments, folder="new") as staged, transaction.atomic():
        order = Order.objects.create(
            service=service,
            customer=customer,
            title=title,
            instructions=instructions,
            assignment=assignment,
            qc_required=bool(qc_required),
            expert_may_close=bool(expert_may_close),
            reward_amount=amount,
            reward_currency=currency,
            due_at=due_at,
            linked_order=linked_order,
            created_at=clock.now(),
        )
        record_event(order, "order.created", actor=actor, to_status=order.status)
        if not customer.is_customer:
            User.objects.filter(pk=customer.pk).update(is_customer=True)
        _store_files(order, staged, actor=actor)
        return order


def place_order(
    *,
    actor: User,
    service: Service,
    title: str,
    instructions: str = "",
    due_at: datetime | None = None,
    attachments: Sequence[Upload] = (),
) -> Order:
    """A customer orders for themselves: the service decides the flow and the expert's reward."""
    return create_order(
        actor=actor,
        customer=actor,
        service=service,
        title=title,
        instructions=instructions,
        due_at=due_at,
        attachments=attachments,
        reward_amount=service.reward_amount,
        reward_currency=service.reward_currency,
        **FLOW_PRESETS[service.flow],
    )


def add_attachments(order: Order, *, actor: User, files: Sequence[Upload]) -> list[OrderFile]:
    """The customer's own documents (an old resume, the source text)."""

    def check(order: Order) -> None:
        access.authorize(
            actor,
            order,
            access.may_add_attachment(actor, order),
            "Only the customer adds documents.",
        )
        _require_open_to(actor, order)

    _precheck(order, check)
    if not files:
        raise InvalidInput("Choose at least one file.", field="files")
    with _staged(files, folder=order.pk) as staged, transaction.atomic():
        order = lock_order(order)
        check(order)
        stored = _store_files(order, staged, actor=actor)
        record_event(order, "attachments.added", actor=actor, files=[f.name for f in stored])
        return stored


# --- rule 1: assignment and invitations --------------------------------------------------------


def _require_expert(user: User, field: str = "expert") -> None:
    if not (user.is_active and user.is_expert):
        raise InvalidInput(f"{user.email} is not an active expert.", field=field)


@transaction.atomic
def assign_expert(order: Order, *, actor: User, expert: User) -> Order:
    """An agent assigns one expert (direct orders; agents may also step in on open invitations)."""
    order = lock_order(order)
    access.authorize(actor, order, access.may_assign(actor, order), "Only agents assign experts.")
    _require_status(order, [S.OPEN, S.INVITED], "assign an expert")
    _require_expert(expert)
    return _start_work(order, expert, actor=actor, verb="order.assigned")


def _start_work(order: Order, expert: User, *, actor: User, verb: str) -> Order:
    """`expert` is the order's one expert from now on (rule 1): their invitation, if any, is the
    accepted one, every other pending invitation is taken, and everyone is told."""
    now = clock.now()
    # An invitation they declined earlier is theirs again if an agent assigns them anyway.
    order.invitations.filter(
        expert=expert, status__in=[Invitation.Status.PENDING, Invitation.Status.DECLINED]
    ).update(status=Invitation.Status.ACCEPTED, responded_at=now)
    losers = _close_invitations(order, winner=expert)
    transition(
        order, S.IN_PROGRESS, actor=actor, verb=verb, fields={"expert": expert}, expert=expert.email
    )
    _notify_assigned(order, expert)
    _notify_taken(order, losers)
    return order


def _notify_assigned(order: Order, expert: User) -> None:
    notify(
        "assigned",
        [expert],
        order=order,
        order_url=_order_link(order),
        service=order.service.name,
        title=order.title,
        instructions=order.instructions,
        documents=[
            f.name for f in order.files.filter(submission=None, revision_request=None, comment=None)
        ],
        reward=order.reward_amount,
        currency=order.reward_currency,
        due_at=order.due_at,
    )


def _close_invitations(order: Order, *, winner: User | None) -> list[User]:
    """Mark every still-pending invitation as taken (or withdrawn if nobody won); return whose."""
    pending = order.invitations.filter(status=Invitation.Status.PENDING).exclude(expert=winner)
    losers = [inv.expert for inv in pending.select_related("expert")]
    pending.update(
        status=Invitation.Status.TAKEN if winner else Invitation.Status.WITHDRAWN,
        responded_at=clock.now(),
    )
    return losers


def _notify_taken(order: Order, losers: list[User]) -> None:
    # No details: a pro who missed the order loses access to it.
    notify("invitation_taken", losers, order=None, order_id=order.pk, service=order.service.name)


@transaction.atomic
def invite_experts(order: Order, *, actor: User, experts: Sequence[User]) -> list[Invitation]:
    order = lock_order(order)
    access.authorize(actor, order, access.may_invite(actor, order), "Only agents invite pros.")
    if order.assignment == Order.Assignment.DIRECT:
        raise Conflict(
            "This order is assigned directly; assign an expert instead.", code="invalid_state"
        )
    _require_status(order, [S.OPEN, S.INVITED], "invite pros")
    if not experts:
        raise InvalidInput("Choose at least one pro to invite.", field="experts")
    already = set(order.invitations.values_list("expert_id", flat=True))
    fresh = []
    for expert in dict.fromkeys(experts):
        _require_expert(expert, "experts")
        if expert.pk in already:
            raise InvalidInput(f"{expert.email} is already invited.", field="experts")
        fresh.append(expert)
    invitations = Invitation.objects.bulk_create(
        Invitation(order=order, expert=e, invited_by=actor, created_at=clock.now()) for e in fresh
    )
    emails = [e.email for e in fresh]
    if order.status == S.OPEN:
        transition(order, S.INVITED, actor=actor, verb="invitations.sent", experts=emails)
    else:
        record_event(order, "invitations.sent", actor=actor, experts=emails)
    notify(
        "invited",
        fresh,
        order=order,
        order_url=_order_link(order),
        service=order.service.name,
        title=order.title,
        assignment=order.get_assignment_display(),
        reward=order.reward_amount,
        currency=order.reward_currency,
        due_at=order.due_at,
    )
    return invitations


def _require_invitee(invitation: Invitation, actor: User) -> None:
    """Only the invited pro answers. Agents see every invitation, so for them it is forbidden;
    for anyone else it does not exist."""
    if invitation.expert_id != actor.pk:
        if actor.is_agent:
            raise NotAllowed("Only the invited pro answers an invitation; an agent assigns.")
        raise NotFound("No such invitation.")


def _taken() -> Conflict:
    return Conflict("This order was taken by another pro.", code="taken")


def accept_invitation(invitation: Invitation, *, actor: User) -> Order:
    """First accept wins (DESIGN rule 1): exactly one expert, every other accept gets "taken"."""
    _require_invitee(invitation, actor)
    # A quick read before queueing for the lock: an order that has its expert never loses it, so
    # a pro who is already too late hears so at once. The locked path below stays the guarantee.
    if (
        Order.objects.filter(pk=invitation.order_id)
        .exclude(expert=None)
        .exclude(expert=actor)
        .exists()
    ):
        raise _taken()
    try:
        return _accept_invitation(invitation, actor=actor)
    except IntegrityError:
        # The database constraint caught a race the lock did not: someone else won.
        raise _taken() from None


@transaction.atomic
def _accept_invitation(invitation: Invitation, *, actor: User) -> Order:
    _require_invitee(invitation, actor)
    order = lock_order(invitation.order_id)
    invitation.refresh_from_db()
    if invitation.status == Invitation.Status.TAKEN or (order.expert_id not in (None, actor.pk)):
        raise _taken()
    if invitation.status == Invitation.Status.ACCEPTED:
        return order  # a double click: already yours
    if invitation.status != Invitation.Status.PENDING or order.status != S.INVITED:
        raise Conflict(
            f"This invitation is {invitation.get_status_display().lower()}.",
            code="invitation_closed",
        )
    return _start_work(order, actor, actor=actor, verb="invitation.accepted")


@transaction.atomic
def decline_invitation(invitation: Invitation, *, actor: User, reason: str = "") -> Invitation:
    _require_invitee(invitation, actor)
    order = lock_order(invitation.order_id)
    invitation.refresh_from_db()
    if invitation.status == Invitation.Status.TAKEN:
        raise _taken()
    if invitation.status != Invitation.Status.PENDING:
        raise Conflict(
            f"This invitation is {invitation.get_status_display().lower()}.",
            code="invitation_closed",
        )
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.DECLINED, responded_at=clock.now()
    )
    invitation.refresh_from_db()
    details = {"expert": actor.email, "reason": reason.strip()[:1000]}
    nobody_left = not order.invitations.filter(status=Invitation.Status.PENDING).exists()
    if order.status == S.INVITED and nobody_left:
        # Everyone said no: the order is open again for an agent to invite others.
        transition(order, S.OPEN, actor=actor, verb="invitation.declined", **details)
        _raise_flag(order, Flag.Kind.CONCERN, actor=None, note="Every invited pro declined.")
    else:
        record_event(order, "invitation.declined", actor=actor, **details)
    return invitation


@transaction.atomic
def offer_linked_order(order: Order, *, actor: User) -> list[Invitation]:
    """Offer a taken translation speedy's linked proofreading order to the pros who missed it."""
    order = lock_order(order)
    access.authorize(actor, order, actor.is_agent, "Only agents offer linked orders.")
    if order.linked_order_id is None:
        raise Conflict("This order has no linked order to offer.", code="no_linked_order")
    missed = User.objects.filter(
        invitations__order=order, invitations__status=Invitation.Status.TAKEN
    )
    linked = Order.objects.get(pk=order.linked_order_id)
    already = set(linked.invitations.values_list("expert_id", flat=True))
    experts = [u for u in missed if u.pk not in already and u.pk != linked.expert_id]
    if not experts:
        raise Conflict(
            "Nobody missed this order, or they are all invited already.", code="nobody_to_offer"
        )
    return invite_experts(linked, actor=actor, experts=experts)


# --- rules 2, 3 and 6: submissions, QC, delivery -----------------------------------------------


def submit_work(
    order: Order, *, actor: User, files: Sequence[Upload], notes: str = ""
) -> Submission:
    def check(order: Order) -> None:
        access.authorize(
            actor, order, access.may_submit(actor, order), "Only the assigned expert submits work."
        )
        _require_open_to(actor, order)
        _require_status(order, [S.IN_PROGRESS, S.REVISION_REQUESTED], "submit work")
        if (
            order.status == S.REVISION_REQUESTED
            and not order.revision_requests.filter(status=RevisionRequest.Status.OPEN).exists()
        ):
            raise Conflict(
                "The revision request is waiting for an agent or for the customer to accept a fee.",
                code="revision_not_ready",
            )

    _precheck(order, check)
    if not files:
        raise InvalidInput("A submission needs at least one file.", field="files")
    notes = _text(notes, "notes", "Notes", required=False)
    with (
        _staged(files, folder=order.pk, require_titles=True) as staged,
        transaction.atomic(),
    ):
        order = lock_order(order)
        check(order)
        number = order.submissions.count() + 1
        submission = Submission.objects.create(
            order=order,
            expert=actor,
            number=number,
            kind=Submission.Kind.DRAFT if number == 1 else Submission.Kind.REVISION,
            notes=notes,
            created_at=clock.now(),
        )
        _store_files(order, staged, actor=actor, submission=submission)
        if order.qc_required:
            transition(order, S.IN_QC, actor=actor, verb="submission.sent_to_qc", submission=number)
        else:
            record_event(order, "submission.created", actor=actor, submission=number)
            _deliver(order, submission, actor=actor)
        return submission


@transaction.atomic
def review_submission(
    submission: Submission, *, actor: User, decision: str, comments: str = ""
) -> QCReview:
    order = lock_order(submission.order_id)
    access.authorize(
        actor, order, access.may_review(actor, order), "Only QC reviewers review work."
    )
    latest = order.submissions.order_by("-number").first()
    if latest is None or latest.pk != submission.pk or submission.reviews.exists():
        raise Conflict(
            "This submission has been reviewed already, or a newer one replaced it.",
            code="not_in_qc",
        )
    _require_status(order, [S.IN_QC], "review")
    if decision not in QCReview.Decision.values:
        raise InvalidInput("Decide approve or revise.", field="decision")
    comments = _text(
        comments, "comments", "Comments", required=decision == QCReview.Decision.REVISE
    )
    review = QCReview.objects.create(
        submission=submission,
        reviewer=actor,
        decision=decision,
        comments=comments,
        created_at=clock.now(),
    )
    if decision == QCReview.Decision.APPROVE:
        record_event(order, "qc.approved", actor=actor, submission=submission.number)
        _deliver(order, submission, actor=actor)
        rewards.earn_reward(order)  # rule 11: earned at the first QC approval
    else:
        back_to = S.IN_PROGRESS if _delivered_count(order) == 0 else S.REVISION_REQUESTED
        transition(
            order, back_to, actor=actor, verb="qc.revision_requested", submission=submission.number
        )
        notify(
            "qc_revision_requested",
            [order.expert],
            order=order,
            order_url=_order_link(order),
            submission=submission.number,
            comments=comments,
        )
    return review


def _delivered_count(order: Order) -> int:
    return order.submissions.filter(delivered_at__isnull=False).count()


@transaction.atomic
def mark_delivery_opened(submission: Submission, *, actor: User) -> bool:
    """The customer opened a delivery (its page or a file); True the first time."""
    order = submission.order
    if (
        actor.pk != order.customer_id
        or submission.delivered_at is None
        or submission.customer_opened_at is not None  # known opened: no query on every view
    ):
        return False
    now = clock.now()
    opened = Submission.objects.filter(pk=submission.pk, customer_opened_at__isnull=True).update(
        customer_opened_at=now
    )
    if opened:
        submission.customer_opened_at = now
        record_event(order, "delivery.opened", actor=actor, submission=submission.number)
    return bool(opened)


def mark_file_opened(file: OrderFile, *, actor: User) -> bool:
    """Reading a delivered file (downloading or previewing it) is opening its delivery."""
    return bool(file.submission_id) and mark_delivery_opened(file.submission, actor=actor)


# --- rules 4 and 5: revision requests, triage, fees --------------------------------------------


def request_revision(
    order: Order, *, actor: User, comments: str, files: Sequence[Upload] = ()
) -> RevisionRequest:
    def check(order: Order) -> None:
        access.authorize(
            actor,
            order,
            access.may_request_revision(actor, order),
            "Only the customer asks for revisions.",
        )
        _require_open_to(actor, order)
        _require_status(order, DELIVERED_STATUSES, "ask for a revision")

    if files:
        _precheck(order, check)
    with _staged(files, folder=order.pk) as staged, transaction.atomic():
        order = lock_order(order)
        check(order)
        comments = _text(comments, "comments", "Say what should change")
        latest = queries.latest_delivery(order)
        triage = order.service.revision_triage
        request = RevisionRequest.objects.create(
            order=order,
            submission=latest,
            requested_by=actor,
            comments=comments,
            status=RevisionRequest.Status.PENDING_TRIAGE if triage else RevisionRequest.Status.OPEN,
            created_at=clock.now(),
        )
        _store_files(order, staged, actor=actor, revision_request=request)
        transition(
            order, S.REVISION_REQUESTED, actor=actor, verb="revision.requested", triage=triage
        )
        if triage:
            notify(
                "revision_requested",
                agents(),
                order=order,
                order_url=_order_link(order),
                comments=comments,
                needs_triage=True,
            )
        else:
            _notify_revision_to_expert(order, request)
        count = order.revision_requests.count()
        if rules.is_over_revision_budget(
            included=order.service.included_revisions, requested=count
        ):
            _raise_flag(
                order,
                Flag.Kind.OVER_BUDGET,
                actor=None,
                note=f"{count} revision requests; {order.service.included_revisions} included.",
            )
        return request


def _notify_revision_to_expert(order: Order, request: RevisionRequest) -> None:
    notify(
        "revision_requested",
        [order.expert],
        order=order,
        order_url=_order_link(order),
        comments=request.comments,
        files=[f.name for f in request.files.all()],
    )


def _withdraw_to_delivered(order: Order, *, actor: User, verb: str, **details) -> None:
    transition(order, _delivered_status(order), actor=actor, verb=verb, **details)


@transaction.atomic
def triage_revision(
    request: RevisionRequest,
    *,
    actor: User,
    decision: str,
    reason: str = "",
    fee_amount: Decimal | str | None = None,
    fee_currency: str | None = None,
) -> RevisionRequest:
    order = lock_order(request.order_id)
    access.authorize(
        actor, order, access.may_triage(actor, order), "Only agents triage revision requests."
    )
    request.refresh_from_db()
    if request.status != RevisionRequest.Status.PENDING_TRIAGE:
        raise Conflict(
            "This revision request is not waiting for triage.", code="not_pending_triage"
        )
    Triage = RevisionRequest.Triage
    if decision not in Triage.values:
        raise InvalidInput("Decide in_scope, fee or rejected.", field="decision")
    reason = _text(reason, "reason", "A reason", required=decision == Triage.REJECTED)
    if decision == Triage.FEE:
        if fee_amount is None:
            raise InvalidInput("Quote the fee.", field="fee")
        amount, currency = parse_money(fee_amount, fee_currency or order.reward_currency)
    now = clock.now()
    request.triage, request.triage_reason, request.triaged_by, request.triaged_at = (
        decision,
        reason,
        actor,
        now,
    )
    if decision == Triage.IN_SCOPE:
        request.status = RevisionRequest.Status.OPEN
    elif decision == Triage.FEE:
        request.status = RevisionRequest.Status.AWAITING_FEE
    else:
        request.status = RevisionRequest.Status.REJECTED
    request.save(
        update_fields=[
            "triage",
            "triage_reason",
            "triaged_by",
            "triaged_at",
            "status",
            "updated_at",
        ]
    )

    if decision == Triage.IN_SCOPE:
        record_event(order, "revision.triaged", actor=actor, decision=decision)
        _notify_revision_to_expert(order, request)
    elif decision == Triage.FEE:
        fee = FeeRequest.objects.create(
            order=order,
            revision_request=request,
            requested_by=actor,
            amount=amount,
            currency=currency,
            reason=reason or "Scope beyond the original order.",
            status=FeeRequest.Status.QUOTED,
            decided_by=actor,
            decided_at=now,
            created_at=now,
        )
        record_event(
            order, "revision.triaged", actor=actor, decision=decision, fee=amount, currency=currency
        )
        _notify_fee_quoted(fee)
    else:
        _withdraw_to_delivered(
            order, actor=actor, verb="revision.triaged", decision=decision, reason=reason
        )
        notify(
            "revision_rejected",
            [order.customer],
            order=order,
            order_url=_order_link(order),
            reason=reason,
        )
    return request


def _notify_fee_quoted(fee: FeeRequest) -> None:
    notify(
        "fee_quoted",
        [fee.order.customer],
        order=fee.order,
        order_url=_order_link(fee.order),
        amount=fee.amount,
        currency=fee.currency,
        reason=fee.reason,
    )


@transaction.atomic
def request_fee(
    order: Order, *, actor: User, amount: Decimal | str, currency: str | None = None, reason: str
) -> FeeRequest:
    order = lock_order(order)
    access.authorize(
        actor,
        order,
        access.may_request_fee(actor, order),
        "Only the assigned expert asks for a fee.",
    )
    _require_open_to(actor, order)
    amount, currency = parse_money(amount, currency or order.reward_currency)
    fee = FeeRequest.objects.create(
        order=order,
        requested_by=actor,
        amount=amount,
        currency=currency,
        reason=_text(reason, "reason", "A reason"),
        status=FeeRequest.Status.REQUESTED,
        created_at=clock.now(),
    )
    record_event(order, "fee.requested", actor=actor, amount=amount, currency=currency)
    notify(
        "fee_requested",
        agents(),
        order=order,
        order_url=_order_link(order),
        expert=str(actor),
        amount=amount,
        currency=currency,
        reason=fee.reason,
    )
    return fee


@transaction.atomic
def decide_fee(fee: FeeRequest, *, actor: User, approve: bool, note: str = "") -> FeeRequest:
    """An agent approves an expert's fee request (the customer is quoted) or rejects it."""
    order = lock_order(fee.order_id)
    access.authorize(
        actor, order, access.may_decide_fee(actor, order), "Only agents decide fee requests."
    )
    fee.refresh_from_db()
    if fee.status != FeeRequest.Status.REQUESTED:
        raise Conflict("This fee request has been decided already.", code="fee_decided")
    fee.status = FeeRequest.Status.QUOTED if approve else FeeRequest.Status.REJECTED
    fee.decided_by, fee.decided_at, fee.decision_note = actor, clock.now(), note.strip()
    fee.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    record_event(
        order,
        "fee.decided",
        actor=actor,
        approved=approve,
        amount=fee.amount,
        note=fee.decision_note,
    )
    if approve:
        _notify_fee_quoted(fee)
    else:
        notify(
            "fee_declined",
            [fee.requested_by],
            order=order,
            order_url=_order_link(order),
            amount=fee.amount,
            currency=fee.currency,
            note=fee.decision_note,
        )
    return fee


@transaction.atomic
def respond_to_fee(fee: FeeRequest, *, actor: User, accept: bool) -> FeeRequest:
    """The customer accepts a quoted fee (work resumes; the expert earns it) or declines it."""
    order = lock_order(fee.order_id)
    access.authorize(
        actor, order, access.may_respond_to_fee(actor, order), "Only the customer accepts fees."
    )
    _require_open_to(actor, order)
    fee.refresh_from_db()
    if fee.status != FeeRequest.Status.QUOTED:
        raise Conflict("This fee is not waiting for your answer.", code="fee_not_quoted")
    fee.status = FeeRequest.Status.ACCEPTED if accept else FeeRequest.Status.DECLINED
    fee.responded_at = clock.now()
    fee.save(update_fields=["status", "responded_at", "updated_at"])
    request = fee.revision_request
    waiting = request is not None and request.status == RevisionRequest.Status.AWAITING_FEE
    if accept:
        rewards.earn_fee(fee)
        record_event(order, "fee.accepted", actor=actor, amount=fee.amount, currency=fee.currency)
        notify(
            "fee_accepted",
            [order.expert, *agents()],
            order=order,
            order_url=_order_link(order),
            amount=fee.amount,
            currency=fee.currency,
        )
        if waiting:
            RevisionRequest.objects.filter(pk=request.pk).update(status=RevisionRequest.Status.OPEN)
            request.refresh_from_db()
            _notify_revision_to_expert(order, request)
    else:
        notify(
            "fee_declined",
            [order.expert, *agents()],
            order=order,
            order_url=_order_link(order),
            amount=fee.amount,
            currency=fee.currency,
        )
        if waiting and order.status == S.REVISION_REQUESTED:
            RevisionRequest.objects.filter(pk=request.pk).update(
                status=RevisionRequest.Status.WITHDRAWN
            )
            _withdraw_to_delivered(order, actor=actor, verb="fee.declined", amount=fee.amount)
        else:
            record_event(order, "fee.declined", actor=actor, amount=fee.amount)
    return fee


# --- completion, close and farewell (rules 7, 8, 9, 10, 11) ------------------------------------


def _finish(order: Order, *, actor: User, verb: str, **details) -> Order:
    order.revision_requests.filter(
        status__in=[
            RevisionRequest.Status.OPEN,
            RevisionRequest.Status.PENDING_TRIAGE,
            RevisionRequest.Status.AWAITING_FEE,
        ]
    ).update(status=RevisionRequest.Status.WITHDRAWN)
    transition(
        order, S.COMPLETED, actor=actor, verb=verb, fields={"completed_at": clock.now()}, **details
    )
    order.flags.filter(
        kind__in=[Flag.Kind.COMPLETION_REQUEST, Flag.Kind.CLOSE_REQUEST], resolved_at__isnull=True
    ).update(resolved_at=clock.now(), resolved_by=actor, resolution=f"Order {verb.split('.')[-1]}.")
    # Rule 11: earned at completion; QC orders earned it at the first approval already, and the
    # ledger's unique key makes this a no-op for them.
    rewards.earn_reward(order)
    return order


@transaction.atomic
def complete_order(order: Order, *, actor: User) -> Order:
    order = lock_order(order)
    access.authorize(
        actor,
        order,
        access.may_complete(actor, order),
        "Only the customer or an agent completes an order.",
    )
    allowed = [*DELIVERED_STATUSES, S.REVISION_REQUESTED] if actor.is_agent else DELIVERED_STATUSES
    _require_status(order, allowed, "complete the order")
    _finish(order, actor=actor, verb="order.completed")
    notify("completed", [order.customer, order.expert], order=order, order_url=_order_link(order))
    return order


@dataclass(frozen=True)
class CloseInfo:
    """Everything the close page and `GET /orders/{id}/close` show."""

    closable: bool
    closable_at: datetime | None
    reason: str  # the moment and why, in one sentence
    why: str  # only why (pages show the moment in the viewer's own zone beside it)
    needs_agent: bool
    blockers: list[str]
    final_documents: list[OrderFile]
    farewell_template: str


FAREWELL_TEMPLATE = """Hi {customer},

It has been a pleasure working on “{title}” with you. Your final documents are ready, and they
stay available to you at any time.

Your documents: {link}

All the best,
{expert}"""


def _farewell_token(order: Order) -> str:
    # Stable between showing the draft and sending it, new after every reopen.
    closes = order.events.filter(verb="order.closed").count()
    return salted_hmac(
        "atelier.farewell", f"{order.pk}:{order.customer_id}:{closes}", algorithm="sha256"
    ).hexdigest()


def _farewell_link_line(order: Order) -> str:
    url = settings.ATELIER_BASE_URL + reverse("access-link", args=[_farewell_token(order)])
    return f"Your documents: {url}"


def close_info(order: Order, *, actor: User) -> CloseInfo:
    """The rule-7 eligibility moment and reason, the rule-8 blockers, the documents that will be
    final and the farewell draft."""
    access.authorize(
        actor,
        order,
        access.may_close(actor, order),
        "Only the order's expert or an agent closes it.",
    )
    tz = platform_tz()
    deliveries = list(
        order.submissions.filter(delivered_at__isnull=False).values_list("delivered_at", flat=True)
    )
    eligibility = rules.closing_eligibility(deliveries, tz)
    latest = queries.latest_delivery(order)
    blockers = rules.close_blockers(
        latest_delivery_opened=bool(latest and latest.customer_opened_at),
        open_revision_request=order.status == S.REVISION_REQUESTED,
        open_concern=order.flags.filter(
            kind=Flag.Kind.CONCERN, raised_by=order.customer_id, resolved_at__isnull=True
        ).exists(),
    )
    now = clock.now()
    in_time = eligibility.at is not None and now >= eligibility.at
    state_ok = order.status in DELIVERED_STATUSES or (order.status == S.REVISION_REQUESTED)
    reason = eligibility.reason
    if eligibility.at is not None:
        reason = f"Closable from {describe(eligibility.at, tz)}: {eligibility.reason}"
    expert = order.expert
    return CloseInfo(
        closable=state_ok and in_time and not blockers,
        closable_at=eligibility.at,
        reason=reason,
        why=eligibility.reason,
        needs_agent=bool(blockers),
        blockers=blockers,
        final_documents=queries.final_documents(order),
        farewell_template=FAREWELL_TEMPLATE.format(
            customer=order.customer.display_name,
            title=order.title,
            link=_farewell_link_line(order).removeprefix("Your documents: "),
            expert=expert.display_name if expert else "The Atelier team",
        ),
    )


@transaction.atomic
def close_order(order: Order, *, actor: User, message: str) -> Order:
    """Close and send the farewell in one step (rule 8): the order is never closed without it."""
    order = lock_order(order)
    info = close_info(order, actor=actor)
    _require_status(
        order,
        DELIVERED_STATUSES if not actor.is_agent else [*DELIVERED_STATUSES, S.REVISION_REQUESTED],
        "close the order",
    )
    if not actor.is_agent:
        if info.needs_agent:
            raise Conflict(
                " ".join(info.blockers) + " Use “request close” to ask an agent.",
                code="needs_agent",
            )
        if not info.closable:
            raise Conflict(info.reason, code="not_yet_closable")
    message = _text(message, "message", "The farewell message")
    link_line = _farewell_link_line(order)
    if link_line not in [line.strip() for line in message.splitlines()]:
        raise InvalidInput(
            f"Keep the line “{link_line}” exactly as it is: "
            "it is the customer's way back to their documents.",
            code="farewell_link_changed",
            field="message",
        )
    token = _farewell_token(order)
    AccessLink.objects.create(
        user=order.customer,
        order=order,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        expires_at=clock.now() + timedelta(days=settings.ATELIER_ACCESS_LINK_DAYS),
        created_at=clock.now(),
    )
    _finish(
        order, actor=actor, verb="order.closed", documents=[f.name for f in info.final_documents]
    )
    notify(
        "farewell",
        [order.customer],
        order=order,
        order_url=_order_link(order),
        message=message,
        expert=str(actor),
    )
    notify("completed", [order.expert], order=order, order_url=_order_link(order))
    return order


@transaction.atomic
def request_close(order: Order, *, actor: User, note: str = "") -> Flag:
    """The expert may not close alone (rule 8): an agent is asked."""
    order = lock_order(order)
    access.authorize(
        actor,
        order,
        access.may_request_close(actor, order),
        "Only the order's expert asks to close it.",
    )
    _require_status(order, [*DELIVERED_STATUSES, S.REVISION_REQUESTED], "ask to close")
    if order.flags.filter(kind=Flag.Kind.CLOSE_REQUEST, resolved_at__isnull=True).exists():
        raise Conflict(
            "You have already asked an agent to close this order.", code="already_requested"
        )
    return _raise_flag(order, Flag.Kind.CLOSE_REQUEST, actor=actor, note=note.strip())


@dataclass(frozen=True)
class LinkOutcome:
    """What opening a one-time link did."""

    order: Order
    user: User  # the customer the link was made for
    consumed: bool  # True: this visit used it up (log them in, maybe ask for a password)
    needs_password: bool


@transaction.atomic
def redeem_access_link(token: str, *, visitor: User | None) -> LinkOutcome:
    """Rule 9: single use, expires, consumed only by the customer it was made for. Anyone else
    (an expert checking the link, an agent) changes nothing."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    link = (
        AccessLink.objects.select_for_update()
        .select_related("user", "order")
        .filter(token_hash=digest)
        .first()
    )
    if link is None:
        raise NotFound("This link is not valid.", code="link_invalid")
    if link.consumed_at is not None:
        raise Conflict(
            "This link has been used already. Log in to see your documents.", code="link_used"
        )
    if link.expires_at <= clock.now():
        raise Conflict(
            "This link has expired. Log in, or ask us for a new one.", code="link_expired"
        )
    visitor_is_other = (
        visitor is not None and visitor.is_authenticated and visitor.pk != link.user_id
    )
    if visitor_is_other:
        return LinkOutcome(order=link.order, user=link.user, consumed=False, needs_password=False)
    consumed = AccessLink.objects.filter(pk=link.pk, consumed_at__isnull=True).update(
        consumed_at=clock.now()
    )
    if consumed:
        record_event(link.order, "access_link.used", actor=link.user)
    return LinkOutcome(
        order=link.order,
        user=link.user,
        consumed=bool(consumed),
        needs_password=not link.user.has_usable_password(),
    )


# --- the conversation and flags ---------------------------------------------------------------


def post_comment(order: Order, *, actor: User, body: str, files: Sequence[Upload] = ()) -> Comment:
    def check(order: Order) -> None:
        access.authorize(
            actor,
            order,
            access.may_comment(actor, order),
            "Only the customer, the expert and agents comment.",
        )
        _require_open_to(actor, order)

    if files:
        _precheck(order, check)
    with _staged(files, folder=order.pk) as staged, transaction.atomic():
        order = lock_order(order)
        check(order)
        body = _text(body, "body", "A message", required=not files)
        comment = Comment.objects.create(
            order=order, author=actor, body=body, created_at=clock.now()
        )
        _store_files(order, staged, actor=actor, comment=comment)
        record_event(order, "comment.posted", actor=actor, comment=comment.pk)
        others = [u for u in (order.customer, order.expert) if u is not None and u.pk != actor.pk]
        notify(
            "comment_posted",
            others,
            order=order,
            order_url=_order_link(order),
            author=str(actor),
            body=body[:2000],
        )
        return comment


@transaction.atomic
def raise_flag(order: Order, *, actor: User, kind: str, note: str = "") -> Flag:
    """Flag excessive revisions, ask an agent to complete, or raise a concern."""
    order = lock_order(order)
    if kind not in Flag.Kind.values or kind in Flag.SYSTEM_KINDS:
        raise InvalidInput("Unknown kind of flag.", field="kind")
    access.authorize(
        actor, order, access.may_flag(actor, order, kind), "You cannot raise this flag."
    )
    _require_open_to(actor, order)
    if order.flags.filter(kind=kind, raised_by=actor, resolved_at__isnull=True).exists():
        raise Conflict(
            "You have raised this already; an agent will look at it.", code="already_flagged"
        )
    return _raise_flag(
        order, kind, actor=actor, note=_text(note, "note", "A note", required=False, limit=5000)
    )


@transaction.atomic
def resolve_flag(flag: Flag, *, actor: User, resolution: str = "") -> Flag:
    order = lock_order(flag.order_id)
    access.authorize(
        actor, order, access.may_resolve_flag(actor, order), "Only agents resolve flags."
    )
    flag.refresh_from_db()
    if flag.resolved_at is not None:
        raise Conflict("This flag is resolved already.", code="flag_resolved")
    Flag.objects.filter(pk=flag.pk).update(
        resolved_at=clock.now(), resolved_by=actor, resolution=resolution.strip()
    )
    flag.refresh_from_db()
    record_event(order, "flag.resolved", actor=actor, kind=flag.kind, resolution=flag.resolution)
    return flag


# --- the system's timers (run by the sweep) ----------------------------------------------------


@transaction.atomic
def flag_overdue(order: Order) -> Flag | None:
    """Tell agents an order is past its due date; once while the flag is open."""
    order = lock_order(order)
    if order.due_at is None or order.due_at > clock.now() or order.status in CLOSED_STATUSES:
        return None
    if order.flags.filter(kind=Flag.Kind.OVERDUE, created_at__gte=order.due_at).exists():
        return None
    return _raise_flag(
        order, Flag.Kind.OVERDUE, actor=None, note=f"Due {describe(order.due_at, platform_tz())}."
    )


@transaction.atomic
def tell_expert_closable(order: Order) -> bool:
    """Tell the expert their order has become closable, once per closable moment."""
    moment = order.closable_at
    told = (
        Order.objects.filter(pk=order.pk, closable_at=moment, status__in=DELIVERED_STATUSES)
        .exclude(closable_notified_at=moment)
        .update(closable_notified_at=moment)
    )
    if told:
        info = close_info(order, actor=order.expert)
        notify(
            "closable",
            [order.expert],
            order=order,
            order_url=_order_link(order) + "?tab=work",
            closable_at=moment,
            reason=info.reason,
            needs_agent=info.needs_agent,
        )
    return bool(told)


@transaction.atomic
def remind_customer(submission: Submission) -> bool:
    """Nudge a customer who has not opened a delivery; once per delivery."""
    reminded = Submission.objects.filter(
        pk=submission.pk, customer_opened_at=None, customer_reminded_at=None
    ).update(customer_reminded_at=clock.now())
    if reminded:
        order = submission.order
        notify(
            "delivery_reminder",
            [order.customer],
            order=order,
            order_url=_order_link(order),
            submission=submission.number,
            delivered_at=submission.delivered_at,
        )
    return bool(reminded)


# --- agents: reopen, cancel, credit -----------------------------------------------------------


@transaction.atomic
def reopen_order(order: Order, *, actor: User, reason: str) -> Order:
    order = lock_order(order)
    access.authorize(actor, order, access.may_reopen(actor, order), "Only agents reopen orders.")
    _require_status(order, [S.COMPLETED], "reopen")
    reason = _text(reason, "reason", "A reason")
    transition(
        order,
        _delivered_status(order),
        actor=actor,
        verb="order.reopened",
        fields={"completed_at": None},
        reason=reason,
    )
    notify(
        "reopened",
        [order.customer, order.expert],
        order=order,
        order_url=_order_link(order),
        reason=reason,
    )
    return order


@transaction.atomic
def cancel_order(order: Order, *, actor: User, reason: str) -> Order:
    order = lock_order(order)
    access.authorize(
        actor,
        order,
        access.may_cancel(actor, order),
        "Only agents cancel orders once work has started.",
    )
    _require_status(order, [s for s in S.values if s not in CLOSED_STATUSES], "cancel")
    reason = _text(reason, "reason", "A reason")
    _close_invitations(order, winner=None)
    transition(order, S.CANCELLED, actor=actor, verb="order.cancelled", reason=reason)
    notify(
        "cancelled",
        [order.customer, order.expert],
        order=order,
        order_url=_order_link(order),
        reason=reason,
    )
    return order


@transaction.atomic
def credit_expert(
    expert: User,
    *,
    actor: User,
    amount: Decimal | str,
    currency: str,
    memo: str,
    order: Order | None = None,
    key: str | None = None,
):
    """An agent's manual credit (rule 11), on the order's timeline when it is for an order."""
    entry, created = rewards.credit_expert(
        expert, actor=actor, amount=amount, currency=currency, memo=memo, order=order, key=key
    )
    if order is not None and created:
        record_event(
            order,
            "reward.credited",
            actor=actor,
            expert=expert.email,
            amount=entry.amount,
            currency=entry.currency,
        )
    return entry
