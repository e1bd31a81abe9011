"""The sweep removes what dead uploads left behind, once an hour has passed: temporary upload
files nobody writes to any more, and stored files no row points at. Everything else stays, and
a second run finds nothing to do."""

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile

from atelier.core import clock
from atelier.documents import storage
from atelier.documents.sweep import sweep
from atelier.documents.uploads import TEMP_PREFIX, TEMP_SUFFIX, inspect_upload
from atelier.orders.files import referenced_keys, sweep_files_if_due
from atelier.orders.models import OrderFile
from atelier.worker.sweep import sweep as worker_sweep


def _age(path: Path, hours: float) -> None:
    moment = time.time() - hours * 3600
    os.utime(path, (moment, moment))


def _orphan(folder, content: bytes = b"left behind") -> Path:
    facts = inspect_upload(ContentFile(content, name="x.txt"))
    return django_settings.MEDIA_ROOT / storage.put(ContentFile(content), facts, folder=folder).key


def _leftover(name: str) -> Path:
    directory = Path(django_settings.FILE_UPLOAD_TEMP_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{TEMP_PREFIX}{name}{TEMP_SUFFIX}"
    path.write_bytes(b"half an upload")
    return path


# The orders app's answer, and the transitional one the worker uses until it asks the orders app.
def test_the_sweep_removes_only_old_leftovers(world):
    referenced = referenced_keys
    # given a committed file (old), old and fresh orphans, old and fresh temporary files, and
    # a file in the temp dir that is not ours
    order = world.delivered()
    committed = django_settings.MEDIA_ROOT / OrderFile.objects.get().file.name
    _age(committed, 5)
    old_orphan, new_orphan, new_order_orphan = _orphan(order.pk), _orphan(order.pk), _orphan("new")
    _age(old_orphan, 1.1)
    _age(new_order_orphan, 2)
    old_temp, new_temp = _leftover("old"), _leftover("new")
    _age(old_temp, 1.1)
    foreign = Path(django_settings.FILE_UPLOAD_TEMP_DIR) / "someone-elses.tmp"
    foreign.write_bytes(b"not ours")
    _age(foreign, 3)

    # when the sweep runs (twice)
    first, second = sweep(referenced=referenced), sweep(referenced=referenced)

    # then what was old and unreferenced is gone, and only that
    assert first == {"upload_leftovers_removed": 1, "orphan_files_removed": 2}
    assert second == {"upload_leftovers_removed": 0, "orphan_files_removed": 0}
    assert committed.exists() and new_orphan.exists() and new_temp.exists() and foreign.exists()
    assert not old_orphan.exists() and not new_order_orphan.exists() and not old_temp.exists()


@pytest.mark.parametrize(
    "periodic_sweep",
    [worker_sweep, lambda: sweep_files_if_due(now=clock.now())],
    ids=["worker", "orders-entry-point"],
)
def test_the_worker_sweeps_files_every_ten_minutes(db, monkeypatch, periodic_sweep):
    monkeypatch.setattr("atelier.documents.sweep._last_run", None)  # a fresh worker
    first, second = _orphan(1), _orphan(2)
    _age(first, 2)

    done = periodic_sweep()
    _age(second, 2)
    soon = periodic_sweep()  # the next one-minute sweep: not yet
    with clock.frozen_at(clock.now() + timedelta(minutes=11)):
        later = periodic_sweep()

    assert done["orphan_files_removed"] == 1 and not first.exists()
    assert "orphan_files_removed" not in soon
    assert later["orphan_files_removed"] == 1 and not second.exists()
