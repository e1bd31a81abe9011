"""Background tasks (Django's tasks API). A task is only a nudge: the delivery row decides."""

from django.tasks import task

from . import delivery


@task
def deliver_webhook(delivery_id: int) -> bool:
    return delivery.deliver(delivery_id)


@task
def deliver_webhooks(delivery_ids: list[int]) -> int:
    """The deliveries one transaction wrote, one after the other."""
    return sum(delivery.deliver(pk) for pk in dict.fromkeys(delivery_ids))
