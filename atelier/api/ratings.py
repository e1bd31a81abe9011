"""Ratings: the customer rates a completed order once (stars, words, an optional tip); experts
read their own ratings, agents everyone's (docs/design.md, "Ratings and tips")."""

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from atelier.accounts.services import user_by_email
from atelier.catalog.models import Service
from atelier.core.errors import InvalidInput, NotAllowed
from atelier.orders import access, actions, ratings

from . import schemas as s
from .pagination import Limit, paginate

router = Router(tags=["ratings"])


@router.post(
    "/orders/{int:order_id}/rating",
    response={201: s.RatingOut, 409: s.Error},
    summary="Rate a completed order, with an optional tip (the customer, once)",
)
def rate_order(request: HttpRequest, order_id: int, payload: s.RatingIn):
    """409 `not_completed` before the order is completed, `already_rated` the second time."""
    order = access.get_order_for(request.auth, order_id)
    tip = payload.tip
    rating = actions.rate_order(
        order,
        actor=request.auth,
        stars=payload.stars,
        text=payload.text,
        tip_amount=tip.amount if tip else None,
        tip_currency=tip.currency if tip else None,
    )
    return Status(201, s.rating_out(rating, order=order))


class RatingPage(Schema):
    items: list[s.RatingOut]
    next_cursor: str | None


class RatingFilters(Schema):
    expert: s.EmailIn | None = None
    service: str | None = None
    cursor: str | None = None
    limit: Limit = None


@router.get("/ratings", response=RatingPage, summary="Ratings: your own, or (agents) everyone's")
def list_ratings(request: HttpRequest, filters: Query[RatingFilters]):
    """Newest first. Experts read their own; agents every expert's, or one `expert`'s (e-mail),
    and may narrow to one `service` (slug)."""
    user = request.auth
    if user.is_agent:
        expert = user_by_email(filters.expert, field="expert") if filters.expert else None
    elif user.is_expert:
        if filters.expert and filters.expert.strip().lower() != user.email.lower():
            raise NotAllowed("Only agents read another expert's ratings.", field="expert")
        expert = user
    else:
        raise NotAllowed("Ratings are for experts and agents.")
    if filters.service and not Service.objects.filter(slug=filters.service).exists():
        raise InvalidInput(f"There is no service “{filters.service}”.", field="service")
    return paginate(
        ratings.all_ratings(expert=expert, service_slug=filters.service or ""),
        cursor=filters.cursor,
        limit=filters.limit,
        render=s.rating_out,
    )
