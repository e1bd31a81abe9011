"""Nudging the worker about outbox rows (notifications, webhook deliveries)."""

import logging
from collections.abc import Iterable

logger = logging.getLogger(__name__)


def nudge(task, ids: Iterable[int], *, what: str) -> None:
    """Ask a worker to run `task` for each row now. The rows are the durable record: a nudge
    that cannot be queued loses nothing, the periodic sweep finds the row."""
    for pk in ids:
        try:
            task.enqueue(pk)
        except Exception:
            logger.exception("Could not queue %s %s; the sweep will send it", what, pk)
