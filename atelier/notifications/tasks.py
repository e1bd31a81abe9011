"""Background tasks (Django's tasks API). A task is only a nudge: the outbox row decides."""

from django.tasks import task

from . import delivery


@task
def deliver_notification(notification_id: int) -> bool:
    return delivery.deliver(notification_id)


@task
def deliver_notifications(notification_ids: list[int]) -> int:
    """The notifications one transaction wrote (or the sweep found due), over one connection,
    and while connected, those other transactions wrote meanwhile (a burst)."""
    return delivery.deliver_batch(notification_ids, then_due=DRAIN)


DRAIN = 100  # notifications due now that one task sends after its own (bounded: tasks rotate)
