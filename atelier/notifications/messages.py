"""How each notification reads as one line in the inbox.

A line is built from the notification's event, its context (written by the action that caused it)
and its order. Only what the recipient was sent is shown: QC comments reach the expert alone
because only the expert is ever sent a `qc_revision_requested` notification.
"""

from collections.abc import Callable

from django.utils.text import Truncator

from atelier.core.templatetags.moments import moment as _moment

from .models import Notification

E = Notification.Event
EXCERPT = 160


def _excerpt(text: object) -> str:
    return Truncator(" ".join(str(text or "").split())).chars(EXCERPT)


def _with(line: str, detail: object) -> str:
    """`line`, then `: detail` when there is a detail to add."""
    detail = _excerpt(detail)
    return f"{line}: {detail}" if detail else line


def _money(c: dict) -> str:
    amount, currency = c.get("amount"), c.get("currency", "")
    return f"{amount} {currency}".strip() if amount is not None else "a fee"


def _title(n: Notification) -> str:
    title = n.order.title if n.order_id and n.order else n.context.get("title", "")
    return f"“{title}”" if title else "your order"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _delivered(n: Notification, t: str, c: dict) -> str:
    # By what reached the customer (`delivery`), not the expert's count with QC's rounds
    # (`kind`, which rows written before `delivery` existed still carry).
    later = c["delivery"] > 1 if "delivery" in c else c.get("kind") == "revision"
    if later:
        return f"A revision of {t} is ready"
    return f"Your delivery of {t} is ready"


def _points(c: dict) -> str:
    """A request's points, or its comments when it has none (older notifications)."""
    items = c.get("items") or []
    if not items:
        return c.get("comments") or ""
    more = len(items) - 1
    return items[0] + (f" (and {more} more point{'' if more == 1 else 's'})" if more else "")


def _revision_requested(n: Notification, t: str, c: dict) -> str:
    if c.get("needs_triage"):
        return _with(f"A revision request on {t} needs triage", _points(c))
    return _with(f"The customer asked for a revision of {t}", _points(c))


def _closable(n: Notification, t: str, c: dict) -> str:
    if c.get("needs_agent"):
        return f"{_cap(t)} is past its closing date, but an agent must close it"
    return _with(f"You can close {t} now", c.get("reason"))


def _reopened(n: Notification, t: str, c: dict) -> str:
    line = f"{_cap(t)} was reopened"
    back_to = c.get("back_to")  # "expert" or "customer": where the work goes
    if back_to in ("expert", "customer") and n.order_id and n.order:
        mine = n.recipient_id == getattr(n.order, f"{back_to}_id")
        whom = "you" if mine else f"the {back_to}"
        if back_to == "expert":
            next_step = "for a revision"
        else:
            next_step = "to complete it or ask for a revision"
        line += f" and is back with {whom} {next_step}"
    return _with(line, c.get("reason"))


def _comment_posted(n: Notification, t: str, c: dict) -> str:
    line = f"{c.get('author', 'Someone')} commented on {t}"
    files = c.get("files") or []
    if files:
        line += f" and attached {', '.join(files)}"
    return _with(line, c.get("body"))


def _invited(n: Notification, t: str, c: dict) -> str:
    reward = f" for {c['reward']} {c.get('currency', '')}".rstrip() if c.get("reward") else ""
    return f"You are invited to take {t}{reward}"


def _taken(n: Notification, t: str, c: dict) -> str:
    service = c.get("service")
    return f"This order was taken by another pro{f' ({service})' if service else ''}"


def _rated(n: Notification, t: str, c: dict) -> str:
    stars = c.get("stars")
    line = f"The customer rated {t} {stars} star{'' if stars == 1 else 's'}"
    if c.get("tip") is not None:
        line += f" and tipped you {c['tip']} {c.get('currency', '')}".rstrip()
    return _with(line, c.get("text"))


LINES: dict[str, Callable[[Notification, str, dict], str]] = {
    E.ASSIGNED: lambda n, t, c: f"You were assigned {t}",
    E.INVITED: _invited,
    E.INVITATION_TAKEN: _taken,
    E.DELIVERED: _delivered,
    E.QC_REVISION_REQUESTED: lambda n, t, c: _with(
        f"QC sent {t} back for another round", _points(c)
    ),
    E.REVISION_REQUESTED: _revision_requested,
    E.REVISION_REJECTED: lambda n, t, c: _with(
        f"Your revision request on {t} was declined", c.get("reason")
    ),
    E.FEE_REQUESTED: lambda n, t, c: _with(
        f"{c.get('expert') or 'The expert'} asks for a fee of {_money(c)} on {t}", c.get("reason")
    ),
    E.FEE_QUOTED: lambda n, t, c: _with(
        f"A fee of {_money(c)} is quoted for your revision of {t}", c.get("reason")
    ),
    E.FEE_ACCEPTED: lambda n, t, c: f"The fee of {_money(c)} on {t} was accepted",
    E.FEE_DECLINED: lambda n, t, c: _with(
        f"The fee of {_money(c)} on {t} was declined", c.get("note")
    ),
    E.COMPLETED: lambda n, t, c: (
        f"{_cap(t)} completed automatically: {c.get('why')}"
        if c.get("automatically")
        else f"{_cap(t)} is completed"
    ),
    E.FAREWELL: lambda n, t, c: f"Your final documents for {t} are ready",
    E.REOPENED: _reopened,
    E.CANCELLED: lambda n, t, c: _with(f"{_cap(t)} was cancelled", c.get("reason")),
    E.FLAG_RAISED: lambda n, t, c: _with(
        f"{c.get('raised_by', 'Atelier')} flagged {t} ({c.get('kind', 'flag')})", c.get("note")
    ),
    E.REWARD_RELEASED: lambda n, t, c: f"Your reward of {_money(c)} for {t} was released",
    E.COMMENT_POSTED: _comment_posted,
    E.CLOSABLE: _closable,
    E.DELIVERY_REMINDER: lambda n, t, c: f"Your delivery for {t} is waiting for you",
    E.EXTENSION_REQUESTED: lambda n, t, c: _with(
        f"The expert asks for more time on {t}, until {_moment(c.get('due_at'))}", c.get("reason")
    ),
    E.EXTENSION_ANSWERED: lambda n, t, c: (
        f"More time on {t} was granted: now due {_moment(c.get('due_at'))}"
        if c.get("accepted")
        else _with(f"Your request for more time on {t} was declined", c.get("note"))
    ),
    E.AUTO_COMPLETE_NOTICE: lambda n, t, c: (
        f"{_cap(t)} completes automatically in a day unless you answer the delivery"
    ),
    E.RATED: _rated,
    E.APPEAL_OPENED: lambda n, t, c: _with(
        f"{c.get('expert') or 'The expert'} appeals QC's send-back of {t}", c.get("reason")
    ),
    E.APPEAL_DECIDED: lambda n, t, c: _with(
        f"The appeal on {t} was overturned: the work is delivered"
        if c.get("overturned")
        else f"The appeal on {t} was upheld: QC's points stand",
        c.get("reason"),
    ),
    E.QC_REASSIGNED: lambda n, t, c: (
        f"An agent gave you {t} to review, held until {_moment(c.get('until'))}"
    ),
}


def line(notification: Notification) -> str:
    """One readable line for `notification` (plain text; templates escape it)."""
    describe = LINES.get(notification.event)
    if describe is None:
        return notification.get_event_display()
    return describe(notification, _title(notification), notification.context or {})
