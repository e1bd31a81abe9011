"""The periodic sweep every worker runs each minute: the timers, and a nudge for every
notification and webhook delivery that is due (a retry whose back-off ended, or one whose worker
died mid-send)."""

import logging
from datetime import timedelta

from django.conf import settings

from atelier.core import clock
from atelier.documents import sweep as files
from atelier.orders import timers
from atelier.rewards.services import release_due
from atelier.webhooks import delivery as webhooks
from atelier.webhooks.tasks import deliver_webhook

from . import delivery
from .tasks import deliver_notification

logger = logging.getLogger(__name__)


def sweep() -> dict[str, int]:
    now = clock.now()
    done = timers.run(now)
    done["released"] = len(release_due(now=now))
    # Rows due for less than a sweep interval still have their own nudge waiting in the queue.
    due = delivery.due_ids(grace=timedelta(seconds=settings.ATELIER_SWEEP_SECONDS))
    for pk in due:
        deliver_notification.enqueue(pk)
    done["requeued"] = len(due)
    done.update(files.sweep_if_due(now=now))
    hooks = webhooks.due_ids(grace=timedelta(seconds=settings.ATELIER_SWEEP_SECONDS))
    for pk in hooks:
        deliver_webhook.enqueue(pk)
    done["webhooks_requeued"] = len(hooks)
    if any(done.values()):
        logger.info("Sweep: %s", ", ".join(f"{k} {v}" for k, v in done.items() if v))
    return done
