"""Nudging the worker about outbox rows (notifications, webhook deliveries)."""

import logging
from collections.abc import Iterable

from django.db import DEFAULT_DB_ALIAS, connections, transaction

logger = logging.getLogger(__name__)


def nudge(task, ids: Iterable[int], *, what: str) -> None:
    """Ask a worker to run `task` for each row now. The rows are the durable record: a nudge
    that cannot be queued loses nothing, the periodic sweep finds the row."""
    for pk in ids:
        try:
            task.enqueue(pk)
        except Exception:
            logger.exception("Could not queue %s %s; the sweep will send it", what, pk)


def nudge_batch(task, ids: Iterable[int], *, what: str) -> None:
    """Ask a worker to run `task` once for all these rows (it takes a list of ids)."""
    ids = list(ids)
    if not ids:
        return
    try:
        task.enqueue(ids)
    except Exception:
        logger.exception("Could not queue %s %s; the sweep will send them", what, ids)


class _Batch:
    """One on-commit callback that nudges a batch task once for every row added to it."""

    def __init__(self, task, what: str) -> None:
        self.task, self.what = task, what
        self.ids: list[int] = []

    def __call__(self) -> None:
        nudge_batch(self.task, self.ids, what=self.what)


def nudge_on_commit(task, ids: Iterable[int], *, what: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Nudge the batch `task` about these rows once the transaction commits: however many times
    one transaction calls this, the worker gets one task per batch task with every row's id.

    The ids join a callback already waiting for the commit when that callback survives whenever
    these rows do (it was registered outside every savepoint now open, or in one of them); else
    a new callback starts. A rolled-back savepoint may leave ids of rows that are gone in a
    batch: delivering them finds nothing to claim."""
    ids = list(ids)
    if not ids:
        return
    connection = connections[using]
    if not connection.in_atomic_block:
        nudge_batch(task, ids, what=what)
        return
    open_savepoints = set(connection.savepoint_ids)
    for savepoints, callback, _robust in connection.run_on_commit:
        if (
            isinstance(callback, _Batch)
            and callback.task is task
            and set(savepoints) <= open_savepoints
        ):
            callback.ids.extend(ids)
            return
    batch = _Batch(task, what)
    batch.ids.extend(ids)
    transaction.on_commit(batch, using=using)
