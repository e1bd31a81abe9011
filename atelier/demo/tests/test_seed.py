"""The demo that `make run` loads: DESIGN.md's people and services, orders in every state of
every flow, and idempotent."""

import pytest

from atelier.accounts.models import User
from atelier.catalog.models import Service
from atelier.demo.seed import PASSWORD, seed
from atelier.orders.models import Appeal, Order, Rating, RevisionItem
from atelier.rewards.models import LedgerEntry

pytestmark = pytest.mark.django_db

S = Order.Status
# The states each flow can reach: direct orders are never "invited", QC only on the marketplace.
STATES = {
    Order.Flow.WRITER_PORTAL: set(S.values) - {S.INVITED, S.IN_QC},
    Order.Flow.EXPERT_HUB: set(S.values) - {S.INVITED, S.IN_QC},
    Order.Flow.MARKETPLACE: set(S.values),
}


def test_demo_has_the_people_services_and_every_state_of_every_flow():
    created = seed()

    for email in [
        "customer@example.com",
        "expert@example.com",
        "expert2@example.com",
        "reviewer@example.com",
        "agent@example.com",
    ]:
        assert User.objects.get(email=email).check_password(PASSWORD)
    assert set(Service.objects.values_list("slug", flat=True)) >= {
        "resume-writing",
        "cover-letter",
        "linkedin-profile",
        "translation",
        "proofreading",
        "voice-over",
    }
    seen: dict[str, set[str]] = {flow: set() for flow in STATES}
    for order in Order.objects.all():
        seen[order.flow].add(order.status)
    assert seen == STATES
    assert len(created) == Order.objects.count()


def test_demo_loads_twice_without_duplicates():
    seed()
    counts = (User.objects.count(), Service.objects.count(), Order.objects.count())
    assert seed() == []
    assert (User.objects.count(), Service.objects.count(), Order.objects.count()) == counts


def test_demo_has_ratings_one_with_a_tip():
    seed()
    ratings = Rating.objects.filter(expert__email="expert@example.com")
    assert ratings.count() >= 2 and ratings.filter(tip_amount__isnull=False).exists()
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.TIP).exists()


def test_demo_shows_the_quality_loop():
    # given the demo
    seed()
    riley = User.objects.get(email="reviewer@example.com")
    robin = User.objects.get(email="reviewer2@example.com")

    # then a send-back is appealed and waits for an agent, its scorecard with a failed point
    appeal = Appeal.objects.get(status=Appeal.Status.PENDING)
    assert any(not mark["pass"] and mark["comment"] for mark in appeal.review.scorecard)
    # a rework is back with the reviewer who sent it back, its points answered
    rework = Order.objects.get(title__contains="QC rework")
    assert rework.status == S.IN_QC and rework.qc_reviewer == riley
    assert rework.qc_claimed_until is not None
    assert (
        RevisionItem.objects.filter(review__submission__order=rework, addressed=True).count() == 2
    )
    # an agent gave one to the second reviewer
    assert Order.objects.get(title__contains="gave it to Robin").qc_reviewer == robin
    # and customers' revision requests are checklists their expert answered
    assert RevisionItem.objects.filter(request__isnull=False, answered_in__isnull=False).exists()
