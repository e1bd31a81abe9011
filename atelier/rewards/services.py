"""The expert's money: earning, fees, tips, credits, release, balances (DESIGN rule 11).

Each kind of credit for an order happens once: the ledger key is unique, so a second attempt
(a retried task, a second worker, a reopened and re-completed order) writes nothing.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, F, Func, Sum
from django.db.models.functions import JSONObject

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.errors import InvalidInput, NotAllowed
from atelier.core.money import parse_money
from atelier.core.time import platform_tz
from atelier.notifications.outbox import notify_rows

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


def _release_at(order, earned_at: datetime) -> datetime:
    """After the hold of the policy the order was placed under."""
    return reward_release_at(earned_at, hold_days=order.policy.reward_hold_days, tz=platform_tz())


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
        release_at=_release_at(order, at),
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
        release_at=_release_at(fee.order, at),
        created_at=at,
        memo=f"Fee for order #{fee.order_id}: {fee.reason[:200]}",
    )


def earn_tip(
    order, *, amount: Decimal, currency: str, at: datetime | None = None
) -> LedgerEntry | None:
    """The customer's tip on a rated order: once per order, released like its reward."""
    at = at or clock.now()
    return _create_once(
        key=f"tip:{order.pk}",
        expert_id=order.expert_id,
        order=order,
        kind=Kind.TIP,
        amount=amount,
        currency=currency,
        release_at=_release_at(order, at),
        created_at=at,
        memo=f"Tip for order #{order.pk}",
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


def release_due(*, now: datetime | None = None) -> int:
    """Release every reward, fee and tip whose hold has passed and tell each expert; the number this
    call released. Set-based, ATELIER_RELEASE_BATCH_SIZE entries per transaction, a handful of
    statements per batch whatever its size. Safe to run twice or concurrently: a release's key
    and `releases` are unique and each batch inserts with ON CONFLICT DO NOTHING, so a second
    sweeper writes, and notifies, nothing for an entry the first released."""
    now = now or clock.now()
    due = list(
        LedgerEntry.objects.filter(
            kind__in=LedgerEntry.PENDING_KINDS, release_at__lte=now, release__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    size = max(settings.ATELIER_RELEASE_BATCH_SIZE, 1)
    return sum(_release_batch(due[i : i + size], now=now) for i in range(0, len(due), size))


def _release_batch(ids: list[int], *, now: datetime) -> int:
    with transaction.atomic():
        released = _insert_releases(ids, now=now)
        if released:
            notify_rows(
                "reward_released",
                LedgerEntry.objects.filter(pk__in=released).order_by("pk"),
                recipient=F("expert"),
                order=F("order"),
                context=JSONObject(amount=_MoneyText("amount"), currency="currency", memo="memo"),
            )
    return len(released)


class _MoneyText(Func):
    """An amount as the text notify() stores for it ("120.00", as DjangoJSONEncoder writes a
    Decimal): PostgreSQL's numeric keeps its scale; SQLite stores 120.00 as 120, so it formats."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="CAST(%(expressions)s AS TEXT)")

    def as_sqlite(self, compiler, connection, **extra_context):
        places = LedgerEntry._meta.get_field("amount").decimal_places
        # %%%% is "%" once the template and then the cursor have each read it
        template = f"PRINTF('%%%%.{places:d}f', %(expressions)s)"
        return super().as_sql(compiler, connection, template=template)


def _insert_releases(ids: list[int], *, now: datetime) -> list[int]:
    """One INSERT ... SELECT writing the release of each of these entries that is due, in id
    order (two sweepers that overlap wait for each other in the same order, never in a cycle).
    Returns the entries released by this statement: ON CONFLICT DO NOTHING skips, and RETURNING
    leaves out, any entry whose release another transaction wrote first (the unique key and
    `releases` are the guarantee). Raw SQL because the ORM has no INSERT ... SELECT; it runs
    as written on PostgreSQL and SQLite."""
    if not ids:
        return []
    ops = connection.ops
    table = ops.quote_name(LedgerEntry._meta.db_table)
    c = {f.name: ops.quote_name(f.column) for f in LedgerEntry._meta.concrete_fields}
    memo_length = LedgerEntry._meta.get_field("memo").max_length
    pending = [kind.value for kind in LedgerEntry.PENDING_KINDS]
    at = ops.adapt_datetimefield_value(now)

    def marks(values: list) -> str:
        return ", ".join(["%s"] * len(values))

    sql = f"""
        INSERT INTO {table} ({c["expert"]}, {c["order"]}, {c["kind"]}, {c["amount"]},
            {c["currency"]}, {c["releases"]}, {c["key"]}, {c["memo"]}, {c["created_at"]})
        SELECT {c["expert"]}, {c["order"]}, %s, {c["amount"]}, {c["currency"]}, {c["id"]},
            %s || {c["id"]}, SUBSTR(%s || {c["memo"]}, 1, {memo_length:d}), %s
        FROM {table}
        WHERE {c["id"]} IN ({marks(ids)})
            AND {c["kind"]} IN ({marks(pending)}) AND {c["release_at"]} <= %s
        ORDER BY {c["id"]}
        ON CONFLICT DO NOTHING
        RETURNING {c["releases"]}
    """
    params = [Kind.RELEASE.value, "release:", "Released: ", at, *ids, *pending, at]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


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
            pending=(
                sum((by_kind[kind] for kind in LedgerEntry.PENDING_KINDS), Decimal(0))
                - by_kind[Kind.RELEASE]
            ).quantize(CENT),
            available=(by_kind[Kind.RELEASE] + by_kind[Kind.CREDIT]).quantize(CENT),
        )
        for currency, by_kind in sorted(sums.items())
    ]
