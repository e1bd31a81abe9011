"""Background tasks (Django's tasks API). A task is only a nudge: the outbox row decides."""

from django.tasks import task

from . import delivery


@task
def deliver_notification(notification_id: int) -> bool:
    return delivery.deliver(notification_id)
