"""Every clock of an order in one place: when the delivery is due, how long the customer has to
answer it before it completes by itself, when the expert may close, when QC should have
reviewed, when the reward is released. Each is a moment, whose move it is, and a state, for the
one who reads it (docs/design.md, "Clocks").

`clocks()` is a pure function of an order's facts; `with_clock_facts` fetches those facts for a
whole list in the list's own query, and `order_clocks` reads them back for one viewer.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    QuerySet,
    Subquery,
)

from atelier.accounts.models import User
from atelier.rewards.models import LedgerEntry

from . import access
from .models import ExtensionRequest, Order, Submission
from .queries import Party, response_paused, whose_move, with_move_facts
from .workflow import CLOSED_STATUSES, DELIVERED_STATUSES, S

NEAR = timedelta(hours=24)  # a running clock with less left than this is "due"


class State(StrEnum):
    RUNNING = "running"  # the moment is ahead
    DUE = "due"  # less than a day left, or (closing) the moment has come: act now
    OVERDUE = "overdue"  # the moment passed and what it waits for has not happened
    PAUSED = "paused"  # stopped: the move is someone else's for now
    DONE = "done"  # what it waited for happened


class Name(StrEnum):
    DUE = "due"
    RESPONSE = "response"
    CLOSABLE = "closable"
    QC = "qc"
    REWARD_RELEASE = "reward_release"
    EXTENSION = "extension"


LABELS = {
    Name.DUE: "Delivery due",
    Name.RESPONSE: "Completes automatically",
    Name.CLOSABLE: "Expert may close",
    Name.QC: "QC review due",
    Name.REWARD_RELEASE: "Reward released",
    Name.EXTENSION: "Answer the request for more time",
}

# Which clocks each kind of reader sees (an invited pro reads the brief and its due date; the
# customer never sees QC nor the expert's money, but knows when the expert may close).
SEEN_BY = {
    "customer": {Name.DUE, Name.RESPONSE, Name.CLOSABLE, Name.EXTENSION},
    "expert": {
        Name.DUE,
        Name.RESPONSE,
        Name.CLOSABLE,
        Name.QC,
        Name.REWARD_RELEASE,
        Name.EXTENSION,
    },
    "pro": {Name.DUE},
    "reviewer": {Name.DUE, Name.QC},
    "agent": set(Name),
}

_MOVES = {
    Party.CUSTOMER: "customer",
    Party.EXPERT: "expert",
    Party.AGENT: "agent",
    Party.QC: "reviewer",
    Party.PROS: "expert",
}


@dataclass(frozen=True)
class Clock:
    name: str
    label: str
    at: datetime
    whose_move: str | None
    state: str

    def as_data(self, now: datetime) -> dict:
        """The clock as the API and the webhooks write it."""
        return {**asdict(self), "countdown": self.countdown(now)}

    def countdown(self, now: datetime) -> str:
        """The clock as a phrase: "in 2 days 4 h", "overdue by 3 h", "paused", "done"."""
        match self.state:
            case State.PAUSED:
                return "paused"
            case State.DONE:
                return "done"
            case State.OVERDUE:
                return f"overdue by {span(now - self.at)}"
        if self.at <= now:
            return "now"
        return f"in {span(self.at - now)}"


def span(delta: timedelta) -> str:
    """A duration as people say it, to the hour beyond a day: "2 days 4 h", "3 h 20 min"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        text = f"{days} day{'s' if days != 1 else ''}"
        return f"{text} {hours} h" if hours else text
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "less than a minute"


@dataclass(frozen=True)
class Facts:
    """What the clocks read of an order."""

    status: str
    whose_move: str | None  # the order's: "customer", "expert", "reviewer", "agent" or None
    due_at: datetime | None
    delivered: bool  # the customer has had a delivery
    auto_complete_at: datetime | None
    response_paused: bool
    expert_may_close: bool
    closable_at: datetime | None
    qc_since: datetime | None  # when the submission waiting in QC was submitted
    qc_hours: int
    reward_release_at: datetime | None
    reward_released: bool
    extension_asked: bool = False  # a request for more time waits for an answer


