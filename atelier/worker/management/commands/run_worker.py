"""The task worker (django-tasks-db's db_worker) plus the periodic sweep, in one process: no cron
to set up. Run as many as you like; the sweep and deliveries are safe to run concurrently."""

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection
from django_tasks_db.management.commands import db_worker

from atelier.worker.sweep import sweep

logger = logging.getLogger(__name__)
IDLE_POLL_SECONDS = 0.25


def sweep_forever(interval: float) -> None:
    while True:
        try:
            sweep()
        except Exception:  # a bad minute must not stop the next one
            logger.exception("The sweep failed; trying again in %ss", interval)
        finally:
            connection.close()
        time.sleep(interval)


class Command(db_worker.Command):
    help = "Run background tasks and, every ATELIER_SWEEP_SECONDS, the sweep."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # An idle worker looks for a task every quarter second (db_worker's default is 1 s): an
        # e-mail waits for that poll, and the look is one indexed query on a kept connection.
        parser.set_defaults(interval=IDLE_POLL_SECONDS)

    def handle(self, *args, **options):
        options["reload"] = False  # a reload would kill a task mid-send
        close_old_connections()
        threading.Thread(
            target=sweep_forever, args=(settings.ATELIER_SWEEP_SECONDS,), daemon=True
        ).start()
        super().handle(*args, **options)
