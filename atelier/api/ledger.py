"""`/ledger`: an expert's rewards and balances; agents read anyone's and credit by hand."""

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from atelier.accounts.services import user_by_email
from atelier.core.errors import InvalidInput, NotAllowed
from atelier.orders import access, actions
from atelier.rewards.models import LedgerEntry
from atelier.rewards.services import balances

from . import schemas as s
from .pagination import Limit, paginate

router = Router(tags=["ledger"])


class LedgerFilters(Schema):
    expert: s.EmailIn | None = None
    cursor: str | None = None
    limit: Limit = None


def _entry_out(entry: LedgerEntry) -> dict:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "amount": entry.amount,
        "currency": entry.currency,
        "order": entry.order_id,
        "memo": entry.memo,
        "release_at": entry.release_at,
        "created_at": entry.created_at,
    }


@router.get("/ledger", response=s.LedgerOut, summary="Rewards, fees, credits and balances")
def ledger(request: HttpRequest, filters: Query[LedgerFilters]):
    """Your own ledger; agents may name an `expert`."""
    user = request.auth
    expert = user
    if filters.expert:
        if not user.is_agent:
            raise NotAllowed("Only agents read another expert's ledger.", field="expert")
        expert = user_by_email(filters.expert, field="expert")
    elif not (user.is_expert or user.is_agent):
        raise NotAllowed("The ledger is for experts.")
    page = paginate(
        LedgerEntry.objects.filter(expert=expert),
        cursor=filters.cursor,
        limit=filters.limit,
        render=_entry_out,
    )
    return {"expert": expert.email, "balances": [b.__dict__ for b in balances(expert)], **page}


@router.post(
    "/ledger/credits", response={201: s.LedgerEntryOut, 404: s.Error}, summary="Credit an expert"
)
def credit(request: HttpRequest, payload: s.CreditIn):
    """A manual credit (agents). Send a `key` to make retries safe: one key credits once.
    With `order`, the credit is on that order's timeline (404 when there is no such order)."""
    user = request.auth
    if not user.is_agent:
        raise NotAllowed("Only agents credit experts.")
    expert = user_by_email(payload.expert, field="expert")
    if not expert.is_expert:
        raise InvalidInput(f"{expert.email} is not an expert.", field="expert")  # as the domain
    order = access.get_order_for(user, payload.order) if payload.order else None
    entry = actions.credit_expert(
        expert,
        actor=user,
        amount=payload.amount,
        currency=payload.currency,
        memo=payload.memo,
        order=order,
        key=payload.key,
    )
    return Status(201, _entry_out(entry))
