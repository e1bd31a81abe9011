"""The demo that `make run` loads: DESIGN.md's people and services, orders in every state of
every flow, and idempotent."""

import pytest

from atelier.accounts.models import User
from atelier.catalog.models import Service
from atelier.demo.seed import PASSWORD, seed
from atelier.orders.models import Order

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
