"""The outbox pattern, shared by e-mail notifications (atelier/notifications/delivery.py) and
webhook deliveries (atelier/webhooks/delivery.py); each app keeps only what it sends.

A row is written in the transaction of the change that caused it, and is the durable record;
tasks only nudge. A worker claims it with a lease, so that one worker at a time holds it, and
records the outcome only while its claim holds. A failed attempt is retried with exponential
back-off until a limit, then the row is FAILED for an agent to retry. A worker that dies mid-send
leaves the row SENDING with a lease that expires, and the sweep hands it to another worker.

The model has `status` (a TextChoices `Status` with at least PENDING, SENDING and FAILED),
`attempts`, `next_attempt_at` and `lease_expires_at`.
"""

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.module_loading import import_string

from atelier.core import clock
from atelier.core.tasks import nudge


class Outbox[Row: models.Model]:
    """Claiming, finishing and retrying the rows of one model. The three settings are named here
    and read at call time; `task` is the dotted path of the task that delivers one row (imported
    when first needed, as the task module imports its app's delivery module)."""

    def __init__(
        self,
        model: type[Row],
        *,
        what: str,
        lease_setting: str,
        max_attempts_setting: str,
        retry_setting: str,
        task: str,
        related: Sequence[str] = (),
        logger: logging.Logger,
    ) -> None:
        self.model = model
        self.Status = model.Status
        self.what = what  # a row, in log lines: "notification", "webhook delivery"
        self.lease_setting = lease_setting
        self.max_attempts_setting = max_attempts_setting
        self.retry_setting = retry_setting
        self.task = task
        self.related = tuple(related)  # fetched with a claimed row
        self.logger = logger  # the app's own, so that its log lines keep their logger name

    def due(self, grace: timedelta = timedelta(0)) -> Q:
        """Rows a worker may take now: pending and due (for at least `grace`), or sending with an
        expired lease."""
        now = clock.now()
        return Q(status=self.Status.PENDING, next_attempt_at__lte=now - grace) | Q(
            status=self.Status.SENDING, lease_expires_at__lte=now
        )

    def claim(self, pk: int) -> Row | None:
        """Take the row for sending, atomically: at most one worker holds it at a time."""
        lease = clock.now() + timedelta(seconds=getattr(settings, self.lease_setting))
        taken = self._rows.filter(self.due(), pk=pk).update(
            status=self.Status.SENDING, lease_expires_at=lease, attempts=F("attempts") + 1
        )
        if not taken:
            return None
        rows = self._rows.select_related(*self.related) if self.related else self._rows
        return rows.get(pk=pk)

    def claim_each(self, pks: Iterable[int]) -> Iterator[Row]:
        """Claim these rows one after the other, each when the caller asks for the next (so that
        a worker holds one row at a time, as with `claim`), skipping those not due. The rows are
        read together first; each claim is then one UPDATE that also requires the `attempts`
        read, so the row in hand is exactly the row claimed without reading it again."""
        pks = list(dict.fromkeys(pks))
        read = self._rows.select_related(*self.related) if self.related else self._rows
        rows = read.in_bulk(pks)
        for pk in pks:
            row = rows.get(pk)
            if row is None:
                continue
            lease = clock.now() + timedelta(seconds=getattr(settings, self.lease_setting))
            taken = self._rows.filter(self.due(), pk=pk, attempts=row.attempts).update(
                status=self.Status.SENDING, lease_expires_at=lease, attempts=F("attempts") + 1
            )
            if taken:
                row.status, row.lease_expires_at = self.Status.SENDING, lease
                row.attempts += 1
                yield row

    def deliver(self, pk: int, send: Callable[[Row], bool]) -> bool:
        """Claim the row if it is due and `send` it; safe to call any number of times."""
        row = self.claim(pk)
        return send(row) if row is not None else False

    def finish(self, row: Row, **fields: Any) -> bool:
        """Record the outcome of a claimed row and release its lease; False, changing nothing,
        when the claim no longer holds: `attempts` grows with every claim, so a worker whose lease
        expired and was taken over cannot overwrite the new holder's outcome."""
        held = self._rows.filter(pk=row.pk, status=self.Status.SENDING, attempts=row.attempts)
        return held.update(lease_expires_at=None, **fields) == 1

    def retry_delay(self, attempts: int) -> int:
        """Seconds to wait after the `attempts`-th failed attempt: the setting, doubled each time
        (30, 60, 120… for 30)."""
        return getattr(settings, self.retry_setting) * 2 ** (attempts - 1)

    def retry(self, row: Row, *, reason: str, **fields: Any) -> bool:
        """After a failed attempt of a claimed row: PENDING again after the back-off, or FAILED
        once the attempts are spent. `fields` (what the attempt got) are recorded either way;
        `reason` is for the log. False when the claim no longer holds."""
        attempts = row.attempts
        if attempts >= getattr(settings, self.max_attempts_setting):
            self.logger.error(f"Giving up on {self.what} %s after %s attempts", row.pk, attempts)
            return self.finish(row, status=self.Status.FAILED, next_attempt_at=None, **fields)
        delay = self.retry_delay(attempts)
        self.logger.warning(
            f"{self.what.capitalize()} %s failed (%s); retry in %ss", row.pk, reason, delay
        )
        retry_at = clock.now() + timedelta(seconds=delay)
        if not self.finish(row, status=self.Status.PENDING, next_attempt_at=retry_at, **fields):
            return False
        # A nudge deferred to the retry's moment, so the back-off is kept to the second; the sweep
        # stays the safety net should this task be lost.
        task = import_string(self.task).using(run_after=retry_at)
        nudge(task, [row.pk], what=self.what)
        return True

    def due_ids(self, limit: int = 500, *, grace: timedelta = timedelta(0)) -> list[int]:
        """The rows due for at least `grace`, oldest first (the sweep nudges them)."""
        due = self._rows.filter(self.due(grace)).order_by("next_attempt_at", "pk")
        return list(due.values_list("pk", flat=True)[:limit])

    def retry_failed(self, row: Row, **fields: Any) -> bool:
        """An agent sends a FAILED row again: a fresh round of attempts, starting now; `fields`
        are reset with it. False for a row in any other status."""
        return bool(
            self._rows.filter(pk=row.pk, status=self.Status.FAILED).update(
                status=self.Status.PENDING, attempts=0, next_attempt_at=clock.now(), **fields
            )
        )

    @property
    def _rows(self) -> models.QuerySet[Row]:
        return self.model._default_manager.all()
