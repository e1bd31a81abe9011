"""The read side of ratings: one order's rating as its reader may see it, an expert's figures
(average, count, how the stars spread) and the agents' figures per expert and per service.

Each figure is one aggregate query, whatever the number of ratings; lists are querysets the
pages page by cursor (newest first)."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q, QuerySet

from atelier.accounts.models import User

from . import access
from .models import Order, Rating
from .workflow import S

STARS = (5, 4, 3, 2, 1)


def rating_for(user: User, order: Order) -> Rating | None:
    """The order's rating if there is one and `user` may see it (its parties: rule of
    access.may_see_rating). A rating exists only once an order is completed; a reopened order
    shows it again when it completes again (no query before)."""
    if order.status != S.COMPLETED or not access.may_see_rating(user, order):
        return None
    return rating_of(order)


def rating_of(order: Order) -> Rating | None:
    """The order's rating, read through `order.rating` (no query when the order was fetched
    with select_related("rating"))."""
    try:
        return order.rating
    except Rating.DoesNotExist:
        return None


@dataclass(frozen=True)
class Spread:
    stars: int
    count: int
    percent: int  # of all ratings, rounded


@dataclass(frozen=True)
class Summary:
    count: int
    average: Decimal | None  # one decimal place; None without ratings
    spread: list[Spread]  # five stars first


def summary(ratings: QuerySet[Rating]) -> Summary:
    """Count, average and the count of each star value of `ratings`, in one query."""
    figures = ratings.order_by().aggregate(
        count=Count("pk"),
        average=Avg("stars"),
        **{f"s{n}": Count("pk", filter=Q(stars=n)) for n in STARS},
    )
    count = figures["count"]
    return Summary(
        count=count,
        average=_one_place(figures["average"]),
        spread=[
            Spread(n, figures[f"s{n}"], round(100 * figures[f"s{n}"] / count) if count else 0)
            for n in STARS
        ],
    )


def _one_place(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def expert_ratings(expert: User) -> QuerySet[Rating]:
    """An expert's ratings, with what a list shows of each (newest first when paged)."""
    return Rating.objects.filter(expert=expert).select_related("order", "order__service")


def all_ratings(*, expert: User | None = None, service_slug: str = "") -> QuerySet[Rating]:
    """Every rating (agents), optionally of one expert and of one service."""
    ratings = Rating.objects.select_related("order", "order__service", "order__customer", "expert")
    if expert is not None:
        ratings = ratings.filter(expert=expert)
    if service_slug:
        ratings = ratings.filter(order__service__slug=service_slug)
    return ratings


def per_expert(ratings: QuerySet[Rating]) -> list[dict]:
    """[{"expert__email", "expert__name", "count", "average"}], most rated first."""
    rows = (
        ratings.order_by()
        .values("expert", "expert__email", "expert__name")
        .annotate(count=Count("pk"), average=Avg("stars"))
        .order_by("-count", "expert__email")
    )
    return [{**row, "average": _one_place(row["average"])} for row in rows]


def per_service(ratings: QuerySet[Rating]) -> list[dict]:
    """[{"order__service__slug", "order__service__name", "count", "average"}], most rated
    first."""
    rows = (
        ratings.order_by()
        .values("order__service__slug", "order__service__name")
        .annotate(count=Count("pk"), average=Avg("stars"))
        .order_by("-count", "order__service__slug")
    )
    return [{**row, "average": _one_place(row["average"])} for row in rows]
