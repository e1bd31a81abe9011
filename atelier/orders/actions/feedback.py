"""After completion: the customer rates the delivery (1 to 5 stars, optional words) and may tip
the expert, once; and orders again, which books the same expert for a new order
(docs/design.md, "Ratings and tips").

A tip is a ledger entry for the expert, held and released like a reward (rule 11).
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction

from atelier.accounts.models import User
from atelier.catalog.models import Service
from atelier.core import clock
from atelier.core.errors import Conflict, InvalidInput
from atelier.core.money import parse_money
from atelier.notifications.outbox import notify
from atelier.rewards import services as rewards

from .. import access
from ..events import record_event
from ..models import FLOW_PRESETS, Order, Rating
from ..workflow import S, lock_order
from .common import Upload, clean_text, order_link, stage_files, store_files
from .invitations import send_invitations
from .placing import create_order

STARS = range(1, 6)
MAX_RATING_TEXT = 5000
# A tip larger than this is a mistake (or a payment that belongs elsewhere), whatever the currency.
MAX_TIP = Decimal("1000.00")


@transaction.atomic
def rate_order(
    order: Order,
    *,
    actor: User,
    stars: int,
    text: str = "",
    tip_amount: Decimal | str | None = None,
    tip_currency: str | None = None,
) -> Rating:
    """The customer rates a completed order once; with a tip, the expert's ledger gets it."""
    order = lock_order(order)
    access.authorize(
        actor, order, access.may_rate(actor, order), "Only the order's customer rates it."
    )
    if order.status != S.COMPLETED or order.expert_id is None:
        raise Conflict(
            "You can rate the delivery once the order is completed.", code="not_completed"
        )
    if Rating.objects.filter(order=order).exists():
        raise Conflict("You have rated this order already.", code="already_rated")
    if isinstance(stars, bool) or not isinstance(stars, int) or stars not in STARS:
        raise InvalidInput("Give the delivery 1 to 5 stars.", field="stars")
    text = clean_text(text, "text", "Your review", required=False, limit=MAX_RATING_TEXT)
    amount, currency = _tip(order, tip_amount, tip_currency)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                order=order,
                expert_id=order.expert_id,
                stars=stars,
                text=text,
                tip_amount=amount,
                tip_currency=currency,
                created_at=clock.now(),
            )
    except IntegrityError:  # a rating committed since our check: the OneToOne is the guarantee
        raise Conflict("You have rated this order already.", code="already_rated") from None
    tip = {"tip": amount, "currency": currency} if amount is not None else {}
    record_event(order, "order.rated", actor=actor, stars=stars, **tip)
    notify(
        "rated",
        [order.expert],
        order=order,
        order_url=order_link(order),
        stars=stars,
        text=text,
        **tip,
    )
    if amount is not None:
        rewards.earn_tip(order, amount=amount, currency=currency)
    return rating


def _tip(
    order: Order, amount: Decimal | str | None, currency: str | None
) -> tuple[Decimal | None, str]:
    """No tip (None, ""), or a positive amount up to MAX_TIP in a currency (default: the one
    of the order's reward). Every error names the field "tip"."""
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        return None, ""
    try:
        amount, currency = parse_money(amount, currency or order.reward_currency)
    except InvalidInput as error:
        raise InvalidInput(f"Tip: {error.message}", field="tip") from None
    if amount > MAX_TIP:
        raise InvalidInput(f"A tip is at most {MAX_TIP} {currency}.", field="tip")
    return amount, currency


def bookable_expert(previous: Order, *, actor: User) -> User:
    """The expert `actor` may book again from `previous`: its customer, once it is completed,
    while that expert still takes orders."""
    access.authorize(
        actor,
        previous,
        access.may_order_again(actor, previous),
        "Only the order's customer orders again.",
    )
    expert = previous.expert
    if previous.status != S.COMPLETED or expert is None:
        raise Conflict(
            "You can order again from a completed order with its expert.", code="not_completed"
        )
    if not (expert.is_active and expert.is_expert):
        raise Conflict(
            f"{expert.display_name} no longer takes orders; place a new order instead.",
            code="expert_unavailable",
        )
    return expert


def order_again(
    previous: Order,
    *,
    actor: User,
    service: Service,
    title: str,
    instructions: str = "",
    due_at: datetime | None = None,
    attachments: Sequence[Upload] = (),
) -> Order:
    """A new order placed as `place_order` places it (the service's reward and QC), but as a
    booking: `previous`'s expert is invited, and may accept or decline. The order, its
    documents and the invitation are written in one transaction; the files are stored before."""
    expert = bookable_expert(previous, actor=actor)
    preset = {**FLOW_PRESETS[service.flow], "assignment": Order.Assignment.BOOKING}
    with stage_files(attachments, folder="new") as staged, transaction.atomic():
        order = create_order(
            actor=actor,
            customer=actor,
            service=service,
            title=title,
            instructions=instructions,
            due_at=due_at,
            reward_amount=service.reward_amount,
            reward_currency=service.reward_currency,
            **preset,
        )
        store_files(order, staged, actor=actor)
        send_invitations(lock_order(order), actor=actor, experts=[expert])
        return order
