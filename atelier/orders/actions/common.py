"""What the actions share. Private to the actions package: nothing outside it imports these,
and the package re-exports only `Upload`.

They carry no leading underscore because several stage modules import them; inside each module
a leading underscore still marks a helper that module alone uses. Rules they serve: 2 (files are
stored before the transaction that records them, and every one is checked first), 6 (the status
a delivery leaves the order in), 10 (after completion only agents change anything) and 12 (a flag
records its event and tells the agents in the caller's transaction).
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils.timezone import localtime

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.errors import Conflict, InvalidInput, NotFound
from atelier.core.time import platform_tz
from atelier.documents import storage
from atelier.documents.storage import StoredBlob
from atelier.documents.uploads import inspect_upload
from atelier.notifications.outbox import agents, notify

from .. import access, rules
from ..events import record_event
from ..models import Appeal, Flag, Order, OrderFile, RevisionItem, Submission
from ..workflow import S


def response_clock(order: Order, since: datetime) -> dict[str, datetime | None]:
    """The order's fields that (re)start the customer's response clock at `since` (a delivery,
    or a reopen back to them): the reminder, the auto-complete moment, no notice given yet."""
    moments = rules.response_moments(
        since, platform_tz(), order.policy, customer_completes=not order.expert_may_close
    )
    return {
        "remind_at": moments.remind_at,
        "auto_complete_at": moments.auto_complete_at,
        "auto_complete_warned_at": None,
    }


def order_link(order: Order) -> str:
    return f"{settings.ATELIER_BASE_URL}/orders/{order.pk}/"


def require_open_to(actor: User, order: Order) -> None:
    """After completion (or cancellation) only agents change anything (DESIGN rule 10)."""
    if not access.may_change_closed(actor, order):
        raise Conflict(
            f"This order is {order.get_status_display().lower()}; only an agent can change it now.",
            code="order_closed",
        )


def require_status(order: Order, allowed: Sequence[str], doing: str) -> None:
    if order.status not in allowed:
        raise Conflict(
            f"You cannot {doing} while the order is {order.get_status_display().lower()}.",
            code="invalid_state",
        )


def clean_text(
    value: str, field: str, what: str, *, required: bool = True, limit: int = 20000
) -> str:
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
def stage_files(
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


def precheck(order: Order, check: Callable[[Order], None]) -> None:
    """Run an action's checks on the order as it is now, before any file is stored: a
    stranger's or a too-late upload writes nothing. The action checks again under the lock."""
    current = Order.objects.select_related("service", "customer").filter(pk=order.pk).first()
    if current is None:
        raise NotFound("No such order.")
    check(current)


def store_files(
    order: Order, staged: Sequence[_Staged], *, actor: User, **parent
) -> list[OrderFile]:
    """The rows of files already stored by `stage_files`: they point at the stored keys."""
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


def delivered_status(order: Order) -> str:
    """What the customer has in hand: the first delivery, or a revision."""
    count = order.submissions.filter(delivered_at__isnull=False).count()
    return S.DELIVERED if count <= 1 else S.REVISION_SUBMITTED


def open_flag(order: Order, kind: str, *, actor: User | None, note: str) -> Flag | None:
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
    record_event(order, "flag.raised", actor=actor, kind=kind, note=note, flag=flag.pk)
    notify(
        "flag_raised",
        agents(),
        order=order,
        order_url=order_link(order),
        kind=flag.get_kind_display(),
        note=note,
        raised_by=str(actor) if actor else "Atelier",
    )
    return flag


MAX_ITEMS = 30
MAX_ITEM_LENGTH = 2000


def clean_items(items: Sequence[str] | None, comments: str, *, required: bool = True) -> list[str]:
    """The points of a revision request or a QC send-back: `items` as given, or else the
    `comments` text split into points (rules.split_items). InvalidInput when there are none
    and some are required, too many, or one is too long."""
    field = "items" if items else "comments"
    if items:
        if any(not isinstance(item, str) for item in items):
            raise InvalidInput("Each point is a line of text.", field="items")
        texts = [item.strip() for item in items if item.strip()]
    else:
        texts = rules.split_items(comments)
    if required and not texts:
        raise InvalidInput("Say what should change: at least one point.", field=field)
    if len(texts) > MAX_ITEMS:
        raise InvalidInput(f"At most {MAX_ITEMS} points, please.", field=field)
    if any(len(text) > MAX_ITEM_LENGTH for text in texts):
        raise InvalidInput(
            f"A point is at most {MAX_ITEM_LENGTH:,} characters; split it.", field=field
        )
    return texts


def write_items(texts: Sequence[str], **source) -> list[RevisionItem]:
    """The rows of a request's or a send-back's points, in order (`source`: request= or
    review=)."""
    now = clock.now()
    return RevisionItem.objects.bulk_create(
        RevisionItem(position=n, text=text, created_at=now, **source)
        for n, text in enumerate(texts, start=1)
    )


def as_list(texts: Sequence[str]) -> str:
    """Points written back as one text (a request's `comments` when only items were given)."""
    return "\n".join(f"- {text}" for text in texts)


# --- QC claims and appeals, which a new round changes ----------------------------------------
def claim_until(order: Order, *, rework: bool = False) -> datetime:
    """How long a claim on `order`'s submission lasts from now: a claim from the queue for
    ATELIER_QC_CLAIM_MINUTES; a rework held for the reviewer who sent it back, or work an agent
    assigned, for the QC turnaround of the order's policy."""
    if rework:
        return clock.now() + timedelta(hours=order.policy.qc_turnaround_hours)
    return clock.now() + timedelta(minutes=settings.ATELIER_QC_CLAIM_MINUTES)


def rework_claim(order: Order, *, resubmitted: bool) -> dict:
    """The claim a submission going to QC starts with: a rework returns to the reviewer who
    sent the last round back (while they still review), anything else waits in the queue."""
    reviewer = order.qc_reviewer if resubmitted and order.qc_reviewer_id else None
    if reviewer is not None and reviewer.is_active and reviewer.is_reviewer:
        return {"qc_claimed_until": claim_until(order, rework=True)}
    return {"qc_reviewer": None, "qc_claimed_until": None}


def withdraw_pending_appeal(order: Order, *, actor: User, submission: Submission) -> None:
    """A new round answers the send-back: an appeal of it still waiting is withdrawn."""
    withdrawn = Appeal.objects.filter(order=order, status=Appeal.Status.PENDING).update(
        status=Appeal.Status.WITHDRAWN, decided_at=clock.now(), updated_at=clock.now()
    )
    if withdrawn:
        record_event(order, "qc.appeal_withdrawn", actor=actor, submission=submission.number)


def require_claim_open_to(order: Order, actor: User) -> None:
    """Two reviewers never review the same submission: one who claimed it (or whose rework it
    is) holds it until the claim runs out."""
    if claimed_by_other(order, actor):
        until = localtime(order.qc_claimed_until).strftime("%a %-d %b, %H:%M %Z")
        raise Conflict(
            f"{order.qc_reviewer} is reviewing this submission until {until}; an agent can "
            "reassign it.",
            code="claimed",
        )


def _claim_holds(order: Order) -> bool:
    until = order.qc_claimed_until
    return order.qc_reviewer_id is not None and until is not None and until > clock.now()


def claimed_by_other(order: Order, user: User) -> bool:
    return _claim_holds(order) and order.qc_reviewer_id != user.pk


def holds_claim(order: Order, user: User) -> bool:
    """`user` holds the submission in QC now (their claim or rework has not run out)."""
    return _claim_holds(order) and order.qc_reviewer_id == user.pk
