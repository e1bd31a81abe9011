"""The expert's money: earning, fees, credits, release, balances (DESIGN rule 11).

Each kind of credit for an order happens once: the ledger key is unique, so a second attempt
(a retried task, a second worker, a reopened and re-completed order) writes nothing.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.errors import InvalidInput, NotAllowed
from atelier.core.money import parse_money
from atelier.core.time import platform_tz
from atelier.notifications.outbox import notify

from .models import LedgerEntry
from .rules import reward_release_at

Kind = LedgerEntry.Kind


def _create_once(**fields) -> LedgerEntry | None:
    """Insert an entry unless its key exists; None if it did."""
    if LedgerEntry.objects.filter(key=fields["key"]).exists():
        return None
    try:
        with transaction.atomic():
            return LedgerEntry.objects.create(**fields)
    except IntegrityError:
        return None  # a concurrent writer got there first


def _release_at(earned_at: datetime) -> datetime:
    return reward_release_at(
        earned_at, hold_days=settings.ATELIER_REWARD_HOLD_DAYS, tz=platform_tz()
    )


def earn_reward(order, *, at: datetime | None = None) -> LedgerEntry | None:
    """The order's reward is earned (first QC approval, or completion)."""
    if order.reward_amount <= 0 or order.expert_id is None:
        return None
    at = at or clock.now()
    return _create_once(
        key=f"reward:{order.pk}",
        expert_id=order.expert_id,
        order=order,
        kind=Kind.REWARD,
        amount=order.reward_amount,
        currency=order.reward_currency,
        release_at=_release_at(at),
        created_at=at,
        memo=f"Reward for order #{order.pk}",
    )


def earn_fee(fee, *, at: datetime | None = None) -> LedgerEntry | None:
    """An accepted fee is added to the expert's money, released on the same schedule."""
    at = at or clock.now()
    return _create_once(
        key=f"fee:{fee.pk}",
        expert_id=fee.order.expert_id,
        order=fee.order,
        kind=Kind.FEE,
        amount=fee.amount,
        currency=fee.currency,
        release_at=_release_at(at),
        created_at=at,
        memo=f"Fee for order #{fee.order_id}: {fee.reason[:200]}",
    )


def credit_expert(
    expert: User,
    *,
    actor: User,
    amount: Decimal | str,
    currency: str,
    memo: str,
    order=None,
    key: str | None = None,
) -> tuple[LedgerEntry, bool]:
    """An agent's manual credit, available at once, and whether this call wrote it. Pass `key`
    (say, a form's idempotency token) so that submitting the same credit twice writes it once."""
    if not actor.is_agent:
        raise NotAllowed("Only agents credit experts.")
    if not expert.is_expert:
        raise InvalidInput(f"{expert.email} is not an expert.", field="expert")
    amount, currency = parse_money(amount, currency)
    if not memo.strip():
        raise InvalidInput("Say what the credit is for.", field="memo")
    key = f"credit:{key or uuid.uuid4().hex}"
    entry = _create_once(
        key=key,
        expert=expert,
        order=order,
        kind=Kind.CREDIT,
        amount=amount,
        currency=currency,
        memo=memo.strip()[:300],
        created_by=actor,
        created_at=clock.now(),
    )
    if entry is None:  # the same credit was submitted before (or at the same moment)
        return LedgerEntry.objects.get(key=key), False
    return entry, True


def release_due(*, now: datetime | None = None) -> list[LedgerEntry]:
    """Release every reward and fee whose hold has passed; safe to run twice or concurrently."""
    now = now or clock.now()
    due = LedgerEntry.objects.filter(
        kind__in=LedgerEntry.PENDING_KINDS, release_at__lte=now, release__isnull=True
    ).select_related("expert")
    released = []
    for entry in due:
        with transaction.atomic():
            release = _create_once(
                key=f"release:{entry.pk}",
                expert_id=entry.expert_id,
                order_id=entry.order_id,
                kind=Kind.RELEASE,
                amount=entry.amount,
                currency=entry.currency,
                releases=entry,
                created_at=now,
                memo=f"Released: {entry.memo}",
            )
            if release is not None:
                notify(
                    "reward_released",
                    [entry.expert],
                    order=entry.order,
                    amount=entry.amount,
                    currency=entry.currency,
                    memo=entry.memo,
                )
                released.append(release)
    return released


CENT = Decimal("0.01")


@dataclass(frozen=True)
class Balance:
    currency: str
    pending: Decimal
    available: Decimal


def balances(expert: User) -> list[Balance]:
    """Pending and available money per currency, summed from the ledger."""
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    rows = (
        LedgerEntry.objects.filter(expert=expert)
        .values("currency", "kind")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        sums[row["currency"]][row["kind"]] += row["total"]
    return [
        Balance(
            currency=currency,
            # Sums come back without their scale on SQLite ("960"); money has two places.
            pending=(by_kind[Kind.REWARD] + by_kind[Kind.FEE] - by_kind[Kind.RELEASE]).quantize(
                CENT
            ),
            available=(by_kind[Kind.RELEASE] + by_kind[Kind.CREDIT]).quantize(CENT),
        )
        for currency, by_kind in sorted(sums.items())
    ]
