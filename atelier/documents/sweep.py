"""Removing what uploads that died half-way left behind (run by every worker's sweep).

- temporary upload files (FILE_UPLOAD_TEMP_DIR) not written to for an hour: a live upload
  writes every moment, so these belong to a process that was killed or lost its client;
- stored blobs under orders/ older than an hour that no row points at: stored by an action that
  then refused, or whose process died before its transaction committed (documents/storage.py
  stores the bytes first, then commits the row).

Which rows point at which blobs is the business of the app that owns the rows: it passes
`referenced`, a function answering which of a batch of keys are in use (the orders app's
`files.sweep_files_if_due` is what the worker calls).

Idempotent and safe on several workers at once: deleting what is already gone is not an error.
Listing every stored file is not free (on S3, paid LIST requests), so each worker does it every
ten minutes (`sweep_if_due`), not on each of its one-minute sweeps.
"""

import contextlib
import os
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage

from atelier.core import clock

from .storage import list_blobs
from .uploads import TEMP_PREFIX, TEMP_SUFFIX

GRACE = timedelta(hours=1)
INTERVAL = timedelta(minutes=10)
BATCH = 500
_last_run: datetime | None = None  # in this process

# Which of these stored keys a row points at (those are kept, whatever their age).
Referenced = Callable[[Collection[str]], set[str]]


def sweep_if_due(*, now: datetime, referenced: Referenced) -> dict[str, int]:
    """`sweep`, when this process has not run it for INTERVAL (the worker's sweep calls this)."""
    global _last_run
    if _last_run is not None and abs(now - _last_run) < INTERVAL:
        return {}
    _last_run = now
    return sweep(now=now, referenced=referenced)


def sweep(*, referenced: Referenced, now: datetime | None = None) -> dict[str, int]:
    """Counts of what was removed (the worker's sweep logs them with its own)."""
    cutoff = (now or clock.now()) - GRACE
    return {
        "upload_leftovers_removed": _remove_temporary_files(cutoff),
        "orphan_files_removed": _remove_orphans(cutoff, referenced),
    }


def _remove_temporary_files(cutoff: datetime) -> int:
    directory = Path(settings.FILE_UPLOAD_TEMP_DIR)
    if not directory.is_dir():
        return 0
    removed = 0
    for path in directory.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff.timestamp():
                os.unlink(path)
                removed += 1
    return removed


def _remove_orphans(cutoff: datetime, referenced: Referenced) -> int:
    removed = 0
    batch: list[str] = []
    for key, modified in list_blobs(default_storage):
        if modified < cutoff:
            batch.append(key)
        if len(batch) >= BATCH:
            removed += _remove_unreferenced(batch, referenced)
            batch = []
    if batch:
        removed += _remove_unreferenced(batch, referenced)
    return removed


def _remove_unreferenced(keys: list[str], referenced: Referenced) -> int:
    kept = referenced(keys)
    orphans = [key for key in keys if key not in kept]
    for key in orphans:
        default_storage.delete(key)
    return len(orphans)
