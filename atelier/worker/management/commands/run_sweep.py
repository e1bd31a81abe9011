"""One sweep, now or as of a given moment: for an operator replaying a window the worker missed,
and for tests and demos. Each timer does its work once (conditional updates), so a replay after
the worker's own sweep changes nothing it already did, and the worker's later sweeps at the real
time go on as before."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from atelier.core import clock
from atelier.worker.sweep import sweep


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--at wants an ISO 8601 moment, e.g. 2026-03-14T10:30:00-04:00; got {text!r}."
        ) from None
    if moment.tzinfo is None:
        raise CommandError("--at needs a time zone, e.g. 2026-03-14T10:30:00Z or ...-04:00.")
    return moment


class Command(BaseCommand):
    help = "Run the worker's periodic sweep once, now or as of --at (ISO 8601 with a zone)."

    def add_arguments(self, parser):
        parser.add_argument("--at", type=_moment, help="the moment to sweep as of (default: now)")

    def handle(self, *args, at: datetime | None = None, **options):
        if at is None:
            done = sweep()
        else:
            with clock.frozen_at(at):
                done = sweep()
        moment = at.isoformat() if at else "now"
        summary = ", ".join(f"{name} {count}" for name, count in done.items() if count)
        self.stdout.write(f"Swept as of {moment}: {summary or 'nothing was due'}.")
