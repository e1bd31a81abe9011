"""The order's files as the file sweep sees them: documents/sweep.py removes stored blobs no row
points at, and which blobs OrderFile rows point at is answered here. The worker's periodic sweep
calls `sweep_files_if_due` every minute, which does the work every ten."""

from collections.abc import Collection
from datetime import datetime

from atelier.documents import sweep

from .models import OrderFile


def referenced_keys(keys: Collection[str]) -> set[str]:
    """Which of these storage keys an OrderFile row points at: the blobs the sweep keeps."""
    return set(OrderFile.objects.filter(file__in=keys).values_list("file", flat=True))


def sweep_files(*, now: datetime | None = None) -> dict[str, int]:
    """Remove old upload leftovers and stored blobs no OrderFile points at; counts of each."""
    return sweep.sweep(referenced=referenced_keys, now=now)


def sweep_files_if_due(*, now: datetime) -> dict[str, int]:
    """`sweep_files`, when this process has not run it for ten minutes (the worker's sweep)."""
    return sweep.sweep_if_due(now=now, referenced=referenced_keys)
