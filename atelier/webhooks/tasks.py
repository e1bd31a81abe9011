"""Background tasks (Django's tasks API). A task is only a nudge: the delivery row decides."""

from django.tasks import task

from . import delivery


@task
def deliver_webhook(delivery_id: int) -> bool:
    return delivery.deliver(delivery_id)
