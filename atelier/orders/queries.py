"""The read side: what a person may see, shaped for pages."""

from django.db.models import QuerySet

from atelier.accounts.models import User

from .access import visible_orders
from .models import Order


def orders_for_home(user: User) -> QuerySet[Order]:
    return visible_orders(user).select_related("service", "customer", "expert")[:50]
