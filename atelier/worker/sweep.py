"""The periodic sweep every worker runs each minute: the engine's timers, reward releases, the
event log's numbering, stale files, and a nudge for every notification and webhook delivery that
is due (a retry whose back-off ended, or one whose worker died mid-send). It sits above every
app it drives; none of them knows it exists."""

import logging
from datetime import timedelta

from django.conf import settings

from atelier.core import clock
from atelier.notifications import delivery as notifications
from atelier.notifications.tasks import deliver_notifications
from atelier.orders import timers
from atelier.orders.events import sequence_events
from atelier.orders.files import sweep_files_if_due
from atelier.rewards.services import release_due
from atelier.webhooks import delivery as webhooks
from atelier.webhooks.tasks import deliver_webhook

logger = logging.getLogger(__name__)
BATCH = 100  # notifications per task: a few workers share a long backlog


def sweep() -> dict[str, int]:
    now = clock.now()
    done = timers.run(now)
    done["released"] = release_due(now=now)
    done["sequenced"] = sequence_events()
    # Rows due for less than a sweep interval still have their own nudge waiting in the queue.
    grace = timedelta(seconds=settings.ATELIER_SWEEP_SECONDS)
    due = notifications.due_ids(grace=grace)
    for start in range(0, len(due), BATCH):  # each batch over one connection to the mail server
        deliver_notifications.enqueue(due[start : start + BATCH])
    done["requeued"] = len(due)
    done.update(sweep_files_if_due(now=now))
    hooks = webhooks.due_ids(grace=grace)
    for pk in hooks:
        deliver_webhook.enqueue(pk)
    done["webhooks_requeued"] = len(hooks)
    if any(done.values()):
        logger.info("Sweep: %s", ", ".join(f"{k} {v}" for k, v in done.items() if v))
    return done