def clocks(facts: Facts, *, now: datetime, seen: set[str]) -> list[Clock]:
    """The clocks of an order with `facts` at `now`, those named in `seen`, soonest first."""
    found: list[Clock] = []

    def add(name: Name, at: datetime, whose: str | None, state: State) -> None:
        if name in seen:
            found.append(Clock(name, LABELS[name], at, whose, state))

    def ticking(at: datetime, *, late: State = State.OVERDUE) -> State:
        return _ticking(at, now, late=late)

    closed = facts.status in CLOSED_STATUSES
    if facts.due_at is not None and not (closed and not facts.delivered):
        if facts.delivered:
            add(Name.DUE, facts.due_at, None, State.DONE)
        else:
            add(Name.DUE, facts.due_at, facts.whose_move, ticking(facts.due_at))
    waiting = facts.status in DELIVERED_STATUSES or facts.status == S.REVISION_REQUESTED
    if facts.auto_complete_at is not None and waiting:
        if facts.response_paused or facts.status == S.REVISION_REQUESTED:
            add(Name.RESPONSE, facts.auto_complete_at, facts.whose_move, State.PAUSED)
        else:
            add(Name.RESPONSE, facts.auto_complete_at, "customer", ticking(facts.auto_complete_at))
    if facts.expert_may_close and facts.closable_at is not None:
        if closed:
            add(Name.CLOSABLE, facts.closable_at, None, State.DONE)
        else:
            add(
                Name.CLOSABLE,
                facts.closable_at,
                "expert",
                ticking(facts.closable_at, late=State.DUE),
            )
    if facts.status == S.IN_QC and facts.qc_since is not None and Name.QC in seen:
        found.append(qc_clock(facts.qc_since, facts.qc_hours, now=now))
    if facts.extension_asked and facts.due_at is not None and not closed:
        # To be answered before the due date it would move.
        add(Name.EXTENSION, facts.due_at, "customer", ticking(facts.due_at))
    if facts.reward_release_at is not None:
        state = State.DONE if facts.reward_released else ticking(facts.reward_release_at)
        add(Name.REWARD_RELEASE, facts.reward_release_at, None, state)
    return sorted(found, key=lambda clock: (clock.state == State.DONE, clock.at))


def _ticking(at: datetime, now: datetime, *, late: State = State.OVERDUE) -> State:
    if at <= now:
        return late
    return State.DUE if at - now <= NEAR else State.RUNNING


def qc_clock(submitted_at: datetime, hours: int, *, now: datetime) -> Clock:
    """When QC should have reviewed a submission sent at `submitted_at` (the QC queue's column)."""
    at = submitted_at + timedelta(hours=hours)
    return Clock(Name.QC, LABELS[Name.QC], at, "reviewer", _ticking(at, now))


def with_clock_facts(orders: QuerySet[Order]) -> QuerySet[Order]:
    """`orders` with what `order_clocks` reads, in the same query (no query per order)."""
    waiting_in_qc = Submission.objects.filter(order=OuterRef("pk")).order_by("-number")
    reward = LedgerEntry.objects.filter(order=OuterRef("pk"), kind=LedgerEntry.Kind.REWARD)
    released = LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.RELEASE,
        releases__order=OuterRef("pk"),
        releases__kind=LedgerEntry.Kind.REWARD,
    )
    return with_move_facts(orders.select_related("policy")).annotate(
        clock_paused=ExpressionWrapper(response_paused(), output_field=BooleanField()),
        clock_qc_since=Subquery(waiting_in_qc.values("created_at")[:1]),
        clock_reward_release_at=Subquery(reward.values("release_at")[:1]),
        clock_reward_released=Exists(released),
        clock_extension_asked=Exists(
            ExtensionRequest.objects.filter(
                order=OuterRef("pk"), status=ExtensionRequest.Status.PENDING
            )
        ),
    )


def reader(viewer: User | None, order: Order) -> str:
    """Which kind of reader `viewer` is on `order` (None: the system, which sees all)."""
    if viewer is None or viewer.is_agent:
        return "agent"
    if viewer.pk == order.customer_id:
        return "customer"
    if viewer.pk == order.expert_id:
        return "expert"
    if viewer.is_reviewer and access.can_see_order(viewer, order):
        return "reviewer"
    return "pro"


def order_clocks(order: Order, viewer: User | None, *, now: datetime) -> list[Clock]:
    """The clocks of `order` that `viewer` sees; `order` fetched through `with_clock_facts`
    (or it is fetched again, for one order)."""
    if not hasattr(order, "clock_paused"):
        order = with_clock_facts(Order.objects.filter(pk=order.pk)).get()
    facts = Facts(
        status=order.status,
        whose_move=_MOVES.get(whose_move(order)),
        due_at=order.due_at,
        delivered=order.first_delivered_at is not None,
        auto_complete_at=order.auto_complete_at,
        response_paused=order.clock_paused,
        expert_may_close=order.expert_may_close,
        closable_at=order.closable_at,
        qc_since=order.clock_qc_since,
        qc_hours=order.policy.qc_turnaround_hours,
        reward_release_at=order.clock_reward_release_at,
        reward_released=order.clock_reward_released,
        extension_asked=order.clock_extension_asked,
    )
    return clocks(facts, now=now, seen=SEEN_BY[reader(viewer, order)])


def next_clock(order: Order, viewer: User | None, *, now: datetime) -> Clock | None:
    """The reader's next deadline on `order`: its soonest clock not done (a paused one too:
    it says why nothing moves), for the lists' "Next" column and their order."""
    return next((c for c in order_clocks(order, viewer, now=now) if c.state != State.DONE), None)
