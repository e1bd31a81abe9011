"""The order's timeline as sentences, each written for the one who reads it (DESIGN rule 12).

Events are recorded once, as codes (`submission.delivered`, from → to); this module is the one
place that turns them into what a customer, the expert, a reviewer or an agent reads: "Anna
delivered draft 1", "You asked for a revision". The order page, the agent console and the API's
timeline (its `text` field) all call `timeline()`.

Each reader also sees only the events that are theirs to know: the customer never sees QC's own
steps (rule 3; deliveries are counted as they reached the customer), nor a fee the expert asked
for before an agent quoted it, flags someone else raised, or the expert's credits; reviewers see
the work, not the money or the conversation; only agents see everything, with the status moves.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from atelier.accounts.models import User
from atelier.core.templatetags.moments import moment

from . import access, queries
from .models import Event, Flag, Order, Submission
from .queries import SubmissionName

AGENT, CUSTOMER, EXPERT, REVIEWER = "agent", "customer", "expert", "reviewer"


@dataclass(frozen=True)
class Entry:
    """One line of the timeline as its reader sees it."""

    event: Event
    text: str
    actor: User | None  # who did it, as far as this reader may know (None: Atelier)


@dataclass(frozen=True)
class _Reader:
    user: User
    audience: str
    order: Order
    names: dict[int, SubmissionName]  # submission number → what this reader calls it
    flag_raisers: dict[int, int | None]  # flag id → who raised it

    def who(self, actor: User | None) -> str:
        if actor is None:
            return "Atelier"
        return "You" if actor.pk == self.user.pk else actor.display_name

    def expert(self, *, capital: bool = False) -> str:
        """The order's expert, from this reader's side."""
        expert = self.order.expert
        if expert is None:
            return "The expert" if capital else "the expert"
        if expert.pk == self.user.pk:
            return "You" if capital else "you"
        return expert.display_name

    def customer(self) -> str:
        return "you" if self.audience == CUSTOMER else "the customer"

    def submission(self, e: Event) -> str:
        name = self.names.get(e.details.get("submission"))
        return f"{Submission.Kind(name.kind).label.lower()} {name.number}" if name else "a delivery"

    def is_(self, *audiences: str) -> bool:
        return self.audience in audiences


Sentence = Callable[[Event, _Reader, str], str | None]


def _money(e: Event, amount: str = "amount") -> str:
    return f"{e.details.get(amount, '')} {e.details.get('currency', '')}".strip() or "a fee"


def _with(text: str, detail: object) -> str:
    # The sentence's own full stop ends it.
    detail = str(detail or "").strip().rstrip(".")
    return f"{text}: {detail}" if detail else text


def _created(e: Event, r: _Reader, who: str) -> str:
    if e.actor_id == r.order.customer_id:
        return f"{who} placed the order"
    return f"{who} created the order" + (" for you" if r.is_(CUSTOMER) else "")


def _edited(e: Event, r: _Reader, who: str) -> str:
    fields = ", ".join(e.details.get("fields") or [])
    return f"{who} edited the order" + (f" ({fields})" if fields and r.is_(AGENT) else "")


def _invited(e: Event, r: _Reader, who: str) -> str:
    if r.is_(AGENT):
        return f"{who} invited {', '.join(e.details.get('experts') or []) or 'pros'}"
    return f"{who} invited pros to take the order"


def _accepted(e: Event, r: _Reader, who: str) -> str:
    if r.is_(CUSTOMER):
        return f"{who} took on your order"
    return f"{who} accepted the invitation and took the order"


def _assigned(e: Event, r: _Reader, who: str) -> str:
    if r.is_(CUSTOMER):
        return f"{who} assigned {r.expert()} to your order"
    return f"{who} assigned {r.expert()} to the order"


def _submitted(e: Event, r: _Reader, who: str) -> str | None:
    if r.is_(CUSTOMER):
        return None  # the delivery says it
    return f"{who} submitted {r.submission(e)}"


def _sent_to_qc(e: Event, r: _Reader, who: str) -> str:
    if r.is_(CUSTOMER):
        return f"{r.expert(capital=True)} finished the work; QC checks it before it reaches you"
    return f"{who} submitted {r.submission(e)} to QC"


def _against_the_card(e: Event) -> str:
    return ", deciding against the scorecard" if e.details.get("overridden") else ""


def _qc_approved(e: Event, r: _Reader, who: str) -> str:
    return f"{who} approved {r.submission(e)} in QC{_against_the_card(e)}"


def _qc_sent_back(e: Event, r: _Reader, who: str) -> str:
    to = "you" if r.is_(EXPERT) else "the expert"
    return f"{who} sent {r.submission(e)} back to {to} with QC's points{_against_the_card(e)}"


def _qc_claimed(e: Event, r: _Reader, who: str) -> str | None:
    # Who reviews which submission is QC's and the agents' business, not the expert's.
    if not r.is_(AGENT, REVIEWER):
        return None
    return f"{who} claimed {r.submission(e)} for review, until {moment(e.details.get('until'))}"


def _qc_released(e: Event, r: _Reader, who: str) -> str | None:
    if not r.is_(AGENT, REVIEWER):
        return None
    return f"{who} put {r.submission(e)} back in the QC queue"


def _qc_reassigned(e: Event, r: _Reader, who: str) -> str | None:
    if not r.is_(AGENT, REVIEWER):
        return None
    reviewer = e.details.get("reviewer")
    if reviewer is None:
        return f"{who} put {r.submission(e)} back in the QC queue for any reviewer"
    to = "you" if reviewer == r.user.email else reviewer
    return f"{who} gave {r.submission(e)} to {to} to review"


def _appeal(outcome: str) -> Sentence:
    def sentence(e: Event, r: _Reader, who: str) -> str:
        what = r.submission(e)
        if outcome == "appealed":
            return _with(f"{who} appealed QC's send-back of {what}", e.details.get("reason"))
        if outcome == "withdrawn":
            return f"The appeal of QC's send-back of {what} was withdrawn by a new round"
        verdict = (
            "overturned QC's send-back: approved and delivered"
            if outcome == "overturned"
            else "upheld QC's send-back"
        )
        return _with(f"{who} {verdict} ({what})", e.details.get("reason"))

    return sentence


def _delivered(e: Event, r: _Reader, who: str) -> str:
    what = r.submission(e)
    late_by = e.details.get("late_by")
    if r.is_(CUSTOMER) or e.actor_id == r.order.expert_id:
        # Straight from the expert (or, with QC, as the customer sees it: from their expert).
        late = f", {late_by} after the due date" if late_by else ""
        return f"{r.expert(capital=True)} delivered {what}{late}"
    by = "you" if e.actor_id == r.user.pk else who
    late = f" {late_by} after the due date," if late_by else ""
    return f"{what[:1].upper()}{what[1:]} reached the customer{late} after {by} approved it in QC"


def _opened(e: Event, r: _Reader, who: str) -> str:
    return f"{who} opened {r.submission(e)}"


def _revision_requested(e: Event, r: _Reader, who: str) -> str:
    text = f"{who} asked for a revision"
    if e.details.get("triage") and r.is_(AGENT, CUSTOMER):
        text += " (an agent checks it first)"
    return text


def _triaged(e: Event, r: _Reader, who: str) -> str | None:
    decision = e.details.get("decision")
    yours = "your" if r.is_(CUSTOMER) else "the customer's"
    if decision == "in_scope":
        to = "you" if r.is_(EXPERT) else "the expert"
        return f"{who} passed {yours} revision request to {to}"
    if decision == "fee":
        if r.is_(REVIEWER):
            return None
        quoted = "you" if r.is_(CUSTOMER) else "the customer"
        return f"{who} quoted {quoted} a fee of {_money(e, 'fee')} for the revision"
    text = f"{who} declined {yours} revision request"
    return _with(text, e.details.get("reason")) if r.is_(AGENT, CUSTOMER) else text


def _fee_requested(e: Event, r: _Reader, who: str) -> str | None:
    if not r.is_(AGENT, EXPERT):
        return None  # an agent decides before the customer hears of it
    return f"{who} asked for a fee of {_money(e)}"


def _fee_decided(e: Event, r: _Reader, who: str) -> str | None:
    if e.details.get("approved"):
        if r.is_(CUSTOMER):
            return f"{who} quoted you a fee of {_money(e)}"
        if r.is_(REVIEWER):
            return None
        return f"{who} approved the fee of {_money(e)}: it is quoted to the customer"
    if not r.is_(AGENT, EXPERT):
        return None
    text = f"{who} turned down the fee request of {_money(e)}"
    return _with(text, e.details.get("note")) if r.is_(AGENT) else text


def _fee_answered(answer: str) -> Sentence:
    def sentence(e: Event, r: _Reader, who: str) -> str | None:
        return None if r.is_(REVIEWER) else f"{who} {answer} the fee of {_money(e)}"

    return sentence


def _closed(e: Event, r: _Reader, who: str) -> str:
    if r.is_(CUSTOMER):
        return f"{who} closed the order and sent you your final documents"
    return f"{who} closed the order and sent the farewell"


def _reopened(e: Event, r: _Reader, who: str) -> str:
    text = _with(f"{who} reopened the order", e.details.get("reason"))
    back_to = e.details.get("back_to")
    if back_to == EXPERT:
        text += f". It went back to {r.expert()} for a revision"
    elif back_to == CUSTOMER:
        text += f". It went back to {r.customer()} to complete it or ask for a revision"
    return text


def _cancelled(e: Event, r: _Reader, who: str) -> str:
    return _with(f"{who} cancelled the order", e.details.get("reason"))


def _comment(e: Event, r: _Reader, who: str) -> str | None:
    return None if r.is_(REVIEWER) else f"{who} wrote a message"


def _flag_kind(e: Event) -> str:
    kind = e.details.get("kind", "")
    return Flag.Kind(kind).label if kind in Flag.Kind.values else "a flag"


def _flag_raised(e: Event, r: _Reader, who: str) -> str | None:
    if not (r.is_(AGENT) or e.actor_id == r.user.pk):
        return None  # flags are for agents, and for whoever raised them
    text = f"{who} raised a flag ({_flag_kind(e)})"
    return _with(text, e.details.get("note")) if r.is_(AGENT) else text


def _flag_resolved(e: Event, r: _Reader, who: str) -> str | None:
    raiser = r.flag_raisers.get(e.details.get("flag"))
    if not (r.is_(AGENT) or (raiser is not None and raiser == r.user.pk)):
        return None
    text = f"{who} resolved the flag “{_flag_kind(e)}”"
    return _with(text, e.details.get("resolution"))


def _credited(e: Event, r: _Reader, who: str) -> str | None:
    if r.is_(AGENT):
        return f"{who} credited {e.details.get('expert', 'the expert')} {_money(e)}"
    if r.is_(EXPERT) and e.details.get("expert") == r.user.email:
        return f"{who} credited you {_money(e)}"
    return None


def _linked(e: Event, r: _Reader, who: str) -> str | None:
    # Linking is an agents' tool (follow-up orders for the pros who missed a speedy).
    if not r.is_(AGENT):
        return None
    if e.verb == "order.unlinked":
        return f"{who} unlinked it from order #{e.details.get('linked_order')}"
    return f"{who} linked it to order #{e.details.get('linked_order')}"


def _rated(e: Event, r: _Reader, who: str) -> str | None:
    # The rating is the customer's word to the expert, with agents watching: not QC's.
    if r.is_(REVIEWER):
        return None
    stars = e.details.get("stars")
    text = f"{who} rated the delivery {stars} star{'' if stars == 1 else 's'}"
    if e.details.get("tip") is not None:
        text += f" and tipped {_money(e, 'tip')}"
    return text


SENTENCES: dict[str, Sentence] = {
    "order.created": _created,
    "order.edited": _edited,
    "attachments.added": lambda e, r, who: _with(
        f"{who} added documents", ", ".join(e.details.get("files") or [])
    ),
    "invitations.sent": _invited,
    "invitation.accepted": _accepted,
    "invitation.declined": lambda e, r, who: (
        f"{who} declined the invitation" if r.is_(AGENT) or e.actor_id == r.user.pk else None
    ),
    "order.assigned": _assigned,
    "submission.created": _submitted,
    "submission.sent_to_qc": _sent_to_qc,
    "qc.approved": _qc_approved,
    "qc.revision_requested": _qc_sent_back,
    "qc.claimed": _qc_claimed,
    "qc.released": _qc_released,
    "qc.reassigned": _qc_reassigned,
    "qc.appealed": _appeal("appealed"),
    "qc.appeal_upheld": _appeal("upheld"),
    "qc.appeal_overturned": _appeal("overturned"),
    "qc.appeal_withdrawn": _appeal("withdrawn"),
    "submission.delivered": _delivered,
    "delivery.opened": _opened,
    "revision.requested": _revision_requested,
    "revision.triaged": _triaged,
    "fee.requested": _fee_requested,
    "fee.decided": _fee_decided,
    "fee.accepted": _fee_answered("accepted"),
    "fee.declined": _fee_answered("declined"),
    "extension.requested": lambda e, r, who: _with(
        f"{who} asked for more time, until {moment(e.details.get('due_at'))}",
        e.details.get("reason"),
    ),
    "extension.accepted": lambda e, r, who: (
        f"{who} gave more time: the order is now due {moment(e.details.get('due_at'))}"
    ),
    "extension.declined": lambda e, r, who: _with(
        f"{who} declined the request for more time", e.details.get("note")
    ),
    "order.completed": lambda e, r, who: (
        f"The order completed automatically: {e.details.get('why')}"
        if e.details.get("automatically")
        else f"{who} completed the order"
    ),
    "order.closed": _closed,
    "order.rated": _rated,
    "order.reopened": _reopened,
    "order.cancelled": _cancelled,
    "order.linked": _linked,
    "order.unlinked": _linked,
    "access_link.used": lambda e, r, who: f"{who} opened the link to the final documents",
    "comment.posted": _comment,
    "flag.raised": _flag_raised,
    "flag.resolved": _flag_resolved,
    "reward.credited": _credited,
}


def _fallback(e: Event, r: _Reader, who: str) -> str | None:
    # An event no sentence was written for yet: agents, and whoever did it, read its code.
    if not (r.is_(AGENT) or e.actor_id == r.user.pk):
        return None
    return f"{who}: {e.verb.replace('.', ' ').replace('_', ' ')}"


def _status_move(e: Event) -> str:
    def label(status: str) -> str:
        return Order.Status(status).label if status in Order.Status.values else status

    if not e.to_status:
        return ""
    return f" ({label(e.from_status) if e.from_status else 'new'} → {label(e.to_status)})"


def sentence(event: Event, reader: _Reader) -> str | None:
    """`event` as `reader` reads it, or None when it is not theirs to know."""
    if reader.is_(CUSTOMER) and access.is_qc_round(event):
        return None  # rule 3: QC's rounds are invisible to the customer
    who = reader.who(event.actor)
    text = SENTENCES.get(event.verb, _fallback)(event, reader, who)
    if text is None:
        return None
    text += _status_move(event) if reader.is_(AGENT) else ""
    return text if text.endswith(("?", "!")) else text + "."


def timeline(user: User, order: Order, events: Iterable[Event] | None = None) -> list[Entry]:
    """The order's timeline, oldest first, as `user` reads it. `events` (the order's events,
    actors selected) may be passed when the caller has them already."""
    if not access.may_read_timeline(user, order):
        return []  # an invited pro decides on the brief, not the history
    audience = access.audience(user, order)
    events = list(order.events.select_related("actor") if events is None else events)
    numbers = {e.details.get("submission") for e in events} - {None}
    flags = {e.details.get("flag") for e in events if e.verb == "flag.resolved"} - {None}
    reader = _Reader(
        user=user,
        audience=audience,
        order=order,
        names=queries.submission_names(user, order, [n for n in numbers if isinstance(n, int)]),
        flag_raisers=dict(order.flags.filter(pk__in=flags).values_list("pk", "raised_by"))
        if flags
        else {},
    )
    entries = []
    for event in events:
        text = sentence(event, reader)
        if text is not None:
            event.order = order  # the same order: no query per event
            entries.append(Entry(event, text, access.actor_known_to(user, event)))
    return entries
